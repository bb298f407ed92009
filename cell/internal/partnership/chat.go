package partnership

import (
	"context"
	"slices"
	"sync"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/residency"
)

// Chats reports whether an accepted p opens a partner conversation: both
// sides share message content.
func (p *Partnership) Chats() bool {
	return slices.Contains(p.Share.Proposer, residency.MessageContent) && slices.Contains(p.Share.Partner, residency.MessageContent)
}

// Sending is what a message in a partner conversation is decided on.
type Sending struct {
	State          State
	Country        string // this business's
	PartnerCountry string
	// ConsentID is the sender's consent for message content to the
	// partner's jurisdiction, when one is in force.
	ConsentID string
}

// MessageGuard returns the check messaging.Sender runs before it stores a
// message: in a partner conversation (lookup returns nil for any other),
// the partnership must be accepted, the message carries no files, and
// the residency policy must let its content go to the partner's
// jurisdiction — on the sender's consent where the law asks for one. A
// refusal is the sender's problem at once; the broker decides again as
// the message leaves. Conversations found not to be partner conversations
// are remembered (they never become one).
func MessageGuard(cell string, lookup func(ctx context.Context, conversation, sender string) (*Sending, error)) func(context.Context, messaging.Message) error {
	var (
		mu    sync.Mutex
		plain = map[string]bool{}
	)
	return func(ctx context.Context, m messaging.Message) error {
		mu.Lock()
		known := plain[m.ConversationID]
		mu.Unlock()
		if known {
			return nil
		}
		s, err := lookup(ctx, m.ConversationID, m.SenderID)
		if err != nil {
			return err
		}
		if s == nil {
			mu.Lock()
			if len(plain) >= 100_000 { // a bound, not an eviction policy: forgetting costs one lookup
				clear(plain)
			}
			plain[m.ConversationID] = true
			mu.Unlock()
			return nil
		}
		if s.State != Accepted {
			return errs.E(errs.Conflict, "the partnership is %s; messages can no longer be sent to the partner", s.State)
		}
		if len(m.AttachmentIDs) > 0 {
			return errs.InvalidFields([]errs.FieldError{{Field: "attachments", Detail: "files cannot be sent to a partner business yet"}})
		}
		item := crosscell.Item{Category: residency.MessageContent}
		if s.ConsentID != "" {
			item.Bases, item.ConsentID = []residency.Basis{residency.Consent}, s.ConsentID
		}
		v := crosscell.Decide(crosscell.Event{ID: m.ID, Kind: crosscell.MessageSent, Carries: []crosscell.Item{item}},
			crosscell.Route{FromCountry: s.Country, FromCell: cell, ToCountry: s.PartnerCountry, ToCell: crosscell.HomeCell(s.PartnerCountry)})
		return crosscell.RefusalError(v.Refusal)
	}
}
