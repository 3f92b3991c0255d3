package sqlstore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/toriihq/torii"
)

// Group commit on SQLite. All writes go through one connection, and a
// commit costs far more than a few small inserts (each modified page is
// written to the WAL). So concurrent hot writes (sign-ins: a session and an
// audit event; chat messages) that queue up while one commits are written
// together in the next transaction, which touches the same few pages once.
// Each caller still returns only after its rows are committed, and under
// light load a batch is a single write: nothing waits for company.
const (
	maxBatch     = 64
	batchTimeout = 30 * time.Second
)

var errStoreClosed = errors.New("sqlstore: store closed")

// batchWrite is one queued write. fn runs inside the batch's transaction;
// it may run twice (alone, after a failed batch), so it must only record
// its results, never accumulate them.
type batchWrite struct {
	fn func(ctx context.Context, c conn) error
	// signIn, when set, is what fn writes: the batch writes the sign-ins
	// it holds with a few multi-row INSERTs instead of running their fns.
	signIn *signInRows
	done   chan error
}

// signInRows are a sign-in's session and audit event.
type signInRows struct {
	ss torii.Session
	e  torii.AuditEvent
}

// groupCommitter is the goroutine that writes queued writes.
type groupCommitter struct {
	s    *Store
	reqs chan *batchWrite
	stop chan struct{}
	wg   sync.WaitGroup
}

func newGroupCommitter(s *Store) *groupCommitter {
	b := &groupCommitter{s: s, reqs: make(chan *batchWrite), stop: make(chan struct{})}
	b.wg.Go(b.run)
	return b
}

// write queues w and waits for its commit.
func (b *groupCommitter) write(ctx context.Context, w *batchWrite) error {
	w.done = make(chan error, 1)
	select {
	case b.reqs <- w:
	case <-b.stop:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write happens; wait for its outcome whatever ctx says.
	return <-w.done
}

func (b *groupCommitter) run() {
	for {
		var first *batchWrite
		select {
		case first = <-b.reqs:
		case <-b.stop:
			return
		}
		batch := b.drain([]*batchWrite{first})
		if len(batch) < maxBatch {
			// Let the goroutines that are ready to run go first: under
			// load, some are writes about to queue, which then share this
			// commit. On an idle server nothing else is ready and this
			// returns at once.
			runtime.Gosched()
			batch = b.drain(batch)
		}
		b.commit(batch)
	}
}

// drain adds the writes already waiting to batch, up to maxBatch.
func (b *groupCommitter) drain(batch []*batchWrite) []*batchWrite {
	for len(batch) < maxBatch {
		select {
		case w := <-b.reqs:
			batch = append(batch, w)
		default:
			return batch
		}
	}
	return batch
}

// commit writes a batch in one transaction. If it fails (one session id
// taken, say), each write is retried alone so that one bad row fails only
// its own caller.
func (b *groupCommitter) commit(batch []*batchWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	// The deadline bounds the wait for the writer connection (BeginTx).
	// The statements run without one: the SQLite driver starts a goroutine
	// per statement to watch a cancellable context, which would cost more
	// than a small INSERT, and the writer is ours for the transaction.
	stmtCtx := context.WithoutCancel(ctx)
	err := b.s.inTx(ctx, func(c conn) error {
		var signIns []*signInRows
		for _, w := range batch {
			if w.signIn != nil {
				signIns = append(signIns, w.signIn)
			} else if err := w.fn(stmtCtx, c); err != nil {
				return err
			}
		}
		return b.s.insertSignIns(stmtCtx, c, signIns)
	})
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	for _, w := range batch {
		w.done <- b.s.inTx(ctx, func(c conn) error { return w.fn(stmtCtx, c) })
	}
}

func (b *groupCommitter) close() {
	if b == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
}

// grouped runs fn in a transaction: group-committed on SQLite, alone on
// PostgreSQL (whose writers run in parallel).
func (s *Store) grouped(ctx context.Context, fn func(ctx context.Context, c conn) error) error {
	if s.batch != nil {
		return s.batch.write(ctx, &batchWrite{fn: fn})
	}
	return s.inTx(ctx, func(c conn) error { return fn(ctx, c) })
}

// insertSignIn writes a session and its audit event on c.
func (s *Store) insertSignIn(ctx context.Context, c conn, ss torii.Session, e torii.AuditEvent) error {
	if err := s.insertSession(ctx, c, ss); err != nil {
		return err
	}
	_, err := s.insertAudit(ctx, c, e)
	return err
}

// createSessionAudited writes a sign-in: group-committed on SQLite, where
// a batch writes all its sign-ins with a few multi-row INSERTs.
func (s *Store) createSessionAudited(ctx context.Context, ss torii.Session, e torii.AuditEvent) error {
	fn := func(ctx context.Context, c conn) error { return s.insertSignIn(ctx, c, ss, e) }
	if s.batch != nil {
		return s.batch.write(ctx, &batchWrite{fn: fn, signIn: &signInRows{ss: ss, e: e}})
	}
	return s.inTx(ctx, func(c conn) error { return fn(ctx, c) })
}

// maxRowsPerInsert is the largest multi-row INSERT of a batch. A batch's
// sign-ins are written in chunks of 16, 8, 4, 2 and 1 rows, so that a
// handful of statements, each prepared once, serve every batch size.
const maxRowsPerInsert = 16

// Multi-row INSERTs by number of rows (powers of two up to
// maxRowsPerInsert).
var insertSessionsSQL, insertAuditSQL = multiRowInserts(
	`INSERT INTO sessions (`+sessionCols+`) VALUES `, `(?, ?, ?, ?, ?, ?, ?, ?)`), multiRowInserts(
	`INSERT INTO audit_log (`+auditInsertCols+`) VALUES `, `(?, ?, ?, ?, ?, ?, ?)`)

func multiRowInserts(head, row string) map[int]string {
	m := map[int]string{}
	for n := 1; n <= maxRowsPerInsert; n *= 2 {
		m[n] = head + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	}
	return m
}

// insertSignIns writes the sessions and audit events of sign-ins with a
// few multi-row INSERTs: each statement costs far more in the driver than
// the rows it adds.
func (s *Store) insertSignIns(ctx context.Context, c conn, rows []*signInRows) error {
	// insertSession's rule: the user must be live. Checked once per user
	// of the batch; if one is not, the batch fails and each write is
	// retried alone, so that only its own caller gets the error.
	checked := map[int64]bool{}
	for _, r := range rows {
		if !checked[r.ss.UserID] {
			if err := s.checkSessionUser(ctx, c, r.ss.UserID); err != nil {
				return err
			}
			checked[r.ss.UserID] = true
		}
	}
	for len(rows) > 0 {
		n := maxRowsPerInsert
		for n > len(rows) {
			n /= 2
		}
		chunk := rows[:n]
		rows = rows[n:]
		args := make([]any, 0, 8*n)
		for _, r := range chunk {
			args = append(args, s.sessionArgs(r.ss)...)
		}
		if _, err := c.exec(ctx, insertSessionsSQL[n], args...); err != nil {
			return s.f.err("create session", err)
		}
		args = args[:0]
		for _, r := range chunk {
			a, err := s.auditArgs(&r.e)
			if err != nil {
				return err
			}
			args = append(args, a...)
		}
		if _, err := c.exec(ctx, insertAuditSQL[n], args...); err != nil {
			return s.f.err("append audit", err)
		}
	}
	return nil
}
