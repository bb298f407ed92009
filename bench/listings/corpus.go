package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
)

// corpus is a market's text as people write it: a vocabulary of thousands
// of words used with Zipf frequencies, so a few words are in a large share
// of listings and most are rare, and searches drawn the same way — common
// and rare words, one or several, typos, phrases, filters. A few dozen
// real trade words head the vocabulary; the rest are made of syllables.
type corpus struct {
	words []string // by frequency rank: words[0] is the commonest
	rng   *rand.Rand
	zipf  *rand.Zipf
}

var tradeWords = []string{"fabric", "wax", "print", "ankara", "cotton", "lace", "shoes", "bag", "phone", "oil", "rice",
	"beans", "palm", "shea", "butter", "leather", "sandals", "beads", "adire", "indigo", "kente", "aso", "oke", "basket",
	"bucket", "calabash", "cocoa", "cashew", "yam", "pepper", "tomato", "solar", "lantern", "generator", "charger",
	"tailor", "silk", "gele", "agbada", "kaftan", "soap", "cream", "wig", "hair", "chair", "table", "bed", "mattress",
	"cement", "block", "roofing", "sheet", "tyre", "engine", "spare", "part", "delivery", "truck", "tractor", "seed",
	"fertiliser", "maize", "groundnut", "sesame", "ginger", "honey", "fish", "smoked", "dried", "fresh", "wholesale",
	"retail", "bulk", "new", "used", "quality", "original", "handmade", "local", "imported", "red", "blue", "green",
	"black", "white", "gold", "small", "large", "men", "women", "children", "school", "wedding", "party"}

var syllables = []string{"ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "fa", "fe", "fi", "fo", "ga", "ge",
	"gi", "go", "gu", "ka", "ke", "ki", "ko", "ku", "la", "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na",
	"ne", "ni", "no", "nu", "pa", "pe", "pi", "po", "ra", "re", "ri", "ro", "ru", "sa", "se", "si", "so", "su", "ta",
	"te", "ti", "to", "tu", "wa", "we", "wi", "ya", "yo", "za", "zi", "mba", "nde", "ngo", "kwa", "shi", "cha", "tse"}

var marketCategories = []string{"fabrics", "fashion", "food", "agriculture", "crafts", "beauty", "electronics", "furniture",
	"textiles", "services", "construction", "vehicles", "machinery", "health", "logistics"}

// newCorpus makes a vocabulary of size words; seed fixes every draw.
func newCorpus(seed uint64, size int) *corpus {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := slices.Clone(tradeWords)
	seen := map[string]bool{}
	for _, w := range words {
		seen[w] = true
	}
	for len(words) < size {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	c := &corpus{words: words}
	c.reseed(seed)
	return c
}

// reseed starts a new, independent stream of draws over the same words.
// s = 1.1 is close to word frequencies in natural text; v = 10 flattens
// the head, so the commonest word is in about a tenth of titles (and a
// third of listings, descriptions included) rather than half.
func (c *corpus) reseed(seed uint64) {
	c.rng = rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	c.zipf = rand.NewZipf(c.rng, 1.1, 10, uint64(len(c.words)-1))
}

func (c *corpus) word() string { return c.words[c.zipf.Uint64()] }

func (c *corpus) text(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = c.word()
	}
	return strings.Join(ws, " ")
}

func (c *corpus) title() string       { return c.text(3 + c.rng.IntN(4)) }
func (c *corpus) description() string { return c.text(10 + c.rng.IntN(20)) }

// category is skewed too: fabrics and fashion far more than logistics.
func (c *corpus) category() string {
	i := min(len(marketCategories)-1, int(c.rng.ExpFloat64()*3))
	return marketCategories[i]
}

// typo is a word a buyer misspelled: a letter dropped or changed, in a
// word of middling frequency (the common ones people spell right).
func (c *corpus) typo() string {
	var w string
	for len(w) < 5 {
		w = c.words[20+c.rng.IntN(2000)]
	}
	i := 1 + c.rng.IntN(len(w)-2)
	if c.rng.IntN(2) == 0 {
		return w[:i] + w[i+1:]
	}
	return w[:i] + string(rune('a'+c.rng.IntN(26))) + w[i+1:]
}

// query is one search's URL query: what its words are, and its filters.
// kind names its shape for the report.
func (c *corpus) query() (q url.Values, kind string) {
	q = url.Values{}
	r := c.rng.Float64()
	switch {
	case r < 0.40:
		q.Set("q", c.word())
		kind = "one word"
	case r < 0.62:
		q.Set("q", c.text(2))
		kind = "two words"
	case r < 0.72:
		q.Set("q", c.text(3))
		kind = "three words"
	case r < 0.82:
		q.Set("q", c.typo())
		kind = "typo"
	case r < 0.88:
		q.Set("q", fmt.Sprintf("%q", c.text(2)))
		kind = "phrase"
	case r < 0.94:
		q.Set("q", c.word()+" -"+c.word())
		kind = "exclusion"
	default:
		kind = "browse"
	}
	if kind == "browse" || c.rng.IntN(4) == 0 {
		q.Set("category", c.category())
	}
	if c.rng.IntN(8) == 0 {
		lo := int64(c.rng.IntN(500_000))
		q.Set("currency", "NGN")
		q.Set("min_price", fmt.Sprint(lo))
		q.Set("max_price", fmt.Sprint(lo+int64(50_000+c.rng.IntN(400_000))))
	}
	return q, kind
}

// searchSet is one phase's searches, drawn before it starts so drawing
// costs nothing while it is measured.
type searchSet struct {
	queries []string // URL query strings
	kinds   []string
}

func newSearchSet(c *corpus, n int) *searchSet {
	s := &searchSet{queries: make([]string, n), kinds: make([]string, n)}
	for i := range n {
		q, kind := c.query()
		s.queries[i], s.kinds[i] = q.Encode(), kind
	}
	return s
}

// repeatShare is the share of searches identical to an earlier one.
func (s *searchSet) repeatShare() float64 {
	seen := map[string]bool{}
	repeats := 0
	for _, q := range s.queries {
		if seen[q] {
			repeats++
		}
		seen[q] = true
	}
	return float64(repeats) / float64(max(1, len(s.queries)))
}

// byKind splits a phase's latencies by the shape of their search.
func (s *searchSet) byKind(lat []sample) map[string][]float64 {
	out := map[string][]float64{}
	for _, l := range lat {
		out[s.kinds[l.i]] = append(out[s.kinds[l.i]], l.ms)
	}
	return out
}
