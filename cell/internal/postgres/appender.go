package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
)

// appender commits concurrent sends together: while one batch is in the
// database the next one gathers, so a lone message goes at once and a busy
// cell pays one round trip and one commit for many. Attachments, retries
// and anything unusual take the one-by-one path.
type appender struct {
	db      *DB
	pool    *pgxpool.Pool // its own, with generic plans (see Open)
	mu      sync.Mutex
	pending []*appendReq
	running bool
	// The appending rate, measured over windows of at least 100 ms; only
	// the running batch loop touches these.
	winAt time.Time
	winN  int
	rate  float64
}

type appendReq struct {
	ctx       context.Context
	m         messaging.Message
	committed func(messaging.Message)
	done      chan appendRes
}

type appendRes struct {
	m       messaging.Message
	created bool
	err     error
}

const maxBatch = 256

// batchLockSpace is the first key of the group commit's advisory locks
// (the second is a hash of the conversation id).
const batchLockSpace = "1886282595" // "pncc"

// A batch of busyFrom or more messages, while this replica appends
// busyRate or more messages a second, means sends arrive faster than they
// commit; batches then start at most one per cadence, so each gathers
// more. A commit that took the whole cadence (a loaded database) adds no
// wait: the next batch, already gathered, goes at once. Below the rate a
// chance bunch of sends adds no wait either.
const (
	busyFrom = 4
	busyRate = 1000
	cadence  = 5 * time.Millisecond
)

func (a *appender) append(ctx context.Context, m messaging.Message, committed func(messaging.Message)) (messaging.Message, bool, error) {
	req := &appendReq{ctx: ctx, m: m, committed: committed, done: make(chan appendRes, 1)}
	a.mu.Lock()
	a.pending = append(a.pending, req)
	if !a.running {
		a.running = true
		go a.run()
	}
	a.mu.Unlock()
	select {
	case r := <-req.done:
		return r.m, r.created, r.err
	case <-ctx.Done():
		// The batch may still commit it: the client's retry with the same
		// id learns its seq.
		return messaging.Message{}, false, ctx.Err()
	}
}

