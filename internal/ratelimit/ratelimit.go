// Package ratelimit limits request rates with GCRA (the generic cell rate
// algorithm) kept in Redis, so every replica of a service shares the same
// budget per key. One key costs one small string in Redis and one round
// trip per check.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rate allows Per/Every sustained, with bursts of up to Burst requests.
type Rate struct {
	Per   int
	Every time.Duration
	Burst int
}

// gcra keeps, per key, the theoretical arrival time (TAT) of the next
// request in milliseconds on Redis's own clock.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1)
return {1, 0}
`)

// Limiter checks rates against one Redis.
type Limiter struct {
	rdb    redis.Scripter
	prefix string
}

// New returns a limiter whose keys start with prefix.
func New(rdb redis.Scripter, prefix string) *Limiter { return &Limiter{rdb: rdb, prefix: prefix} }

// Allow spends one request of key's budget. When the budget is exhausted it
// returns false and how long until the next request would pass.
func (l *Limiter) Allow(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	if r.Per <= 0 || r.Every <= 0 {
		return true, 0, nil
	}
	emission := float64(r.Every.Milliseconds()) / float64(r.Per)
	tolerance := emission * float64(max(r.Burst, 1))
	res, err := gcra.Run(ctx, l.rdb, []string{l.prefix + key}, emission, tolerance).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("ratelimit: %w", err)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Millisecond, nil
}
