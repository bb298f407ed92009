package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/messaging"
	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/residency"
)

// Partner chat (migration 00008): each side's conversation is its own
// copy. Messages sent here reach the outbox by trigger; messages from the
// partner arrive through the inbox and take this side's next seq.

// openPartnerConversation opens this side's conversation of p, just
// accepted, when both sides share message content: the business's team
// are its members (and whoever joins later, see recordMembership).
func openPartnerConversation(ctx context.Context, tx pgx.Tx, p partnership.Partnership, createdBy string) error {
	if !p.Chats() {
		return nil
	}
	title := ""
	if p.Partner != nil {
		title = p.Partner.Name
	}
	jurisdiction, _ := residency.CellJurisdiction(crosscell.HomeCell(p.PartnerCountry))
	var creator *string
	if createdBy != "" {
		creator = &createdBy
	}
	id := newID()
	tag, err := tx.Exec(ctx, `INSERT INTO conversation (id, tenant_id, kind, title, created_by, partnership_id, partner_tenant_id, partner_jurisdiction)
		VALUES ($1, $2, 'partner', $3, coalesce($4, (SELECT user_id FROM membership WHERE tenant_id = $2 AND role = 'owner' ORDER BY created_at LIMIT 1)), $5, $6, $7)
		ON CONFLICT (tenant_id, partnership_id) WHERE partnership_id IS NOT NULL DO NOTHING`,
		id, p.TenantID, title, creator, p.ID, p.PartnerID, jurisdiction)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO conversation_member (conversation_id, user_id) SELECT $1, user_id FROM membership WHERE tenant_id = $2`, id, p.TenantID)
	return err
}

// PartnerSending returns what a message of sender's in conversation is
// decided on, or nil when it is not a partner conversation.
func (db *DB) PartnerSending(ctx context.Context, conversation, sender string) (*partnership.Sending, error) {
	var s partnership.Sending
	err := db.pool.QueryRow(ctx, `SELECT p.state, t.country, p.partner_country, coalesce((SELECT k.id::text FROM consent k
			WHERE k.tenant_id = c.tenant_id AND k.user_id = $2 AND k.category = 'message_content'
			AND k.jurisdiction = c.partner_jurisdiction AND k.withdrawn_at IS NULL), '')
		FROM conversation c JOIN partnership p ON p.tenant_id = c.tenant_id AND p.id = c.partnership_id JOIN tenant t ON t.id = c.tenant_id
		WHERE c.id = $1 AND c.kind = 'partner'`, conversation, sender).Scan(&s.State, &s.Country, &s.PartnerCountry, &s.ConsentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: partner conversation: %w", err)
	}
	return &s, nil
}

// PartnerReceipt says how far the partner has this side's messages of a
// conversation: State "delivered" (in its cell) or "read", up to Seq.
type PartnerReceipt struct {
	Conversation string
	State        string
	Seq          int64
}

// Received is what an inbox delivery changed that live sessions must
// hear: messages from a partner, receipts, refused messages.
type Received struct {
	Applied  bool
	Messages []messaging.Message
	Receipts []PartnerReceipt
	Refused  []RefusedMessage
}

// RefusedMessage is a message sent here that the broker did not carry.
type RefusedMessage struct {
	Conversation string
	Seq          int64
	Refusal      crosscell.Refusal
}

// partnerConversation returns, locked, this side's conversation of a
// partnership ("" when it has none).
func partnerConversation(ctx context.Context, tx pgx.Tx, tenantID, partnershipID string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM conversation WHERE tenant_id = $1 AND partnership_id = $2 AND kind = 'partner' FOR UPDATE`,
		tenantID, partnershipID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// receivePartnerMessage stores a partner's message as this side's next.
func receivePartnerMessage(ctx context.Context, tx pgx.Tx, ev crosscell.Event, out *Received) error {
	var pm crosscell.PartnerMessage
	if err := json.Unmarshal(ev.Body, &pm); err != nil {
		return errs.E(errs.Invalid, "partner message: %v", err)
	}
	if !ids.Valid(pm.Partnership) || !ids.ValidV7(pm.Message.ID) || !ids.Valid(ev.Actor) ||
		pm.Message.Body == "" || utf8.RuneCountInString(pm.Message.Body) > messaging.MaxBodyRunes {
		return errs.E(errs.Invalid, "partner message: needs a partnership id, a UUIDv7 message id, its sender and a body of 1-%d characters", messaging.MaxBodyRunes)
	}
	conv, err := partnerConversation(ctx, tx, ev.Partner, pm.Partnership)
	if err != nil {
		return fmt.Errorf("postgres: partner message: %w", err)
	}
	if conv == "" {
		slog.WarnContext(ctx, "inbox: a partner message for a conversation this side does not have", "event", ev.ID)
		return nil
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM message WHERE conversation_id = $1 AND id = $2)`, conv, pm.Message.ID).Scan(&exists); err != nil || exists {
		return err
	}
	m, err := scanMessage(tx.QueryRow(ctx, `WITH bumped AS (`+nextSeq+`)
		INSERT INTO message (conversation_id, seq, id, sender_id, body, sender_tenant)
		SELECT $1::text::uuid, last_seq, $2, $3, $4, $5 FROM bumped RETURNING `+messageCols,
		conv, pm.Message.ID, ev.Actor, pm.Message.Body, ev.Tenant))
	if err != nil {
		return fmt.Errorf("postgres: partner message: %w", err)
	}
	out.Messages = append(out.Messages, m)
	return nil
}

// sentMessage finds, from an event this cell sent, the message it carried
// and its conversation here ("" when there is none any more).
func sentMessage(ctx context.Context, tx pgx.Tx, event string) (conv string, seq int64, _ error) {
	var tenantID string
	var body []byte
	err := tx.QueryRow(ctx, `SELECT tenant_id, body FROM outbox_event WHERE id = $1 AND kind = $2`, event, crosscell.MessageSent).Scan(&tenantID, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	var pm crosscell.PartnerMessage
	if err := json.Unmarshal(body, &pm); err != nil {
		return "", 0, err
	}
	conv, err = partnerConversation(ctx, tx, tenantID, pm.Partnership)
	return conv, pm.Message.Seq, err
}

// receiveDelivered notes that the partner's cell has a message sent from
// here (and so every one before it).
func receiveDelivered(ctx context.Context, tx pgx.Tx, event string, out *Received) error {
	conv, seq, err := sentMessage(ctx, tx, event)
	if err != nil || conv == "" {
		return err
	}
	var moved bool
	if err := tx.QueryRow(ctx, `UPDATE conversation SET partner_delivered_seq = greatest(partner_delivered_seq, $2) WHERE id = $1
		RETURNING partner_delivered_seq = $2`, conv, seq).Scan(&moved); err != nil {
		return fmt.Errorf("postgres: delivered: %w", err)
	}
	if moved {
		out.Receipts = append(out.Receipts, PartnerReceipt{Conversation: conv, State: "delivered", Seq: seq})
	}
	return nil
}

// receiveRead notes that the partner has read the messages sent from here
// up to one.
func receiveRead(ctx context.Context, tx pgx.Tx, ev crosscell.Event, out *Received) error {
	var r crosscell.ReadUpTo
	if err := json.Unmarshal(ev.Body, &r); err != nil || !ids.Valid(r.Partnership) || !ids.Valid(r.Message) {
		return errs.E(errs.Invalid, "read receipt: needs a partnership id and a message id")
	}
	conv, err := partnerConversation(ctx, tx, ev.Partner, r.Partnership)
	if err != nil || conv == "" {
		return err
	}
	var seq int64
	err = tx.QueryRow(ctx, `SELECT seq FROM message WHERE conversation_id = $1 AND id = $2 AND sender_tenant IS NULL`, conv, r.Message).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres: read: %w", err)
	}
	var moved bool
	if err := tx.QueryRow(ctx, `UPDATE conversation SET partner_read_seq = greatest(partner_read_seq, $2),
		partner_delivered_seq = greatest(partner_delivered_seq, $2) WHERE id = $1 RETURNING partner_read_seq = $2`, conv, seq).Scan(&moved); err != nil {
		return fmt.Errorf("postgres: read: %w", err)
	}
	if moved {
		out.Receipts = append(out.Receipts, PartnerReceipt{Conversation: conv, State: "read", Seq: seq})
	}
	return nil
}

// refuseMessage records that the broker did not carry a message sent here.
func refuseMessage(ctx context.Context, tx pgx.Tx, r crosscell.Refusal, out *Received) error {
	conv, seq, err := sentMessage(ctx, tx, r.Event)
	if err != nil || conv == "" {
		return err
	}
	refusal, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO message_refusal (conversation_id, seq, refusal) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, conv, seq, refusal); err != nil {
		return fmt.Errorf("postgres: refused message: %w", err)
	}
	out.Refused = append(out.Refused, RefusedMessage{Conversation: conv, Seq: seq, Refusal: r})
	return nil
}

// tellRead sends, when someone here read a partner conversation past the
// partner's messages last announced, the news to the partner's cell.
func tellRead(ctx context.Context, tx pgx.Tx, conversation, userID string, read int64) error {
	var tenantID, partnershipID, partnerID, message string
	var seq int64
	err := tx.QueryRow(ctx, `SELECT c.tenant_id, c.partnership_id, c.partner_tenant_id, m.id, m.seq
		FROM conversation c JOIN LATERAL (SELECT id, seq FROM message WHERE conversation_id = c.id AND seq <= $2
			AND sender_tenant IS NOT NULL ORDER BY seq DESC LIMIT 1) m ON true
		WHERE c.id = $1 AND c.kind = 'partner' AND m.seq > c.read_told_seq FOR UPDATE OF c`, conversation, read).
		Scan(&tenantID, &partnershipID, &partnerID, &message, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres: read receipt: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE conversation SET read_told_seq = $2 WHERE id = $1`, conversation, seq); err != nil {
		return fmt.Errorf("postgres: read receipt: %w", err)
	}
	t, err := tenantShared(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	ev, err := event(crosscell.MessageRead, t, partnerID, userID, crosscell.ReadUpTo{Partnership: partnershipID, Message: message})
	if err != nil {
		return err
	}
	return writeOutbox(ctx, tx, ev, "", nil)
}