func (a *appender) run() {
	last, started := 0, time.Time{}
	for {
		if wait := cadence - time.Since(started); last >= busyFrom && a.rate >= busyRate && wait > 0 {
			// Busy: let the batch fill a little; each batch costs the
			// database a round of locking, updating and committing.
			a.mu.Lock()
			n := len(a.pending)
			a.mu.Unlock()
			if n < maxBatch/4 {
				time.Sleep(wait)
			}
		}
		a.mu.Lock()
		batch := a.pending[:min(len(a.pending), maxBatch)]
		a.pending = a.pending[len(batch):]
		if len(batch) == 0 {
			a.running = false
			a.pending = nil
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		last, started = len(batch), time.Now()
		a.winN += len(batch)
		if el := started.Sub(a.winAt); el >= 100*time.Millisecond {
			a.rate = float64(a.winN) / el.Seconds()
			a.winAt, a.winN = started, 0
		}
		a.commit(batch)
	}
}

// batchLocks takes the batch locks: a transaction-scoped advisory lock
// per conversation (a hash of its id, in a key space of their own), taken
// in key order, so two batches never deadlock. Every replica of a cell
// runs a group commit, and when the cell is busy their batches hold the
// same conversations. Without these locks a batch that started while
// another held its rows waited on the rows and then rechecked each one the
// other had changed (EvalPlanQual); with two replicas that doubled
// PostgreSQL's cost per message. Waiting in a statement of its own, the
// second statement starts after the other batch committed and sees its
// rows as they are.
const batchLocks = `SELECT count(pg_advisory_xact_lock(` + batchLockSpace + `, k))
	FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS keys`

// batchInsert bumps each conversation's last_seq by its number of
// messages and inserts the messages with their seqs in arrival order.
// The update's row locks need no order of their own: a batch takes
// them holding its batch locks, and the one-by-one path locks a single
// conversation, so no wait can close a cycle. Under read committed the
// update sees the newest committed last_seq, also of a row the
// one-by-one path changed while this batch waited for it. Ids travel
// as text: PostgreSQL parses them for less than pgx's binary encoding
// of uuid[] costs the cell. The pool's settings (see Open) make the
// plan look each conversation up by its primary key.
const batchInsert = `WITH input AS (
		SELECT * FROM unnest($1::text[]::uuid[], $2::text[]::uuid[], $3::text[]::uuid[], $4::text[]) WITH ORDINALITY AS t(conversation_id, id, sender_id, body, ord)
	), counts AS (
		SELECT conversation_id, count(*) AS n FROM input GROUP BY conversation_id
	), bumped AS (
		UPDATE conversation c SET last_seq = c.last_seq + counts.n FROM counts
		WHERE c.id = counts.conversation_id
		RETURNING c.id, c.last_seq, counts.n
	)
	INSERT INTO message (conversation_id, seq, id, sender_id, body)
	SELECT i.conversation_id, b.last_seq - b.n + row_number() OVER (PARTITION BY i.conversation_id ORDER BY i.ord), i.id, i.sender_id, i.body
	FROM input i JOIN bumped b ON b.id = i.conversation_id
	RETURNING ` + messageCols

// nextSeq assigns a conversation's next seq; its row lock is the
// per-conversation lock, so seqs are gap-free and grow in commit order.
// batchInsert assigns a batch's seqs the same way, n at a time.
const nextSeq = `UPDATE conversation SET last_seq = last_seq + 1 WHERE id = $1::text::uuid RETURNING last_seq`

// singleInsert is batchInsert for a batch of one message, the common case
// while the cell is quiet: a plain update and insert cost PostgreSQL about
// two thirds of the general statement and its batch lock.
const singleInsert = `WITH bumped AS (` + nextSeq + `)
	INSERT INTO message (conversation_id, seq, id, sender_id, body)
	SELECT $1::text::uuid, last_seq, $2::text::uuid, $3::text::uuid, $4 FROM bumped
	RETURNING ` + messageCols

// commit stores batch in one implicit transaction of two statements, sent
// together: the first waits for the conversations' batch locks; the second
// bumps each conversation's last_seq by its number of messages and inserts
// the messages with their seqs in arrival order. A batch of one
// conversation needs no batch lock — its update is its only row lock, so
// it closes no cycle, and a wait rechecks one row — and a single message
// takes singleInsert. If any message fails (a retried id, a vanished
// conversation), the transaction rolls back whole and each message takes
// the one-by-one path, which knows the answer for every case.
func (a *appender) commit(batch []*appendReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() == nil {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	convs := make([]string, len(live))
	ids := make([]string, len(live))
	senders := make([]string, len(live))
	bodies := make([]string, len(live))
	for i, r := range live {
		convs[i], ids[i], senders[i], bodies[i] = r.m.ConversationID, r.m.ID, r.m.SenderID, r.m.Body
	}
	// The batch outlives any one sender's context, never the cell's patience.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := map[string]messaging.Message{}
	var ms []messaging.Message
	b := &pgx.Batch{}
	locked := slices.ContainsFunc(convs, func(c string) bool { return c != convs[0] })
	switch {
	case len(live) == 1:
		b.Queue(singleInsert, convs[0], ids[0], senders[0], bodies[0])
	case locked:
		b.Queue(batchLocks, convs)
		fallthrough
	default:
		b.Queue(batchInsert, convs, ids, senders, bodies)
	}
	br := a.pool.SendBatch(ctx, b)
	var err error
	if locked {
		_, err = br.Exec()
	}
	if err == nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			ms, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (messaging.Message, error) { return scanMessage(r) })
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	for _, m := range ms {
		out[m.ConversationID+"/"+m.ID] = m
	}
	var pgErr *pgconn.PgError
	if err == nil && len(out) == len(live) {
		stored := make([]messaging.Message, len(live)) // arrival order: seq order within a conversation
		for i, r := range live {
			stored[i] = out[r.m.ConversationID+"/"+r.m.ID]
		}
		for i, r := range live { // every follower hears the batch before any sender wakes
			if r.committed != nil {
				r.committed(stored[i])
			}
		}
		for i, r := range live {
			r.done <- appendRes{m: stored[i], created: true}
		}
		return
	}
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "23505") {
		// Not a retried id: the database is in trouble; say so to all.
		for _, r := range live {
			r.done <- appendRes{err: fmt.Errorf("postgres: append: %w", err)}
		}
		return
	}
	// A retried id, or a conversation gone: one by one.
	for _, r := range live {
		m, created, err := a.db.appendOne(r.ctx, r.m, r.committed)
		r.done <- appendRes{m, created, err}
	}
}
