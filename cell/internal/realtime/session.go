package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/inputtext"
)

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

// Messages of one conversation can arrive out of order — two replicas
// publish independently. One that arrives ahead of a gap waits for the gap
// to close before the gap is filled from the stream or the database: at
// least gapWait, longer while gaps take longer to close by themselves (see
// Hub.gapWait), at most gapWaitMax; at most earlyLimit wait per
// conversation.
const (
	gapWait    = 100 * time.Millisecond
	gapWaitMax = time.Second
	earlyLimit = 64
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
	tenant  string // the business it belongs to, for access decisions
	pos     int64
	live    bool
	early   map[int64][]byte // frames that arrived ahead of a gap, by seq
	gapAt   time.Duration    // when the oldest of them arrived, on the hub's clock
	waiting bool             // a gap check is scheduled
}

// session is one WebSocket connection. Three parties touch it: its reader
// goroutine, the hub (enqueue), and the pump — a goroutine that exists only
// while frames wait — which alone writes to the connection and alone
// changes a convState. convs (the conversations followed) is under mu.
type session struct {
	hub      *Hub
	id       string
	user     string
	conn     *websocket.Conn
	out      *corkWriter
	ctx      context.Context
	cancel   context.CancelFunc
	lastRead atomic.Int64 // unix nanos of the last frame received

	mu      sync.Mutex
	convs   map[string]*convState
	access  authz.Access // what the user may do; replaced by the pump when it changes
	accessV int64        // the version of access (see access.go)
	queue   []event
	pumping bool
	closed  bool

	started bool // pump only: the first resume arrived

	gate     floodGate // reader only
	typingAt map[string]time.Time
}

// Serve upgrades r to a session of actor (a cell user) and serves it until
// it closes. An error means no upgrade happened and nothing was written;
// the caller answers with a problem.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, actor authz.Actor) error {
	h.mu.Lock()
	draining := h.draining
	h.mu.Unlock()
	if draining {
		return &errs.Error{Kind: errs.Unavailable, RetryAfter: 1, Message: "this server is restarting; reconnect"}
	}
	acc, accessV, err := h.loadAccess(r.Context(), actor)
	if err != nil {
		return err
	}
	heads, err := h.cfg.DB.UserConversations(r.Context(), actor.UserID, acc.Tenants(authz.ConversationRead), h.cfg.MaxConvs)
	if err != nil {
		return err
	}
	// Hijacked connections keep the server's request deadlines; a session
	// sets its own.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	lh := &leanHijacker{ResponseWriter: w}
	conn, err := websocket.Accept(lh, r, &websocket.AcceptOptions{
		Subprotocols:    []string{Subprotocol},
		OriginPatterns:  h.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		h.log.Info("realtime: upgrade refused", "err", err)
		return nil // Accept answered
	}
	conn.SetReadLimit(MaxFrameBytes)
	lh.out.writes = &h.writes
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{hub: h, id: uuid.NewString(), user: actor.UserID, conn: conn, out: lh.out, ctx: ctx, cancel: cancel,
		convs: make(map[string]*convState, len(heads)), access: acc, accessV: accessV,
		gate: newFloodGate(h.cfg.FrameRate, h.cfg.FrameBurst)}
	s.lastRead.Store(time.Now().UnixNano())
	ids := make([]string, len(heads))
	for i, hd := range heads {
		ids[i] = hd.ID
		s.convs[hd.ID] = &convState{tenant: hd.TenantID}
	}
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		conn.Close(CloseRestart, "the server is restarting; reconnect")
		cancel()
		return nil
	}
	h.sessions[s] = struct{}{}
	h.conns.Add(1)
	h.mu.Unlock()
	h.mConns.Add(ctx, 1)

	// Subscribe first, then read the heads: whatever commits after the
	// read is published after the subscription, so it is heard.
	h.follow(ctx, s, true, ids)
	now, err := h.cfg.DB.Heads(ctx, ids)
	if err != nil {
		s.closeWith(CloseTryLater, "the cell is unavailable; reconnect later")
	} else {
		hello := helloFrame{Type: "hello", Protocol: Protocol, Session: s.id, User: s.user, HeartbeatMS: h.cfg.Heartbeat.Milliseconds(),
			Conversations: make([]headInfo, 0, len(heads))}
		s.mu.Lock() // the user channel may already be adding conversations
		for _, hd := range heads {
			s.convs[hd.ID].pos = now[hd.ID] // read by the pump only once live
			hello.Conversations = append(hello.Conversations, headInfo{ID: hd.ID, TenantID: hd.TenantID, LastSeq: now[hd.ID]})
		}
		s.mu.Unlock()
		h.markPresent(s)
		s.enqueue(event{kind: evFrame, frame: encode(hello)})
	}
	// The session reads on a goroutine of its own: the handler's, deep in
	// the middleware and grown by the handshake's queries, ends here, and
	// with it the request's memory. An idle session is that small
	// goroutine, blocked in a read, and its buffers.
	go s.serve()
	return nil
}

