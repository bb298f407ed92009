package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/ids"
)

// Head is a conversation and its newest seq.
type Head struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	LastSeq  int64  `json:"last_seq"`
}

// UserConversations lists the heads of up to limit conversations the user
// belongs to in tenants (those whose conversations the user may read),
// newest first.
func (db *DB) UserConversations(ctx context.Context, userID string, tenants []string, limit int) ([]Head, error) {
	rows, err := db.pool.Query(ctx, `SELECT c.id, c.tenant_id, c.last_seq FROM conversation_member m
		JOIN conversation c ON c.id = m.conversation_id AND c.tenant_id = ANY($3::uuid[])
		WHERE m.user_id = $1 ORDER BY c.created_at DESC, c.id LIMIT $2`, userID, limit, tenants)
	if err != nil {
		return nil, fmt.Errorf("postgres: user conversations: %w", err)
	}
	return collectHeads(rows)
}

// Heads returns the newest seq of each conversation among ids that exists.
func (db *DB) Heads(ctx context.Context, ids []string) (map[string]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, tenant_id, last_seq FROM conversation WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: heads: %w", err)
	}
	hs, err := collectHeads(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(hs))
	for _, h := range hs {
		out[h.ID] = h.LastSeq
	}
	return out, nil
}

// MemberHead returns the head of conversation id if user belongs to it.
func (db *DB) MemberHead(ctx context.Context, id, userID string) (Head, bool, error) {
	if !ids.Valid(id) {
		return Head{}, false, nil
	}
	var h Head
	err := db.pool.QueryRow(ctx, `SELECT c.id, c.tenant_id, c.last_seq FROM conversation c
		JOIN conversation_member m ON m.conversation_id = c.id AND m.user_id = $2 WHERE c.id = $1`, id, userID).
		Scan(&h.ID, &h.TenantID, &h.LastSeq)
	if err == pgx.ErrNoRows {
		return Head{}, false, nil
	}
	return h, err == nil, err
}

func collectHeads(rows pgx.Rows) ([]Head, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Head, error) {
		var h Head
		err := r.Scan(&h.ID, &h.TenantID, &h.LastSeq)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: heads: %w", err)
	}
	return out, nil
}

// ConversationMembers lists the user ids of a conversation.
func (db *DB) ConversationMembers(ctx context.Context, conversationID string) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT user_id::text FROM conversation_member WHERE conversation_id = $1`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("postgres: members: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: members: %w", err)
	}
	return ids, nil
}

// MarkRead moves the user's read position in a conversation forward to
// seq (never back, never past the newest message) and returns it. In a
// partner conversation, reading past the partner's messages then tells
// the partner's cell (an outbox event); other conversations pay one
// statement, as before.
func (db *DB) MarkRead(ctx context.Context, conversationID, userID string, seq int64) (int64, error) {
	var read int64
	var partner bool
	err := db.pool.QueryRow(ctx, `UPDATE conversation_member m SET last_read_seq = greatest(m.last_read_seq, least($3, c.last_seq))
		FROM conversation c WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2
		RETURNING m.last_read_seq, c.kind = 'partner'`, conversationID, userID, seq).Scan(&read, &partner)
	if err != nil {
		return 0, notFound(err, "no such conversation")
	}
	if partner {
		err = db.tx(ctx, func(tx pgx.Tx) error { return tellRead(ctx, tx, conversationID, userID, read) })
	}
	return read, err
}

// Report is an abuse report on one message.
type Report struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	ReporterID     string `json:"reporter_id"`
	Reason         string `json:"reason"`
	Note           string `json:"note,omitempty"`
}

// ReportMessage files r; a second report of the same message by the same
// user returns the first (created=false).
func (db *DB) ReportMessage(ctx context.Context, r Report) (_ Report, created bool, _ error) {
	r.ID = newID()
	tag, err := db.pool.Exec(ctx, `INSERT INTO message_report (id, conversation_id, seq, reporter_id, reason, note)
		SELECT $1, conversation_id, seq, $4, $5, $6 FROM message WHERE conversation_id = $2 AND seq = $3
		ON CONFLICT (conversation_id, seq, reporter_id) DO NOTHING`, r.ID, r.ConversationID, r.Seq, r.ReporterID, r.Reason, r.Note)
	if err != nil {
		return Report{}, false, fmt.Errorf("postgres: report: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return r, true, nil
	}
	err = db.pool.QueryRow(ctx, `SELECT id, reason, note FROM message_report WHERE conversation_id = $1 AND seq = $2 AND reporter_id = $3`,
		r.ConversationID, r.Seq, r.ReporterID).Scan(&r.ID, &r.Reason, &r.Note)
	if err != nil {
		return Report{}, false, notFound(err, "no such message")
	}
	return r, false, nil
}
