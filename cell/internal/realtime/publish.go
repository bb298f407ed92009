package realtime

import (
	"context"
	"maps"
	"slices"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// Publish makes a stored message live (it implements messaging.Publisher).
// This replica's followers of the conversation get it at once; the other
// replicas hear it from Redis (see fanout.publish); members without a live
// session get a push. messaging.Sender publishes a new message as it
// commits, and a retry's again (receivers drop a seq they have). Nothing
// fails the sender: a lost publish is delivered by the sweep.
func (h *Hub) Publish(ctx context.Context, m messaging.Message) {
	p := publication{m: m, frame: encode(messageFrame{Type: "message", Message: m})}
	h.deliverLocal(p)
	h.fan.publish(ctx, p)
	select {
	case h.pushJobs <- m:
	default:
		h.log.Warn("realtime: push queue full; notification skipped (the message is stored and syncs)", "conversation", m.ConversationID, "seq", m.Seq)
	}
}

// deliverLocal hands a message stored on this replica to the local
// followers of its conversation, without the round trip through Redis,
// and expects its echo, so the copy Redis sends back is not delivered
// twice. A session that starts following the conversation after this
// read its head after the commit, so it does not need the message.
func (h *Hub) deliverLocal(p publication) {
	conv := p.m.ConversationID
	h.mu.Lock()
	if p.m.Seq > h.seen[conv] {
		h.seen[conv] = p.m.Seq
	}
	targets := slices.Collect(maps.Keys(h.convs[conv]))
	if len(targets) > 0 {
		h.echoes.expect(conv, p.m.Seq)
	}
	h.mu.Unlock()
	for _, s := range targets {
		s.enqueue(event{kind: evMessage, conv: conv, seq: p.m.Seq, frame: p.frame})
	}
}

// ConversationCreated tells the members' live sessions about a new
// conversation, so they follow it without reconnecting.
func (h *Hub) ConversationCreated(ctx context.Context, c messaging.Conversation) {
	h.fan.announceJoin(ctx, c)
}
