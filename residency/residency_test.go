package residency

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pushnchat/pushnchat/internal/geo"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestAfricaHas54Countries(t *testing.T) {
	if len(africa) != 54 {
		t.Errorf("africa has %d countries; want 54", len(africa))
	}
	for code, a := range africa {
		if !geo.IsCountry(code) {
			t.Errorf("%s (%s) is not an ISO 3166-1 code", code, a.Name)
		}
		if a.Fallback != "" {
			if _, ok := CellJurisdiction(a.Fallback); !ok {
				t.Errorf("%s falls back to unknown cell %s", code, a.Fallback)
			}
		}
	}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		country    string
		authorised bool
		allowed    bool
		cells      []string
		rule       string
	}{
		{"NG", false, true, []string{"lagos-1"}, "placement.home-jurisdiction"},
		{"ZA", false, true, []string{"johannesburg-1"}, "placement.home-jurisdiction"},
		{"KE", false, true, []string{"nairobi-1"}, "placement.home-jurisdiction"},
		{"US", false, true, []string{"us-1"}, "placement.home-jurisdiction"},
		{"DE", false, true, []string{"eu-1"}, "placement.home-jurisdiction"},
		{"FR", false, true, []string{"eu-1"}, "placement.home-jurisdiction"},
		{"NO", false, true, []string{"eu-1"}, "placement.home-jurisdiction"},
		{"GH", false, true, []string{"lagos-1"}, "placement.regional-fallback"},
		{"UG", false, true, []string{"nairobi-1"}, "placement.regional-fallback"},
		{"BW", false, true, []string{"johannesburg-1"}, "placement.regional-fallback"},
		{"RW", false, false, nil, "rw.storage-abroad.certificate"},
		{"EG", false, false, nil, "eg.storage-abroad.licence"},
		{"TZ", false, false, nil, "tz.storage-abroad.permit"},
		{"RW", true, true, []string{"nairobi-1"}, "placement.authorised-abroad"},
		{"GB", false, false, nil, "placement.unsupported-country"},
		{"CN", false, false, nil, "placement.unsupported-country"},
		{"ng", false, false, nil, "placement.unsupported-country"},
		{"", false, false, nil, "placement.unsupported-country"},
	}
	for _, tt := range tests {
		d := Place(PlaceRequest{Country: tt.country, Authorised: tt.authorised})
		if d.Allowed != tt.allowed || !slices.Equal(d.Cells, tt.cells) || !slices.Contains(d.Rules, tt.rule) {
			t.Errorf("Place(%q, authorised=%v) = %+v; want allowed=%v cells=%v rule %s", tt.country, tt.authorised, d, tt.allowed, tt.cells, tt.rule)
		}
		if d.Explanation == "" || d.PolicyVersion != PolicyVersion {
			t.Errorf("Place(%q) lacks an explanation or version: %+v", tt.country, d)
		}
	}
}

// Every ISO country gets a decision: placed in an allowed cell, or refused
// with a rule.
func TestPlaceDecidesEveryCountry(t *testing.T) {
	for _, c := range geo.Countries() {
		d := Place(PlaceRequest{Country: c})
		if len(d.Rules) == 0 || d.Explanation == "" {
			t.Errorf("Place(%s) = %+v; want rules and an explanation", c, d)
		}
		if _, covered := JurisdictionOf(c); d.Allowed && !covered {
			t.Errorf("Place(%s) placed a country the policy does not cover", c)
		}
	}
}