// serve reads until the connection ends, then forgets the session.
func (s *session) serve() {
	h := s.hub
	defer func() {
		h.mu.Lock()
		delete(h.sessions, s)
		h.mu.Unlock()
		s.mu.Lock()
		convs := make([]string, 0, len(s.convs))
		for c := range s.convs {
			convs = append(convs, c)
		}
		s.mu.Unlock()
		h.unfollow(s)
		h.unfollowConversations(s, convs)
		h.cfg.Redis.ZRem(context.WithoutCancel(s.ctx), presenceKey(s.user), s.id)
		h.mConns.Add(s.ctx, -1)
		s.cancel()
		h.conns.Done()
	}()
	s.read()
}

// read handles the client's frames until the connection ends.
func (s *session) read() {
	for {
		// No context: an idle read then costs no timer or callback; the
		// session ends reads by closing the connection.
		typ, data, err := s.conn.Read(context.Background())
		if err != nil {
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
			if errors.Is(err, websocket.ErrMessageTooBig) {
				s.hub.countClose(int(CloseTooBig))
			}
			s.conn.CloseNow()
			return
		}
		s.lastRead.Store(time.Now().UnixNano())
		s.mu.Lock()
		closing := s.closed
		s.mu.Unlock()
		if closing {
			continue // the close handshake is under way
		}
		if typ != websocket.MessageText {
			s.closeWith(CloseUnsupported, "frames are JSON text")
			continue // read on until the close handshake ends
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
			s.closeWith(CloseBadFrame, "a frame is a JSON object with a type")
			continue
		}
		switch s.gate.admit(time.Now()) {
		case flood:
			s.closeWith(CloseFlooding, "too many frames")
			continue
		case drop:
			s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrRateLimited, Detail: "too many frames; this one was dropped"})
			continue
		}
		if err := inputtext.CheckJSON(data); err != nil {
			s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrInvalid, Detail: describe(err)})
			continue
		}
		s.handle(f)
	}
}

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
		s.hub.publishEphemeral(ctx, "r", f.Conversation, encode(receiptFrame{Type: "receipt", Conversation: f.Conversation, User: s.user, Seq: read}))
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
		s.hub.publishEphemeral(s.ctx, "y", f.Conversation, encode(typingFrame{Type: "typing", Conversation: f.Conversation, User: s.user}))
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
	m := messaging.Message{ConversationID: f.Conversation, ID: f.ID, SenderID: s.user, Body: f.Body, AttachmentIDs: f.Attachments}
	if err := m.Validate(); err != nil {
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrInvalid, Detail: describe(err)})
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	stored, created, err := s.hub.cfg.DB.AppendMessage(ctx, m)
	if err != nil {
		code, detail := ErrUnavailable, "the message was not stored; send the same frame again"
		var e *errs.Error
		switch {
		case errors.As(err, &e) && e.Code == ErrIDReused:
			code, detail = ErrIDReused, e.Message
		case errors.As(err, &e) && e.Kind == errs.Invalid:
			code, detail = ErrInvalid, describe(err)
		default:
			s.hub.log.Warn("realtime: send", "err", err)
		}
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: code, Detail: detail})
		return
	}
	s.reply(ackFrame{Type: "ack", Ref: f.Ref, Conversation: stored.ConversationID, ID: stored.ID, Seq: stored.Seq,
		CreatedAt: stored.CreatedAt, Duplicate: !created})
	if !created {
		// A retry: publish again in case the first attempt's publish was
		// lost. A new message was published as it committed (Hub.stored).
		s.hub.Publish(ctx, stored)
	}
}

// enqueue hands e to the pump, starting it when idle — or, while the
// replica is busy, at the next tick of the hub's coalesce. A client that
// lets QueueLimit frames pile up is closed: it resumes after reconnecting.
func (s *session) enqueue(e event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= s.hub.cfg.QueueLimit {
		s.mu.Unlock()
		s.closeWith(CloseSlowConsumer, "too slow; reconnect and resume")
		return
	}
	s.queue = append(s.queue, e)
	if !s.pumping {
		s.pumping = true
		if s.hub.busy.Load() {
			s.hub.deferPump(s)
		} else {
			go s.pump()
		}
	}
	s.mu.Unlock()
}

