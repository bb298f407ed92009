package realtime

import "slices"

// echoLimit bounds the seqs per conversation awaiting their echo from
// Redis; past it (Redis lost publishes) the oldest is forgotten, and its
// echo, should it come, is delivered again and dropped by each session.
const echoLimit = 64

// echoes are the seqs, per conversation, that this replica delivered to
// its own followers as they committed and whose copy from Redis has not
// come back yet: that copy is not delivered again. Guarded by the hub's mu.
type echoes map[string][]int64

// expect notes that seq of conv will come back from Redis.
func (e echoes) expect(conv string, seq int64) {
	l := e[conv]
	if len(l) >= echoLimit {
		l = l[1:]
	}
	e[conv] = append(l, seq)
}

// heard reports whether seq of conv was expected, forgetting it.
func (e echoes) heard(conv string, seq int64) bool {
	l := e[conv]
	i := slices.Index(l, seq)
	if i < 0 {
		return false
	}
	if len(l) == 1 {
		delete(e, conv)
	} else {
		e[conv] = slices.Delete(l, i, i+1)
	}
	return true
}
