package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/cell/internal/partnership"
	"github.com/pushnchat/pushnchat/cell/internal/tenant"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
)

const partnershipColumns = `id, tenant_id, partner_tenant_id, partner_country, partner_card, role, state, note,
	share_proposer, share_partner, coalesce(proposed_by::text, ''), refusal, version, created_at, updated_at`

func scanPartnership(row pgx.CollectableRow) (partnership.Partnership, error) {
	var p partnership.Partnership
	var card, refusal []byte
	err := row.Scan(&p.ID, &p.TenantID, &p.PartnerID, &p.PartnerCountry, &card, &p.Role, &p.State, &p.Note,
		&p.Share.Proposer, &p.Share.Partner, &p.ProposedBy, &refusal, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	if card != nil {
		if err := json.Unmarshal(card, &p.Partner); err != nil {
			return p, fmt.Errorf("partner card: %w", err)
		}
	}
	if refusal != nil {
		if err := json.Unmarshal(refusal, &p.Refusal); err != nil {
			return p, fmt.Errorf("refusal: %w", err)
		}
	}
	return p, nil
}

func queryPartnership(ctx context.Context, q pgx.Tx, sql string, args ...any) (partnership.Partnership, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return partnership.Partnership{}, fmt.Errorf("postgres: partnership: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPartnership)
	return p, notFound(err, "no such partnership")
}

// event builds an event of kind from t (the sending business) to partner.
func event(kind crosscell.Kind, t tenant.Tenant, partner, actor string, body any) (crosscell.Event, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return crosscell.Event{}, err
	}
	return crosscell.Event{ID: ids.New(), Kind: kind, Tenant: t.ID, Partner: partner, Actor: actor, Tier: t.Tier,
		Carries: partnership.Carries(kind), Body: b}, nil
}

// Propose stores t's proposal to a partner, made by actor, and the event
// that carries it to the partner's cell, after check allows the event.
// One open partnership per pair: another is a Conflict.
func (db *DB) Propose(ctx context.Context, t tenant.Tenant, actor string, in partnership.Proposal, check Check) (partnership.Partnership, error) {
	var out partnership.Partnership
	err := db.tx(ctx, func(tx pgx.Tx) error {
		id := ids.New()
		var err error
		out, err = queryPartnership(ctx, tx, `INSERT INTO partnership (id, tenant_id, partner_tenant_id, partner_country, role, state,
			note, share_proposer, share_partner, proposed_by) VALUES ($1, $2, $3, $4, 'proposer', 'proposing', $5, $6, $7, $8)
			RETURNING `+partnershipColumns, id, t.ID, in.Partner, in.PartnerCountry, in.Note, in.Share.Proposer, in.Share.Partner, actor)
		if isUniqueViolation(err, "partnership_open_pair") {
			return errs.E(errs.Conflict, "this business already has an open partnership or proposal with that business")
		}
		if err != nil {
			return err
		}
		ev, err := event(crosscell.PartnershipProposed, t, in.Partner, actor, crosscell.Proposal{Partnership: id,
			From: partnership.CardOf(t.ID, t.Slug, t.Name, t.Country, t.Categories), Note: in.Note, Share: in.Share})
		if err != nil {
			return err
		}
		return writeOutbox(ctx, tx, ev, crosscell.HomeCell(in.PartnerCountry), check)
	})
	return out, err
}

// ActOnPartnership applies action, taken by actor for t, to the
// partnership id and sends the event it makes to the partner's cell,
// after check allows it.
func (db *DB) ActOnPartnership(ctx context.Context, t tenant.Tenant, actor, id string, action partnership.Action, check Check) (partnership.Partnership, error) {
	var out partnership.Partnership
	err := db.tx(ctx, func(tx pgx.Tx) error {
		p, err := queryPartnership(ctx, tx, `SELECT `+partnershipColumns+` FROM partnership WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, t.ID, id)
		if err != nil {
			return err
		}
		state, kind, err := p.Step(action)
		if err != nil {
			return err
		}
		out, err = queryPartnership(ctx, tx, `UPDATE partnership SET state = $3, version = version + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 RETURNING `+partnershipColumns, t.ID, id, state)
		if err != nil {
			return err
		}
		if state == partnership.Accepted {
			if err := openPartnerConversation(ctx, tx, out, actor); err != nil {
				return err
			}
		}
		ev, err := event(kind, t, p.PartnerID, actor, crosscell.Step{Partnership: id})
		if err != nil {
			return err
		}
		return writeOutbox(ctx, tx, ev, crosscell.HomeCell(p.PartnerCountry), check)
	})
	return out, err
}

// Partnerships lists t's partnerships, newest first.
func (db *DB) Partnerships(ctx context.Context, tenantID string) ([]partnership.Partnership, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+partnershipColumns+` FROM partnership WHERE tenant_id = $1
		ORDER BY created_at DESC, id DESC LIMIT 500`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("postgres: partnerships: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scanPartnership)
	if err != nil {
		return nil, fmt.Errorf("postgres: partnerships: %w", err)
	}
	return append([]partnership.Partnership{}, ps...), nil
}

// Partnership returns t's copy of the partnership id.
func (db *DB) Partnership(ctx context.Context, tenantID, id string) (partnership.Partnership, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+partnershipColumns+` FROM partnership WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return partnership.Partnership{}, fmt.Errorf("postgres: partnership: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPartnership)
	return p, notFound(err, "no such partnership")
}
