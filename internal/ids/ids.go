// Package ids is the one rule for the identifiers PushNchat hands out and
// accepts: UUIDs in their canonical text form, 36 characters of lower-case
// hex and hyphens. PostgreSQL, the uuid package and the directory each
// accept other spellings (upper case, braces, "urn:uuid:", no hyphens);
// taking only one spelling at every edge means one thing has one name, so
// a key can never reach one service as an id and another as something
// else.
package ids

import "github.com/google/uuid"

// Valid reports whether s is a UUID in canonical form.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// ValidV7 reports whether s is a canonical UUID of version 7, the kind
// clients generate for their messages.
func ValidV7(s string) bool { return Valid(s) && s[14] == '7' }

// New returns a new UUIDv7 in canonical form.
func New() string { return uuid.Must(uuid.NewV7()).String() }

// LooksLikeUUID reports whether s is a UUID in any spelling some parser
// would accept. Names that must never be mistaken for ids (slugs) are
// checked against it.
func LooksLikeUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
