package lookup

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestCacheKeepsNewestVersionAndForgetsMisses(t *testing.T) {
	c := NewCache(1000)
	c.Put("t:ada", Entry{Cell: "lagos-1", Country: "NG", Status: "active", Version: 3})
	c.Put("t:ada", Entry{Cell: "eu-1", Country: "NG", Status: "active", Version: 2}) // stale
	if e, ok, _ := c.Get("t:ada"); !ok || e.Cell != "lagos-1" || e.Version != 3 {
		t.Errorf("Get = %+v, %v; want version 3 in lagos-1", e, ok)
	}
	now := time.Unix(1_700_000_000, 0)
	c.now = func() time.Time { return now }
	c.PutMissing("t:ghost", 50*time.Millisecond)
	if _, ok, neg := c.Get("t:ghost"); ok || !neg {
		t.Errorf("a fresh miss = found %v, negative %v; want negative", ok, neg)
	}
	now = now.Add(60 * time.Millisecond)
	if _, _, neg := c.Get("t:ghost"); neg {
		t.Errorf("a miss outlived its TTL")
	}
	c.PutMissing("t:new", time.Minute)
	c.Put("t:new", Entry{Cell: "us-1", Version: 1}) // the tenant appears: the miss is forgotten
	if e, ok, _ := c.Get("t:new"); !ok || e.Cell != "us-1" {
		t.Errorf("entry after a miss = %+v, %v", e, ok)
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := NewCache(10_000)
	for i := range 50_000 {
		c.Put(fmt.Sprintf("t:%d", i), Entry{Cell: "lagos-1", Version: 1})
	}
	if n := c.Len(); n > 10_000+shards {
		t.Errorf("cache holds %d entries; bound is about 10000", n)
	}
}

// BenchmarkLookupCached is the router's hot path: a cached tenant.
func BenchmarkLookupCached(b *testing.B) {
	c := NewCache(2_000_000)
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("t:business-%d", i)
		c.Put(keys[i], Entry{Cell: "lagos-1", Country: "NG", Status: "active", Version: 1})
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, ok, _ := c.Get(keys[i%len(keys)]); !ok {
				b.Fatal("miss")
			}
			i++
		}
	})
}

// BenchmarkCacheMemory1M reports the heap held by one million cached
// tenants (slug keys like a real directory's).
func BenchmarkCacheMemory1M(b *testing.B) {
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := NewCache(2_000_000)
		cells := []string{"lagos-1", "johannesburg-1", "nairobi-1", "us-1", "eu-1"}
		for i := range 1_000_000 {
			c.Put(fmt.Sprintf("t:business-%07d", i), Entry{Cell: cells[i%5], Country: "NG", Status: "active", Version: int64(i)})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB/1M")
		runtime.KeepAlive(c)
	}
}
