// Package consent holds a person's consents for their data to go abroad:
// for one category of data, to one jurisdiction, given as a member of a
// business and withdrawable at any time. A consent in force is a legal
// basis the cell's outbox attaches to the events that person sends; a
// withdrawn one stops every transfer that has not left yet. Storage lives
// in package postgres.
package consent

import (
	"slices"
	"time"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/residency"
)

// Consent is one consent, in force while WithdrawnAt is nil.
type Consent struct {
	ID           string             `json:"id"`
	Category     residency.Category `json:"category"`
	Jurisdiction string             `json:"jurisdiction"`
	GrantedAt    time.Time          `json:"granted_at"`
	WithdrawnAt  *time.Time         `json:"withdrawn_at"`
}

// Grant is a request to consent.
type Grant struct {
	Category     residency.Category `json:"category"`
	Jurisdiction string             `json:"jurisdiction"`
}

// Grantable lists the categories a person can consent to send abroad:
// their own contributions to a partnership.
var Grantable = []residency.Category{residency.MessageContent, residency.ContactPerson}

// Validate checks a grant.
func (g Grant) Validate() error {
	var f errs.Fields
	if !slices.Contains(Grantable, g.Category) {
		f.Add("category", "must be one of message_content, contact_person")
	}
	if !slices.ContainsFunc(residency.Cells(), func(c residency.Cell) bool { return c.Jurisdiction == g.Jurisdiction }) {
		f.Add("jurisdiction", "must be the jurisdiction of a PushNchat cell: NG, ZA, KE, US or EU")
	}
	return f.Err()
}
