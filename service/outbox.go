package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/mail"
)

// Mailer delivers one message (mail.Sender in production).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// The outbox's schedule (docs/api.md, "Mail").
const (
	// mailBatch bounds the mails one round claims.
	mailBatch = 10
	// mailLease is how long a claimed mail is reserved for the instance
	// sending it. It exceeds a round's worst case (mailBatch sends, each
	// bounded by mail.DefaultTimeout), so a live sender never loses its
	// lease; a dead one's mails are claimed again once it expires.
	mailLease = 10 * time.Minute
	// MailMaxAttempts is how many times a mail is tried before it is
	// given up (failed_at set, logged as an error).
	MailMaxAttempts = 8
	// mailFirstRetry doubles after each failure, up to mailMaxRetry:
	// 1, 2, 4, 8, 16, 32, 64 minutes between the 8 attempts, about two
	// hours in all.
	mailFirstRetry = time.Minute
	mailMaxRetry   = 4 * time.Hour
	// mailPoll is how often the sender looks for due mails when nothing
	// wakes it (retries, mails queued by another instance or the CLI).
	mailPoll = 30 * time.Second
	// mailKeep is how long sent and given-up mails stay in the outbox.
	mailKeep = 7 * 24 * time.Hour
)

// mailRetryDelay is the wait after the attempts-th failed attempt.
func mailRetryDelay(attempts int) time.Duration {
	d := mailFirstRetry
	for i := 1; i < attempts && d < mailMaxRetry; i++ {
		d *= 2
	}
	return min(d, mailMaxRetry)
}

// outboxWake lets an enqueue on this instance wake the sender at once.
// The zero value is ready to use.
type outboxWake struct {
	once sync.Once
	ch   chan struct{}
}

func (w *outboxWake) c() chan struct{} {
	w.once.Do(func() { w.ch = make(chan struct{}, 1) })
	return w.ch
}

// poke wakes the sender without blocking; one pending wake is enough.
func (w *outboxWake) poke() {
	select {
	case w.c() <- struct{}{}:
	default:
	}
}

// MailEnabled reports whether torii sends mail (TORII_SMTP_URL is set).
func (s *Service) MailEnabled() bool { return s.opts.Mailer != nil }

// RunOutbox sends queued mail until ctx ends: at once when this instance
// queues one, else every poll (mailPoll if ≤ 0). It returns when ctx is
// done and the round under way has ended. Without a mailer it returns at
// once.
func (s *Service) RunOutbox(ctx context.Context, poll time.Duration) {
	if s.opts.Mailer == nil {
		return
	}
	if poll <= 0 {
		poll = mailPoll
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := s.DeliverMail(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("outbox round failed", "err", err)
			}
			if err != nil || n < mailBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.outbox.c():
		case <-t.C:
		}
	}
}

// DeliverMail runs one round of the outbox: it claims up to mailBatch due
// mails, sends each, and records the result. A failed mail is retried
// after mailRetryDelay and given up after MailMaxAttempts; a send cut
// short by ctx is released for the next round without counting against
// it. It returns how many mails it claimed.
func (s *Service) DeliverMail(ctx context.Context) (int, error) {
	if s.opts.Mailer == nil {
		return 0, nil
	}
	now := s.now().UTC()
	batch, err := s.store.ClaimMail(ctx, now, now.Add(mailLease), mailBatch)
	if err != nil {
		return 0, err
	}
	// Results are recorded even when ctx ends mid-round (shutdown).
	rec := context.WithoutCancel(ctx)
	for _, m := range batch {
		err := s.opts.Mailer.Send(ctx, mail.Message{To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
		at := s.now().UTC()
		switch {
		case err == nil:
			err = s.store.MarkMailSent(rec, m.ID, at)
			s.log.Info("mail sent", "mail_id", m.ID, "kind", m.Kind, "attempt", m.Attempts)
		case ctx.Err() != nil:
			err = s.store.MarkMailFailed(rec, m.ID, at, at, "interrupted: "+err.Error(), false)
		default:
			giveUp := m.Attempts >= MailMaxAttempts
			next := at.Add(mailRetryDelay(m.Attempts))
			if giveUp {
				s.log.Error("mail given up", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", err)
			} else {
				s.log.Warn("mail failed, will retry", "mail_id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "retry_at", next, "err", err)
			}
			err = s.store.MarkMailFailed(rec, m.ID, at, next, err.Error(), giveUp)
		}
		if err != nil && !errors.Is(err, torii.ErrNotFound) {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// pruneMail drops old outbox rows and expired verification tokens.
func (s *Service) pruneMail(ctx context.Context, now time.Time) error {
	if _, err := s.store.PruneMail(ctx, now.Add(-mailKeep)); err != nil {
		return err
	}
	_, err := s.store.DeleteExpiredEmailVerifications(ctx, now)
	return err
}
