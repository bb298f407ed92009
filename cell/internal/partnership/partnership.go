// Package partnership holds BizConnect partnerships as a cell sees them:
// each side keeps its own copy under the same id, moved through its states
// by what its own people do and by the events that arrive from the other
// side (package crosscell). Types here are plain data with Validate
// methods and the state machine; storage lives in package postgres.
package partnership

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/geo"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/residency"
)

// State is where a partnership stands on one side.
type State string

// States.
const (
	Proposing State = "proposing" // sent; the partner's cell has not confirmed it yet
	Proposed  State = "proposed"  // the partner has it and may accept or decline
	Accepted  State = "accepted"
	Declined  State = "declined"
	Withdrawn State = "withdrawn"
	Ended     State = "ended"
	Refused   State = "refused" // the residency policy or the tier did not let it through
)

// Open reports whether s still binds the pair (at most one open
// partnership per pair).
func (s State) Open() bool { return s == Proposing || s == Proposed || s == Accepted }

// Role says which side of the partnership this copy is.
type Role string

// Roles.
const (
	Proposer  Role = "proposer"
	Recipient Role = "recipient"
)

// Shareable lists the categories of private data a partnership can let a
// side share. Public profiles and listings are always visible.
var Shareable = []residency.Category{residency.MessageContent}

// Partnership is one side's copy.
type Partnership struct {
	ID             string             `json:"id"`
	TenantID       string             `json:"tenant_id"`
	PartnerID      string             `json:"partner_tenant_id"`
	PartnerCountry string             `json:"partner_country"`
	Partner        *crosscell.Card    `json:"partner,omitempty"` // once the partner's cell has sent it
	Role           Role               `json:"role"`
	State          State              `json:"state"`
	Note           string             `json:"note"`
	Share          crosscell.Share    `json:"share"`
	ProposedBy     string             `json:"proposed_by,omitempty"`
	Refusal        *crosscell.Refusal `json:"refusal,omitempty"`
	Version        int64              `json:"version"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// Proposal is what a business sends to propose a partnership.
type Proposal struct {
	Partner        string          `json:"partner_tenant_id"`
	PartnerCountry string          `json:"partner_country"`
	Note           string          `json:"note"`
	Share          crosscell.Share `json:"share"`
}

// Validate checks a proposal from tenantID.
func (p *Proposal) Validate(tenantID string) error {
	var f errs.Fields
	if !ids.Valid(p.Partner) {
		f.Add("partner_tenant_id", "must be the partner business's id (a lower-case UUID)")
	} else if p.Partner == tenantID {
		f.Add("partner_tenant_id", "a business cannot partner with itself")
	}
	if !geo.IsCountry(p.PartnerCountry) {
		f.Add("partner_country", "must be the partner's ISO 3166-1 alpha-2 country code, such as US or KE")
	}
	p.Note = strings.TrimSpace(p.Note)
	if utf8.RuneCountInString(p.Note) > 1000 {
		f.Add("note", "at most 1000 characters")
	}
	validShare(&f, "share.proposer", p.Share.Proposer)
	validShare(&f, "share.partner", p.Share.Partner)
	if p.Share.Proposer == nil {
		p.Share.Proposer = []residency.Category{}
	}
	if p.Share.Partner == nil {
		p.Share.Partner = []residency.Category{}
	}
	return f.Err()
}

func validShare(f *errs.Fields, field string, cats []residency.Category) {
	seen := map[residency.Category]bool{}
	for _, c := range cats {
		switch {
		case !slices.Contains(Shareable, c):
			f.Add(field, "%q cannot be shared in a partnership; shareable: message_content", c)
		case seen[c]:
			f.Add(field, "%q appears twice", c)
		}
		seen[c] = true
	}
}

// Action is something a side does to its partnership.
type Action string

// Actions, and the event each sends to the other side.
const (
	Accept   Action = "accept"
	Decline  Action = "decline"
	Withdraw Action = "withdraw"
	End      Action = "end"
)

// Step returns the state an action leads to from p and the event it
// sends, or a Conflict naming what is possible.
func (p *Partnership) Step(a Action) (State, crosscell.Kind, error) {
	switch {
	case a == Accept && p.Role == Recipient && p.State == Proposed:
		return Accepted, crosscell.PartnershipAccepted, nil
	case a == Decline && p.Role == Recipient && p.State == Proposed:
		return Declined, crosscell.PartnershipDeclined, nil
	case a == Withdraw && p.Role == Proposer && (p.State == Proposing || p.State == Proposed):
		return Withdrawn, crosscell.PartnershipWithdrawn, nil
	case a == End && p.State == Accepted:
		return Ended, crosscell.PartnershipEnded, nil
	}
	return "", "", errs.E(errs.Conflict, "this partnership is %s; as its %s, this business cannot %s it", p.State, p.Role, a)
}

// Arrive returns the state an event from the other side moves p to, and
// whether it moves it at all. Events that cross (the proposer withdraws
// while the recipient accepts) settle the same way on both sides: a
// withdrawal or an end wins over an acceptance; any other late event is
// ignored.
func (p *Partnership) Arrive(k crosscell.Kind) (State, bool) {
	switch k {
	case crosscell.PartnershipReceived:
		return Proposed, p.State == Proposing
	case crosscell.PartnershipAccepted:
		return Accepted, p.State == Proposing || p.State == Proposed
	case crosscell.PartnershipDeclined:
		return Declined, p.State == Proposing || p.State == Proposed
	case crosscell.PartnershipWithdrawn:
		return Withdrawn, p.State == Proposed || p.State == Accepted
	case crosscell.PartnershipEnded:
		return Ended, p.State == Accepted
	}
	return "", false
}

// Carries lists what an event of kind k carries, with the basis every
// partnership event has: the person sends it at their own request, as a
// step towards or within an agreement between the two businesses
// (residency.Contract). Consents on record are added by the outbox.
func Carries(k crosscell.Kind) []crosscell.Item {
	items := []crosscell.Item{{Category: residency.Partnership, Bases: []residency.Basis{residency.Contract}}}
	if k == crosscell.PartnershipProposed || k == crosscell.PartnershipReceived {
		items = append([]crosscell.Item{{Category: residency.BusinessProfilePublic}}, items...)
	}
	return items
}

// CardOf is the public card of a business.
func CardOf(id, slug, name, country string, categories []string) crosscell.Card {
	return crosscell.Card{ID: id, Slug: slug, Name: name, Country: country, Categories: slices.Clone(categories)}
}
