package cpserver

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/pushnchat/pushnchat/internal/problem"
)

func business(slug, country string) map[string]any {
	return map[string]any{"slug": slug, "name": "Business " + slug, "country": country,
		"contact": map[string]string{"name": "Owner Person", "email": "owner@example.test"}}
}

// A business key is an id or a slug, never both: sign-up refuses a slug
// that is someone's id in any spelling (which would route their requests
// elsewhere), a taken slug is a conflict, and a key that is neither is a
// 400 problem, never a lookup.
func TestKeysAreOneThingOnly(t *testing.T) {
	p := startPlane(t, map[string]*fakeCell{"lagos-1": newFakeCell(t), "eu-1": newFakeCell(t)})
	owner, err := p.auth.Client.SignUp(context.Background(), "keys@cpserver.test", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	a := p.call(t, "POST", "/v1/signup", owner.IDToken, business("ada-fabrics", "NG"))
	if a.status != 201 {
		t.Fatalf("sign-up = %d %s", a.status, a.body)
	}
	var victim struct {
		TenantID string `json:"tenant_id"`
	}
	json.Unmarshal(a.body, &victim)
	attacker, err := p.auth.Client.SignUp(context.Background(), "attacker@cpserver.test", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, slug, typ string
		status          int
	}{
		{"another business's id as slug", victim.TenantID, "invalid", 400},
		{"another business's id without hyphens", strings.ReplaceAll(victim.TenantID, "-", ""), "invalid", 400},
		{"a taken slug", "ada-fabrics", "conflict", 409},
	} {
		a := p.call(t, "POST", "/v1/signup", attacker.IDToken, business(tc.slug, "DE"))
		var pr problem.Problem
		json.Unmarshal(a.body, &pr)
		if a.status != tc.status || pr.Type != problem.TypeBase+tc.typ || len(pr.Errors) == 0 || pr.Errors[0].Field != "slug" {
			t.Errorf("%s: %d %s; want %d %s naming slug", tc.name, a.status, a.body, tc.status, tc.typ)
		}
	}
	if a := p.call(t, "GET", "/v1/directory/tenants/"+victim.TenantID, "service", nil); a.status != 200 || !strings.Contains(string(a.body), `"home_cell":"lagos-1"`) {
		t.Errorf("the victim's entry = %d %s; want it unchanged in lagos-1", a.status, a.body)
	}
	for _, key := range []string{"urn:uuid:" + victim.TenantID, strings.ToUpper(victim.TenantID), "{" + victim.TenantID + "}", "ada\x00", "Ada-Fabrics"} {
		a := p.call(t, "GET", "/v1/directory/tenants/"+url.PathEscape(key), "service", nil)
		var pr problem.Problem
		json.Unmarshal(a.body, &pr)
		if a.status != 400 || pr.Type != problem.TypeBase+"invalid" {
			t.Errorf("lookup %q = %d %s; want 400 invalid", key, a.status, a.body)
		}
	}
	a = p.call(t, "POST", "/v1/signup", owner.IDToken, map[string]any{"slug": "nul-name", "name": "Ada\x00", "country": "NG",
		"contact": map[string]string{"name": "Owner Person", "email": "owner@example.test"}})
	if a.status != 400 || !strings.Contains(string(a.body), `"field":"name"`) {
		t.Errorf("sign-up with a NUL name = %d %s; want 400 naming name", a.status, a.body)
	}
}

// Whatever key or sign-up body arrives, the control plane answers below
// 500, and every cell stays healthy. (Every cell of the policy is there,
// so a placement never finds its cell missing.)
func FuzzControlPlaneAnswersEveryKeyAndBody(f *testing.F) {
	cells := map[string]*fakeCell{}
	for _, name := range []string{"lagos-1", "johannesburg-1", "nairobi-1", "us-1", "eu-1"} {
		cells[name] = newFakeCell(f)
	}
	p := startPlane(f, cells)
	owner, err := p.auth.Client.SignUp(context.Background(), "fuzz@cpserver.test", "a long password 1")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("ada-fabrics", []byte(`{"slug":"fuzz-co","name":"Fuzz Co","country":"NG","contact":{"name":"A B","email":"a@b.test"}}`))
	f.Add("urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", []byte(`{"slug":"0193a6e07c1e7b5e9f0a2b3c4d5e6f70","country":"NG"}`))
	f.Add("\x00", []byte(`{"slug":"x\u0000y","name":"\u0000","country":"\u0000","contact":{"\u0000":1}}`))
	f.Add("0193A6E0-7C1E-7B5E-9F0A-2B3C4D5E6F70", []byte(`{"slug":"abc","country":"ng","categories":[null],"contact":"x"}`))
	f.Add("\xff\xfe", []byte("\xff{\"slug\":1}"))
	f.Add("a/../../v1/cells", []byte(`[]`))
	f.Add(strings.Repeat("a", 5000), []byte(`{"slug":"rw-co","name":"Rw Co","country":"RW","contact":{"name":"A B","email":"a@b.test"}}`))
	f.Fuzz(func(t *testing.T, key string, body []byte) {
		if a := p.call(t, "GET", "/v1/directory/tenants/"+url.PathEscape(key), "service", nil); a.status >= 500 {
			t.Errorf("lookup %q = %d %s", key, a.status, a.body)
		}
		if a := p.call(t, "POST", "/v1/signup", owner.IDToken, body); a.status >= 500 {
			t.Errorf("sign-up %q = %d %s", body, a.status, a.body)
		}
		for name := range cells {
			if c, _ := p.cells.get(name); !c.Healthy {
				t.Errorf("%s is unhealthy after key %q and body %q", name, key, body)
			}
		}
	})
}
