package sqlstore

import (
	"context"
	"errors"
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
	fn   func(ctx context.Context, c conn) error
	done chan error
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

// write queues fn and waits for its commit.
func (b *groupCommitter) write(ctx context.Context, fn func(ctx context.Context, c conn) error) error {
	w := &batchWrite{fn: fn, done: make(chan error, 1)}
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
		batch := []*batchWrite{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case w := <-b.reqs:
				batch = append(batch, w)
			default:
				break drain
			}
		}
		b.commit(batch)
	}
}

// commit writes a batch in one transaction. If it fails (one session id
// taken, say), each write is retried alone so that one bad row fails only
// its own caller.
func (b *groupCommitter) commit(batch []*batchWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := b.s.inTx(ctx, func(c conn) error {
		for _, w := range batch {
			if err := w.fn(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	for _, w := range batch {
		w.done <- b.s.inTx(ctx, func(c conn) error { return w.fn(ctx, c) })
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
		return s.batch.write(ctx, fn)
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
