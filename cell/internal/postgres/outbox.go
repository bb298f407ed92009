package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/residency"
)

// OutboxChannel is notified when the outbox grows.
const OutboxChannel = "outbox_events"

// outboxLock serialises outbox writers (pg_advisory_xact_lock): seq order
// is then commit order, so the broker, reading after the last seq it
// has, never passes an event that commits later. The partner-message
// trigger (migration 00008) takes it too, by this number.
const outboxLock = 122550254464888 // "outbox"

// Check decides whether an event may be written (crosscell.Decide against
// the expected destination); a refusal is returned to the person at once.
type Check func(crosscell.Event) error

// writeOutbox adds ev to the outbox in tx, with the consents the actor
// has on record for each personal category it carries to the
// jurisdiction of toCell, after check allows it.
func writeOutbox(ctx context.Context, tx pgx.Tx, ev crosscell.Event, toCell string, check Check) error {
	if j, ok := residency.CellJurisdiction(toCell); ok && ev.Actor != "" {
		for i, it := range ev.Carries {
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM consent WHERE tenant_id = $1 AND user_id = $2 AND category = $3
				AND jurisdiction = $4 AND withdrawn_at IS NULL`, ev.Tenant, ev.Actor, it.Category, j).Scan(&id)
			if err == pgx.ErrNoRows {
				continue
			}
			if err != nil {
				return fmt.Errorf("postgres: consent: %w", err)
			}
			ev.Carries[i].Bases = append(it.Bases, residency.Consent)
			ev.Carries[i].ConsentID = id
		}
	}
	if check != nil {
		if err := check(ev); err != nil {
			return err
		}
	}
	carries, err := json.Marshal(ev.Carries)
	if err != nil {
		return err
	}
	var actor *string
	if ev.Actor != "" {
		actor = &ev.Actor
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, outboxLock); err != nil {
		return fmt.Errorf("postgres: outbox: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox_event (id, kind, tenant_id, partner_tenant_id, actor, tier, carries, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ev.ID, ev.Kind, ev.Tenant, ev.Partner, actor, ev.Tier, carries, []byte(ev.Body)); err != nil {
		return fmt.Errorf("postgres: outbox: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, OutboxChannel); err != nil {
		return fmt.Errorf("postgres: outbox: %w", err)
	}
	return nil
}

// Outbox returns up to limit events after seq, and the seq to ask after
// next. A consent withdrawn since an event was written no longer counts as
// its basis: withdrawal stops every transfer not yet read.
func (db *DB) Outbox(ctx context.Context, after int64, limit int) (crosscell.Page, error) {
	rows, err := db.pool.Query(ctx, `SELECT seq, id, kind, tenant_id, partner_tenant_id, coalesce(actor::text, ''), tier, carries, body, created_at
		FROM outbox_event WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return crosscell.Page{}, fmt.Errorf("postgres: outbox: %w", err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (crosscell.Event, error) {
		var ev crosscell.Event
		var carries, body []byte
		err := r.Scan(&ev.Seq, &ev.ID, &ev.Kind, &ev.Tenant, &ev.Partner, &ev.Actor, &ev.Tier, &carries, &body, &ev.At)
		if err == nil {
			err = json.Unmarshal(carries, &ev.Carries)
		}
		ev.Body = body
		return ev, err
	})
	if err != nil {
		return crosscell.Page{}, fmt.Errorf("postgres: outbox: %w", err)
	}
	if err := db.dropWithdrawnConsents(ctx, events); err != nil {
		return crosscell.Page{}, err
	}
	page := crosscell.Page{Events: append([]crosscell.Event{}, events...), LastSeq: after}
	if len(events) > 0 {
		page.LastSeq = events[len(events)-1].Seq
	}
	return page, nil
}

func (db *DB) dropWithdrawnConsents(ctx context.Context, events []crosscell.Event) error {
	var consents []string
	for _, ev := range events {
		for _, it := range ev.Carries {
			if it.ConsentID != "" {
				consents = append(consents, it.ConsentID)
			}
		}
	}
	if len(consents) == 0 {
		return nil
	}
	rows, err := db.pool.Query(ctx, `SELECT id::text FROM consent WHERE id = ANY($1) AND withdrawn_at IS NULL`, consents)
	if err != nil {
		return fmt.Errorf("postgres: consents: %w", err)
	}
	active, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: consents: %w", err)
	}
	for _, ev := range events {
		for i, it := range ev.Carries {
			if it.ConsentID != "" && !slices.Contains(active, it.ConsentID) {
				ev.Carries[i].Bases = slices.DeleteFunc(slices.Clone(it.Bases), func(b residency.Basis) bool { return b == residency.Consent })
				ev.Carries[i].ConsentID = ""
			}
		}
	}
	return nil
}
