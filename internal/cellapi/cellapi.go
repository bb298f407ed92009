// Package cellapi is the contract of a cell's internal API, which only the
// control plane calls (with the service token, package servicetoken): the
// control plane writes these types and the cell reads them.
package cellapi

// Contact is how a business is reached.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// Owner is the person who signed a business up.
type Owner struct {
	FirebaseUID string `json:"firebase_uid"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
}

// PutTenant is the body of PUT /internal/v1/tenants/{id}: a business the
// control plane placed in the cell, created with its owner (idempotent by
// id).
type PutTenant struct {
	Slug       string   `json:"slug"`
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Categories []string `json:"categories"`
	Contact    Contact  `json:"contact"`
	Owner      Owner    `json:"owner"`
}
