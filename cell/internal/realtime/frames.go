package realtime

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// What a session does with each frame its client sends (see protocol.go
// for the frames).

func (s *session) reply(v any) {
	b, ok := v.([]byte)
	if !ok {
		b = encode(v)
	}
	s.enqueue(event{kind: evFrame, frame: b})
}

func (s *session) handle(f inFrame) {
	switch f.Type {
	case "ping":
		s.reply(pongFrame)
		s.hub.markPresent(s)
	case "send":
		s.send(f)
	case "resume":
		if len(f.Positions) > s.hub.cfg.MaxConvs {
			s.reply(errorFrame{Type: "error", Ref: f.Ref, Code: ErrTooManyConvs, Detail: "resume at most " + strconv.Itoa(s.hub.cfg.MaxConvs) + " conversations per frame"})
			return
		}
		s.enqueue(event{kind: evResume, control: &control{ref: f.Ref, positions: f.Positions}})
	case "read":
		if err := s.allowed(authz.ConversationRead, f.Conversation); err != nil {
			s.refuse(f, err)
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		read, err := s.hub.cfg.DB.MarkRead(ctx, f.Conversation, s.user, f.Seq)
		if err != nil {
			s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrUnavailable, Detail: "could not record the read position; retry"})
			return
		}
		s.hub.fan.publishEphemeral(ctx, "r", f.Conversation, encode(receiptFrame{Type: "receipt", Conversation: f.Conversation, User: s.user, Seq: read}))
	case "typing":
		// Typing announces a message to come: only those who may send.
		if err := s.allowed(authz.ConversationSend, f.Conversation); err != nil {
			s.refuse(f, err)
			return
		}
		if s.typingAt == nil {
			s.typingAt = map[string]time.Time{}
		}
		if time.Since(s.typingAt[f.Conversation]) < 2*time.Second {
			return // one typing notice per conversation every 2 s is plenty
		}
		s.typingAt[f.Conversation] = time.Now()
		s.hub.fan.publishEphemeral(s.ctx, "y", f.Conversation, encode(typingFrame{Type: "typing", Conversation: f.Conversation, User: s.user}))
	default:
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Code: ErrUnknownType, Detail: "unknown frame type " + strconv.Quote(f.Type)})
	}
}

func (s *session) notMember(f inFrame) {
	s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrNotMember, Detail: "no such conversation"})
}

// isMember reports whether the user belongs to conv, asking the database
// about a conversation joined since the session began (and adopting it).
func (s *session) isMember(conv string) bool {
	s.mu.Lock()
	ok := s.convs[conv] != nil
	s.mu.Unlock()
	if ok {
		return true
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	hd, ok, err := s.hub.cfg.DB.MemberHead(ctx, conv, s.user)
	if err != nil || !ok {
		return false
	}
	return s.join(headInfo{ID: hd.ID, TenantID: hd.TenantID, LastSeq: hd.LastSeq})
}

// join follows a conversation the user joined after the session began, if
// the user may read its business's conversations; it reports whether the
// conversation is followed.
func (s *session) join(hd headInfo) bool {
	s.mu.Lock()
	if s.convs[hd.ID] != nil {
		s.mu.Unlock()
		return true
	}
	if len(s.convs) >= s.hub.cfg.MaxConvs || s.access.May(authz.ConversationRead, hd.TenantID) != nil {
		s.mu.Unlock()
		return false
	}
	s.convs[hd.ID] = &convState{tenant: hd.TenantID} // the pump makes it live
	s.mu.Unlock()
	s.enqueue(event{kind: evJoin, control: &control{head: hd}})
	return true
}

func (s *session) send(f inFrame) {
	if err := s.allowed(authz.ConversationSend, f.Conversation); err != nil {
		s.refuse(f, err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	stored, created, err := s.hub.sender.Send(ctx, messaging.Message{ConversationID: f.Conversation, ID: f.ID, SenderID: s.user, Body: f.Body, AttachmentIDs: f.Attachments})
	if err != nil {
		code, detail := ErrUnavailable, "the message was not stored; send the same frame again"
		var e *errs.Error
		switch {
		case errors.As(err, &e) && e.Code == ErrIDReused:
			code, detail = ErrIDReused, e.Message
		case errors.As(err, &e) && e.Kind == errs.Invalid:
			code, detail = ErrInvalid, describe(err)
		case errors.As(err, &e) && e.Code == ErrTransferRefused:
			code, detail = ErrTransferRefused, e.Message
		case errors.As(err, &e) && e.Kind == errs.Conflict:
			code, detail = ErrPartnershipOver, e.Message
		default:
			s.hub.log.Warn("realtime: send", "err", err)
		}
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: code, Detail: detail})
		return
	}
	s.reply(ackFrame{Type: "ack", Ref: f.Ref, Conversation: stored.ConversationID, ID: stored.ID, Seq: stored.Seq,
		CreatedAt: stored.CreatedAt, Duplicate: !created})
}

// describe renders an input error for an error frame: its fields' details.
func describe(err error) string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return "invalid"
	}
	parts := []string{e.Message}
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Detail)
	}
	return strings.Join(parts, "; ")
}
