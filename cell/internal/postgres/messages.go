package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

// CreateConversation stores a conversation and its members, who must all
// be members of its tenant.
func (db *DB) CreateConversation(ctx context.Context, c messaging.Conversation) (messaging.Conversation, error) {
	c.ID = newID()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO conversation (id, tenant_id, kind, title, created_by) VALUES ($1, $2, $3, $4, $5)
			RETURNING created_at`, c.ID, c.TenantID, c.Kind, c.Title, c.CreatedBy).Scan(&c.CreatedAt); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO conversation_member (conversation_id, user_id)
			SELECT $1, user_id FROM membership WHERE tenant_id = $3 AND user_id = ANY($2::uuid[])`, c.ID, c.Members, c.TenantID)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(c.Members) {
			return errs.InvalidFields([]errs.FieldError{{Field: "members", Detail: "every member must be a member of this business"}})
		}
		return nil
	})
	if err != nil {
		return messaging.Conversation{}, err
	}
	return c, nil
}

// Conversations lists the user's conversations in a tenant, newest first.
func (db *DB) Conversations(ctx context.Context, tenantID, userID string) ([]messaging.Conversation, error) {
	rows, err := db.pool.Query(ctx, `SELECT c.id, c.tenant_id, c.kind, c.title, c.last_seq, c.created_by, c.created_at,
			array(SELECT user_id::text FROM conversation_member WHERE conversation_id = c.id ORDER BY joined_at, user_id),
			coalesce(c.partnership_id::text, ''), coalesce(c.partner_tenant_id::text, ''), coalesce(c.partner_jurisdiction, ''),
			c.partner_delivered_seq, c.partner_read_seq
		FROM conversation c JOIN conversation_member m ON m.conversation_id = c.id AND m.user_id = $2
		WHERE c.tenant_id = $1 ORDER BY c.created_at DESC, c.id LIMIT 500`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: conversations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (messaging.Conversation, error) {
		var c messaging.Conversation
		err := r.Scan(&c.ID, &c.TenantID, &c.Kind, &c.Title, &c.LastSeq, &c.CreatedBy, &c.CreatedAt, &c.Members,
			&c.PartnershipID, &c.PartnerTenantID, &c.PartnerJurisdiction, &c.PartnerDeliveredSeq, &c.PartnerReadSeq)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: conversations: %w", err)
	}
	return append([]messaging.Conversation{}, out...), nil
}

// IsMember reports whether user belongs to conversation id of tenantID.
func (db *DB) IsMember(ctx context.Context, tenantID, id, userID string) (bool, error) {
	if !ids.Valid(id) {
		return false, nil
	}
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversation_member m JOIN conversation c ON c.id = m.conversation_id
		WHERE c.tenant_id = $1 AND m.conversation_id = $2 AND m.user_id = $3)`, tenantID, id, userID).Scan(&ok)
	return ok, err
}

// AppendMessage implements messaging.Store: it stores m as the
// conversation's next message, claiming the attachments it names
// (uploaded by its sender into the conversation and not yet claimed). The
// same id again returns the stored message and created=false: a client's
// retry never duplicates, and it learns the seq it was given. A group
// commit calls committed for its whole batch, in seq order, before it
// wakes any sender.
func (db *DB) AppendMessage(ctx context.Context, m messaging.Message, committed func(messaging.Message)) (_ messaging.Message, created bool, _ error) {
	if len(m.AttachmentIDs) == 0 {
		return db.appender.append(ctx, m, committed)
	}
	return db.appendOne(ctx, m, committed)
}

// appendOne is AppendMessage for one message in its own transaction.
func (db *DB) appendOne(ctx context.Context, m messaging.Message, committed func(messaging.Message)) (_ messaging.Message, created bool, _ error) {
	var out messaging.Message
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// The conversation row is the per-conversation lock: seqs are
		// assigned one at a time, gap-free, in commit order.
		var seq int64
		if err := tx.QueryRow(ctx, nextSeq, m.ConversationID).Scan(&seq); err != nil {
			return notFound(err, "no such conversation")
		}
		// Under the lock, a retry sees the first attempt's commit.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM message WHERE conversation_id = $1 AND id = $2)`,
			m.ConversationID, m.ID).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return errRetry
		}
		atts := []messaging.Attachment{}
		if len(m.AttachmentIDs) > 0 {
			rows, err := tx.Query(ctx, `UPDATE attachment SET message_seq = $4
				WHERE id = ANY($1::uuid[]) AND conversation_id = $2 AND uploader_id = $3 AND message_seq IS NULL
				RETURNING id, content_type, size, name`, m.AttachmentIDs, m.ConversationID, m.SenderID, seq)
			if err != nil {
				return err
			}
			byID, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (messaging.Attachment, error) {
				var a messaging.Attachment
				err := r.Scan(&a.ID, &a.ContentType, &a.Size, &a.Name)
				return a, err
			})
			if err != nil {
				return err
			}
			if len(byID) != len(m.AttachmentIDs) {
				return errs.InvalidFields([]errs.FieldError{{Field: "attachments",
					Detail: "each must be a file you uploaded to this conversation and not yet sent"}})
			}
			for _, id := range m.AttachmentIDs { // in the sender's order
				for _, a := range byID {
					if a.ID == id {
						atts = append(atts, a)
					}
				}
			}
		}
		var err error
		out, err = scanMessage(tx.QueryRow(ctx, `INSERT INTO message (conversation_id, seq, id, sender_id, body, attachments)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+messageCols, m.ConversationID, seq, m.ID, m.SenderID, m.Body, atts))
		return err
	})
	if errors.Is(err, errRetry) {
		// Already stored: the transaction that bumped last_seq rolled back.
		out, err = scanMessage(db.pool.QueryRow(ctx, `SELECT `+messageCols+` FROM message WHERE conversation_id = $1 AND id = $2`, m.ConversationID, m.ID))
		if err != nil {
			return messaging.Message{}, false, fmt.Errorf("postgres: message retry: %w", err)
		}
		if out.SenderID != m.SenderID || out.Body != m.Body || !sameAttachments(out.Attachments, m.AttachmentIDs) {
			return messaging.Message{}, false, &errs.Error{Kind: errs.Unprocessable, Code: "message_id_reused",
				Message: "this message id was used for a different message"}
		}
		return out, false, nil
	}
	if err != nil {
		return messaging.Message{}, false, err
	}
	if committed != nil {
		committed(out)
	}
	return out, true, nil
}

const messageCols = `conversation_id, seq, id, sender_id, body, attachments, created_at, coalesce(sender_tenant::text, '')`

func scanMessage(row pgx.Row) (messaging.Message, error) {
	var m messaging.Message
	err := row.Scan(&m.ConversationID, &m.Seq, &m.ID, &m.SenderID, &m.Body, &m.Attachments, &m.CreatedAt, &m.SenderTenant)
	if len(m.Attachments) == 0 {
		m.Attachments = nil
	}
	return m, err
}

func sameAttachments(stored []messaging.Attachment, ids []string) bool {
	if len(stored) != len(ids) {
		return false
	}
	for i, a := range stored {
		if a.ID != ids[i] {
			return false
		}
	}
	return true
}

// CreateAttachment records an uploaded file of a conversation.
func (db *DB) CreateAttachment(ctx context.Context, conversationID, uploaderID string, a messaging.Attachment) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO attachment (id, conversation_id, uploader_id, content_type, size, name) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ID, conversationID, uploaderID, a.ContentType, a.Size, a.Name)
	if err != nil {
		return fmt.Errorf("postgres: attachment: %w", err)
	}
	return nil
}

// Attachment returns a file of a conversation that a message has claimed,
// or that viewerID uploaded (so the uploader can preview it before sending).
func (db *DB) Attachment(ctx context.Context, conversationID, id, viewerID string) (messaging.Attachment, error) {
	var a messaging.Attachment
	if !ids.Valid(id) {
		return a, errs.E(errs.NotFound, "no such attachment")
	}
	err := db.pool.QueryRow(ctx, `SELECT id, content_type, size, name FROM attachment
		WHERE id = $1 AND conversation_id = $2 AND (message_seq IS NOT NULL OR uploader_id = $3)`, id, conversationID, viewerID).
		Scan(&a.ID, &a.ContentType, &a.Size, &a.Name)
	return a, notFound(err, "no such attachment")
}

// errRetry ends the transaction of a message already stored.
var errRetry = errors.New("postgres: message exists")

// Messages returns up to limit messages of a conversation with after < seq
// (ascending), or, when before > 0, with seq < before (the page just
// before it, ascending).
func (db *DB) Messages(ctx context.Context, conversationID string, after, before int64, limit int) ([]messaging.Message, error) {
	var rows pgx.Rows
	var err error
	if before > 0 {
		rows, err = db.pool.Query(ctx, `SELECT * FROM (SELECT `+messageCols+` FROM message
			WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) m ORDER BY seq`, conversationID, before, limit)
	} else {
		rows, err = db.pool.Query(ctx, `SELECT `+messageCols+` FROM message
			WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, conversationID, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	return collectMessages(rows)
}

// SyncMessages returns up to limit messages the user has not seen, from
// every conversation the user belongs to in one of tenants (those whose
// conversations the user may read): those with a seq above known[c] (zero
// when absent; known's keys are canonical ids), by conversation then seq.
// Per-conversation seqs are assigned under the conversation's row lock, so
// they grow in commit order and a cursor built from them never skips a
// message that commits late.
func (db *DB) SyncMessages(ctx context.Context, userID string, tenants []string, known map[string]int64, limit int) ([]messaging.Message, error) {
	convs := make([]string, 0, len(known))
	seqs := make([]int64, 0, len(known))
	for c, s := range known {
		convs, seqs = append(convs, c), append(seqs, s)
	}
	rows, err := db.pool.Query(ctx, `
		WITH k AS (SELECT * FROM unnest($2::uuid[], $3::bigint[]) AS k(conversation_id, seq))
		SELECT m.conversation_id, m.seq, m.id, m.sender_id, m.body, m.attachments, m.created_at, coalesce(m.sender_tenant::text, '')
		FROM conversation_member cm
		JOIN conversation c ON c.id = cm.conversation_id AND c.tenant_id = ANY($5::uuid[])
		JOIN message m ON m.conversation_id = cm.conversation_id
		LEFT JOIN k ON k.conversation_id = cm.conversation_id
		WHERE cm.user_id = $1 AND m.seq > coalesce(k.seq, 0)
		ORDER BY m.conversation_id, m.seq LIMIT $4`, userID, convs, seqs, limit, tenants)
	if err != nil {
		return nil, fmt.Errorf("postgres: sync: %w", err)
	}
	return collectMessages(rows)
}

func collectMessages(rows pgx.Rows) ([]messaging.Message, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (messaging.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	return append([]messaging.Message{}, out...), nil
}
