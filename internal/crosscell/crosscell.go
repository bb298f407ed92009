// Package crosscell is the contract of the one path by which data leaves a
// cell: a cell writes each event for a business in another place to its
// outbox, in the transaction that made it; the control plane's broker
// follows every cell's outbox (long-polling, woken by NOTIFY), asks the
// residency policy about every category of data the event carries,
// records each decision in the transfer ledger, and delivers the event to
// the destination cell's inbox with a signed call (package signedcall).
// The inbox is idempotent by event id. A refused event is not delivered:
// the sending cell gets a Refusal in its inbox instead.
package crosscell

import (
	"encoding/json"
	"time"

	"github.com/pushnchat/pushnchat/residency"
)

// OutboxPath is a cell's outbox feed: GET OutboxPath?after=<seq>&wait=<d>,
// with the service token.
const OutboxPath = "/internal/v1/outbox"

// InboxPath is a cell's inbox: PUT InboxPath<transaction id>, signed,
// with a Transaction; the answer is a Receipt. As between Matrix
// homeservers, one call carries many deliveries, so a link's round trip
// is paid per batch, not per event.
const InboxPath = "/internal/v1/inbox/"

// MaxWait bounds how long an outbox read waits for the first event.
const MaxWait = 30 * time.Second

// MaxTransaction bounds the size of one inbox call; MaxDeliveries how
// many deliveries it holds.
const (
	MaxTransaction = 1 << 20
	MaxDeliveries  = 200
)

// Kind names what an event says.
type Kind string

// Kinds.
const (
	PartnershipProposed  Kind = "partnership.proposed"  // proposer → recipient
	PartnershipReceived  Kind = "partnership.received"  // recipient → proposer: delivered, with the recipient's card
	PartnershipAccepted  Kind = "partnership.accepted"  // recipient → proposer
	PartnershipDeclined  Kind = "partnership.declined"  // recipient → proposer
	PartnershipWithdrawn Kind = "partnership.withdrawn" // proposer → recipient
	PartnershipEnded     Kind = "partnership.ended"     // either → the other
	MessageSent          Kind = "message.sent"          // a partner-chat message, either way
	MessageRead          Kind = "message.read"          // a partner read the messages up to one
)

// Kinds lists the kinds a cell may write to its outbox.
var Kinds = []Kind{PartnershipProposed, PartnershipReceived, PartnershipAccepted, PartnershipDeclined,
	PartnershipWithdrawn, PartnershipEnded, MessageSent, MessageRead}

// Establishes reports whether an event of kind k makes or widens a
// partnership (and so needs the sender's tier to allow it); leaving one is
// always allowed.
func (k Kind) Establishes() bool {
	return k == PartnershipProposed || k == PartnershipAccepted
}

// Item is one category of data an event carries, with the legal bases the
// sending cell holds for moving it (a consent it has on record, the
// person's own request). ConsentID names the consent a Consent basis
// rests on; when it is withdrawn before the broker reads the event, the
// outbox drops the basis.
type Item struct {
	Category  residency.Category `json:"category"`
	Bases     []residency.Basis  `json:"bases,omitempty"`
	ConsentID string             `json:"consent_id,omitempty"`
}

// Event is one entry of a cell's outbox.
type Event struct {
	Seq     int64           `json:"seq"`
	ID      string          `json:"id"` // UUID, unique across cells
	Kind    Kind            `json:"kind"`
	Tenant  string          `json:"tenant"`  // the sending business
	Partner string          `json:"partner"` // the business it is for
	Actor   string          `json:"actor"`   // the person who acted (the cell's user id)
	Tier    string          `json:"tier"`    // the sending business's subscription tier
	Carries []Item          `json:"carries"`
	Body    json.RawMessage `json:"body"`
	At      time.Time       `json:"at"`
}

// Page is one answer of the outbox feed.
type Page struct {
	Events  []Event `json:"events"`
	LastSeq int64   `json:"last_seq"`
}

// Delivery is what the broker puts in an inbox, exactly one of: an event
// from another place (Event), the news that one of the cell's own events
// was refused (Refusal) or is in the destination cell (Delivered, the
// event's id; sent for partner-chat messages).
type Delivery struct {
	From      string   `json:"from"` // the sending cell
	Event     *Event   `json:"event,omitempty"`
	Refusal   *Refusal `json:"refusal,omitempty"`
	Delivered string   `json:"delivered,omitempty"`
}

// What names what a delivery holds: "event", "refusal" or "delivered".
func (d Delivery) What() string {
	switch {
	case d.Refusal != nil:
		return "refusal"
	case d.Delivered != "":
		return "delivered"
	}
	return "event"
}

// Transaction is one inbox call: deliveries applied in order, each once.
type Transaction struct {
	Deliveries []Delivery `json:"deliveries"`
}

// Receipt answers a Transaction, one result per delivery in order.
type Receipt struct {
	Results []Result `json:"results"`
}

// Result is what became of one delivery: Status 200 when it is applied
// (Applied false when it had been before), else the status of the problem
// that refused it for good.
type Result struct {
	Status  int    `json:"status"`
	Applied bool   `json:"applied"`
	Problem string `json:"problem,omitempty"`
}

// Refusal says why an event was not delivered: the problem type, the
// rules that decided and what would make the transfer lawful.
type Refusal struct {
	Event       string             `json:"event"`
	Kind        Kind               `json:"kind"`
	Type        string             `json:"type"` // "transfer_refused", "entitlement_required", "partner_not_found"
	Category    residency.Category `json:"category,omitempty"`
	Rules       []string           `json:"rules"`
	Explanation string             `json:"explanation"`
}

// Bodies of the partnership events.

// Card is a business's public profile, all a partner sees of it.
type Card struct {
	ID         string   `json:"id"`
	Slug       string   `json:"slug"`
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Categories []string `json:"categories"`
}

// Proposal is the body of PartnershipProposed.
type Proposal struct {
	Partnership string `json:"partnership"`
	From        Card   `json:"from"`
	Note        string `json:"note"`
	Share       Share  `json:"share"`
}

// Share lists the categories of data each side will share once accepted.
type Share struct {
	Proposer []residency.Category `json:"proposer"`
	Partner  []residency.Category `json:"partner"`
}

// Step is the body of every other partnership event; Card is set on
// PartnershipReceived.
type Step struct {
	Partnership string `json:"partnership"`
	Card        *Card  `json:"card,omitempty"`
}

// PartnerMessage is the body of MessageSent.
type PartnerMessage struct {
	Partnership string      `json:"partnership"`
	Message     SentMessage `json:"message"`
}

// SentMessage is a partner-chat message as its sender's cell stored it.
type SentMessage struct {
	ID     string    `json:"id"`
	Seq    int64     `json:"seq"` // in the sender's copy
	Body   string    `json:"body"`
	SentAt time.Time `json:"sent_at"`
}

// ReadUpTo is the body of MessageRead: a partner has read the messages up
// to Message (an id of the reader's partner's message).
type ReadUpTo struct {
	Partnership string `json:"partnership"`
	Message     string `json:"message"`
}
