package crosscell

import (
	"slices"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/residency"
)

func TestEntitled(t *testing.T) {
	for _, c := range []struct {
		tier             Tier
		country, partner string
		want             bool
	}{
		{IntraAfrica, "NG", "KE", true},
		{IntraAfrica, "GH", "ZA", true},
		{IntraAfrica, "NG", "US", false},
		{IntraAfrica, "KE", "DE", false},
		{AfricaUS, "NG", "US", true},
		{USAfrica, "US", "NG", true},
		{USAfrica, "US", "KE", true},
		{AfricaUS, "NG", "KE", true},
		{"gold", "NG", "KE", false},
	} {
		if got := Entitled(c.tier, c.country, c.partner); got != c.want {
			t.Errorf("Entitled(%s, %s → %s) = %v; want %v", c.tier, c.country, c.partner, got, c.want)
		}
	}
	if DefaultTier("NG") != IntraAfrica || DefaultTier("US") != USAfrica || DefaultTier("DE") != USAfrica {
		t.Error("default tiers")
	}
}

func message(bases ...residency.Basis) Event {
	return Event{ID: "e", Kind: PartnershipEnded, Tier: string(IntraAfrica),
		Carries: []Item{{Category: residency.Partnership, Bases: []residency.Basis{residency.Contract}},
			{Category: residency.MessageContent, Bases: bases}}}
}

// Each category is asked of the law of the sender's country and of the
// sender's cell; one refusal stops the event and names its rule.
func TestDecide(t *testing.T) {
	ngToUS := Route{FromCountry: "NG", FromCell: "lagos-1", ToCountry: "US", ToCell: "us-1"}
	v := Decide(message(), ngToUS)
	if v.Refusal == nil || v.Refusal.Category != residency.MessageContent || !slices.Contains(v.Refusal.Rules, "ng.transfer.s41-43") ||
		!strings.Contains(v.Refusal.Explanation, "consent") || len(v.Items) != 2 || !v.Items[0].Allowed || v.Items[1].Allowed {
		t.Errorf("message content NG → US without consent: %+v", v)
	}
	v = Decide(message(residency.Consent), ngToUS)
	if v.Refusal != nil || len(v.Items) != 2 || !slices.Equal(v.Items[1].Bases, []residency.Basis{residency.Consent}) {
		t.Errorf("with consent: %+v", v)
	}
	// A Ghanaian business in lagos-1: Ghana's rule and Nigeria's both.
	v = Decide(message(residency.Consent), Route{FromCountry: "GH", FromCell: "lagos-1", ToCountry: "US", ToCell: "us-1"})
	if v.Refusal != nil || !slices.Equal(v.Items[1].From, []string{"GH", "NG"}) ||
		!slices.Contains(v.Items[1].Rules, "africa.transfer.consent-or-safeguards") || !slices.Contains(v.Items[1].Rules, "ng.transfer.s41-43") {
		t.Errorf("GH in lagos-1 → US: %+v", v.Items)
	}
	// The US places no restriction; inside one cell nothing is transferred.
	if v := Decide(message(), Route{FromCountry: "US", FromCell: "us-1", ToCountry: "NG", ToCell: "lagos-1"}); v.Refusal != nil {
		t.Errorf("US → NG: %+v", v.Refusal)
	}
	if v := Decide(message(), Route{FromCountry: "NG", FromCell: "lagos-1", ToCountry: "GH", ToCell: "lagos-1"}); v.Refusal != nil || len(v.Items) != 0 {
		t.Errorf("inside lagos-1: %+v", v)
	}
	// A proposal needs the tier; leaving a partnership never does.
	proposal := Event{ID: "p", Kind: PartnershipProposed, Tier: string(IntraAfrica)}
	if v := Decide(proposal, ngToUS); v.Refusal == nil || v.Refusal.Type != "entitlement_required" {
		t.Errorf("proposal NG → US on the Intra-African tier: %+v", v)
	}
	if v := Decide(Event{ID: "w", Kind: PartnershipWithdrawn, Tier: string(IntraAfrica)}, ngToUS); v.Refusal != nil {
		t.Errorf("withdrawal NG → US on the Intra-African tier: %+v", v.Refusal)
	}
	if HomeCell("GH") != "lagos-1" || HomeCell("DE") != "eu-1" || HomeCell("XX") != "" {
		t.Error("home cells")
	}
}
