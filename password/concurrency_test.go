package password

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestConcurrencyBound proves the semaphore without timing: inside a
// synctest bubble, synctest.Wait returns only once every goroutine is
// durably blocked, so "the second hash has not started" is a fact, not a
// guess based on a sleep.
func TestConcurrencyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := New(testParams, 1, nil)
		var started, inside, maxInside atomic.Int32
		release := make(chan struct{})
		h.beforeHash = func() {
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			if started.Add(1) == 1 {
				<-release // the first hash holds the only slot until released
			}
			inside.Add(-1)
		}
		ctx := t.Context()

		first := make(chan error, 1)
		go func() { _, err := h.Hash(ctx, testPassword); first <- err }()
		synctest.Wait()
		if started.Load() != 1 {
			t.Fatalf("first hash did not start")
		}

		second := make(chan error, 1)
		go func() { _, err := h.Hash(ctx, testPassword); second <- err }()
		cctx, cancel := context.WithCancel(ctx)
		cancelled := make(chan error, 1)
		go func() { _, err := h.Verify(cctx, testPassword, ""); cancelled <- err }()
		dctx, cancelD := context.WithTimeout(ctx, time.Second) // fake clock in the bubble
		defer cancelD()
		deadline := make(chan error, 1)
		go func() { _, err := h.Hash(dctx, testPassword); deadline <- err }()
		synctest.Wait()

		// The deadline passed on the bubble's clock while every goroutine
		// was blocked; the others are still waiting for the slot.
		if err := <-deadline; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("waiting Hash past its deadline = %v, want DeadlineExceeded", err)
		}
		select {
		case err := <-second:
			t.Fatalf("second hash returned (%v) while the first held the only slot", err)
		default:
		}
		cancel()
		synctest.Wait()
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled Verify = %v, want context.Canceled", err)
			}
		default:
			t.Fatal("cancelled Verify still waiting")
		}
		if n := started.Load(); n != 1 {
			t.Fatalf("%d hashes started while the first held the only slot", n)
		}

		close(release)
		synctest.Wait()
		if err := <-first; err != nil {
			t.Errorf("first Hash: %v", err)
		}
		select {
		case err := <-second:
			if err != nil {
				t.Errorf("second Hash: %v", err)
			}
		default:
			t.Fatal("second hash did not run after the first finished")
		}
		if n, m := started.Load(), maxInside.Load(); n != 2 || m != 1 {
			t.Errorf("started %d hashes, at most %d at once; want 2 and 1", n, m)
		}
	})
}
