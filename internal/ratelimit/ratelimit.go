// Package ratelimit limits request rates with GCRA (the generic cell rate
// algorithm) kept in Redis, through go-redis/redis_rate, so every replica
// of a service shares the same budget per key. One key costs one small
// value in Redis and one round trip per check.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Rate allows Per/Every sustained, with bursts of up to Burst requests.
type Rate struct {
	Per   int
	Every time.Duration
	Burst int
}

// Limiter checks rates against one Redis.
type Limiter struct {
	limiter *redis_rate.Limiter
	prefix  string
}

// New returns a limiter whose keys start with prefix.
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	return &Limiter{limiter: redis_rate.NewLimiter(rdb), prefix: prefix}
}

// Allow spends one request of key's budget. When the budget is exhausted it
// returns false and how long until the next request would pass. A rate of
// zero allows everything.
func (l *Limiter) Allow(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	if r.Per <= 0 || r.Every <= 0 {
		return true, 0, nil
	}
	res, err := l.limiter.Allow(ctx, l.prefix+key, redis_rate.Limit{Rate: r.Per, Period: r.Every, Burst: max(r.Burst, 1)})
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: %w", err)
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, res.RetryAfter, nil
}
