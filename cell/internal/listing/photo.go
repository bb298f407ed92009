package listing

import "time"

// Photo is an image of a listing, stored as resized variants.
type Photo struct {
	ID        string             `json:"id"`
	ListingID string             `json:"listing_id"`
	Position  int                `json:"position"`
	Width     int                `json:"width"`
	Height    int                `json:"height"`
	Variants  map[string]Variant `json:"variants"`
	CreatedAt time.Time          `json:"created_at"`
}

// Variant is one stored rendition of a photo.
type Variant struct {
	Key         string `json:"-"` // blob key
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type"`
	URL         string `json:"url,omitempty"`
}
