// Package tenant holds the business (tenant) domain of a cell: its profile,
// its team members and their roles, and invitations. Types here are plain
// data with Validate methods; storage lives in package postgres.
package tenant

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/geo"
	"github.com/pushnchat/pushnchat/internal/tenantkey"
)

// Role is a member's role inside a tenant.
type Role string

// Roles, strongest first.
const (
	Owner  Role = "owner"
	Admin  Role = "admin"
	Member Role = "member"
	Viewer Role = "viewer"
)

// Roles lists every role, strongest first.
var Roles = []Role{Owner, Admin, Member, Viewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Rank orders roles: owner 4 … viewer 1, unknown 0.
func (r Role) Rank() int {
	if i := slices.Index(Roles, r); i >= 0 {
		return len(Roles) - i
	}
	return 0
}

// Categories a business (and a listing) may belong to.
var Categories = []string{
	"agriculture", "beauty", "construction", "crafts", "electronics", "fabrics",
	"fashion", "food", "furniture", "health", "logistics", "machinery",
	"services", "textiles", "vehicles",
}

// IsCategory reports whether c is a known category.
func IsCategory(c string) bool { return slices.Contains(Categories, c) }

// Contact is the business's contact person.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// Tenant is a business homed in this cell.
type Tenant struct {
	ID         string   `json:"id"`
	Slug       string   `json:"slug"`
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Categories []string `json:"categories"`
	Contact    Contact  `json:"contact"`
	// Tier is the subscription tier (crosscell.Tiers); it decides where
	// the business may find partners.
	Tier      string    `json:"tier"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var phoneRE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Validate checks a tenant before it is created or updated.
func (t *Tenant) Validate() error {
	var f errs.Fields
	if !tenantkey.ValidSlug(t.Slug) {
		f.Add("slug", tenantkey.SlugRule)
	}
	validateName(&f, t.Name)
	if !geo.IsCountry(t.Country) {
		f.Add("country", "must be an ISO 3166-1 alpha-2 code such as NG or KE")
	}
	validateCategories(&f, t.Categories)
	validateContact(&f, t.Contact)
	return f.Err()
}

func validateName(f *errs.Fields, name string) {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 2 || n > 120 {
		f.Add("name", "must be 2-120 characters")
	}
}

func validateCategories(f *errs.Fields, cats []string) {
	if len(cats) > 5 {
		f.Add("categories", "at most 5 categories")
	}
	seen := map[string]bool{}
	for _, c := range cats {
		if !IsCategory(c) {
			f.Add("categories", "unknown category %q", c)
		} else if seen[c] {
			f.Add("categories", "category %q appears twice", c)
		}
		seen[c] = true
	}
}

func validateContact(f *errs.Fields, c Contact) {
	if n := utf8.RuneCountInString(strings.TrimSpace(c.Name)); n < 2 || n > 120 {
		f.Add("contact.name", "must be 2-120 characters")
	}
	if !ValidEmail(c.Email) {
		f.Add("contact.email", "must be an email address")
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		f.Add("contact.phone", "must be in E.164 form, e.g. +2348012345678")
	}
}

// ValidEmail reports whether s is a plain email address (no display name).
func ValidEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// ProfileUpdate changes a tenant's profile; nil fields stay as they are.
type ProfileUpdate struct {
	Name       *string   `json:"name"`
	Categories *[]string `json:"categories"`
	Contact    *Contact  `json:"contact"`
	// Tier is the owner's to change (authz.TenantBilling).
	Tier *string `json:"tier"`
}

// Apply validates u and applies it to t.
func (u ProfileUpdate) Apply(t *Tenant) error {
	var f errs.Fields
	if u.Name != nil {
		validateName(&f, *u.Name)
		t.Name = strings.TrimSpace(*u.Name)
	}
	if u.Categories != nil {
		validateCategories(&f, *u.Categories)
		t.Categories = *u.Categories
	}
	if u.Contact != nil {
		validateContact(&f, *u.Contact)
		t.Contact = *u.Contact
	}
	if u.Tier != nil {
		if !slices.Contains(crosscell.Tiers, crosscell.Tier(*u.Tier)) {
			f.Add("tier", "must be one of intra_africa, africa_us, us_africa")
		}
		t.Tier = *u.Tier
	}
	return f.Err()
}

// Membership is a user's place in a tenant.
type Membership struct {
	TenantID    string    `json:"tenant_id"`
	TenantSlug  string    `json:"tenant_slug"`
	UserID      string    `json:"user_id"`
	Email       string    `json:"email,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	Role        Role      `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
}

// InvitationStatus is where an invitation stands.
type InvitationStatus string

// Invitation statuses.
const (
	Pending  InvitationStatus = "pending"
	Accepted InvitationStatus = "accepted"
	Revoked  InvitationStatus = "revoked"
)

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// Invitation asks someone, by email, to join a tenant with a role.
type Invitation struct {
	ID        string           `json:"id"`
	TenantID  string           `json:"tenant_id"`
	Email     string           `json:"email"`
	Role      Role             `json:"role"`
	Status    InvitationStatus `json:"status"`
	InvitedBy string           `json:"invited_by"`
	ExpiresAt time.Time        `json:"expires_at"`
	CreatedAt time.Time        `json:"created_at"`
	// Token is the secret the invitee presents; returned once, on creation
	// (in production it travels by email). Only its hash is stored.
	Token string `json:"token,omitempty"`
}

// Validate checks an invitation before it is created. Nobody is invited as
// owner: ownership is transferred by changing a member's role.
func (i *Invitation) Validate() error {
	var f errs.Fields
	if !ValidEmail(i.Email) {
		f.Add("email", "must be an email address")
	}
	if !i.Role.Valid() {
		f.Add("role", "must be one of admin, member, viewer")
	} else if i.Role == Owner {
		f.Add("role", "nobody is invited as owner; change a member's role instead")
	}
	return f.Err()
}
