package listing

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in      string
		want    Query
		tsquery string
	}{
		{"", Query{}, ""},
		{"Ankara fabric", Query{Terms: []string{"ankara", "fabric"}}, "'ankara':* & 'fabric':*"},
		{`"wax print" -cotton`, Query{Phrases: [][]string{{"wax", "print"}}, Excluded: []string{"cotton"}}, "('wax' <-> 'print')"},
		{`shoes'; DROP TABLE listing; --`, Query{Terms: []string{"shoes", "drop", "table", "listing"}}, "'shoes':* & 'drop':* & 'table':* & 'listing':*"},
		{`<script>alert(1)</script>`, Query{Terms: []string{"script", "alert", "1", "script"}}, "'script':* & 'alert':* & '1':* & 'script':*"},
		{`a:* | b & !c`, Query{Terms: []string{"a", "b", "c"}}, "'a':* & 'b':* & 'c':*"},
		{`"unterminated phrase`, Query{Phrases: [][]string{{"unterminated", "phrase"}}}, "('unterminated' <-> 'phrase')"},
		{`"single"`, Query{Terms: []string{"single"}}, "'single':*"},
		{`-only`, Query{Excluded: []string{"only"}}, ""},
		{`Café ÉTÉ`, Query{Terms: []string{"café", "été"}}, "'café':* & 'été':*"},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q) error: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseQuery(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
		if ts := got.TSQuery(); ts != tt.tsquery {
			t.Errorf("ParseQuery(%q).TSQuery() = %q; want %q", tt.in, ts, tt.tsquery)
		}
	}
}

func TestParseQueryRejects(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("a", MaxQueryBytes+1),
		"one two three four five six seven eight nine ten eleven twelve thirteen",
		"bad \xff utf8",
	} {
		if _, err := ParseQuery(in); err == nil {
			t.Errorf("ParseQuery(%.30q…) = nil error; want invalid", in)
		}
	}
}

// FuzzParseQuery: whatever comes in, the parser never panics, and what it
// hands to PostgreSQL is only quoted lexemes of letters and digits joined by
// the operators it chose.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "ankara fabric", `"wax print" -cotton`, `'; DROP TABLE x; --`, `a:* | !b <-> c`, "\x00\xff", `"""`, "-", "é\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			return
		}
		ts := q.TSQuery() + " & " + q.ExcludedTSQuery()
		// Strip the structure the renderer adds; only word characters remain.
		rest := ts
		for _, tok := range []string{":*", " <-> ", " & ", " | ", "(", ")", "'"} {
			rest = strings.ReplaceAll(rest, tok, "")
		}
		for _, r := range rest {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				t.Fatalf("ParseQuery(%q).TSQuery() = %q has %q outside a lexeme", s, ts, r)
			}
		}
		if q.Empty() != (q.TSQuery() == "") {
			t.Fatalf("ParseQuery(%q): Empty() = %v but TSQuery() = %q", s, q.Empty(), ts)
		}
		if n := len(q.Terms) + len(q.Excluded); n > MaxQueryWords {
			t.Fatalf("ParseQuery(%q) kept %d words; limit %d", s, n, MaxQueryWords)
		}
	})
}

func TestTSQuerySpellings(t *testing.T) {
	q, err := ParseQuery(`indgo "wax print" fabric`)
	if err != nil {
		t.Fatal(err)
	}
	q.Spellings = map[string][]string{"indgo": {"indigo", "indigos"}}
	want := `('indgo':* | 'indigo' | 'indigos') & 'fabric':* & ('wax' <-> 'print')`
	if got := q.TSQuery(); got != want {
		t.Errorf("TSQuery() = %q; want %q", got, want)
	}
}
