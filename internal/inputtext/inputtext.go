// Package inputtext is the one rule for the text PushNchat accepts from
// clients: valid UTF-8 without the NUL character, in paths, query
// parameters, JSON bodies and realtime frames alike. PostgreSQL stores
// neither NUL nor invalid UTF-8 in text and JSONB, so input that slipped
// past would fail deep inside a write as a server error; checked at the
// edge it is a 400 problem naming the field.
package inputtext

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Valid reports whether s is acceptable text.
func Valid(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

const detail = "must be UTF-8 text without the NUL character"

// CheckRequest checks a request's path and query parameters.
func CheckRequest(r *http.Request) error {
	var f errs.Fields
	if !Valid(r.URL.Path) {
		f.Add("path", detail)
	}
	for name, values := range r.URL.Query() {
		if !Valid(name) {
			f.Add("query", "parameter names "+detail)
			continue
		}
		for _, v := range values {
			if !Valid(v) {
				f.Add(name, detail)
				break
			}
		}
	}
	return f.Err()
}

// CheckJSON checks that a JSON document is UTF-8 (RFC 8259 §8.1; raw
// parts such as json.RawMessage keep their bytes as sent) and that no key
// or string holds NUL, naming the first field holding one
// ("attributes.size", "members[2]"). A document that is not well-formed
// JSON passes: the strict decoder reports that.
func CheckJSON(doc []byte) error {
	if !utf8.Valid(doc) {
		return errs.InvalidFields([]errs.FieldError{{Field: "body", Detail: "must be UTF-8"}})
	}
	if !bytes.Contains(doc, []byte(`\u0000`)) {
		return nil // the common case: one scan, no parsing
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type level struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []level
	path := func(last string) string {
		var b strings.Builder
		for i, l := range stack {
			name := l.key
			if !l.object {
				name = "[" + strconv.Itoa(l.index) + "]"
			}
			if i == len(stack)-1 && last != "" {
				name = last
			}
			if b.Len() > 0 && l.object {
				b.WriteByte('.')
			}
			b.WriteString(name)
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].expectKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, level{object: true, expectKey: true})
			case '[':
				stack = append(stack, level{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				if strings.IndexByte(t, 0) >= 0 {
					return errs.InvalidFields([]errs.FieldError{{Field: path(strconv.Quote(t)), Detail: "field names " + detail}})
				}
				stack[n-1].key, stack[n-1].expectKey = t, false
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				field := path("")
				if field == "" {
					field = "body"
				}
				return errs.InvalidFields([]errs.FieldError{{Field: field, Detail: detail}})
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
