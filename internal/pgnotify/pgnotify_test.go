package pgnotify

import (
	"context"
	"testing"
	"time"
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
