package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// WAL checkpoints on SQLite, off the writer's path.
//
// A commit appends the changed pages to the WAL; a checkpoint copies them
// back into the database file and syncs both files. By default SQLite
// checkpoints inside the commit that takes the WAL past 1,000 pages, on the
// writer connection, so every writer waits for those two fsyncs (each
// milliseconds on a shared disk) — and under load that was every few hundred
// sign-ins. Instead:
//
//   - a background connection runs a PASSIVE checkpoint every
//     checkpointEvery. PASSIVE takes no write lock: it copies what the
//     readers allow and syncs while the writer goes on committing;
//   - the writer keeps SQLite's automatic checkpoint as a backstop, at
//     walAutoCheckpoint pages. A WAL can only start over from its beginning
//     when a checkpoint has caught up with the last commit, which the
//     background one never quite does while commits keep coming; the
//     writer's checkpoint then has little left to copy.
//
// Durability is unchanged in kind: synchronous(NORMAL) commits are atomic
// and survive a crash of the process; after a power loss the commits since
// the last sync of the WAL may be lost. That window used to be "the last
// 1,000 pages", however old; it is now at most about checkpointEvery.
const (
	checkpointEvery   = 200 * time.Millisecond
	walAutoCheckpoint = 10000 // pages (40 MiB with 4 KiB pages)
)

// checkpointer runs the background checkpoints on its own connection.
type checkpointer struct {
	db    *sql.DB
	every time.Duration
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	c := &checkpointer{db: db, every: every, stop: make(chan struct{})}
	c.wg.Go(c.run)
	return c
}

func (c *checkpointer) run() {
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.stop:
			return
		}
		// An error (SQLITE_BUSY from a concurrent checkpoint, a full disk)
		// leaves the frames in the WAL, where the next round or the
		// writer's backstop picks them up.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, _ = c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
	}
}

func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	close(c.stop)
	c.wg.Wait()
	return c.db.Close()
}
