// Package residency encodes where PushNchat may keep data, as data
// (policy.go), and answers three questions with explained decisions: where
// may a business from a country be homed; may a category of data move from
// one jurisdiction to another on given legal bases; where may a cell fail
// over to. It does no I/O. Every decision names the rules that produced it
// and what must be recorded.
package residency

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Decision is the answer to a question, with its reasons.
type Decision struct {
	Allowed bool
	// Cells: for placement, where the tenant may be homed (first is
	// preferred); for failover, the targets in order.
	Cells []string
	// Rules that decided, most specific last. Never empty.
	Rules []string
	// Record lists what must be written down (ledger, assessments).
	Record []string
	// Bases: for an allowed transfer of personal data, the legal bases it
	// rests on.
	Bases []Basis
	// Explanation says it in words, including what would make a denial
	// legal when something would.
	Explanation   string
	PolicyVersion string
}

func allow(cells []string, explanation string, record []string, rules ...string) Decision {
	return Decision{Allowed: true, Cells: cells, Rules: rules, Record: record, Explanation: explanation, PolicyVersion: PolicyVersion}
}

func deny(explanation string, rules ...string) Decision {
	return Decision{Rules: rules, Explanation: explanation, PolicyVersion: PolicyVersion}
}

// JurisdictionOf returns the jurisdiction whose law governs businesses of
// country (ISO 3166-1 alpha-2), and false when the policy covers no such
// country.
func JurisdictionOf(country string) (string, bool) {
	switch {
	case country == "US":
		return "US", true
	case slices.Contains(eea, country):
		return "EU", true
	}
	if _, ok := africa[country]; ok {
		return country, true
	}
	return "", false
}

// African reports whether country is an African country the policy knows.
func African(country string) bool {
	_, ok := africa[country]
	return ok
}

// CellJurisdiction returns the jurisdiction of a cell.
func CellJurisdiction(cell string) (string, bool) {
	for _, c := range cells {
		if c.Name == cell {
			return c.Jurisdiction, true
		}
	}
	return "", false
}

// Cells returns every cell of the deployment, primaries and standbys.
func Cells() []Cell { return slices.Clone(cells) }

