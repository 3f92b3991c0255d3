package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/sqlstore"
	"github.com/toriihq/torii/testserver"
)

// openStore opens (and migrates) the database dsn: a second call on the
// same dsn is a second instance's handle.
func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// instance is one torii instance's service over st, sending to smtp.
func instance(t *testing.T, st torii.Store, smtp *testserver.SMTP, now func() time.Time) *service.Service {
	t.Helper()
	sender, err := mail.New(mail.Options{
		Server: mail.Server{Host: smtp.Host, Port: smtp.Port, Security: mail.StartTLSOpportunistic},
		From:   "torii@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	return service.New(service.Options{Store: st, Mailer: sender, Now: now})
}

func queue(t *testing.T, st torii.Store, to string, at time.Time) torii.OutboxMail {
	t.Helper()
	m, err := st.EnqueueMail(t.Context(), torii.OutboxMail{Kind: "test", To: to, Subject: "Hi", Text: "hello " + to, HTML: "<p>hello</p>", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func deliver(t *testing.T, svc *service.Service) int {
	t.Helper()
	n, err := svc.DeliverMail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOutbox_RetriesAfterSMTPFailureWithBackoffThenSends(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := openStore(t, filepath.Join(t.TempDir(), "torii.db"))
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{})
	svc := instance(t, st, smtp, clock.Now)
	m := queue(t, st, "ann@example.com", clock.Now())
	smtp.Fail(3)

	// Attempts 1, 2, 3 fail; each waits twice as long as the one before.
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if n := deliver(t, svc); n != 1 {
			t.Fatalf("attempt %d: claimed %d", i+1, n)
		}
		got, _ := st.OutboxMailByID(t.Context(), m.ID)
		if got.SentAt != nil || got.Attempts != i+1 || !got.NextAttemptAt.Equal(clock.Now().Add(wait)) || got.LastError == "" {
			t.Fatalf("after failure %d: %+v, want next attempt in %v", i+1, got, wait)
		}
		clock.Advance(wait - time.Second)
		if n := deliver(t, svc); n != 0 {
			t.Fatalf("retried %v early", time.Second)
		}
		clock.Advance(time.Second)
	}
	if n := deliver(t, svc); n != 1 {
		t.Fatal("attempt 4 not made")
	}
	if smtp.Failed() != 3 || len(smtp.Received()) != 1 {
		t.Fatalf("smtp: %d failed, %d received", smtp.Failed(), len(smtp.Received()))
	}
	got, _ := st.OutboxMailByID(t.Context(), m.ID)
	if got.SentAt == nil || got.Text != "" {
		t.Fatalf("sent mail = %+v", got)
	}
	clock.Advance(24 * time.Hour)
	if n := deliver(t, svc); n != 0 {
		t.Fatal("a sent mail was claimed again")
	}
}

func TestOutbox_GivesUpAfterMaxAttempts(t *testing.T) {
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := openStore(t, filepath.Join(t.TempDir(), "torii.db"))
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{})
	svc := instance(t, st, smtp, clock.Now)
	m := queue(t, st, "ann@example.com", clock.Now())
	smtp.Fail(1000)
	for range service.MailMaxAttempts {
		if n := deliver(t, svc); n != 1 {
			t.Fatal("attempt not made")
		}
		clock.Advance(5 * time.Hour) // beyond any retry delay
	}
	got, _ := st.OutboxMailByID(t.Context(), m.ID)
	if got.FailedAt == nil || got.Attempts != service.MailMaxAttempts {
		t.Fatalf("after %d failures: %+v", service.MailMaxAttempts, got)
	}
	if n := deliver(t, svc); n != 0 || smtp.Failed() != service.MailMaxAttempts {
		t.Fatalf("tried again after giving up (%d failures)", smtp.Failed())
	}
}

// killedBetweenCommitAndSend: mails committed to the outbox by an
// instance that died before its sender ran are sent exactly once by two
// other instances whose senders run at the same time.
func killedBetweenCommitAndSend(t *testing.T, dsn string) {
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{})
	clock := testserver.NewClock(time.Now().UTC())
	dead, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	const n = 25
	for i := range n {
		queue(t, dead, "user"+string(rune('a'+i))+"@example.com", clock.Now())
	}
	dead.Close()

	a := instance(t, openStore(t, dsn), smtp, clock.Now)
	b := instance(t, openStore(t, dsn), smtp, clock.Now)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, svc := range []*service.Service{a, b} {
		wg.Go(func() {
			<-start
			for {
				k, err := svc.DeliverMail(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	got := map[string]int{}
	for _, m := range smtp.Received() {
		got[m.To[0]]++
	}
	if len(got) != n {
		t.Errorf("%d distinct mails received, want %d", len(got), n)
	}
	for to, k := range got {
		if k != 1 {
			t.Errorf("%s received %d times", to, k)
		}
	}
}

func TestOutbox_KilledBetweenCommitAndSendIsSentOnce_SQLiteTwoHandles(t *testing.T) {
	killedBetweenCommitAndSend(t, filepath.Join(t.TempDir(), "torii.db"))
}

func TestOutbox_KilledBetweenCommitAndSendIsSentOnce_PostgresTwoInstances(t *testing.T) {
	killedBetweenCommitAndSend(t, testserver.PostgresDatabase(t))
}

// TestOutbox_EnqueueWakesTheSender: a mail queued on this instance goes out
// at once, not at the next poll (an hour here).
func TestOutbox_EnqueueWakesTheSender(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "torii.db"))
	smtp := testserver.StartSMTP(t, testserver.SMTPOptions{})
	svc := instance(t, st, smtp, nil)
	// A probe queued before the loop starts is sent by its first round:
	// once it arrives, that round has claimed everything there was.
	queue(t, st, "probe@example.com", time.Now())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); svc.RunOutbox(ctx, time.Hour) }()
	t.Cleanup(func() { cancel(); <-done })
	if m := smtp.Next(t); m.To[0] != "probe@example.com" {
		t.Fatalf("first mail to %v", m.To)
	}
	u, err := st.CreateUser(t.Context(), torii.User{Email: "ann@example.com", Name: "Ann", Status: torii.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	p := service.Principal{User: u}
	if err := svc.ResendVerification(t.Context(), p, service.Meta{}); err != nil {
		t.Fatal(err)
	}
	m := smtp.Next(t)
	if m.To[0] != "ann@example.com" {
		t.Fatalf("mail to %v", m.To)
	}
}
