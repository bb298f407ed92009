// Package listing holds the marketplace domain of a cell: listings, their
// life cycle (draft → published ⇄ draft → archived), prices in integer minor
// units, photos and their variants, and the search query language.
package listing

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/geo"
)

// Status is where a listing stands in its life cycle.
type Status string

// Statuses.
const (
	Draft     Status = "draft"
	Published Status = "published"
	Archived  Status = "archived"
)

// Price is an amount in the currency's minor unit (kobo, cents) and an ISO
// 4217 code. Integer minor units: no floating point near money.
type Price struct {
	Minor    int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

// MaxPriceMinor bounds prices (10^15 minor units).
const MaxPriceMinor = 1_000_000_000_000_000

// Location is where the goods are.
type Location struct {
	City   string   `json:"city"`
	Region string   `json:"region,omitempty"`
	Lat    *float64 `json:"lat,omitempty"`
	Lng    *float64 `json:"lng,omitempty"`
}

// Listing is a product or service offered by a tenant.
type Listing struct {
	ID          string          `json:"id"`
	TenantID    string          `json:"tenant_id"`
	TenantSlug  string          `json:"tenant_slug,omitempty"`
	Country     string          `json:"country"`
	Status      Status          `json:"status"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Price       Price           `json:"price"`
	Category    string          `json:"category"`
	Attributes  json.RawMessage `json:"attributes"`
	Location    *Location       `json:"location,omitempty"`
	Photos      []Photo         `json:"photos"`
	Version     int64           `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	PublishedAt *time.Time      `json:"published_at,omitempty"`
	// Rank is how well a market search's words match it (PostgreSQL's
	// ts_rank, the same formula in every cell, so ranks from several
	// markets merge); absent outside a search with words.
	Rank *float32 `json:"rank,omitempty"`
}

// Limits on listing content.
const (
	MaxAttributes     = 32
	MaxAttributeBytes = 8 << 10
	MaxPhotos         = 12
)

// Validate checks a listing's content.
func (l *Listing) Validate() error {
	var f errs.Fields
	if n := utf8.RuneCountInString(strings.TrimSpace(l.Title)); n < 3 || n > 120 {
		f.Add("title", "must be 3-120 characters")
	}
	if utf8.RuneCountInString(l.Description) > 5000 {
		f.Add("description", "must be at most 5000 characters")
	}
	if l.Price.Minor < 0 || l.Price.Minor > MaxPriceMinor {
		f.Add("price.amount_minor", "must be between 0 and %d", int64(MaxPriceMinor))
	}
	if !geo.IsCurrency(l.Price.Currency) {
		f.Add("price.currency", "must be an ISO 4217 code such as NGN, KES or USD")
	}
	if !tenant.IsCategory(l.Category) {
		f.Add("category", "must be one of %s", strings.Join(tenant.Categories, ", "))
	}
	validateAttributes(&f, l.Attributes)
	if l.Location != nil {
		validateLocation(&f, *l.Location)
	}
	return f.Err()
}

// validateAttributes accepts a flat JSON object of at most MaxAttributes
// keys whose values are strings, numbers or booleans.
func validateAttributes(f *errs.Fields, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	if len(raw) > MaxAttributeBytes {
		f.Add("attributes", "must be at most %d bytes", MaxAttributeBytes)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		f.Add("attributes", "must be a JSON object")
		return
	}
	if len(m) > MaxAttributes {
		f.Add("attributes", "at most %d attributes", MaxAttributes)
	}
	for k, v := range m {
		if n := utf8.RuneCountInString(k); n == 0 || n > 40 {
			f.Add("attributes", "attribute names must be 1-40 characters")
			continue
		}
		switch v := v.(type) {
		case string:
			if utf8.RuneCountInString(v) > 200 {
				f.Add("attributes."+k, "must be at most 200 characters")
			}
		case float64, bool:
		default:
			f.Add("attributes."+k, "must be a string, number or boolean")
		}
	}
}

func validateLocation(f *errs.Fields, loc Location) {
	if n := utf8.RuneCountInString(strings.TrimSpace(loc.City)); n < 1 || n > 80 {
		f.Add("location.city", "must be 1-80 characters")
	}
	if utf8.RuneCountInString(loc.Region) > 80 {
		f.Add("location.region", "must be at most 80 characters")
	}
	if (loc.Lat == nil) != (loc.Lng == nil) {
		f.Add("location", "lat and lng go together")
	}
	if loc.Lat != nil && (math.IsNaN(*loc.Lat) || *loc.Lat < -90 || *loc.Lat > 90) {
		f.Add("location.lat", "must be between -90 and 90")
	}
	if loc.Lng != nil && (math.IsNaN(*loc.Lng) || *loc.Lng < -180 || *loc.Lng > 180) {
		f.Add("location.lng", "must be between -180 and 180")
	}
}

// Update changes a listing's content; nil fields stay as they are.
type Update struct {
	Title       *string          `json:"title"`
	Description *string          `json:"description"`
	Price       *Price           `json:"price"`
	Category    *string          `json:"category"`
	Attributes  *json.RawMessage `json:"attributes"`
	Location    *Location        `json:"location"`
}

// Apply applies u to l and validates the result.
func (u Update) Apply(l *Listing) error {
	if u.Title != nil {
		l.Title = strings.TrimSpace(*u.Title)
	}
	if u.Description != nil {
		l.Description = *u.Description
	}
	if u.Price != nil {
		l.Price = *u.Price
	}
	if u.Category != nil {
		l.Category = *u.Category
	}
	if u.Attributes != nil {
		l.Attributes = *u.Attributes
	}
	if u.Location != nil {
		l.Location = u.Location
	}
	return l.Validate()
}

// Transition returns the status after action, or a Conflict error when the
// listing's status does not allow it.
func Transition(from Status, action string) (Status, error) {
	switch {
	case action == "publish" && from == Draft:
		return Published, nil
	case action == "unpublish" && from == Published:
		return Draft, nil
	case action == "archive" && from != Archived:
		return Archived, nil
	}
	return "", errs.E(errs.Conflict, "cannot %s a %s listing", action, from)
}

// ETag is the entity tag of version v of a listing.
func ETag(v int64) string { return fmt.Sprintf(`"v%d"`, v) }

// ParseETag reads an If-Match value produced by ETag. If-Match compares
// strongly (RFC 9110 §13.1.1), so a weak tag (W/"v3") never matches.
func ParseETag(s string) (int64, bool) {
	var v int64
	s = strings.TrimSpace(s)
	if _, err := fmt.Sscanf(s, `"v%d"`, &v); err != nil || ETag(v) != s {
		return 0, false
	}
	return v, true
}