func (s *session) pump() {
	corked := false
	for {
		s.mu.Lock()
		if s.closed || len(s.queue) == 0 {
			if corked {
				// Write what gathered before the pump may end; frames
				// queued meanwhile are taken on the next turn.
				s.mu.Unlock()
				corked = false
				if err := s.out.uncork(); err != nil {
					s.conn.CloseNow()
				}
				continue
			}
			s.pumping = false
			s.queue = nil // an idle session holds no buffer
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.queue[0] = event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		if !corked {
			// The frames of this turn leave together when the queue is
			// empty (or the gathered bytes reach corkLimit).
			s.out.cork()
			corked = true
		}
		if err := s.process(e); err != nil {
			_ = s.out.uncork() // nothing gathered may hold back the close
			if s.ctx.Err() == nil {
				s.hub.log.Info("realtime: session ends", "session", s.id, "err", err)
			}
			if errors.Is(err, errStore) {
				s.closeWith(CloseTryLater, "the cell is unavailable; reconnect later")
			} else {
				s.conn.CloseNow()
			}
			s.mu.Lock()
			s.closed, s.pumping, s.queue = true, false, nil
			s.mu.Unlock()
			return
		}
	}
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
		if st == nil || !st.live || e.seq <= st.pos {
			return nil // not followed yet, or already delivered
		}
		if e.seq > st.pos+1 {
			if e.seq-st.pos <= earlyLimit && len(st.early) < earlyLimit {
				if st.early == nil {
					st.early = map[int64][]byte{}
				}
				if len(st.early) == 0 {
					st.gapAt = s.hub.now()
				}
				st.early[e.seq] = e.frame
				if !st.waiting {
					st.waiting = true
					s.checkGapLater(e.conv)
				}
				return nil
			}
			if _, err := s.fill(e.conv, st, e.seq-1, ""); err != nil {
				return err
			}
			if e.seq <= st.pos { // the fill reached it (a refetch)
				return nil
			}
		} else if len(st.early) > 0 {
			s.hub.gapClosed(s.hub.now() - st.gapAt) // by itself: the missing message arrived
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
		st.waiting = false
		if len(st.early) == 0 {
			return nil
		}
		first := int64(0)
		for seq := range st.early {
			if seq > st.pos && (first == 0 || seq < first) {
				first = seq
			}
		}
		if first == 0 { // all delivered meanwhile
			clear(st.early)
			return nil
		}
		if left := s.hub.gapWait() - (s.hub.now() - st.gapAt); left > 0 {
			// The gap this check was for closed; the one open now is
			// younger and gets its own wait.
			st.waiting = true
			s.checkGapIn(e.conv, left)
			return nil
		}
		_, err := s.fill(e.conv, st, first-1, "") // the gap did not close: fill it (the fill flushes what waited)
		return err
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
		if err := s.write(encode(joinedFrame{Type: "joined", Conversation: e.head.ID, TenantID: e.head.TenantID})); err != nil {
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
	frames := s.fromStream(conv, st.pos, to)
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
// order, and forgets those already delivered. Any still waiting behind a
// gap get a new check.
func (s *session) flushEarly(conv string, st *convState) error {
	if len(st.early) == 0 {
		return nil
	}
	for {
		f, ok := st.early[st.pos+1]
		if !ok {
			break
		}
		if err := s.write(f); err != nil {
			return err
		}
		st.pos++
	}
	for seq := range st.early {
		if seq <= st.pos {
			delete(st.early, seq)
		}
	}
	if len(st.early) == 0 {
		return nil
	}
	st.gapAt = s.hub.now() // those left wait behind the next gap
	if !st.waiting {
		st.waiting = true
		s.checkGapLater(conv)
	}
	return nil
}

// checkGapLater queues a gap check of conv after the hub's gap wait.
func (s *session) checkGapLater(conv string) { s.checkGapIn(conv, s.hub.gapWait()) }

// checkGapIn queues a gap check of conv after d. (A function of its own: a
// closure over process's event would move every event to the heap.)
func (s *session) checkGapIn(conv string, d time.Duration) {
	time.AfterFunc(d, func() { s.enqueue(event{kind: evGapCheck, conv: conv}) })
}

// fromStream returns the frames of seqs (from, to] from conv's stream, or
// nil unless it holds all of them.
func (s *session) fromStream(conv string, from, to int64) [][]byte {
	n := to - from
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	entries, err := s.hub.cfg.Redis.XRevRangeN(ctx, streamKey(conv), "+", "-", min(int64(s.hub.cfg.StreamLength), n+32)).Result()
	if err != nil || int64(len(entries)) < n {
		return nil
	}
	frames := make([][]byte, n)
	found := int64(0)
	for _, e := range entries {
		seqS, _ := e.Values["s"].(string)
		f, _ := e.Values["f"].(string)
		seq, err := strconv.ParseInt(seqS, 10, 64)
		if err != nil || seq <= from || seq > to || frames[seq-from-1] != nil {
			continue
		}
		frames[seq-from-1] = []byte(f)
		found++
	}
	if found != n {
		return nil
	}
	return frames
}

// write sends one frame. It has no deadline of its own: a client that
// stops reading fills its queue and is closed (4008), and a dead one is
// closed by the heartbeat check; closing ends a blocked write.
func (s *session) write(frame []byte) error {
	s.hub.frames.Add(1)
	return s.conn.Write(context.Background(), websocket.MessageText, frame)
}

// closeWith ends the session with code; the close handshake runs on its
// own goroutine, bounded by the library's timeouts.
func (s *session) closeWith(code websocket.StatusCode, reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.hub.countClose(int(code))
	go func() {
		_ = s.out.uncork() // the close frame goes at once, after what a pump gathered
		_ = s.conn.Close(code, reason)
		s.cancel()
	}()
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

// conv returns the state of a followed conversation, or nil.
func (s *session) conv(id string) *convState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.convs[id]
}
