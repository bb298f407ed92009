package requestid

import "testing"

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0193a6e0-7c1e-7b5e-9f0a-2b3c4d5e6f70", true},
		{"4bf92f3577b34da6a3ce929d0e0e4736", true},
		{"a1b2c3d4e5f6.1z", true},
		{"short", false},
		{"<script>alert(1)</script>", false},
		{`"quoted"-1234`, false},
		{"has space 1234", false},
		{"tab\there12345", false},
		{string(make([]byte, 65)), false},
	} {
		if got := Valid(tc.in); got != tc.want {
			t.Errorf("Valid(%q) = %v; want %v", tc.in, got, tc.want)
		}
	}
}
