package sqlstore

import (
	"context"
	"errors"
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
		batch := []*signInWrite{first}
	drain:
		for len(batch) < maxSignInBatch {
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
func (b *signInBatcher) commit(batch []*signInWrite) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := b.s.inTx(ctx, func(c conn) error {
		for _, w := range batch {
			if err := b.s.insertSignIn(ctx, c, w.ss, w.e); err != nil {
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
		w.done <- b.s.inTx(ctx, func(c conn) error { return b.s.insertSignIn(ctx, c, w.ss, w.e) })
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
