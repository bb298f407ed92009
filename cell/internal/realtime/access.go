package realtime

import (
	"context"
	"errors"
	"time"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/internal/errs"
)

// A session decides what its user may do through authz.Access, as REST
// and sync do: it reads the user's roles when it starts, and again when
// they change — at once when the change is announced on accessChannel
// (every replica listens), and at the next sweep when the announcement
// was lost (each user's access version in PostgreSQL moves with every
// change). Conversations of a business the user left are dropped with a
// "left" frame; a role that no longer allows sending refuses the next send.

// accessChannel carries the user ids whose roles or memberships changed.
const accessChannel = "rt:a"

// AccessChanged tells every replica that userID's roles or memberships in
// this cell changed. Their sessions of that user read their access again.
func (h *Hub) AccessChanged(ctx context.Context, userID string) {
	h.accessChanged(userID) // this replica's sessions need not wait for Redis
	if err := h.cfg.Redis.Publish(ctx, accessChannel, userID).Err(); err != nil {
		h.log.Warn("realtime: announce an access change (the sweep catches up)", "err", err)
	}
}

// accessChanged makes the local sessions of user read their access again,
// and forgets cached conversation members (a former member gets no push).
func (h *Hub) accessChanged(user string) {
	h.members.Clear()
	h.mu.Lock()
	ss := append([]*session(nil), h.users[user]...)
	h.mu.Unlock()
	for _, s := range ss {
		s.enqueue(event{kind: evAccess})
	}
}

// checkAccessVersions finds the local sessions whose user's access changed
// since they read it (an announcement lost with Redis), and has them read
// it again.
func (h *Hub) checkAccessVersions() {
	h.mu.Lock()
	users := make([]string, 0, len(h.users))
	for u := range h.users {
		users = append(users, u)
	}
	h.mu.Unlock()
	if len(users) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	versions, err := h.cfg.DB.AccessVersions(ctx, users)
	if err != nil {
		if h.ctx.Err() == nil {
			h.log.Warn("realtime: access versions", "err", err)
		}
		return
	}
	h.mu.Lock()
	var stale []*session
	for u, ss := range h.users {
		for _, s := range ss {
			if s.accessVersion() != versions[u] {
				stale = append(stale, s)
			}
		}
	}
	h.mu.Unlock()
	for _, s := range stale {
		s.enqueue(event{kind: evAccess})
	}
}

// loadAccess reads the user's roles in this cell's tenants.
func (h *Hub) loadAccess(ctx context.Context, actor authz.Actor) (authz.Access, int64, error) {
	roles, version, err := h.cfg.DB.Access(ctx, actor.UserID)
	if err != nil {
		return authz.Access{}, 0, err
	}
	return authz.Access{Actor: actor, Roles: roles}, version, nil
}

func (s *session) accessVersion() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessV
}

// allowed decides action in conv for the session's user: NotFound when
// the conversation is not theirs (or no longer is), Forbidden when their
// role in its business does not allow the action.
func (s *session) allowed(action authz.Action, conv string) error {
	s.mu.Lock()
	st, acc := s.convs[conv], s.access
	s.mu.Unlock()
	if st == nil { // perhaps joined since the session began
		if !s.isMember(conv) {
			return errs.E(errs.NotFound, "no such conversation")
		}
		s.mu.Lock()
		st, acc = s.convs[conv], s.access
		s.mu.Unlock()
		if st == nil {
			return errs.E(errs.NotFound, "no such conversation")
		}
	}
	return acc.May(action, st.tenant)
}

// refuse answers a frame that allowed refused.
func (s *session) refuse(f inFrame, err error) {
	if errs.Is(err, errs.Forbidden) {
		var e *errs.Error
		errors.As(err, &e)
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrForbidden, Detail: e.Message})
		return
	}
	s.notMember(f)
}

// reloadAccess (the pump's) reads the user's access again and drops every
// conversation of a business they may no longer read.
func (s *session) reloadAccess() error {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	s.mu.Lock()
	actor := s.access.Actor
	s.mu.Unlock()
	acc, version, err := s.hub.loadAccess(ctx, actor)
	if err != nil {
		return errors.Join(errStore, err)
	}
	type gone struct{ conv, tenant string }
	var left []gone
	s.mu.Lock()
	s.access, s.accessV = acc, version
	for id, st := range s.convs {
		if acc.May(authz.ConversationRead, st.tenant) != nil {
			left = append(left, gone{id, st.tenant})
			delete(s.convs, id)
		}
	}
	s.mu.Unlock()
	if len(left) == 0 {
		return nil
	}
	convs := make([]string, len(left))
	for i, g := range left {
		convs[i] = g.conv
	}
	s.hub.unfollowConversations(s, convs)
	for _, g := range left {
		if err := s.write(encode(membershipFrame{Type: "left", Conversation: g.conv, TenantID: g.tenant})); err != nil {
			return err
		}
	}
	return nil
}
