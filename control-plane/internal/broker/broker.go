// Package broker is the cross-cell broker of the control plane: the only
// way data moves between cells. For every cell it follows the cell's
// outbox (package crosscell), decides each event with the residency
// policy and the sender's tier, records every category that leaves a cell
// in the transfer ledger, and queues the event for the destination cell's
// inbox — or, when refused, queues the refusal for the sender. Those steps
// and the new outbox position are one transaction. For every cell it also
// drains that queue into the cell's inbox, in order, in signed batches,
// retrying until the cell takes them: deliveries are at least once and
// inboxes apply each event once, so each arrives exactly once.
package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/pgnotify"
	"github.com/pushnchat/pushnchat/internal/signedcall"
)

// Config is what the broker needs.
type Config struct {
	DatabaseURL  string            // the control plane's database
	Cells        map[string]string // cell name → base URL
	ServiceToken string            // read the cells' outboxes with it
	Signer       signedcall.Signer // sign inbox calls with it
	Logger       *slog.Logger
	// Client makes the calls to cells; nil uses a default with timeouts.
	Client *http.Client
}

// Broker is a running broker.
type Broker struct {
	cfg    Config
	pool   *pgxpool.Pool
	client *http.Client
	log    *slog.Logger
	queued map[string]*pgnotify.Signal // per destination cell: deliveries were queued
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start runs a follower and a deliverer for every cell until Close.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b := &Broker{cfg: cfg, pool: pool, client: cfg.Client, log: cfg.Logger, queued: map[string]*pgnotify.Signal{}}
	if b.client == nil {
		b.client = &http.Client{Timeout: crosscell.MaxWait + 15*time.Second}
	}
	for cell := range cfg.Cells {
		b.queued[cell] = &pgnotify.Signal{}
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	for cell := range cfg.Cells {
		b.wg.Add(2)
		go func() { defer b.wg.Done(); b.follow(bg, cell) }()
		go func() { defer b.wg.Done(); b.deliver(bg, cell) }()
	}
	return b, nil
}

// Close stops the broker; whatever it was doing is taken up again, from
// the database, by the next start.
func (b *Broker) Close() {
	b.cancel()
	b.wg.Wait()
	b.pool.Close()
}

// pause waits d or until ctx ends, reporting whether to go on.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff is the next pause after a failure: doubling from 200 ms to 10 s.
func backoff(d time.Duration) time.Duration {
	return min(max(2*d, 200*time.Millisecond), 10*time.Second)
}
