// Package account holds a cell's users: one per Firebase uid.
package account

import "time"

// User is a person with an account in this cell, keyed by Firebase uid.
type User struct {
	ID          string    `json:"id"`
	FirebaseUID string    `json:"firebase_uid"`
	Email       string    `json:"email,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}
