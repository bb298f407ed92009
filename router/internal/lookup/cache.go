// Package lookup resolves partition keys to home cells for the router: a
// bounded in-memory cache of directory entries (with negative entries),
// one upstream lookup per key at a time, kept fresh by the control plane's
// change feed, and still answering from memory when the control plane is
// down.
package lookup

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Entry is where a key lives.
type Entry struct {
	Cell    string // a tenant's home; a person's first cell ("" when they have none)
	Cells   string // people only: every cell of theirs, comma-separated, Cell first
	Country string // tenants only
	Status  string
	Version int64
}

// HasCell reports whether cell is one of a person's cells.
func (e Entry) HasCell(cell string) bool {
	for rest := e.Cells; rest != ""; {
		var c string
		c, rest, _ = strings.Cut(rest, ",")
		if c == cell {
			return true
		}
	}
	return false
}

// slot is an entry as stored: names as indexes into the interned strings,
// so a million entries stay small.
type slot struct {
	version       int64
	negativeUntil int64 // unix nanos; non-zero for "no such key" entries
	cell, country uint16
	status, cells uint16 // a person's cells, as one interned list (few combinations exist)
}

const shards = 256

// Cache is a bounded, sharded map from key to entry. When a shard is full
// an arbitrary entry of it makes room (Go's map order is random, so this
// is random eviction: no bookkeeping on the read path).
type Cache struct {
	seed     maphash.Seed
	perShard int
	shard    [shards]struct {
		mu sync.RWMutex
		m  map[string]slot
	}
	names   atomic.Pointer[[]string] // interned cell names, countries, statuses; replaced, never changed
	now     func() time.Time         // the clock of negative entries (tests set it)
	namesMu sync.Mutex               // guards index and replacing names
	index   map[string]uint16        // name → position in names
}

// NewCache holds at most max entries.
func NewCache(max int) *Cache {
	c := &Cache{seed: maphash.MakeSeed(), perShard: max/shards + 1, index: map[string]uint16{"": 0}, now: time.Now}
	c.names.Store(&[]string{""})
	for i := range c.shard {
		c.shard[i].m = make(map[string]slot)
	}
	return c
}

func (c *Cache) of(key string) int { return int(maphash.String(c.seed, key) % shards) }

// Get returns the entry of key; negative reports a fresh "no such key".
func (c *Cache) Get(key string) (e Entry, found, negative bool) {
	sh := &c.shard[c.of(key)]
	sh.mu.RLock()
	s, ok := sh.m[key]
	sh.mu.RUnlock()
	if !ok {
		return Entry{}, false, false
	}
	if s.negativeUntil != 0 {
		return Entry{}, false, c.now().UnixNano() < s.negativeUntil
	}
	names := *c.names.Load()
	return Entry{Cell: names[s.cell], Cells: names[s.cells], Country: names[s.country], Status: names[s.status], Version: s.version}, true, false
}

// intern returns the index of name; the set of names (cells, lists of
// cells, countries, statuses) is small.
func (c *Cache) intern(name string) uint16 {
	c.namesMu.Lock()
	defer c.namesMu.Unlock()
	if i, ok := c.index[name]; ok {
		return i
	}
	old := *c.names.Load()
	names := append(append(make([]string, 0, len(old)+1), old...), name)
	i := uint16(len(old))
	c.index[name] = i
	c.names.Store(&names)
	return i
}

// Put stores e under key unless a newer version is already there.
func (c *Cache) Put(key string, e Entry) {
	c.put(key, slot{cell: c.intern(e.Cell), cells: c.intern(e.Cells), country: c.intern(e.Country), status: c.intern(e.Status), version: e.Version})
}

// PutMissing remembers for ttl that key does not exist.
func (c *Cache) PutMissing(key string, ttl time.Duration) {
	c.put(key, slot{negativeUntil: c.now().Add(ttl).UnixNano()})
}

func (c *Cache) put(key string, s slot) {
	sh := &c.shard[c.of(key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[key]; ok && old.negativeUntil == 0 && s.negativeUntil == 0 && old.version > s.version {
		return
	}
	if _, ok := sh.m[key]; !ok && len(sh.m) >= c.perShard {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[key] = s
}

// Len counts the entries.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shard {
		c.shard[i].mu.RLock()
		n += len(c.shard[i].m)
		c.shard[i].mu.RUnlock()
	}
	return n
}
