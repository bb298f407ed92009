// Package membershipfeed is the contract of a cell's membership feed: every
// time someone joins or leaves a business in the cell, an entry records
// it, written in the transaction that made the change (a transactional
// outbox). The control plane follows each cell's feed to keep the
// directory's "person → cells" entries true, which is how the router finds
// every cell a person belongs to. Cells never call out; the control plane
// reads, with the service token, long-polling so a change reaches the
// directory within a second.
package membershipfeed

import "time"

// Path is the feed's endpoint on a cell: GET Path?after=<seq>&wait=<duration>.
const Path = "/internal/v1/membership-changes"

// MaxWait bounds how long a read waits for the first change.
const MaxWait = 30 * time.Second

// Change is one entry: the person (by Firebase uid) joined or left a
// business, and how many memberships they hold in the cell afterwards.
// Entries are applied in seq order; the last one about a person says
// whether the cell is one of theirs.
type Change struct {
	Seq         int64  `json:"seq"`
	UID         string `json:"uid"`
	TenantID    string `json:"tenant_id"`
	Joined      bool   `json:"joined"`
	Memberships int    `json:"memberships"`
}

// Page is one answer of the feed: the changes after the asked seq, in
// order, and the seq to ask after next.
type Page struct {
	Changes []Change `json:"changes"`
	LastSeq int64    `json:"last_seq"`
}
