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

// Group commit of sign-ins on SQLite. Every sign-in writes a session and
// an audit event; on SQLite all writes go through one connection, and a
// commit costs far more than the two inserts (each modified page is
// written to the WAL). So concurrent sign-ins that queue up while one
// commits are written together in the next transaction, which touches the
// same few pages once. Each caller still returns only after its rows are
// committed, and under light load a batch is a single sign-in: nothing
// waits for company.
const (
	maxSignInBatch = 64
	batchTimeout   = 30 * time.Second
)

var errStoreClosed = errors.New("sqlstore: store closed")

type signInWrite struct {
	ss   torii.Session
	e    torii.AuditEvent
	done chan error
}

// signInBatcher is the goroutine that writes queued sign-ins.
type signInBatcher struct {
	s    *Store
	reqs chan *signInWrite
	stop chan struct{}
	wg   sync.WaitGroup
}

func newSignInBatcher(s *Store) *signInBatcher {
	b := &signInBatcher{s: s, reqs: make(chan *signInWrite), stop: make(chan struct{})}
	b.wg.Go(b.run)
	return b
}

// write queues w and waits for its commit.
func (b *signInBatcher) write(ctx context.Context, w *signInWrite) error {
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

func (b *signInBatcher) run() {
	for {
		var first *signInWrite
		select {
		case first = <-b.reqs:
		case <-b.stop:
			return
		}
		batch := b.drain([]*signInWrite{first})
		if len(batch) < maxSignInBatch {
			// Let the goroutines that are ready to run go first: under
			// load, some are sign-ins about to queue, which then share
			// this commit. On an idle server nothing else is ready and
			// this returns at once.
			runtime.Gosched()
			batch = b.drain(batch)
		}
		b.commit(batch)
	}
}

// drain adds the writes already waiting to batch, up to maxSignInBatch.
func (b *signInBatcher) drain(batch []*signInWrite) []*signInWrite {
	for len(batch) < maxSignInBatch {
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
func (b *signInBatcher) commit(batch []*signInWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	// The deadline bounds the wait for the writer connection (BeginTx).
	// The statements run without one: the SQLite driver starts a goroutine
	// per statement to watch a cancellable context, which here would cost
	// more than the statement, and the writer is ours for the transaction.
	stmtCtx := context.WithoutCancel(ctx)
	err := b.s.inTx(ctx, func(c conn) error { return b.s.insertSignIns(stmtCtx, c, batch) })
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	for _, w := range batch {
		w.done <- b.s.inTx(ctx, func(c conn) error { return b.s.insertSignIn(stmtCtx, c, w.ss, w.e) })
	}
}

func (b *signInBatcher) close() {
	if b == nil {
		return
	}
	close(b.stop)
	b.wg.Wait()
}

// insertSignIn writes a session and its audit event on c.
func (s *Store) insertSignIn(ctx context.Context, c conn, ss torii.Session, e torii.AuditEvent) error {
	if err := s.insertSession(ctx, c, ss); err != nil {
		return err
	}
	_, err := s.insertAudit(ctx, c, e)
	return err
}

// maxRowsPerInsert is the largest multi-row INSERT of a batch. A batch is
// written in chunks of 16, 8, 4, 2 and 1 rows, so that a handful of
// statements, each prepared once, serve every batch size.
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

// insertSignIns writes the sessions and audit events of a batch with a
// few multi-row INSERTs: each statement costs far more in the driver than
// the rows it adds.
func (s *Store) insertSignIns(ctx context.Context, c conn, batch []*signInWrite) error {
	for rest := batch; len(rest) > 0; {
		n := maxRowsPerInsert
		for n > len(rest) {
			n /= 2
		}
		chunk := rest[:n]
		rest = rest[n:]
		args := make([]any, 0, 8*n)
		for _, w := range chunk {
			args = append(args, s.sessionArgs(w.ss)...)
		}
		if _, err := c.exec(ctx, insertSessionsSQL[n], args...); err != nil {
			return s.f.err("create session", err)
		}
		args = args[:0]
		for _, w := range chunk {
			a, err := s.auditArgs(&w.e)
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
