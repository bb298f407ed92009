package realtime

import "context"

// Partner conversations: how far the partner business has the messages
// sent from here, and the messages the broker would not carry, reach the
// conversation's live sessions as they become known. Both are also kept
// (the conversation's partner_delivered_seq and partner_read_seq, the
// messages' refusals), so a session that was away reads them there.

type (
	partnerReceiptFrame struct {
		Type         string `json:"type"` // partner_receipt
		Conversation string `json:"conversation"`
		State        string `json:"state"` // delivered (in the partner's cell) or read
		Seq          int64  `json:"seq"`   // up to this seq of this side's copy
	}
	refusedFrame struct {
		Type         string   `json:"type"` // refused
		Conversation string   `json:"conversation"`
		Seq          int64    `json:"seq"`
		Rules        []string `json:"rules"`
		Detail       string   `json:"detail"`
	}
)

// PublishPartnerReceipt tells conv's sessions the partner has its messages
// up to seq: state "delivered" or "read".
func (h *Hub) PublishPartnerReceipt(ctx context.Context, conv, state string, seq int64) {
	h.fan.publishEphemeral(ctx, "p", conv, encode(partnerReceiptFrame{Type: "partner_receipt", Conversation: conv, State: state, Seq: seq}))
}

// PublishRefused tells conv's sessions the message seq was not carried to
// the partner, and why.
func (h *Hub) PublishRefused(ctx context.Context, conv string, seq int64, rules []string, detail string) {
	h.fan.publishEphemeral(ctx, "x", conv, encode(refusedFrame{Type: "refused", Conversation: conv, Seq: seq, Rules: rules, Detail: detail}))
}
