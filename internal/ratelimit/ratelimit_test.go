package ratelimit_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushnchat/pushnchat/internal/ratelimit"
	"github.com/pushnchat/pushnchat/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// newLimiter is a limiter on a Redis database of the test's own.
func newLimiter(t *testing.T) *ratelimit.Limiter {
	r := testenv.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DB: r.DB})
	t.Cleanup(func() { rdb.Close() })
	return ratelimit.New(rdb, r.Prefix)
}

func TestBurstThenRefusalWithRetryAfter(t *testing.T) {
	l := newLimiter(t)
	ctx := context.Background()
	rate := ratelimit.Rate{Per: 1, Every: time.Minute, Burst: 3}

	for i := range 3 {
		ok, _, err := l.Allow(ctx, "ip:1", rate)
		if err != nil || !ok {
			t.Fatalf("request %d = %v, %v; want allowed within the burst", i+1, ok, err)
		}
	}
	ok, retry, err := l.Allow(ctx, "ip:1", rate)
	if err != nil || ok {
		t.Fatalf("request 4 = %v, %v; want refused", ok, err)
	}
	if retry <= 0 || retry > time.Minute {
		t.Errorf("retry after %s; want within (0, 1m]", retry)
	}
	if ok, _, _ := l.Allow(ctx, "ip:2", rate); !ok {
		t.Errorf("another key was refused; budgets must be per key")
	}
}

func TestSustainedRateRefills(t *testing.T) {
	l := newLimiter(t)
	ctx := context.Background()
	rate := ratelimit.Rate{Per: 20, Every: time.Second, Burst: 1} // one every 50 ms
	if ok, _, _ := l.Allow(ctx, "u", rate); !ok {
		t.Fatal("first request refused")
	}
	ok, retry, _ := l.Allow(ctx, "u", rate)
	if ok {
		t.Fatal("second immediate request allowed; want refused with burst 1")
	}
	time.Sleep(retry + 10*time.Millisecond) // waiting exactly what we were told must suffice
	if ok, _, err := l.Allow(ctx, "u", rate); !ok || err != nil {
		t.Errorf("after waiting Retry-After (%s): %v, %v; want allowed", retry, ok, err)
	}
}
