package messaging

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/internal/errs"
)

func TestValidate(t *testing.T) {
	a, b := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	many := make([]string, MaxMembers+1)
	for i := range many {
		many[i] = uuid.Must(uuid.NewV7()).String()
	}
	convs := []struct {
		c  Conversation
		ok bool
	}{
		{Conversation{Kind: Direct, Members: []string{a, b}, CreatedBy: a}, true},
		{Conversation{Kind: Direct, Members: []string{a, b, many[0]}, CreatedBy: a}, false},
		{Conversation{Kind: Group, Members: []string{a, a}, CreatedBy: a}, false},
		{Conversation{Kind: Group, Members: many, CreatedBy: many[0]}, false},
		{Conversation{Kind: Group, Members: []string{a, b}, CreatedBy: many[0]}, false},
		{Conversation{Kind: "broadcast", Members: []string{a, b}, CreatedBy: a}, false},
		{Conversation{Kind: Group, Members: []string{a, "'; DROP TABLE message; --"}, CreatedBy: a}, false},
	}
	for i, tt := range convs {
		if err := tt.c.Validate(); (err == nil) != tt.ok || (err != nil && !errs.Is(err, errs.Invalid)) {
			t.Errorf("conversation %d: Validate() = %v; want ok=%v", i, err, tt.ok)
		}
	}
	msgs := []struct {
		m  Message
		ok bool
	}{
		{Message{ID: a, Body: "hello"}, true},
		{Message{ID: uuid.NewString(), Body: "hello"}, false}, // v4, not v7
		{Message{ID: a, Body: "   "}, false},
		{Message{ID: a, Body: strings.Repeat("x", MaxBodyRunes+1)}, false},
	}
	for i, tt := range msgs {
		if err := tt.m.Validate(); (err == nil) != tt.ok {
			t.Errorf("message %d: Validate() = %v; want ok=%v", i, err, tt.ok)
		}
	}
}
