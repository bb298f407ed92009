package ids

import "testing"

func TestValidTakesOnlyTheCanonicalSpelling(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", true},
		{"0193A6E0-7C1E-7B5E-9F0A-2B3C4D5E6F70", false},
		{"urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", false},
		{"{0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70}", false},
		{"0193a6e07c1e7b5e9f0a2b3c4d5e6f70", false},
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f7\x00", false},
		{"0193a6e0+7c1e-7b5e-9f0a-2b3c4d5e6f70", false},
		{"", false},
	} {
		if got := Valid(tc.in); got != tc.want {
			t.Errorf("Valid(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}

func TestNewIsCanonicalV7(t *testing.T) {
	id := New()
	if !ValidV7(id) {
		t.Errorf("New() = %q; want a canonical UUIDv7", id)
	}
	if ValidV7("0193a6e0-7c1e-4b5e-9f0a-2b3c4d5e6f70") {
		t.Error("ValidV7 accepted a version 4 UUID")
	}
}

func TestLooksLikeUUIDInAnySpelling(t *testing.T) {
	for _, s := range []string{"0193a6e07c1e7b5e9f0a2b3c4d5e6f70", "0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70",
		"urn:uuid:0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", "{0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70}"} {
		if !LooksLikeUUID(s) {
			t.Errorf("LooksLikeUUID(%q) = false; want true", s)
		}
	}
	if LooksLikeUUID("ada-fabrics") {
		t.Error(`LooksLikeUUID("ada-fabrics") = true`)
	}
}
