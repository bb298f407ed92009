package realtime

import (
	"context"
	"errors"
	"time"
)

// Delivery: what a session's pump does with each event in its queue. The
// pump alone writes to the connection and alone changes a convState, so
// none of this locks more than the session's map of conversations.

type evKind uint8

const (
	evFrame     evKind = iota // write frame as it is
	evMessage                 // a message frame with conv and seq: ordered, deduplicated
	evCatchUp                 // the sweep found conv's head at seq
	evResume                  // a client's resume frame
	evJoin                    // the user joined a conversation after connecting
	evEphemeral               // a receipt or typing frame: sent once the client has resumed
	evGapCheck                // a gap in conv has had its time to close
	evAccess                  // the user's roles or memberships changed: read them again
)

// event is what waits in a session's queue, one per frame delivered: the
// fields of the rare kinds (resume, join) sit behind a pointer, which
// keeps the common event small.
type event struct {
	kind  evKind
	conv  string
	seq   int64
	frame []byte
	*control
}

type control struct {
	ref       string     // evResume
	positions []position // evResume
	head      headInfo   // evJoin
}

// convState is what one session delivered of one conversation. live is
// false until the client's first resume: nothing is sent before the
// client says where it stands.
type convState struct {
	tenant string // the business it belongs to, for access decisions
	live   bool
	sequencer
}

var errStore = errors.New("realtime: the database did not answer")

func (s *session) process(e event) error {
	switch e.kind {
	case evFrame:
		return s.write(e.frame)
	case evEphemeral:
		if !s.started {
			return nil // before the first resume nothing but replies goes out
		}
		return s.write(e.frame)
	case evMessage:
		st := s.conv(e.conv)
		if st == nil || !st.live {
			return nil // not followed yet
		}
		v, arm, closed := st.offer(e.seq, e.frame, s.hub.gaps.now())
		if closed > 0 {
			s.hub.gaps.closed(closed) // by itself: the missing message arrived
		}
		switch v {
		case stale:
			return nil
		case hold:
			if arm {
				s.checkGapIn(e.conv, s.hub.gaps.wait())
			}
			return nil
		case fillTo:
			if _, err := s.fill(e.conv, st, e.seq-1, ""); err != nil {
				return err
			}
			if e.seq <= st.pos { // the fill reached it (a refetch)
				return nil
			}
		}
		if err := s.write(e.frame); err != nil {
			return err
		}
		st.pos = e.seq
		return s.flushEarly(e.conv, st)
	case evGapCheck:
		st := s.conv(e.conv)
		if st == nil {
			return nil
		}
		fill, to, again := st.check(s.hub.gaps.now(), s.hub.gaps.wait())
		switch {
		case again > 0:
			s.checkGapIn(e.conv, again)
		case fill: // the gap did not close: fill it (the fill flushes what waited)
			_, err := s.fill(e.conv, st, to, "")
			return err
		}
		return nil
	case evCatchUp:
		if st := s.conv(e.conv); st != nil && st.live && e.seq > st.pos {
			_, err := s.fill(e.conv, st, e.seq, "")
			return err
		}
		return nil
	case evJoin:
		st := s.conv(e.head.ID)
		if st == nil {
			return nil
		}
		s.hub.follow(s.ctx, s, false, []string{e.head.ID})
		st.live = s.started
		if err := s.write(encode(membershipFrame{Type: "joined", Conversation: e.head.ID, TenantID: e.head.TenantID})); err != nil {
			return err
		}
		if st.live {
			return s.catchUpFromHead(e.head.ID, st)
		}
		return nil
	case evResume:
		return s.resume(e)
	case evAccess:
		return s.reloadAccess()
	}
	return nil
}

func (s *session) catchUpFromHead(conv string, st *convState) error {
	heads, err := s.heads([]string{conv})
	if err != nil {
		return err
	}
	_, err = s.fill(conv, st, heads[conv], "")
	return err
}

func (s *session) heads(ids []string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	h, err := s.hub.cfg.DB.Heads(ctx, ids)
	if err != nil {
		return nil, errors.Join(errStore, err)
	}
	return h, nil
}

