package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

const outboxCols = `id, kind, to_addr, subject, text_body, html_body, created_at, attempts,
	next_attempt_at, lease_until, sent_at, failed_at, last_error`

func scanOutbox(sc scanner) (torii.OutboxMail, error) {
	var m torii.OutboxMail
	err := sc.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, timeCol{&m.CreatedAt}, &m.Attempts,
		timeCol{&m.NextAttemptAt}, nullTimeCol{&m.LeaseUntil}, nullTimeCol{&m.SentAt}, nullTimeCol{&m.FailedAt}, &m.LastError)
	return m, err
}

// checkMail enforces the outbox bounds (torii.MaxMail…).
func checkMail(m torii.OutboxMail) error {
	fields := map[string]string{}
	switch {
	case m.To == "":
		fields["to"] = "is required"
	case len(m.To) > torii.MaxMailAddress:
		fields["to"] = "is too long"
	}
	switch {
	case m.Subject == "":
		fields["subject"] = "is required"
	case len(m.Subject) > torii.MaxMailSubject:
		fields["subject"] = "is too long"
	}
	if m.Text == "" {
		fields["text"] = "is required"
	}
	if len(m.Text) > torii.MaxMailBody {
		fields["text"] = "is too long"
	}
	if len(m.HTML) > torii.MaxMailBody {
		fields["html"] = "is too long"
	}
	if m.Kind == "" {
		fields["kind"] = "is required"
	}
	if len(fields) > 0 {
		return torii.Invalid(fields)
	}
	return nil
}

// EnqueueMail implements torii.OutboxStore.
func (s *Store) EnqueueMail(ctx context.Context, m torii.OutboxMail) (torii.OutboxMail, error) {
	return s.insertMail(ctx, s.writer(), m)
}

// insertMail inserts m on c (a pool or a transaction).
func (s *Store) insertMail(ctx context.Context, c conn, m torii.OutboxMail) (torii.OutboxMail, error) {
	if err := checkMail(m); err != nil {
		return torii.OutboxMail{}, err
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	m.CreatedAt, m.NextAttemptAt = ts(m.CreatedAt), ts(m.NextAttemptAt)
	m.Attempts, m.LeaseUntil, m.SentAt, m.FailedAt, m.LastError = 0, nil, nil, nil, ""
	err := c.queryRow(ctx, `INSERT INTO mail_outbox (kind, to_addr, subject, text_body, html_body, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Kind, m.To, m.Subject, m.Text, m.HTML, s.f.t(m.CreatedAt), s.f.t(m.NextAttemptAt)).Scan(&m.ID)
	if err != nil {
		return torii.OutboxMail{}, s.f.err("enqueue mail", err)
	}
	return m, nil
}

// ClaimMail implements torii.OutboxStore. The due rows are selected and
// leased in one transaction. On PostgreSQL FOR UPDATE SKIP LOCKED makes a
// concurrent claimer pass over the rows being leased instead of waiting
// for them and leasing them again; the lease condition in the UPDATE is
// checked once more, so a row whose lease another claimer has just taken
// is never returned twice. On SQLite BEGIN IMMEDIATE makes claimers (even
// separate processes on one file) take turns.
func (s *Store) ClaimMail(ctx context.Context, now, leaseUntil time.Time, limit int) ([]torii.OutboxMail, error) {
	if limit <= 0 {
		return nil, nil
	}
	limit = min(limit, maxLimit)
	lock := ""
	if s.f.forUpdate != "" {
		lock = s.f.forUpdate + " SKIP LOCKED"
	}
	var out []torii.OutboxMail
	err := s.inTx(ctx, func(c conn) error {
		rows, err := c.query(ctx, `SELECT id FROM mail_outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`+lock, s.f.t(now), s.f.t(now), limit)
		if err != nil {
			return s.f.err("claim mail", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return s.f.err("claim mail", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.f.err("claim mail", err)
		}
		for _, id := range ids {
			m, err := scanOutbox(c.queryRow(ctx, `UPDATE mail_outbox SET lease_until = ?, attempts = attempts + 1
				WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL AND (lease_until IS NULL OR lease_until <= ?)
				RETURNING `+outboxCols, s.f.t(leaseUntil), id, s.f.t(now)))
			if err := s.f.err("claim mail", err); err == torii.ErrNotFound {
				continue // leased by another claimer meanwhile
			} else if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkMailSent implements torii.OutboxStore.
func (s *Store) MarkMailSent(ctx context.Context, id int64, at time.Time) error {
	res, err := s.writer().exec(ctx, `UPDATE mail_outbox SET sent_at = ?, lease_until = NULL,
		text_body = '', html_body = '', last_error = '' WHERE id = ?`, s.f.t(at), id)
	return s.changed("mark mail sent", res, err)
}

// maxMailError bounds the stored text of a failure.
const maxMailError = 1000

// MarkMailFailed implements torii.OutboxStore.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, at, next time.Time, lastError string, giveUp bool) error {
	if len(lastError) > maxMailError {
		lastError = strings.ToValidUTF8(lastError[:maxMailError], "")
	}
	var failed any
	if giveUp {
		failed = s.f.t(at)
	}
	res, err := s.writer().exec(ctx, `UPDATE mail_outbox SET lease_until = NULL, next_attempt_at = ?,
		failed_at = ?, last_error = ? WHERE id = ? AND sent_at IS NULL`, s.f.t(next), failed, lastError, id)
	return s.changed("mark mail failed", res, err)
}

// OutboxMailByID implements torii.OutboxStore.
func (s *Store) OutboxMailByID(ctx context.Context, id int64) (torii.OutboxMail, error) {
	m, err := scanOutbox(s.reader().queryRow(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE id = ?`, id))
	return m, s.f.err("outbox mail", err)
}

// PruneMail implements torii.OutboxStore.
func (s *Store) PruneMail(ctx context.Context, before time.Time) (int64, error) {
	b := s.f.t(before)
	res, err := s.writer().exec(ctx, `DELETE FROM mail_outbox WHERE sent_at < ? OR failed_at < ?`, b, b)
	return s.affected("prune mail", res, err)
}