func TestMayHome(t *testing.T) {
	if d := MayHome("lagos-1", "NG"); !d.Allowed {
		t.Errorf("lagos-1 may not home NG: %+v", d)
	}
	if d := MayHome("lagos-1", "KE"); d.Allowed || !slices.Contains(d.Rules, "placement.wrong-cell") {
		t.Errorf("MayHome(lagos-1, KE) = %+v; want refused as wrong cell", d)
	}
	if d := MayHome("eu-1", "GB"); d.Allowed {
		t.Errorf("MayHome(eu-1, GB) = %+v; want refused", d)
	}
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		cat      Category
		from, to string
		bases    []Basis
		allowed  bool
		rule     string
	}{
		{MessageContent, "NG", "US", nil, false, "ng.transfer.s41-43"},
		{MessageContent, "NG", "US", []Basis{Consent}, true, "ng.transfer.s41-43"},
		{ContactPerson, "NG", "EU", []Basis{Safeguards}, true, "ng.transfer.s41-43"},
		{GovernmentData, "NG", "KE", []Basis{Consent, Safeguards, Authorisation}, false, "ng.localisation.government-data"},
		{BusinessProfilePublic, "NG", "US", nil, true, "transfer.public-data"},
		{ListingMedia, "KE", "EU", nil, true, "transfer.public-data"},
		{ContactPerson, "EU", "US", []Basis{DPFCertified}, true, "eu.transfer.chapter-v"},
		{ContactPerson, "EU", "NG", []Basis{DPFCertified}, false, "eu.transfer.chapter-v"},
		{ContactPerson, "EU", "NG", []Basis{Adequacy}, false, "eu.transfer.chapter-v"},
		{ContactPerson, "EU", "NG", []Basis{Safeguards}, true, "eu.transfer.chapter-v"},
		{HealthData, "ZA", "US", []Basis{Consent}, false, "za.transfer.s57-prior-authorisation"},
		{HealthData, "ZA", "US", []Basis{Authorisation}, true, "za.transfer.s57-prior-authorisation"},
		{MessageContent, "ZA", "EU", []Basis{Contract}, true, "za.transfer.s72"},
		{HealthData, "KE", "EU", []Basis{Consent, Safeguards}, false, "ke.reg26.health-data"},
		{ChildrenData, "KE", "EU", []Basis{Consent}, false, "ke.transfer.s49-sensitive"},
		{ChildrenData, "KE", "EU", []Basis{Consent, Safeguards}, true, "ke.transfer.s49-sensitive"},
		{Payment, "KE", "US", []Basis{Adequacy}, false, "ke.transfer.s48"},
		{Payment, "US", "NG", nil, true, "us.transfer.unrestricted"},
		{MessageContent, "GH", "NG", nil, false, "africa.transfer.consent-or-safeguards"},
		{MessageContent, "GH", "NG", []Basis{Consent}, true, "africa.transfer.consent-or-safeguards"},
		{MessageContent, "RW", "KE", []Basis{Consent}, false, "rw.transfer.authorisation"},
		{MessageContent, "RW", "KE", []Basis{Authorisation}, true, "rw.transfer.authorisation"},
		{MessageContent, "NG", "NG", nil, true, "transfer.same-jurisdiction"},
		{MessageContent, "NG", "GB", []Basis{Consent}, false, "transfer.unknown-jurisdiction"},
		{"secrets", "NG", "US", []Basis{Consent}, false, "transfer.unknown-category"},
	}
	for _, tt := range tests {
		d := Transfer(TransferRequest{Category: tt.cat, From: tt.from, To: tt.to, Bases: tt.bases})
		if d.Allowed != tt.allowed || !slices.Contains(d.Rules, tt.rule) {
			t.Errorf("Transfer(%s %s→%s on %v) = %+v; want allowed=%v by %s", tt.cat, tt.from, tt.to, tt.bases, d, tt.allowed, tt.rule)
		}
		if d.Allowed && tt.from != tt.to && !slices.ContainsFunc(d.Record, func(s string) bool { return strings.Contains(s, "ledger") }) {
			t.Errorf("Transfer(%s %s→%s) allowed without a ledger entry: %+v", tt.cat, tt.from, tt.to, d)
		}
	}
	// A refusal says what would make it legal.
	d := Transfer(TransferRequest{Category: MessageContent, From: "NG", To: "US"})
	if !strings.Contains(d.Explanation, "consent") {
		t.Errorf("refusal explanation %q does not say what would make it legal", d.Explanation)
	}
}

