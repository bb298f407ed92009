// Package tenantkey is the one rule for how a business is named in URLs
// and in the directory: by its id, a canonical UUID (package ids), or by
// its slug. The two never overlap — a slug may not be a UUID in any
// spelling — so no key can mean one business to one service and another
// business to the next. The control plane, the cells and the router all
// read keys through Parse.
package tenantkey

import (
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

// SlugRule says what a slug is, for error messages.
const SlugRule = "must be 3-40 characters of a-z, 0-9 and inner hyphens, and not a UUID"

// ValidSlug reports whether s may name a business: 3-40 characters of
// a-z, 0-9 and inner hyphens that are not a UUID in any spelling. (A
// loop, not a regular expression: the router asks on every request.)
func ValidSlug(s string) bool {
	if len(s) < 3 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return (len(s) != 32 && len(s) != 36) || !ids.LooksLikeUUID(s)
}

// Key is a parsed business key: exactly one of ID and Slug is set.
type Key struct {
	ID   string
	Slug string
}

// Parse reads a business key. Anything that is neither a canonical id nor
// a valid slug is Invalid, naming field.
func Parse(field, s string) (Key, error) {
	switch {
	case ids.Valid(s):
		return Key{ID: s}, nil
	case ValidSlug(s):
		return Key{Slug: s}, nil
	}
	return Key{}, errs.InvalidFields([]errs.FieldError{{Field: field,
		Detail: "must be a business id (a lower-case UUID) or slug (3-40 characters of a-z, 0-9 and inner hyphens)"}})
}
