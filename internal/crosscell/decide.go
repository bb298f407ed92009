package crosscell

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pushnchat/pushnchat/internal/errs"

	"github.com/pushnchat/pushnchat/residency"
)

// Tier is a business's subscription tier; it decides where it may find
// partners.
type Tier string

// Tiers.
const (
	IntraAfrica Tier = "intra_africa" // partners inside Africa only
	AfricaUS    Tier = "africa_us"    // partners in Africa and beyond
	USAfrica    Tier = "us_africa"    // partners in Africa and beyond
)

// Tiers lists every tier.
var Tiers = []Tier{IntraAfrica, AfricaUS, USAfrica}

// DefaultTier is the tier a new business from country starts on: the
// Intra-African tier in Africa, the US–Africa tier elsewhere (the only
// tier that lets a business outside Africa partner at all).
func DefaultTier(country string) Tier {
	if residency.African(country) {
		return IntraAfrica
	}
	return USAfrica
}

// Entitled reports whether a business on tier in country may partner with
// a business in partnerCountry.
func Entitled(tier Tier, country, partnerCountry string) bool {
	if residency.African(country) && residency.African(partnerCountry) {
		return slices.Contains(Tiers, tier)
	}
	return tier == AfricaUS || tier == USAfrica
}

// Route is where an event goes: the sending business's country and cell,
// and the destination business's.
type Route struct {
	FromCountry, FromCell string
	ToCountry, ToCell     string
}

// Verdict is the decision about one event.
type Verdict struct {
	Refusal *Refusal // nil when the event may be delivered
	// Items holds one decision per category carried, when the event leaves
	// its cell (each is a ledger entry); none when it stays in the cell.
	Items []ItemDecision
}

// ItemDecision is the policy's answer for one category of an event.
type ItemDecision struct {
	Item Item
	From []string // the jurisdictions whose law was asked
	To   string
	residency.Decision
}

// Decide decides whether ev may go along r: the sending business's tier
// must allow a partner in that country, and every category the event
// carries must be allowed to move from the law of the sender's country
// and of the sender's cell to the destination cell's jurisdiction.
func Decide(ev Event, r Route) Verdict {
	if ev.Kind.Establishes() && !Entitled(Tier(ev.Tier), r.FromCountry, r.ToCountry) {
		return Verdict{Refusal: &Refusal{Event: ev.ID, Kind: ev.Kind, Type: "entitlement_required",
			Rules: []string{"entitlement.cross-border-tier"},
			Explanation: fmt.Sprintf("partnerships between %s and %s need the Africa–US or US–Africa tier; this business is on the %s tier",
				r.FromCountry, r.ToCountry, tierName(Tier(ev.Tier)))}}
	}
	if r.FromCell == r.ToCell {
		return Verdict{}
	}
	to, ok := residency.CellJurisdiction(r.ToCell)
	if !ok {
		return Verdict{Refusal: &Refusal{Event: ev.ID, Kind: ev.Kind, Type: "transfer_refused",
			Rules: []string{"transfer.unknown-jurisdiction"}, Explanation: fmt.Sprintf("the policy knows no cell %q", r.ToCell)}}
	}
	var from []string
	if j, ok := residency.JurisdictionOf(r.FromCountry); ok {
		from = append(from, j)
	}
	if j, ok := residency.CellJurisdiction(r.FromCell); ok && !slices.Contains(from, j) {
		from = append(from, j)
	}
	if len(from) == 0 {
		return Verdict{Refusal: &Refusal{Event: ev.ID, Kind: ev.Kind, Type: "transfer_refused",
			Rules: []string{"transfer.unknown-jurisdiction"}, Explanation: fmt.Sprintf("the policy knows neither %q nor cell %q", r.FromCountry, r.FromCell)}}
	}
	var v Verdict
	for _, it := range ev.Carries {
		d := ItemDecision{Item: it, From: from, To: to}
		for i, j := range from {
			one := residency.Transfer(residency.TransferRequest{Category: it.Category, From: j, To: to, Bases: it.Bases})
			if i == 0 || !one.Allowed {
				d.Decision = one
			} else {
				d.Rules = append(d.Rules, one.Rules...)
				d.Record = append(d.Record, one.Record...)
				d.Bases = append(d.Bases, one.Bases...)
			}
			if !one.Allowed {
				break
			}
		}
		v.Items = append(v.Items, d)
		if !d.Allowed && v.Refusal == nil {
			v.Refusal = &Refusal{Event: ev.ID, Kind: ev.Kind, Type: "transfer_refused", Category: it.Category,
				Rules: d.Rules, Explanation: d.Explanation}
		}
	}
	return v
}

func tierName(t Tier) string {
	switch t {
	case IntraAfrica:
		return "Intra-African"
	case AfricaUS:
		return "Africa–US"
	case USAfrica:
		return "US–Africa"
	}
	return fmt.Sprintf("unknown (%q)", string(t))
}

// HomeCell is the cell the policy homes businesses from country in: where
// an event for such a business is expected to go ("" when nowhere). The
// broker delivers by the directory, which is the truth; a cell uses this
// to check an event before it writes it.
func HomeCell(country string) string {
	d := residency.Place(residency.PlaceRequest{Country: country, Authorised: true})
	if !d.Allowed || len(d.Cells) == 0 {
		return ""
	}
	return d.Cells[0]
}

// RefusalError is the problem a refused event is to its sender: 403
// entitlement_required or 422 transfer_refused, naming the rules.
func RefusalError(r *Refusal) error {
	if r == nil {
		return nil
	}
	msg := fmt.Sprintf("%s (rules: %s)", r.Explanation, strings.Join(r.Rules, ", "))
	if r.Type == "entitlement_required" {
		return &errs.Error{Kind: errs.Forbidden, Code: "entitlement_required", Message: msg}
	}
	return &errs.Error{Kind: errs.Unprocessable, Code: "transfer_refused", Message: msg}
}