func TestFailoverTargets(t *testing.T) {
	tests := []struct {
		cell    string
		bases   []Basis
		allowed bool
		targets []string
	}{
		{"lagos-1", nil, true, []string{"lagos-1-standby"}},
		{"lagos-1-standby", nil, true, []string{"lagos-1"}},
		{"lagos-1", []Basis{Consent, Safeguards, Contract, Adequacy, Authorisation}, true, []string{"lagos-1-standby"}}, // government data never leaves NG
		{"eu-1", nil, true, []string{"eu-1-standby"}},
		{"eu-1", []Basis{DPFCertified, Consent}, true, []string{"eu-1-standby", "us-1"}},
		{"us-1", nil, true, []string{"us-1-standby"}},
		{"mars-1", nil, false, nil},
	}
	for _, tt := range tests {
		d := FailoverTargets(tt.cell, tt.bases...)
		if d.Allowed != tt.allowed || !slices.Equal(d.Cells, tt.targets) || len(d.Rules) == 0 {
			t.Errorf("FailoverTargets(%s, %v) = %+v; want allowed=%v targets %v", tt.cell, tt.bases, d, tt.allowed, tt.targets)
		}
	}
}

// FuzzPlace: no decision places a business outside the allowed set, and
// every decision names a rule.
func FuzzPlace(f *testing.F) {
	for _, c := range []string{"NG", "GH", "RW", "GB", "", "ng", "EU", "ZZ", "KE\x00"} {
		f.Add(c, false)
		f.Add(c, true)
	}
	f.Fuzz(func(t *testing.T, country string, authorised bool) {
		d := Place(PlaceRequest{Country: country, Authorised: authorised})
		if len(d.Rules) == 0 || d.Explanation == "" {
			t.Fatalf("Place(%q) = %+v: no rule or explanation", country, d)
		}
		if !d.Allowed {
			if len(d.Cells) != 0 {
				t.Fatalf("Place(%q) refused but named cells %v", country, d.Cells)
			}
			return
		}
		j, ok := JurisdictionOf(country)
		if !ok || len(d.Cells) == 0 {
			t.Fatalf("Place(%q) = %+v placed an uncovered country or no cell", country, d)
		}
		for _, c := range d.Cells {
			cj, ok := CellJurisdiction(c)
			if !ok {
				t.Fatalf("Place(%q) chose unknown cell %s", country, c)
			}
			switch {
			case cj == j: // home
			case africa[country].Fallback == c: // no cell at home: the policy's fallback
			case authorised && authorisedCell[j] == c: // authorisation on file
			default:
				t.Fatalf("Place(%q) chose %s in %s, outside the allowed set", country, c, cj)
			}
			if slices.ContainsFunc(cells, func(x Cell) bool { return x.Name == c && x.Standby }) {
				t.Fatalf("Place(%q) homed a business on standby %s", country, c)
			}
		}
		if jd := jurisdictions[j]; jd != nil && jd.NeedsAuthorisation != "" && !authorised {
			t.Fatalf("Place(%q) placed without the required authorisation", country)
		}
	})
}

// FuzzFailover: a target outside the cell's jurisdiction appears only when
// the bases make every personal category legal to move there.
func FuzzFailover(f *testing.F) {
	f.Add(uint8(0), uint8(0))
	f.Add(uint8(6), uint8(0xff))
	f.Fuzz(func(t *testing.T, ci, mask uint8) {
		cell := cells[int(ci)%len(cells)].Name
		var bases []Basis
		for i, b := range Bases {
			if mask&(1<<i) != 0 {
				bases = append(bases, b)
			}
		}
		d := FailoverTargets(cell, bases...)
		if len(d.Rules) == 0 {
			t.Fatalf("FailoverTargets(%s) names no rule", cell)
		}
		j, _ := CellJurisdiction(cell)
		for _, target := range d.Cells {
			tj, _ := CellJurisdiction(target)
			if tj == j {
				continue
			}
			if len(bases) == 0 {
				t.Fatalf("FailoverTargets(%s) crosses to %s with no basis", cell, target)
			}
			for _, cat := range personalCategories() {
				if !Transfer(TransferRequest{Category: cat, From: j, To: tj, Bases: bases}).Allowed {
					t.Fatalf("FailoverTargets(%s, %v) targets %s though %s may not move there", cell, bases, target, cat)
				}
			}
		}
	})
}

