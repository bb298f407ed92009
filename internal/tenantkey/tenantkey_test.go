package tenantkey

import (
	"testing"

	"github.com/pushnchat/pushnchat/internal/errs"
)

func TestSlugsAreNeverIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"ada-fabrics", true},
		{"abc", true},
		{"ab", false},
		{"-ada", false},
		{"Ada", false},
		// A business's id, in the spellings a slug could take, is never
		// a slug: it would route someone else's requests.
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", false},
		{"0193a6e07c1e7b5e9f0a2b3c4d5e6f70", false},
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f7a1", true}, // 37 characters: not a UUID
	} {
		if got := ValidSlug(tc.in); got != tc.want {
			t.Errorf("ValidSlug(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Key
	}{
		{"ada-fabrics", Key{Slug: "ada-fabrics"}},
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", Key{ID: "0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70"}},
	} {
		got, err := Parse("tenant", tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", "0193A6E0-7C1E-7B5E-9F0A-2B3C4D5E6F70",
		"0193a6e07c1e7b5e9f0a2b3c4d5e6f70", "ada\x00fabrics", "ada fabrics", "%00"} {
		_, err := Parse("tenant", in)
		var e *errs.Error
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("Parse(%q) = %v; want Invalid", in, err)
		} else if e, _ = err.(*errs.Error); len(e.Fields) != 1 || e.Fields[0].Field != "tenant" {
			t.Errorf("Parse(%q) fields = %+v; want one naming tenant", in, e.Fields)
		}
	}
}
