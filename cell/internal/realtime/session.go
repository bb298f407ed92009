package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/pushnchat/pushnchat/cell/internal/authz"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/inputtext"
)

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
	lh.out.writes = &h.co.writes
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

// serve reads the client's next frame and handles it, then reads on
// from a fresh goroutine; when the connection ends it forgets the session.
//
// An idle session is a goroutine parked in this read. Handling a frame
// (decoding it above all) takes a goroutine's stack past 4 KiB, and the
// runtime halves a stack only while less than a quarter of it is in use,
// which the library's read path alone exceeds at 8 KiB: a goroutine that
// had handled a frame kept 8 KiB for as long as its session lasted. A
// fresh goroutine per frame costs far less than the frame's own decoding.
func (s *session) serve() {
	// No context: an idle read then costs no timer or callback; the
	// session ends reads by closing the connection.
	typ, data, err := s.conn.Read(context.Background())
	if err != nil {
		s.readFailed(err)
		s.end()
		return
	}
	s.receive(typ, data)
	go s.serve()
}

// end forgets the session, whose connection ended.
func (s *session) end() {
	h := s.hub
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
	h.markAbsent(s)
	h.mConns.Add(s.ctx, -1)
	s.cancel()
	h.conns.Done()
}

func (s *session) readFailed(err error) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if errors.Is(err, websocket.ErrMessageTooBig) {
		s.hub.countClose(int(CloseTooBig))
	}
	s.conn.CloseNow()
}

// receive handles one frame from the client.
func (s *session) receive(typ websocket.MessageType, data []byte) {
	s.lastRead.Store(time.Now().UnixNano())
	s.mu.Lock()
	closing := s.closed
	s.mu.Unlock()
	if closing {
		return // the close handshake is under way
	}
	if typ != websocket.MessageText {
		s.closeWith(CloseUnsupported, "frames are JSON text")
		return // read on until the close handshake ends
	}
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil || f.Type == "" {
		s.closeWith(CloseBadFrame, "a frame is a JSON object with a type")
		return
	}
	switch s.gate.admit(time.Now()) {
	case flood:
		s.closeWith(CloseFlooding, "too many frames")
		return
	case drop:
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrRateLimited, Detail: "too many frames; this one was dropped"})
		return
	}
	if err := inputtext.CheckJSON(data); err != nil {
		s.reply(errorFrame{Type: "error", Ref: f.Ref, Conversation: f.Conversation, Code: ErrInvalid, Detail: describe(err)})
		return
	}
	s.handle(f)
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
		if s.hub.co.busy.Load() {
			s.hub.co.later(s)
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

// write sends one frame. It has no deadline of its own: a client that
// stops reading fills its queue and is closed (4008), and a dead one is
// closed by the heartbeat check; closing ends a blocked write.
func (s *session) write(frame []byte) error {
	s.hub.co.frames.Add(1)
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

// conv returns the state of a followed conversation, or nil.
func (s *session) conv(id string) *convState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.convs[id]
}