// resume starts (or restarts) delivery of the listed conversations after
// the client's last_seq; the first resume also starts every other
// conversation from the head the hello frame announced.
func (s *session) resume(e event) error {
	ids := make([]string, 0, len(e.positions))
	listed := make(map[string]bool, len(e.positions))
	for _, p := range e.positions {
		// A conversation joined since the hello is followed once its
		// evJoin, queued by isMember, comes through; that catches up on
		// whatever came before the subscription.
		if !s.isMember(p.ID) {
			if err := s.write(encode(errorFrame{Type: "error", Ref: e.ref, Conversation: p.ID, Code: ErrNotMember, Detail: "no such conversation"})); err != nil {
				return err
			}
			continue
		}
		if !listed[p.ID] {
			listed[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	first := !s.started
	s.started = true
	if first {
		s.mu.Lock()
		for id := range s.convs {
			if !listed[id] {
				ids = append(ids, id)
			}
		}
		s.mu.Unlock()
	}
	heads, err := s.heads(ids)
	if err != nil {
		return err
	}
	for _, p := range e.positions {
		st := s.conv(p.ID)
		if st == nil || !listed[p.ID] {
			continue
		}
		listed[p.ID] = false // once per frame
		head := heads[p.ID]
		st.pos, st.live = min(max(p.LastSeq, 0), head), true
		src, err := s.fill(p.ID, st, head, e.ref)
		if err != nil {
			return err
		}
		if src == "refetch" {
			continue
		}
		if err := s.write(encode(resumedFrame{Type: "resumed", Ref: e.ref, Conversation: p.ID, HeadSeq: head, Source: src})); err != nil {
			return err
		}
	}
	if first {
		s.mu.Lock()
		rest := make(map[string]*convState)
		for id, st := range s.convs {
			if !st.live {
				rest[id] = st
			}
		}
		s.mu.Unlock()
		for id, st := range rest {
			st.live = true
			if _, err := s.fill(id, st, heads[id], e.ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// fill delivers conv's messages after st.pos up to to: from the Redis
// stream when it holds every one of them, else from PostgreSQL; more than
// ResumeLimit are not sent — a refetch frame tells the client to page
// through the history API instead. It returns where they came from.
func (s *session) fill(conv string, st *convState, to int64, ref string) (string, error) {
	if to <= st.pos {
		return "none", nil
	}
	if to-st.pos > int64(s.hub.cfg.ResumeLimit) {
		if err := s.write(encode(refetchFrame{Type: "refetch", Ref: ref, Conversation: conv, AfterSeq: st.pos, HeadSeq: to})); err != nil {
			return "", err
		}
		st.pos = to
		s.hub.mFills.Add(s.ctx, 1, metricSource("refetch"))
		return "refetch", s.flushEarly(conv, st)
	}
	src := "stream"
	frames := s.hub.fan.readStream(s.ctx, conv, st.pos, to)
	if frames == nil {
		src = "database"
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		ms, err := s.hub.cfg.DB.Messages(ctx, conv, st.pos, 0, int(to-st.pos))
		cancel()
		if err != nil {
			return "", errors.Join(errStore, err)
		}
		for i, m := range ms {
			if m.Seq != st.pos+int64(i)+1 {
				return "", errors.Join(errStore, errors.New("realtime: history has a gap"))
			}
			frames = append(frames, encode(messageFrame{Type: "message", Message: m}))
		}
	}
	s.hub.mFills.Add(s.ctx, 1, metricSource(src))
	for _, f := range frames {
		if err := s.write(f); err != nil {
			return "", err
		}
		st.pos++
	}
	return src, s.flushEarly(conv, st)
}

// flushEarly delivers the frames that waited for st.pos to reach them, in
// order; any still waiting behind a gap get a new check.
func (s *session) flushEarly(conv string, st *convState) error {
	for {
		f, ok := st.next()
		if !ok {
			break
		}
		if err := s.write(f); err != nil {
			return err
		}
	}
	if st.settle(s.hub.gaps.now()) {
		s.checkGapIn(conv, s.hub.gaps.wait())
	}
	return nil
}

// checkGapIn queues a gap check of conv after d. (A function of its own: a
// closure over process's event would move every event to the heap.)
func (s *session) checkGapIn(conv string, d time.Duration) {
	time.AfterFunc(d, func() { s.enqueue(event{kind: evGapCheck, conv: conv}) })
}
