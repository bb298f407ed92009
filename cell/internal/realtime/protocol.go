// Package realtime is a cell's live messaging: the WebSocket endpoint
// /v1/realtime, fan-out between the cell's replicas through Redis, and
// resumption after a reconnect. docs/realtime.md is the protocol's
// reference; this file is its vocabulary.
//
// Guarantees, per conversation and per connection: messages arrive in seq
// order, without gaps and without duplicates. PostgreSQL is the truth —
// every message is committed there before anything is published — and
// Redis only carries news: PUBLISH for the live path and a short stream
// per conversation for cheap resumption, both written by one script. A
// session that sees a seq jump fills the gap from the stream, or from
// PostgreSQL when the stream does not cover it; a periodic sweep compares
// each conversation's head in PostgreSQL with what was delivered, so a
// publish lost to a crash or a Redis outage is delivered late, never
// dropped.
package realtime

import (
	"encoding/json"
	"time"

	"github.com/coder/websocket"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// Protocol is the version this server speaks; Subprotocol names it in the
// Sec-WebSocket-Protocol header (optional: a client that names none gets
// this version).
const (
	Protocol    = 1
	Subprotocol = "pushnchat.v1"
)

// Close codes the server sends. 1xxx are RFC 6455's; 4xxx are
// PushNchat's. After the ones not caused by a broken client a client
// reconnects, with backoff, and resumes.
const (
	CloseUnsupported  = websocket.StatusUnsupportedData         // 1003: a binary frame
	CloseBadFrame     = websocket.StatusInvalidFramePayloadData // 1007: not a JSON object
	CloseTooBig       = websocket.StatusMessageTooBig           // 1009: a frame over MaxFrameBytes
	CloseRestart      = websocket.StatusServiceRestart          // 1012: the replica is draining; reconnect now
	CloseTryLater     = websocket.StatusTryAgainLater           // 1013: the cell cannot reach its database
	CloseHeartbeat    = websocket.StatusCode(4000)              // no frame within the heartbeat timeout
	CloseSlowConsumer = websocket.StatusCode(4008)              // the send queue overflowed; reconnect and resume
	CloseFlooding     = websocket.StatusCode(4029)              // far too many frames; back off before reconnecting
)

// MaxFrameBytes is the largest frame a client may send.
const MaxFrameBytes = 16 << 10

// Error codes of "error" frames. The connection stays open after them.
const (
	ErrNotMember    = "not_member"   // the conversation does not exist for this user
	ErrForbidden    = "forbidden"    // the user's role in the business does not allow it (a viewer sending)
	ErrInvalid      = "invalid"      // a field is wrong; detail says which
	ErrUnknownType  = "unknown_type" // the frame's type is not one of the protocol's
	ErrRateLimited  = "rate_limited" // the frame was dropped; slow down
	ErrIDReused     = "message_id_reused"
	ErrUnavailable  = "unavailable" // the cell could not do it now; retry the same frame
	ErrTooManyConvs = "too_many_conversations"
	// Partner conversations: the residency policy would not let the
	// message go to the partner (detail names the rules and what would
	// make it lawful, such as a consent), or the partnership has ended.
	ErrTransferRefused = "transfer_refused"
	ErrPartnershipOver = "partnership_closed"
)

// inFrame is any frame a client sends.
type inFrame struct {
	Type         string     `json:"type"`
	Ref          string     `json:"ref,omitempty"`
	Conversation string     `json:"conversation,omitempty"`
	ID           string     `json:"id,omitempty"`
	Body         string     `json:"body,omitempty"`
	Attachments  []string   `json:"attachments,omitempty"`
	Seq          int64      `json:"seq,omitempty"`
	Positions    []position `json:"conversations,omitempty"`
}

// position is what a client has of one conversation.
type position struct {
	ID      string `json:"id"`
	LastSeq int64  `json:"last_seq"`
}

// Frames the server sends.
type (
	helloFrame struct {
		Type          string     `json:"type"` // hello
		Protocol      int        `json:"protocol"`
		Session       string     `json:"session"`
		User          string     `json:"user"`
		HeartbeatMS   int64      `json:"heartbeat_ms"`
		Conversations []headInfo `json:"conversations"`
	}
	headInfo struct {
		ID       string `json:"id"`
		TenantID string `json:"tenant_id"`
		LastSeq  int64  `json:"last_seq"`
	}
	ackFrame struct {
		Type         string    `json:"type"` // ack
		Ref          string    `json:"ref,omitempty"`
		Conversation string    `json:"conversation"`
		ID           string    `json:"id"`
		Seq          int64     `json:"seq"`
		CreatedAt    time.Time `json:"created_at"`
		Duplicate    bool      `json:"duplicate,omitempty"`
	}
	messageFrame struct {
		Type    string            `json:"type"` // message
		Message messaging.Message `json:"message"`
	}
	resumedFrame struct {
		Type         string `json:"type"` // resumed
		Ref          string `json:"ref,omitempty"`
		Conversation string `json:"conversation"`
		HeadSeq      int64  `json:"head_seq"`
		Source       string `json:"source"` // none, stream, database
	}
	refetchFrame struct {
		Type         string `json:"type"` // refetch
		Ref          string `json:"ref,omitempty"`
		Conversation string `json:"conversation"`
		AfterSeq     int64  `json:"after_seq"`
		HeadSeq      int64  `json:"head_seq"`
	}
	// membershipFrame says the user joined or left a conversation.
	membershipFrame struct {
		Type         string `json:"type"` // joined or left
		Conversation string `json:"conversation"`
		TenantID     string `json:"tenant_id"`
	}
	receiptFrame struct {
		Type         string `json:"type"` // receipt
		Conversation string `json:"conversation"`
		User         string `json:"user"`
		Seq          int64  `json:"seq"`
	}
	typingFrame struct {
		Type         string `json:"type"` // typing
		Conversation string `json:"conversation"`
		User         string `json:"user"`
	}
	errorFrame struct {
		Type         string `json:"type"` // error
		Ref          string `json:"ref,omitempty"`
		Conversation string `json:"conversation,omitempty"`
		Code         string `json:"code"`
		Detail       string `json:"detail"`
	}
)

var pongFrame = []byte(`{"type":"pong"}`)

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("realtime: encode frame: " + err.Error()) // every frame type marshals
	}
	return b
}
