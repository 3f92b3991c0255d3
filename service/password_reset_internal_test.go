package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
)

// gatedStore holds every address lookup until gate is closed, and
// reports each one on looked: the work that differs between a known and
// an unknown address (the lookup, then the link and its mail) cannot
// finish while the gate is shut.
type gatedStore struct {
	torii.Store
	gate   chan struct{}
	looked chan string
}

func (g gatedStore) UserByEmail(ctx context.Context, email string) (torii.User, error) {
	g.looked <- email
	<-g.gate
	return g.Store.UserByEmail(ctx, email)
}

type noMail struct{}

func (noMail) Send(context.Context, mail.Message) error { return nil }

// TestPasswordReset_AnswerNeverWaitsForTheAddressLookup is the timing
// half of security.md E.27 for resets, as a test that can fail without
// depending on the machine's speed: with the lookup of the address held
// shut, the request for a known and for an unknown address both answer
// (the same nil), so the answer's time cannot depend on whether the
// address exists. An implementation that looked the address up (or made
// the link) before answering blocks here and fails at the bound.
func TestPasswordReset_AnswerNeverWaitsForTheAddressLookup(t *testing.T) {
	st := migratedSQLite(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := st.CreateUser(ctx, torii.User{Email: "ann@example.com", Name: "Ann", Status: torii.StatusActive, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	g := gatedStore{Store: st, gate: make(chan struct{}), looked: make(chan string, 2)}
	s := New(Options{Store: g, Now: func() time.Time { return now }, PasswordLogin: true, Mailer: noMail{}, Issuer: "https://torii.example"})
	opened := false
	open := func() {
		if !opened {
			close(g.gate)
			opened = true
		}
	}
	t.Cleanup(func() { open(); s.WaitResetJobs() })

	for _, email := range []string{"ann@example.com", "nobody@example.com"} {
		answered := make(chan error, 1)
		go func() {
			mailed, err := s.RequestPasswordReset(ctx, email, Meta{IP: "192.0.2.1"})
			if err == nil && !mailed {
				err = errors.New("mailed is false on a server with mail")
			}
			answered <- err
		}()
		select {
		case err := <-answered:
			if err != nil {
				t.Fatalf("%s: %v, want the same nil for every address", email, err)
			}
		case <-time.After(10 * time.Second): // a bound, not a wait for anything
			t.Fatalf("%s: no answer while the address lookup is held: the answer waits for it", email)
		}
	}
	// The lookups did happen, after the answers.
	for range 2 {
		select {
		case <-g.looked:
		case <-time.After(10 * time.Second):
			t.Fatal("an address was never looked up")
		}
	}
	open()
	s.WaitResetJobs()
	evs, err := st.ListAudit(ctx, torii.AuditFilter{Event: torii.AuditPasswordResetRequest, Limit: 10})
	if err != nil || len(evs) != 1 || evs[0].Email != "ann@example.com" {
		t.Fatalf("reset requests audited: %+v, %v; want one, for the known address", evs, err)
	}
}
