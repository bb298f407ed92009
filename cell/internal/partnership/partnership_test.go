package partnership

import (
	"testing"

	"github.com/pushnchat/pushnchat/internal/crosscell"
)

func TestStep(t *testing.T) {
	for _, c := range []struct {
		role  Role
		state State
		a     Action
		want  State
	}{
		{Recipient, Proposed, Accept, Accepted},
		{Recipient, Proposed, Decline, Declined},
		{Proposer, Proposing, Withdraw, Withdrawn},
		{Proposer, Proposed, Withdraw, Withdrawn},
		{Proposer, Accepted, End, Ended},
		{Recipient, Accepted, End, Ended},
		{Proposer, Proposed, Accept, ""},
		{Recipient, Proposed, Withdraw, ""},
		{Recipient, Accepted, Accept, ""},
		{Proposer, Withdrawn, End, ""},
		{Proposer, Refused, Withdraw, ""},
	} {
		p := Partnership{Role: c.role, State: c.state}
		got, _, err := p.Step(c.a)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%s %s, %s: %q, %v; want %q", c.role, c.state, c.a, got, err, c.want)
		}
	}
}

// Events that cross settle both sides the same way.
func TestArrive(t *testing.T) {
	for _, c := range []struct {
		state State
		k     crosscell.Kind
		want  State // "" when it does not move
	}{
		{Proposing, crosscell.PartnershipReceived, Proposed},
		{Proposed, crosscell.PartnershipReceived, ""},
		{Proposing, crosscell.PartnershipAccepted, Accepted},
		{Proposed, crosscell.PartnershipDeclined, Declined},
		{Withdrawn, crosscell.PartnershipAccepted, ""}, // the proposer withdrew first: stays withdrawn
		{Accepted, crosscell.PartnershipWithdrawn, Withdrawn},
		{Declined, crosscell.PartnershipWithdrawn, ""},
		{Accepted, crosscell.PartnershipEnded, Ended},
		{Ended, crosscell.PartnershipEnded, ""},
	} {
		p := Partnership{State: c.state}
		got, moves := p.Arrive(c.k)
		if !moves {
			got = ""
		}
		if got != c.want {
			t.Errorf("%s + %s = %q; want %q", c.state, c.k, got, c.want)
		}
	}
}
