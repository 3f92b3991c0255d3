package torii

import (
	"context"
	"time"
)

// Bounds of an outbox mail, checked by the store: a mail is built by torii
// from its own templates, so a larger one is a bug, refused rather than
// stored.
const (
	MaxMailAddress = 320
	MaxMailSubject = 200
	MaxMailBody    = 64 << 10 // each of the text and HTML bodies
)

// OutboxMail is a mail waiting in (or sent from) the outbox. It is stored in
// the transaction of the change that caused it and sent later by the
// background sender, so a crash can delay a mail but never lose it.
type OutboxMail struct {
	ID      int64
	To      string
	Subject string
	// Text and HTML are the two alternative bodies. Both are cleared once
	// the mail is sent: they may hold a single-use link that the database
	// has no reason to keep.
	Text string
	HTML string
	// Kind names what the mail is for (e.g. "verify-email"), for logs.
	Kind      string
	CreatedAt time.Time
	// Attempts counts the claims of the mail, each one a sending attempt.
	Attempts int
	// NextAttemptAt is when the mail may be claimed next.
	NextAttemptAt time.Time
	// LeaseUntil is set while an instance is sending the mail: no other
	// instance claims it before then.
	LeaseUntil *time.Time
	SentAt     *time.Time
	// FailedAt is set when the sender gave up (see the service's retry
	// schedule); LastError is the last failure's text.
	FailedAt  *time.Time
	LastError string
}

// OutboxStore keeps the mail outbox.
type OutboxStore interface {
	// EnqueueMail stores m, due at m.NextAttemptAt (m.CreatedAt if zero).
	// VALIDATION_ERROR if a field is empty or exceeds its bound.
	EnqueueMail(ctx context.Context, m OutboxMail) (OutboxMail, error)
	// ClaimMail leases up to limit due mails (neither sent nor given up,
	// next attempt at or before now, no lease or an expired one) until
	// leaseUntil, counts an attempt on each, and returns them, oldest due
	// first. A mail is leased to one caller at a time, on any instance.
	ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]OutboxMail, error)
	// MarkMailSent records the delivery of mail id at `at` and clears its
	// bodies and lease.
	MarkMailSent(ctx context.Context, id int64, at time.Time) error
	// MarkMailFailed records a failed attempt: it releases the lease and
	// either schedules the next attempt at next or, with giveUp, marks the
	// mail as failed at `at` for good.
	MarkMailFailed(ctx context.Context, id int64, at, next time.Time, lastError string, giveUp bool) error
	// OutboxMailByID returns one mail (tests, diagnostics).
	OutboxMailByID(ctx context.Context, id int64) (OutboxMail, error)
	// PruneMail deletes mails sent or given up before `before`, and
	// returns how many.
	PruneMail(ctx context.Context, before time.Time) (int64, error)
}
