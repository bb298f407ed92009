package listing

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Query is a parsed market search: words match as prefixes ("shoe" finds
// "shoes"), "quoted phrases" match in order, -words exclude.
type Query struct {
	Terms    []string
	Phrases  [][]string
	Excluded []string
	// Spellings are the market's words a term is corrected to, matched
	// (whole) as well as the term itself (a prefix).
	Spellings map[string][]string
}

// Query limits.
const (
	MaxQueryBytes = 200
	MaxQueryWords = 12
	maxWordRunes  = 40
)

// ParseQuery parses the q parameter of a market search. Words are split on
// anything that is not a letter or digit and lower-cased; punctuation,
// operators and SQL never reach the database as syntax.
func ParseQuery(s string) (Query, error) {
	var q Query
	if len(s) > MaxQueryBytes {
		return q, errs.InvalidFields([]errs.FieldError{{Field: "q", Detail: "must be at most 200 bytes"}})
	}
	if !utf8.ValidString(s) {
		return q, errs.InvalidFields([]errs.FieldError{{Field: "q", Detail: "must be valid UTF-8"}})
	}
	words := 0
	rest := s
	for rest != "" {
		rest = strings.TrimLeftFunc(rest, func(r rune) bool { return !isWord(r) && r != '"' && r != '-' })
		if rest == "" {
			break
		}
		switch {
		case rest[0] == '"':
			end := strings.IndexByte(rest[1:], '"')
			var body string
			if end < 0 {
				body, rest = rest[1:], ""
			} else {
				body, rest = rest[1:1+end], rest[2+end:]
			}
			ws := splitWords(body)
			switch len(ws) {
			case 0:
			case 1:
				q.Terms = append(q.Terms, ws[0])
			default:
				q.Phrases = append(q.Phrases, ws)
			}
			words += len(ws)
		case rest[0] == '-':
			w, after := cutWord(rest[1:])
			rest = after
			if w != "" {
				q.Excluded = append(q.Excluded, w)
				words++
			}
		default:
			w, after := cutWord(rest)
			rest = after
			if w != "" {
				q.Terms = append(q.Terms, w)
				words++
			}
		}
	}
	if words > MaxQueryWords {
		return Query{}, errs.InvalidFields([]errs.FieldError{{Field: "q", Detail: "must have at most 12 words"}})
	}
	return q, nil
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// cutWord takes the leading word of s (letters and digits) and returns it
// lower-cased, cut to maxWordRunes, with the rest of s.
func cutWord(s string) (string, string) {
	end := strings.IndexFunc(s, func(r rune) bool { return !isWord(r) })
	if end < 0 {
		end = len(s)
	}
	return normalize(s[:end]), s[end:]
}

func splitWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !isWord(r) }) {
		out = append(out, normalize(w))
	}
	return out
}

func normalize(w string) string {
	w = strings.ToLower(w)
	if utf8.RuneCountInString(w) > maxWordRunes {
		w = string([]rune(w)[:maxWordRunes])
	}
	return w
}

// Empty reports whether the query matches on nothing (only exclusions or
// no words at all).
func (q Query) Empty() bool { return len(q.Terms) == 0 && len(q.Phrases) == 0 }

// TSQuery renders what must match for PostgreSQL's to_tsquery('simple', …):
// every lexeme quoted, terms as prefixes, phrases with <->, joined by &.
// Empty for an empty query.
func (q Query) TSQuery() string {
	if q.Empty() {
		return ""
	}
	var parts []string
	for _, t := range q.Terms {
		alts := []string{lexeme(t) + ":*"}
		for _, w := range q.Spellings[t] {
			alts = append(alts, lexeme(w)) // a whole word of the market
		}
		if len(alts) == 1 {
			parts = append(parts, alts[0])
		} else {
			parts = append(parts, "("+strings.Join(alts, " | ")+")")
		}
	}
	for _, p := range q.Phrases {
		ls := make([]string, len(p))
		for i, w := range p {
			ls[i] = lexeme(w)
		}
		parts = append(parts, "("+strings.Join(ls, " <-> ")+")")
	}
	return strings.Join(parts, " & ")
}

// ExcludedTSQuery renders the excluded words joined by |, for a NOT
// filter; empty when nothing is excluded.
func (q Query) ExcludedTSQuery() string {
	parts := make([]string, len(q.Excluded))
	for i, e := range q.Excluded {
		parts[i] = lexeme(e)
	}
	return strings.Join(parts, " | ")
}

// lexeme quotes a word for tsquery. Words hold only letters and digits, so
// there is nothing to escape; the quotes keep them from being read as
// operators.
func lexeme(w string) string { return "'" + w + "'" }