// Countries returns every country the policy decides for, sorted.
func Countries() []string {
	out := append([]string{"US"}, eea...)
	for c := range africa {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func primariesIn(j string) []string {
	var out []string
	for _, c := range cells {
		if c.Jurisdiction == j && !c.Standby {
			out = append(out, c.Name)
		}
	}
	return out
}

func jurisdictionName(j string) string {
	if d, ok := jurisdictions[j]; ok {
		return d.Name
	}
	if a, ok := africa[j]; ok {
		return a.Name
	}
	return j
}

// PlaceRequest asks where a new business may be homed.
type PlaceRequest struct {
	Country string // ISO 3166-1 alpha-2, upper case
	// Authorised says the authority's authorisation to store this
	// business's data abroad is on file (Rwanda, Egypt, Tanzania).
	Authorised bool
}

// Place decides where a business from req.Country may be homed.
func Place(req PlaceRequest) Decision {
	j, ok := JurisdictionOf(req.Country)
	if !ok {
		return deny(fmt.Sprintf("PushNchat has no cell for businesses from %q: it serves African countries, the EU/EEA and the US", req.Country),
			"placement.unsupported-country")
	}
	jd := jurisdictions[j]
	if jd != nil && jd.NeedsAuthorisation != "" {
		if !req.Authorised {
			return deny(fmt.Sprintf("%s law (%s) requires an authority's authorisation before its businesses' data is stored abroad, and no %s cell exists; sign-up opens once the authorisation is on file",
				jd.Name, jd.Law, jd.Name), jd.NeedsAuthorisation)
		}
		target := authorisedCell[j]
		return allow([]string{target}, fmt.Sprintf("%s businesses are homed in %s under the authorisation on file", jd.Name, target),
			[]string{"the authorisation (certificate, licence or permit) reference and its scope", "the transfer in the ledger"},
			jd.NeedsAuthorisation, "placement.authorised-abroad")
	}
	if home := primariesIn(j); len(home) > 0 {
		return allow(home, fmt.Sprintf("%s businesses are homed in their own jurisdiction (%s)", jurisdictionName(j), strings.Join(home, ", ")),
			nil, "placement.home-jurisdiction")
	}
	fb := africa[req.Country].Fallback
	fj, _ := CellJurisdiction(fb)
	return allow([]string{fb}, fmt.Sprintf("no cell exists in %s; its businesses are homed in the nearest allowed cell, %s (%s), on a recorded basis",
		jurisdictionName(j), fb, jurisdictionName(fj)),
		[]string{fmt.Sprintf("the basis (consent or safeguards) for storing %s business data in %s", jurisdictionName(j), jurisdictionName(fj)), "the transfer in the ledger"},
		"placement.regional-fallback", otherAfrica.Rule)
}

// MayHome reports whether a cell may hold a business from country: the
// cell's own check (defence in depth) that the control plane placed it
// where the policy allows. Authorisation is the control plane's to verify;
// here it is assumed on file.
func MayHome(cell, country string) Decision {
	d := Place(PlaceRequest{Country: country, Authorised: true})
	if !d.Allowed {
		return d
	}
	if !slices.Contains(d.Cells, cell) {
		return deny(fmt.Sprintf("businesses from %s belong in %s, not in %s", country, strings.Join(d.Cells, ", "), cell),
			append(d.Rules, "placement.wrong-cell")...)
	}
	return d
}

// Markets returns the countries whose businesses the policy homes in cell
// (authorisations assumed on file), sorted.
func Markets(cell string) []string {
	var out []string
	for _, c := range Countries() {
		if MayHome(cell, c).Allowed {
			out = append(out, c)
		}
	}
	return out
}

// TransferRequest asks whether data may move across a border.
type TransferRequest struct {
	Category Category
	From, To string // jurisdictions, e.g. "NG", "EU"
	Bases    []Basis
}

// Transfer decides whether req.Category may move from req.From to req.To
// on req.Bases.
func Transfer(req TransferRequest) Decision {
	if !slices.Contains(Categories, req.Category) {
		return deny(fmt.Sprintf("unknown data category %q", req.Category), "transfer.unknown-category")
	}
	for _, j := range []string{req.From, req.To} {
		if _, ok := jurisdictions[j]; !ok {
			if _, ok := africa[j]; !ok {
				return deny(fmt.Sprintf("unknown jurisdiction %q", j), "transfer.unknown-jurisdiction")
			}
		}
	}
	from, to := jurisdictionName(req.From), jurisdictionName(req.To)
	if req.From == req.To {
		return allow(nil, "no border is crossed", nil, "transfer.same-jurisdiction")
	}
	ledger := "a ledger entry: who, category, from, to, basis, rule ids, time"
	if jd := jurisdictions[req.From]; jd != nil {
		if rule, ok := jd.Localised[req.Category]; ok {
			return deny(fmt.Sprintf("%s data must stay in %s (%s); no basis allows it to leave", req.Category, from, jd.Law), rule)
		}
	}
	if public[req.Category] {
		return allow(nil, fmt.Sprintf("%s is what the business publishes itself; it may be shown in %s", req.Category, to),
			[]string{ledger}, "transfer.public-data")
	}
	er := &otherAfrica
	if jd := jurisdictions[req.From]; jd != nil {
		if jd.Export == nil {
			return allow(nil, fmt.Sprintf("%s places no general restriction on transfers", from), []string{ledger}, "us.transfer.unrestricted")
		}
		er = jd.Export
	}
	if sensitive[req.Category] && er.Sensitive != nil {
		er = er.Sensitive
	}
	valid := func(b Basis) bool {
		// The EU recognises the US as adequate only for DPF-certified recipients.
		return b != DPFCertified || req.To == "US"
	}
	if len(er.AllOf) > 0 {
		missing := []string{}
		for _, b := range er.AllOf {
			if !slices.Contains(req.Bases, b) {
				missing = append(missing, string(b))
			}
		}
		if len(missing) > 0 {
			return deny(fmt.Sprintf("%s from %s to %s needs all of: %s; missing %s", req.Category, from, to, basesList(er.AllOf), strings.Join(missing, ", ")), er.Rule)
		}
		d := allow(nil, fmt.Sprintf("%s may move from %s to %s on %s", req.Category, from, to, basesList(er.AllOf)), append(slices.Clone(er.Record), ledger), er.Rule)
		d.Bases = slices.Clone(er.AllOf)
		return d
	}
	for _, b := range er.Bases {
		if slices.Contains(req.Bases, b) && valid(b) {
			d := allow(nil, fmt.Sprintf("%s may move from %s to %s on %s", req.Category, from, to, b), append(slices.Clone(er.Record), ledger), er.Rule)
			d.Bases = []Basis{b}
			return d
		}
	}
	var usable []Basis
	for _, b := range er.Bases {
		if valid(b) {
			usable = append(usable, b)
		}
	}
	return deny(fmt.Sprintf("%s may not move from %s to %s on %s; it would be legal with one of: %s",
		req.Category, from, to, basesOrNone(req.Bases), basesList(usable)), er.Rule)
}

func basesList(bs []Basis) string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

func basesOrNone(bs []Basis) string {
	if len(bs) == 0 {
		return "no basis"
	}
	return basesList(bs)
}

// personalCategories are the categories a cell holds that are not public.
func personalCategories() []Category {
	var out []Category
	for _, c := range Categories {
		if !public[c] {
			out = append(out, c)
		}
	}
	return out
}

// FailoverTargets lists where a cell may fail over to: the other cells of
// its jurisdiction (its standby first). A cell of another jurisdiction is a
// target only when bases make every category the cell holds legal to move
// there — which a localised category never is. A replica is systematic, so
// only lasting mechanisms count (adequacy, DPF certification, safeguards,
// an authorisation); consent and contract derogations are for occasional
// transfers.
func FailoverTargets(cell string, bases ...Basis) Decision {
	bases = slices.DeleteFunc(slices.Clone(bases), func(b Basis) bool { return b == Consent || b == Contract })
	j, ok := CellJurisdiction(cell)
	if !ok {
		return deny(fmt.Sprintf("unknown cell %q", cell), "failover.unknown-cell")
	}
	var same, cross []string
	for _, c := range cells {
		if c.Name == cell {
			continue
		}
		if c.Jurisdiction == j {
			if c.Standby {
				same = append([]string{c.Name}, same...)
			} else {
				same = append(same, c.Name)
			}
		}
	}
	rules := []string{"failover.same-jurisdiction"}
	var record []string
	if len(bases) > 0 {
		for _, c := range cells {
			if c.Jurisdiction == j || c.Standby {
				continue
			}
			ok := true
			for _, cat := range personalCategories() {
				if !Transfer(TransferRequest{Category: cat, From: j, To: c.Jurisdiction, Bases: bases}).Allowed {
					ok = false
					break
				}
			}
			if ok {
				cross = append(cross, c.Name)
			}
		}
		if len(cross) > 0 {
			rules = append(rules, "failover.cross-border-with-basis")
			record = []string{"the basis of the cross-border replica (" + basesList(bases) + ")", "a ledger entry per category"}
		}
	}
	targets := append(same, cross...)
	if len(targets) == 0 {
		return deny(fmt.Sprintf("%s has no failover target inside %s", cell, jurisdictionName(j)), "failover.no-target")
	}
	return allow(targets, fmt.Sprintf("%s fails over inside %s first (%s)", cell, jurisdictionName(j), strings.Join(same, ", ")), record, rules...)
}