// FuzzTransfer: denials name a rule; localised data never leaves.
func FuzzTransfer(f *testing.F) {
	f.Add("message_content", "NG", "US", uint8(0))
	f.Add("government_data", "NG", "US", uint8(0xff))
	f.Fuzz(func(t *testing.T, cat, from, to string, mask uint8) {
		var bases []Basis
		for i, b := range Bases {
			if mask&(1<<i) != 0 {
				bases = append(bases, b)
			}
		}
		d := Transfer(TransferRequest{Category: Category(cat), From: from, To: to, Bases: bases})
		if len(d.Rules) == 0 || d.Explanation == "" {
			t.Fatalf("Transfer(%q %q→%q) = %+v: no rule or explanation", cat, from, to, d)
		}
		if jd := jurisdictions[from]; d.Allowed && from != to && jd != nil {
			if _, localised := jd.Localised[Category(cat)]; localised {
				t.Fatalf("Transfer let localised %s leave %s", cat, from)
			}
		}
	})
}

// The whole decision table, for review: every country's placement, every
// transfer between the main jurisdictions on each single basis, every
// cell's failover targets.
func TestGoldenDecisionTable(t *testing.T) {
	var b strings.Builder
	line := func(q string, d Decision) {
		verdict := "DENY "
		if d.Allowed {
			verdict = "ALLOW"
		}
		fmt.Fprintf(&b, "%-58s %s cells=%s rules=%s\n", q, verdict, strings.Join(d.Cells, ","), strings.Join(d.Rules, ","))
		if len(d.Record) > 0 {
			fmt.Fprintf(&b, "%-58s       record: %s\n", "", strings.Join(d.Record, "; "))
		}
	}
	fmt.Fprintf(&b, "# PushNchat residency decisions, policy %s\n# Regenerate: go test ./residency -run Golden -update\n\n## Placement (every ISO 3166-1 country)\n", PolicyVersion)
	for _, c := range geo.Countries() {
		line("place "+c, Place(PlaceRequest{Country: c}))
		if j, ok := JurisdictionOf(c); ok && jurisdictions[j] != nil && jurisdictions[j].NeedsAuthorisation != "" {
			line("place "+c+" (authorisation on file)", Place(PlaceRequest{Country: c, Authorised: true}))
		}
	}
	b.WriteString("\n## Transfers\n")
	js := []string{"NG", "ZA", "KE", "EU", "US", "GH", "RW"}
	for _, cat := range Categories {
		for _, from := range js {
			for _, to := range js {
				if from == to {
					continue
				}
				line(fmt.Sprintf("transfer %s %s->%s (no basis)", cat, from, to), Transfer(TransferRequest{Category: cat, From: from, To: to}))
				for _, basis := range Bases {
					line(fmt.Sprintf("transfer %s %s->%s on %s", cat, from, to, basis), Transfer(TransferRequest{Category: cat, From: from, To: to, Bases: []Basis{basis}}))
				}
			}
		}
	}
	b.WriteString("\n## Failover\n")
	for _, c := range cells {
		line("failover "+c.Name, FailoverTargets(c.Name))
		line("failover "+c.Name+" (all bases)", FailoverTargets(c.Name, Bases...))
	}
	path := filepath.Join("testdata", "decisions.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("decision table changed (-golden +now); review, then rerun with -update:\n%s", diff)
	}
}
