package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/servicetoken"
)

// follow reads cell's outbox from where the broker stands, long-polling,
// and takes in each page, until ctx ends. Nothing is lost while the cell
// cannot be reached: the outbox waits in the cell.
func (b *Broker) follow(ctx context.Context, cell string) {
	var wait time.Duration
	for ctx.Err() == nil {
		err := b.followOnce(ctx, cell)
		if err == nil {
			wait = 0
			continue
		}
		if ctx.Err() == nil {
			b.log.Warn("broker: outbox unavailable; will ask again", "cell", cell, "err", err)
		}
		wait = backoff(wait)
		if !pause(ctx, wait) {
			return
		}
	}
}

func (b *Broker) followOnce(ctx context.Context, cell string) error {
	var after int64
	err := b.pool.QueryRow(ctx, `SELECT after FROM outbox_position WHERE cell = $1`, cell).Scan(&after)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("outbox position: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		b.cfg.Cells[cell]+crosscell.OutboxPath+"?wait=25s&after="+strconv.FormatInt(after, 10), nil)
	if err != nil {
		return err
	}
	servicetoken.Set(req, b.cfg.ServiceToken)
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("outbox: %s", resp.Status)
	}
	var page crosscell.Page
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if len(page.Events) == 0 {
		return nil
	}
	return b.ingest(ctx, cell, after, page)
}

// place is where a business is, as the directory knows it.
type place struct {
	country, cell string
}

// ingest decides, ledgers and queues a page of cell's outbox and moves
// the position past it, in one transaction. The position must still be
// after: a second broker that took the page first leaves this one nothing
// to do.
func (b *Broker) ingest(ctx context.Context, cell string, after int64, page crosscell.Page) error {
	touched := map[string]bool{}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO outbox_position (cell, after) VALUES ($1, $2)
			ON CONFLICT (cell) DO UPDATE SET after = $2 WHERE outbox_position.after = $3`, cell, page.LastSeq, after)
		if err != nil {
			return fmt.Errorf("outbox position: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		places := map[string]*place{}
		for _, ev := range page.Events {
			to, err := b.decide(ctx, tx, cell, ev, places)
			if err != nil {
				return err
			}
			touched[to] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for c := range touched {
		if s := b.queued[c]; s != nil {
			s.Fire()
		}
	}
	return nil
}

// decide settles one event of cell's in tx and returns the cell it is
// queued for: the destination, or the sender when it is refused.
func (b *Broker) decide(ctx context.Context, tx pgx.Tx, cell string, ev crosscell.Event, places map[string]*place) (string, error) {
	src, err := lookup(ctx, tx, ev.Tenant, places)
	if err != nil {
		return "", err
	}
	dst, err := lookup(ctx, tx, ev.Partner, places)
	if err != nil {
		return "", err
	}
	var v crosscell.Verdict
	switch {
	case src == nil || src.cell != cell:
		// A cell speaks only for its own businesses.
		b.log.Warn("broker: event for a business the cell does not home; refused", "cell", cell, "event", ev.ID)
		v.Refusal = &crosscell.Refusal{Event: ev.ID, Kind: ev.Kind, Type: "transfer_refused", Rules: []string{"broker.sender-not-homed"},
			Explanation: "the sending business is not homed in the cell that sent the event"}
	case dst == nil:
		v.Refusal = &crosscell.Refusal{Event: ev.ID, Kind: ev.Kind, Type: "partner_not_found", Rules: []string{"broker.partner-unknown"},
			Explanation: "no business with that id exists on PushNchat"}
	default:
		v = crosscell.Decide(ev, crosscell.Route{FromCountry: src.country, FromCell: cell, ToCountry: dst.country, ToCell: dst.cell})
		if err := record(ctx, tx, cell, dst.cell, ev, v); err != nil {
			return "", err
		}
	}
	d := crosscell.Delivery{From: cell, Event: &ev}
	to := ""
	if v.Refusal == nil {
		to = dst.cell
	} else {
		d = crosscell.Delivery{From: cell, Refusal: v.Refusal}
		to = cell
	}
	body, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	return to, queue(ctx, tx, to, ev.ID, d, body)
}

// queue adds a delivery for cell to its queue, once.
func queue(ctx context.Context, tx pgx.Tx, cell, event string, d crosscell.Delivery, body []byte) error {
	if _, err := tx.Exec(ctx, `INSERT INTO broker_delivery (cell, event_id, what, body) VALUES ($1, $2, $3, $4)
		ON CONFLICT (cell, event_id, what) DO NOTHING`, cell, event, d.What(), body); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}

// lookup finds an active business in the directory (nil when none).
func lookup(ctx context.Context, tx pgx.Tx, id string, places map[string]*place) (*place, error) {
	if p, ok := places[id]; ok {
		return p, nil
	}
	var p place
	err := tx.QueryRow(ctx, `SELECT country, home_cell FROM tenant_directory WHERE tenant_id = $1 AND status IN ('active', 'moving')`, id).
		Scan(&p.country, &p.cell)
	if errors.Is(err, pgx.ErrNoRows) {
		places[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	places[id] = &p
	return &p, nil
}

// record writes the ledger entries of an event that leaves its cell: one
// per category it carries, with the decision and whether it is delivered.
func record(ctx context.Context, tx pgx.Tx, from, to string, ev crosscell.Event, v crosscell.Verdict) error {
	if from == to {
		return nil
	}
	var actor *string
	if ev.Actor != "" {
		actor = &ev.Actor
	}
	for _, it := range v.Items {
		bases := make([]string, len(it.Bases))
		for i, bs := range it.Bases {
			bases[i] = string(bs)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO transfer_ledger (event_id, kind, category, source_tenant, dest_tenant, actor,
			from_cell, to_cell, from_jurisdictions, to_jurisdiction, allowed, delivered, bases, rules, record, explanation,
			policy_version, event_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			ON CONFLICT (event_id, category) DO NOTHING`,
			ev.ID, ev.Kind, it.Item.Category, ev.Tenant, ev.Partner, actor, from, to, it.From, it.To, it.Allowed,
			v.Refusal == nil, bases, it.Rules, nonNil(it.Record), it.Explanation, it.PolicyVersion, ev.At); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
