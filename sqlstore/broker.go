package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/toriihq/torii/chat"
)

// Chat fan-out between instances over PostgreSQL's LISTEN/NOTIFY: nothing
// to run besides the database the instances already share.
//
// Publish delivers to this instance's subscribers at once and NOTIFYs the
// others. One connection per instance, outside the pool, LISTENs; when it
// drops it is re-opened and, once it LISTENs again, every subscriber is
// resynced (chat.Hub.Resync): what was NOTIFYed while nobody listened is
// read from the database, so a reconnect costs a re-read, never a gap.
const (
	// listenerIdle is how long the listener waits for a notification
	// before it pings the server: a connection that died without a word
	// (a network partition) is noticed within listenerIdle + pingTimeout.
	listenerIdle = 30 * time.Second
	pingTimeout  = 5 * time.Second
	// reconnectMin and reconnectMax bound the pause between attempts to
	// re-open the listener.
	reconnectMin = 100 * time.Millisecond
	reconnectMax = 5 * time.Second
	// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload (8000
	// bytes by default), less one.
	maxNotifyPayload = 7999
)

// Broker returns the chat broker for the store's database: in-process
// (chat.Local) on SQLite, which one instance serves alone, and
// LISTEN/NOTIFY on PostgreSQL, shared by every instance on the same
// database and schema. On PostgreSQL it returns once the listener is
// listening, so that nothing another instance publishes from then on is
// missed.
func (s *Store) Broker(ctx context.Context, log *slog.Logger) (chat.Broker, error) {
	if s.f.name != postgresFlavor.name {
		return chat.NewLocal(), nil
	}
	return newPGBroker(ctx, s, log)
}

// pgBroker is the PostgreSQL chat.Broker.
type pgBroker struct {
	chat.Hub
	store   *Store
	log     *slog.Logger
	cfg     *pgx.ConnConfig
	channel string
	// origin tells this broker's notifications from other instances':
	// its own were delivered locally when published.
	origin string

	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	// listenerPID is the backend of the current listener connection
	// (tests terminate it to check the reconnect).
	listenerPID uint32
}

// notification is a chat.Event as it travels in a NOTIFY payload. Data is
// a JSON object already (chat.Event's contract), so it is embedded as is:
// base64 would make a MaxDataSize payload too long for NOTIFY.
type notification struct {
	Origin    string          `json:"o"`
	Kind      string          `json:"k"`
	RoomID    int64           `json:"r,omitempty"`
	MessageID int64           `json:"m,omitempty"`
	UserID    int64           `json:"u,omitempty"`
	SessionID string          `json:"s,omitempty"`
	Data      json.RawMessage `json:"d,omitempty"`
	Log       string          `json:"l,omitempty"`
	Rooms     []int64         `json:"rs,omitempty"`
	Wide      bool            `json:"w,omitempty"`
}

func newPGBroker(ctx context.Context, s *Store, log *slog.Logger) (*pgBroker, error) {
	cfg, err := pgx.ParseConfig(s.dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chat broker: %w", err)
	}
	// A timed-out wait must leave the connection usable (it is pinged
	// next), so the context only sets a deadline: the default handler
	// would also send the server a cancel request, which could cancel
	// that ping.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	// The channel is per schema: instances on other schemas of the same
	// database (tests, several deployments) do not hear each other.
	var schema string
	if err := s.read.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("sqlstore: chat broker: %w", err)
	}
	b := &pgBroker{store: s, log: log, cfg: cfg, channel: "torii_chat:" + schema, origin: rand.Text(), done: make(chan struct{})}
	conn, err := b.listen(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: chat broker: %w", err)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	go b.run(lctx, conn)
	return b, nil
}

// Publish implements chat.Broker: local subscribers at once, the other
// instances through NOTIFY (delivered when its transaction commits; here,
// at once).
func (b *pgBroker) Publish(ctx context.Context, e chat.Event) error {
	if b.Closed() {
		return chat.ErrClosed
	}
	payload, err := json.Marshal(notification{Origin: b.origin, Kind: e.Kind, RoomID: e.RoomID,
		MessageID: e.MessageID, UserID: e.UserID, SessionID: e.SessionID, Data: e.Data, Log: e.Log,
		Rooms: e.Rooms, Wide: e.Wide})
	if err != nil {
		return fmt.Errorf("sqlstore: chat publish: %w", err)
	}
	if len(payload) > maxNotifyPayload {
		return fmt.Errorf("sqlstore: chat publish: %d-byte event is over NOTIFY's limit", len(payload))
	}
	b.Deliver(e)
	if _, err := b.store.write.ExecContext(ctx, `SELECT pg_notify($1, $2)`, b.channel, string(payload)); err != nil {
		return fmt.Errorf("sqlstore: chat publish: %w", err)
	}
	return nil
}

// Close implements chat.Broker: it stops the listener and ends every
// subscription.
func (b *pgBroker) Close() error {
	b.Hub.Close()
	b.cancel()
	<-b.done
	return nil
}

// listen opens a connection and LISTENs on the channel.
func (b *pgBroker) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	b.mu.Lock()
	b.listenerPID = conn.PgConn().PID()
	b.mu.Unlock()
	return conn, nil
}

// run receives notifications until ctx ends, re-opening the listener
// whenever it fails and resyncing the subscribers once it listens again.
func (b *pgBroker) run(ctx context.Context, conn *pgx.Conn) {
	defer close(b.done)
	pause := reconnectMin
	for {
		err := b.receive(ctx, conn)
		conn.Close(context.Background())
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("chat listener lost; reconnecting", "err", err)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			if conn, err = b.listen(ctx); err == nil {
				break
			}
			pause = min(2*pause, reconnectMax)
			b.log.Warn("chat listener: reconnect failed", "err", err, "retry_in", pause)
		}
		pause = reconnectMin
		b.log.Info("chat listener reconnected; streams re-read the database")
		b.Resync()
	}
}

// receive delivers notifications from conn until it fails.
func (b *pgBroker) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenerIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			b.deliver(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// deliver hands another instance's event to the local subscribers.
func (b *pgBroker) deliver(payload string) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		b.log.Warn("chat listener: unreadable notification", "err", err)
		return
	}
	if n.Origin == b.origin {
		return
	}
	b.Deliver(chat.Event{Kind: n.Kind, RoomID: n.RoomID, MessageID: n.MessageID,
		UserID: n.UserID, SessionID: n.SessionID, Data: []byte(n.Data), Log: n.Log,
		Rooms: n.Rooms, Wide: n.Wide})
}
