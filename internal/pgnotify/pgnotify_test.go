package pgnotify

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/pushnchat/pushnchat/internal/errs"
)

func TestWaitFetchesAgainWhenSignalled(t *testing.T) {
	var sig Signal
	fetches, ready := 0, make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Wait(context.Background(), time.Minute, &sig, nil, func() (bool, error) {
			fetches++
			if fetches == 1 {
				close(ready)
			}
			return fetches == 2, nil
		})
	}()
	<-ready
	sig.Fire()
	select {
	case err := <-done:
		if err != nil || fetches != 2 {
			t.Errorf("Wait = %v after %d fetches; want nil after 2", err, fetches)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return within 10s of the signal")
	}
}

func TestWaitAnswersAtTheDeadlineOrAtStop(t *testing.T) {
	var sig Signal
	fetches := 0
	if err := Wait(context.Background(), time.Millisecond, &sig, nil, func() (bool, error) { fetches++; return false, nil }); err != nil || fetches != 2 {
		t.Errorf("deadline: Wait = %v after %d fetches; want nil after 2 (a last look)", err, fetches)
	}
	stop := make(chan struct{})
	close(stop)
	fetches = 0
	if err := Wait(context.Background(), time.Hour, &sig, stop, func() (bool, error) { fetches++; return false, nil }); err != nil || fetches != 2 {
		t.Errorf("stop: Wait = %v after %d fetches; want nil after 2", err, fetches)
	}
	fetches = 0
	if err := Wait(context.Background(), 0, &sig, nil, func() (bool, error) { fetches++; return false, nil }); err != nil || fetches != 1 {
		t.Errorf("no wait: Wait = %v after %d fetches; want nil after 1", err, fetches)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Wait(ctx, time.Hour, &sig, nil, func() (bool, error) { return false, nil }); err == nil {
		t.Error("a cancelled reader: Wait = nil; want the context's error")
	}
}

func TestQuery(t *testing.T) {
	after, wait, err := Query(url.Values{"after": {"42"}, "wait": {"90s"}}, 30*time.Second)
	if err != nil || after != 42 || wait != 30*time.Second {
		t.Errorf("Query(42, 90s) = %d, %v, %v; want 42, 30s (the cap), nil", after, wait, err)
	}
	if after, wait, err := Query(url.Values{}, time.Minute); err != nil || after != 0 || wait != 0 {
		t.Errorf("Query() = %d, %v, %v; want 0, 0, nil", after, wait, err)
	}
	for _, q := range []url.Values{{"after": {"-1"}}, {"after": {"x"}}, {"wait": {"soon"}}, {"wait": {"-5s"}}} {
		if _, _, err := Query(q, time.Minute); !errs.Is(err, errs.Invalid) {
			t.Errorf("Query(%v) = %v; want Invalid", q, err)
		}
	}
}
