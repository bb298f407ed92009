package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/ids"
)

// deliver drains cell's queue into its inbox until ctx ends: the oldest
// deliveries first, in batches, each batch retried until the cell answers
// for it. A cell that is down or cut off holds its queue back and nothing
// else: every cell has its own.
func (b *Broker) deliver(ctx context.Context, cell string) {
	var wait time.Duration
	for ctx.Err() == nil {
		woken := b.queued[cell].C() // before the read: a delivery queued after it wakes us
		n, err := b.deliverOnce(ctx, cell)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("broker: inbox unavailable; will retry", "cell", cell, "err", err)
			wait = backoff(wait)
			if !pause(ctx, wait) {
				return
			}
		case n == 0:
			wait = 0
			select {
			case <-ctx.Done():
			case <-woken:
			}
		default:
			wait = 0
		}
	}
}

type pending struct {
	id    int64
	event string
	body  json.RawMessage
}

// deliverOnce sends the oldest pending deliveries for cell in one signed
// call and records what the cell answered; it returns how many it sent.
func (b *Broker) deliverOnce(ctx context.Context, cell string) (int, error) {
	rows, err := b.pool.Query(ctx, `SELECT id, event_id, body FROM broker_delivery
		WHERE cell = $1 AND delivered_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $2`, cell, crosscell.MaxDeliveries)
	if err != nil {
		return 0, fmt.Errorf("queue: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		err := r.Scan(&p.id, &p.event, &p.body)
		return p, err
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	receipt, err := b.call(ctx, cell, batch)
	if err != nil {
		b.noteFailure(ctx, batch, err)
		return 0, err
	}
	notify := map[string]bool{}
	err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		for i, p := range batch {
			r := receipt.Results[i]
			if r.Status == http.StatusOK {
				_, err = tx.Exec(ctx, `UPDATE broker_delivery SET delivered_at = now(), attempts = attempts + 1 WHERE id = $1`, p.id)
				if err == nil {
					var sender string
					sender, err = tellDelivered(ctx, tx, cell, p.body)
					if sender != "" {
						notify[sender] = true
					}
				}
			} else {
				b.log.Error("broker: inbox refused a delivery for good", "cell", cell, "event", p.event, "status", r.Status, "problem", r.Problem)
				_, err = tx.Exec(ctx, `UPDATE broker_delivery SET failed_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1`,
					p.id, fmt.Sprintf("%d %s", r.Status, r.Problem))
			}
			if err != nil {
				return fmt.Errorf("queue: %w", err)
			}
		}
		return nil
	})
	for c := range notify {
		if s := b.queued[c]; s != nil {
			s.Fire()
		}
	}
	return len(batch), err
}

// tellDelivered queues, for a partner-chat message now in cell, the news
// for its sender's cell, which it returns ("" when there is none to tell).
func tellDelivered(ctx context.Context, tx pgx.Tx, cell string, body []byte) (string, error) {
	var d crosscell.Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return "", fmt.Errorf("queued delivery: %w", err)
	}
	if d.Event == nil || d.Event.Kind != crosscell.MessageSent {
		return "", nil
	}
	news := crosscell.Delivery{From: cell, Delivered: d.Event.ID}
	b, err := json.Marshal(news)
	if err != nil {
		return "", err
	}
	return d.From, queue(ctx, tx, d.From, d.Event.ID, news, b)
}

// call puts batch into cell's inbox with a signed call, giving up after
// 20 s (a link that carries nothing fails the call, which is retried).
func (b *Broker) call(ctx context.Context, cell string, batch []pending) (crosscell.Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var buf bytes.Buffer
	buf.WriteString(`{"deliveries":[`)
	for i, p := range batch {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(p.body)
	}
	buf.WriteString(`]}`)
	body := buf.Bytes()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, b.cfg.Cells[cell]+crosscell.InboxPath+ids.New(), bytes.NewReader(body))
	if err != nil {
		return crosscell.Receipt{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := b.cfg.Signer.Sign(req, cell, body); err != nil {
		return crosscell.Receipt{}, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return crosscell.Receipt{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return crosscell.Receipt{}, fmt.Errorf("inbox: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	var receipt crosscell.Receipt
	if err := json.NewDecoder(resp.Body).Decode(&receipt); err != nil {
		return crosscell.Receipt{}, fmt.Errorf("inbox receipt: %w", err)
	}
	if len(receipt.Results) != len(batch) {
		return crosscell.Receipt{}, fmt.Errorf("inbox receipt: %d results for %d deliveries", len(receipt.Results), len(batch))
	}
	return receipt, nil
}

// noteFailure records a failed attempt on the batch, for the operator
// (runbooks/stuck-outbox.md).
func (b *Broker) noteFailure(ctx context.Context, batch []pending, cause error) {
	idsOf := make([]int64, len(batch))
	for i, p := range batch {
		idsOf[i] = p.id
	}
	if _, err := b.pool.Exec(ctx, `UPDATE broker_delivery SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1)`,
		idsOf, cause.Error()); err != nil && ctx.Err() == nil {
		b.log.Warn("broker: cannot record a failed delivery", "err", err)
	}
}
