package realtime

import (
	"context"
	"maps"
	"slices"
	"time"
)

// sweep compares, every Sweep, the head of each followed conversation in
// PostgreSQL with the highest seq heard of here. A head that stays above
// for two sweeps in a row (or any after a Redis reconnect) is delivered
// from PostgreSQL: a publish was lost. Every heartbeat it also closes
// silent sessions and forgets stale member lists.
func (h *Hub) sweep() {
	t := time.NewTicker(h.cfg.Sweep)
	defer t.Stop()
	housekeeping := time.NewTicker(h.cfg.Heartbeat)
	defer housekeeping.Stop()
	for {
		force := false
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		case <-h.kick:
			force = true
		case <-housekeeping.C:
			h.closeSilent()
			h.expireMembers()
			continue
		}
		h.mu.Lock()
		ids := make([]string, 0, len(h.convs))
		for c := range h.convs {
			ids = append(ids, c)
		}
		h.mu.Unlock()
		h.checkAccessVersions()
		for start := 0; start < len(ids); start += 5000 {
			batch := ids[start:min(start+5000, len(ids))]
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			heads, err := h.cfg.DB.Heads(ctx, batch)
			cancel()
			if err != nil {
				if h.ctx.Err() == nil {
					h.log.Warn("realtime: sweep", "err", err)
				}
				break
			}
			h.catchUp(heads, force)
		}
	}
}

// sweepNow makes the sweep run at once and act on every missing message
// (after a Redis reconnect, when publishes may have been missed).
func (h *Hub) sweepNow() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

func (h *Hub) catchUp(heads map[string]int64, force bool) {
	type job struct {
		ss   []*session
		conv string
		head int64
	}
	var jobs []job
	h.mu.Lock()
	for conv, head := range heads {
		if head <= h.seen[conv] {
			delete(h.suspect, conv)
			continue
		}
		if prev, ok := h.suspect[conv]; !force && (!ok || prev < head) {
			h.suspect[conv] = head // note it; act if it is still missing next time
			continue
		}
		delete(h.suspect, conv)
		h.seen[conv] = head
		jobs = append(jobs, job{conv: conv, head: head, ss: slices.Collect(maps.Keys(h.convs[conv]))})
	}
	h.mu.Unlock()
	for _, j := range jobs {
		for _, s := range j.ss {
			s.enqueue(event{kind: evCatchUp, conv: j.conv, seq: j.head})
		}
	}
}

// closeSilent closes sessions that sent nothing for twice the heartbeat.
func (h *Hub) closeSilent() {
	limit := time.Now().Add(-(2*h.cfg.Heartbeat + 5*time.Second)).UnixNano()
	h.mu.Lock()
	var silent []*session
	for s := range h.sessions {
		if s.lastRead.Load() < limit {
			silent = append(silent, s)
		}
	}
	h.mu.Unlock()
	for _, s := range silent {
		s.closeWith(CloseHeartbeat, "no heartbeat")
	}
}
