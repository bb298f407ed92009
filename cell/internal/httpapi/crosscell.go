package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/pushnchat/pushnchat/cell/internal/postgres"
	"github.com/pushnchat/pushnchat/internal/crosscell"
	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/ids"
	"github.com/pushnchat/pushnchat/internal/problem"
	"github.com/pushnchat/pushnchat/internal/signedcall"
)

// handleOutbox serves the outbox to the broker (package crosscell).
func (s *server) handleOutbox() http.Handler {
	return s.serveFeed(crosscell.MaxWait, s.Outbox, func(ctx context.Context, after int64) (any, bool, error) {
		page, err := s.DB.Outbox(ctx, after, 500)
		return page, len(page.Events) > 0, err
	})
}

// handleInbox applies one transaction from the broker: its deliveries in
// order, each in its own database transaction and at most once. Only
// calls signed by the broker for this cell, unseen before, are taken;
// every other call is refused and logged. A delivery that can never be
// applied (bad input, an unknown business) gets its problem in the
// receipt and the rest go on; a failure of the cell itself fails the call,
// and the broker's retry finds what was applied already.
func (s *server) handleInbox() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Inbox == nil {
			s.fail(w, r, errs.E(errs.NotFound, "no such endpoint"))
			return
		}
		body, err := s.Inbox.Verify(r, crosscell.MaxTransaction)
		if errors.Is(err, signedcall.ErrRefused) {
			s.Logger.WarnContext(r.Context(), "inbox: call refused", "reason", err.Error(), "remote", r.RemoteAddr)
			s.fail(w, r, errs.E(errs.Unauthenticated, "inbox calls must be signed by the broker"))
			return
		}
		if err != nil {
			s.fail(w, r, &errs.Error{Kind: errs.Unavailable, Message: "cannot check the call now; retry", RetryAfter: 1, Err: err})
			return
		}
		var txn crosscell.Transaction
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&txn); err != nil {
			s.fail(w, r, errs.E(errs.Invalid, "transaction: %v", err))
			return
		}
		if len(txn.Deliveries) > crosscell.MaxDeliveries {
			s.fail(w, r, errs.E(errs.Invalid, "at most %d deliveries per transaction", crosscell.MaxDeliveries))
			return
		}
		receipt := crosscell.Receipt{Results: make([]crosscell.Result, 0, len(txn.Deliveries))}
		for _, d := range txn.Deliveries {
			got, err := func() (postgres.Received, error) {
				if err := checkDelivery(d); err != nil {
					return postgres.Received{}, err
				}
				return s.DB.Receive(r.Context(), d)
			}()
			switch k := errs.KindOf(err); {
			case err == nil:
				s.announce(r.Context(), got)
				receipt.Results = append(receipt.Results, crosscell.Result{Status: http.StatusOK, Applied: got.Applied})
			case k == errs.Invalid || k == errs.NotFound:
				p, _ := problem.From(err, r.URL.Path, "")
				receipt.Results = append(receipt.Results, crosscell.Result{Status: p.Status, Problem: p.Detail})
			default:
				s.fail(w, r, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, receipt)
	})
}

// announce makes what a delivery changed live: a partner's messages,
// receipts, refused messages.
func (s *server) announce(ctx context.Context, got postgres.Received) {
	ctx = context.WithoutCancel(ctx)
	for _, m := range got.Messages {
		s.Realtime.Publish(ctx, m)
	}
	for _, rc := range got.Receipts {
		s.Realtime.PublishPartnerReceipt(ctx, rc.Conversation, rc.State, rc.Seq)
	}
	for _, x := range got.Refused {
		s.Realtime.PublishRefused(ctx, x.Conversation, x.Seq, x.Refusal.Rules, x.Refusal.Explanation)
	}
}

// checkDelivery checks what a delivery names is well formed.
func checkDelivery(d crosscell.Delivery) error {
	var f errs.Fields
	switch {
	case d.Event != nil && d.Refusal == nil && d.Delivered == "":
		if !ids.Valid(d.Event.ID) || !ids.Valid(d.Event.Tenant) || !ids.Valid(d.Event.Partner) {
			f.Add("event", "id, tenant and partner must be ids")
		}
		if d.Event.Actor != "" && !ids.Valid(d.Event.Actor) {
			f.Add("event.actor", "must be an id")
		}
		if !slices.Contains(crosscell.Kinds, d.Event.Kind) {
			f.Add("event.kind", "unknown kind %q", d.Event.Kind)
		}
	case d.Refusal != nil && d.Event == nil && d.Delivered == "":
		if !ids.Valid(d.Refusal.Event) {
			f.Add("refusal.event", "must be an id")
		}
	case d.Delivered != "" && d.Event == nil && d.Refusal == nil:
		if !ids.Valid(d.Delivered) {
			f.Add("delivered", "must be an event id")
		}
	default:
		f.Add("", "a delivery holds one of an event, a refusal or a delivered event id")
	}
	if d.From == "" {
		f.Add("from", "must name the sending cell")
	}
	return f.Err()
}
