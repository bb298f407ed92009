package realtime

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Presence says which users have a live session on any replica of the
// cell: a sorted set per user in Redis of session ids, scored by when each
// stops counting. It is a hint for pushes only.

// markPresent notes s as online; presenceLoop writes it to Redis with
// others, so the session's reader never waits on Redis for it.
func (h *Hub) markPresent(s *session) {
	select {
	case h.presence <- s:
	default: // presence is a hint for pushes; a full queue skips one renewal
	}
}

// markAbsent forgets s, which ended.
func (h *Hub) markAbsent(s *session) {
	h.cfg.Redis.ZRem(context.WithoutCancel(s.ctx), presenceKey(s.user), s.id)
}

// presenceLoop records sessions as online until three heartbeats from now,
// in one pipeline per batch; clients renew it with every ping.
func (h *Hub) presenceLoop() {
	for {
		batch, ok := gather(h.ctx, h.presence, 512)
		if !ok {
			return
		}
		now := time.Now()
		exp := float64(now.Add(3 * h.cfg.Heartbeat).Unix())
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		pipe := h.cfg.Redis.Pipeline()
		for _, s := range batch {
			key := presenceKey(s.user)
			pipe.ZAdd(ctx, key, redis.Z{Score: exp, Member: s.id})
			pipe.Expire(ctx, key, 4*h.cfg.Heartbeat)
			pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now.Unix(), 10))
		}
		if _, err := pipe.Exec(ctx); err != nil && h.ctx.Err() == nil {
			h.log.Debug("realtime: presence", "err", err)
		}
		cancel()
	}
}

// askOnline queues, on pipe, the question whether user has a live session
// anywhere at now; the answer is the command's value above zero.
func askOnline(ctx context.Context, pipe redis.Pipeliner, user string, now time.Time) *redis.IntCmd {
	return pipe.ZCount(ctx, presenceKey(user), strconv.FormatInt(now.Unix(), 10), "+inf")
}
