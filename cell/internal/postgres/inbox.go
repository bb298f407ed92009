package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/geo"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/residency"
)

// Receive applies a delivery from the broker, once: an event from another
// place is recorded in the inbox (the cell's log of what it imported) and
// applied in the same transaction, and a delivery seen before changes
// nothing (Applied false). A Refusal marks the cell's own event, and what
// it was about, as refused; Delivered moves a partner conversation's
// delivered seq.
func (db *DB) Receive(ctx context.Context, d crosscell.Delivery) (Received, error) {
	var out Received
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out = Received{}
		var err error
		switch d.What() {
		case "event":
			out.Applied, err = receiveEvent(ctx, tx, d.From, *d.Event, &out)
		case "refusal":
			out.Applied, err = receiveRefusal(ctx, tx, *d.Refusal, &out)
		default:
			out.Applied = true
			err = receiveDelivered(ctx, tx, d.Delivered, &out)
		}
		return err
	})
	return out, err
}

func receiveEvent(ctx context.Context, tx pgx.Tx, from string, ev crosscell.Event, out *Received) (bool, error) {
	t, err := tenantShared(ctx, tx, ev.Partner)
	if err != nil {
		return false, err
	}
	carries, err := json.Marshal(ev.Carries)
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO inbox_event (id, kind, from_cell, tenant_id, from_tenant, carries)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`, ev.ID, ev.Kind, from, ev.Partner, ev.Tenant, carries)
	if err != nil {
		return false, fmt.Errorf("postgres: inbox: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	switch ev.Kind {
	case crosscell.MessageSent:
		return true, receivePartnerMessage(ctx, tx, ev, out)
	case crosscell.MessageRead:
		return true, receiveRead(ctx, tx, ev, out)
	case crosscell.PartnershipProposed:
		return true, receiveProposal(ctx, tx, from, t, ev)
	}
	return true, receiveStep(ctx, tx, t, ev)
}

// receiveProposal stores a partner's proposal and answers it: received
// (with this business's card), or declined when the pair already has an
// open partnership here (both proposed at once: the other one stands).
func receiveProposal(ctx context.Context, tx pgx.Tx, from string, t tenant.Tenant, ev crosscell.Event) error {
	var p crosscell.Proposal
	if err := json.Unmarshal(ev.Body, &p); err != nil {
		return errs.E(errs.Invalid, "partnership proposal: %v", err)
	}
	if !ids.Valid(p.Partnership) || !geo.IsCountry(p.From.Country) {
		return errs.E(errs.Invalid, "partnership proposal: needs a partnership id and the proposer's country")
	}
	if p.Share.Proposer == nil {
		p.Share.Proposer = []residency.Category{}
	}
	if p.Share.Partner == nil {
		p.Share.Partner = []residency.Category{}
	}
	state, reply := partnership.Proposed, crosscell.PartnershipReceived
	var open bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM partnership WHERE tenant_id = $1 AND partner_tenant_id = $2
		AND state IN ('proposing', 'proposed', 'accepted'))`, t.ID, ev.Tenant).Scan(&open); err != nil {
		return fmt.Errorf("postgres: partnership: %w", err)
	}
	if open {
		state, reply = partnership.Declined, crosscell.PartnershipDeclined
	}
	card, err := json.Marshal(p.From)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO partnership (id, tenant_id, partner_tenant_id, partner_country, partner_card, role, state,
		note, share_proposer, share_partner) VALUES ($1, $2, $3, $4, $5, 'recipient', $6, $7, $8, $9)`,
		p.Partnership, t.ID, ev.Tenant, p.From.Country, card, state, p.Note, p.Share.Proposer, p.Share.Partner); err != nil {
		return fmt.Errorf("postgres: partnership: %w", err)
	}
	step := crosscell.Step{Partnership: p.Partnership}
	if reply == crosscell.PartnershipReceived {
		c := partnership.CardOf(t.ID, t.Slug, t.Name, t.Country, t.Categories)
		step.Card = &c
	}
	back, err := event(reply, t, ev.Tenant, "", step)
	if err != nil {
		return err
	}
	return writeOutbox(ctx, tx, back, from, nil)
}

// receiveStep moves this side of a partnership by an event of the other's;
// an acceptance opens the partner conversation.
func receiveStep(ctx context.Context, tx pgx.Tx, t tenant.Tenant, ev crosscell.Event) error {
	var s crosscell.Step
	if err := json.Unmarshal(ev.Body, &s); err != nil || !ids.Valid(s.Partnership) {
		return errs.E(errs.Invalid, "%s: needs a partnership id", ev.Kind)
	}
	p, err := queryPartnership(ctx, tx, `SELECT `+partnershipColumns+` FROM partnership WHERE tenant_id = $1 AND id = $2
		AND partner_tenant_id = $3 FOR UPDATE`, t.ID, s.Partnership, ev.Tenant)
	if errs.KindOf(err) == errs.NotFound {
		slog.WarnContext(ctx, "inbox: event for a partnership this cell does not hold", "event", ev.ID, "kind", ev.Kind)
		return nil
	}
	if err != nil {
		return err
	}
	state, moves := p.Arrive(ev.Kind)
	if !moves {
		return nil
	}
	var card []byte
	if ev.Kind == crosscell.PartnershipReceived && s.Card != nil {
		if card, err = json.Marshal(s.Card); err != nil {
			return err
		}
	}
	p, err = queryPartnership(ctx, tx, `UPDATE partnership SET state = $3, partner_card = coalesce($4, partner_card),
		version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING `+partnershipColumns, t.ID, p.ID, state, card)
	if err != nil {
		return err
	}
	if state == partnership.Accepted {
		return openPartnerConversation(ctx, tx, p, p.ProposedBy)
	}
	return nil
}

func receiveRefusal(ctx context.Context, tx pgx.Tx, r crosscell.Refusal, out *Received) (bool, error) {
	refusal, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	var tenantID string
	var kind crosscell.Kind
	var body []byte
	err = tx.QueryRow(ctx, `UPDATE outbox_event SET refusal = $2 WHERE id = $1 AND refusal IS NULL
		RETURNING tenant_id, kind, body`, r.Event, refusal).Scan(&tenantID, &kind, &body)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: outbox: %w", err)
	}
	switch kind {
	case crosscell.MessageSent:
		return true, refuseMessage(ctx, tx, r, out)
	case crosscell.MessageRead:
		return true, nil
	}
	var s crosscell.Step // every partnership body names its partnership
	if err := json.Unmarshal(body, &s); err != nil {
		return false, fmt.Errorf("postgres: outbox body: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE partnership SET state = 'refused', refusal = $3, version = version + 1, updated_at = now()
		WHERE tenant_id = $1 AND id = $2`, tenantID, s.Partnership, refusal); err != nil {
		return false, fmt.Errorf("postgres: partnership: %w", err)
	}
	return true, nil
}

// tenantShared reads the business id, kept from being deleted until tx ends.
func tenantShared(ctx context.Context, tx pgx.Tx, id string) (tenant.Tenant, error) {
	t, err := scanTenant(tx.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenant WHERE id = $1 FOR SHARE`, id))
	return t, notFound(err, "no such business in this cell")
}
