package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/toriihq/torii"
)

const auditCols = `id, at, user_id, event, email, ip, user_agent, detail`

func scanAudit(sc scanner) (torii.AuditEvent, error) {
	var (
		e      torii.AuditEvent
		detail sql.NullString
	)
	err := sc.Scan(&e.ID, timeCol{&e.At}, nullIntCol{&e.UserID}, &e.Event, &e.Email, &e.IP, &e.UserAgent, &detail)
	if err != nil {
		return e, err
	}
	if detail.Valid {
		if err := json.Unmarshal([]byte(detail.String), &e.Detail); err != nil {
			return e, fmt.Errorf("audit %d detail: %w", e.ID, err)
		}
	}
	return e, nil
}

// AppendAudit implements torii.AuditStore. At defaults to now. A nil Detail
// is stored as NULL and read back as nil; its values come back as JSON
// decodes them (numbers as float64).
func (s *Store) AppendAudit(ctx context.Context, e torii.AuditEvent) (torii.AuditEvent, error) {
	return s.insertAudit(ctx, s.writer(), e)
}

// insertAudit appends e on c (a pool or a transaction).
func (s *Store) insertAudit(ctx context.Context, c conn, e torii.AuditEvent) (torii.AuditEvent, error) {
	args, err := s.auditArgs(&e)
	if err != nil {
		return torii.AuditEvent{}, err
	}
	err = c.queryRow(ctx, `INSERT INTO audit_log (`+auditInsertCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&e.ID)
	if err != nil {
		return torii.AuditEvent{}, s.f.err("append audit", err)
	}
	return e, nil
}

// auditInsertCols are the columns an append writes, in auditArgs' order.
const auditInsertCols = `at, user_id, event, email, ip, user_agent, detail`

// auditArgs returns the values of auditInsertCols for e, defaulting and
// rounding e.At in place.
func (s *Store) auditArgs(e *torii.AuditEvent) ([]any, error) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = ts(e.At)
	var detail any
	if e.Detail != nil {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: audit detail: %w", err)
		}
		detail = string(b)
	}
	return []any{s.f.t(e.At), nullInt(e.UserID), e.Event, e.Email, e.IP, e.UserAgent, detail}, nil
}

// ListAudit implements torii.AuditStore. "Newest" is the largest id, the
// order of appending, so that paging with Before never skips or repeats an
// event; Limit is 50 by default and at most 100.
func (s *Store) ListAudit(ctx context.Context, f torii.AuditFilter) ([]torii.AuditEvent, error) {
	q := `SELECT ` + auditCols + ` FROM audit_log WHERE 1 = 1`
	var args []any
	if f.UserID != nil {
		q += ` AND user_id = ?`
		args = append(args, *f.UserID)
	}
	if f.Event != "" {
		q += ` AND event = ?`
		args = append(args, f.Event)
	}
	if len(f.Events) > 0 {
		q += ` AND event IN (?` + strings.Repeat(`, ?`, len(f.Events)-1) + `)`
		for _, e := range f.Events {
			args = append(args, e)
		}
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	order := ` ORDER BY id DESC`
	if f.Forward {
		q += ` AND id > ?`
		args = append(args, f.After)
		order = ` ORDER BY id`
	}
	q += order + ` LIMIT ?`
	args = append(args, limit(f.Limit))
	rows, err := s.reader().query(ctx, q, args...)
	if err != nil {
		return nil, s.f.err("list audit", err)
	}
	defer rows.Close()
	events := []torii.AuditEvent{}
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, s.f.err("list audit", err)
		}
		events = append(events, e)
	}
	return events, s.f.err("list audit", rows.Err())
}

// PruneAudit implements torii.AuditStore.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.writer().exec(ctx, `DELETE FROM audit_log WHERE at < ?`, s.f.t(before))
	return s.affected("prune audit", res, err)
}
