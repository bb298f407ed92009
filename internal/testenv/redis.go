package testenv

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/internal/devstack"
)

// redisDatabases is how many logical databases the test server has; each
// running test holds one.
const redisDatabases = 1024

// RedisDB is a test's share of the binary's Redis server: a logical
// database of its own, empty at the start. Pub/Sub channels are global to a
// server, so a test names its channels with Prefix.
type RedisDB struct {
	Addr   string // host:port
	DB     int    // logical database
	URL    string // redis://host:port/db
	Prefix string // unique per test, for channel and key names
}

type redisEnv struct {
	server *devstack.Redis
	mu     sync.Mutex
	free   []int
	seq    int
}

// Redis returns an empty logical database of the binary's Redis server for
// t; it is flushed and handed back when t ends.
func Redis(t testing.TB) RedisDB {
	t.Helper()
	re := shared.redisServer(t)
	re.mu.Lock()
	if len(re.free) == 0 {
		re.mu.Unlock()
		t.Fatalf("testenv: all %d Redis databases are in use", redisDatabases-1)
	}
	db := re.free[len(re.free)-1]
	re.free = re.free[:len(re.free)-1]
	re.seq++
	prefix := fmt.Sprintf("t%d:", re.seq)
	re.mu.Unlock()

	flush := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := redis.NewClient(&redis.Options{Addr: re.server.Addr(), DB: db})
		defer c.Close()
		return c.FlushDB(ctx).Err()
	}
	if err := flush(); err != nil {
		t.Fatalf("testenv: flush Redis database %d: %v", db, err)
	}
	t.Cleanup(func() {
		if err := flush(); err != nil {
			t.Errorf("testenv: flush Redis database %d: %v", db, err)
			return // not reused
		}
		re.mu.Lock()
		re.free = append(re.free, db)
		re.mu.Unlock()
	})
	return RedisDB{Addr: re.server.Addr(), DB: db, URL: re.server.URL(db), Prefix: prefix}
}

// redisServer starts the binary's Redis server on first use. A test that
// stops or restarts Redis starts its own with devstack.StartRedis instead.
func (e *env) redisServer(t testing.TB) *redisEnv {
	t.Helper()
	e.start(t, "redis", func() bool { return e.redis != nil }, func(ctx context.Context) error {
		srv, err := devstack.StartRedis(ctx, devstack.RedisConfig{
			Path:      e.tools.Redis,
			Dir:       e.dir("redis"),
			Databases: redisDatabases,
		})
		if err != nil {
			return err
		}
		e.stops = append(e.stops, srv.Stop)
		re := &redisEnv{server: srv}
		for db := redisDatabases - 1; db >= 1; db-- { // database 0 stays unused
			re.free = append(re.free, db)
		}
		e.redis = re
		return nil
	})
	return e.redis
}
