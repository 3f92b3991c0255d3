package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create the bench schema

	"github.com/toriihq/torii/cli"
)

// toriiServer is a torii started in this process the way `torii serve`
// starts: cli.Run with the serve command, on a loopback listener.
type toriiServer struct {
	URL  string
	Env  map[string]string
	stop func() error
}

// switchWriter forwards writes to a writer that can be swapped while in
// use: start-up output is kept to explain a failed start, and after that the
// logs go where -log says.
type switchWriter struct{ w atomic.Pointer[io.Writer] }

func (s *switchWriter) Write(p []byte) (int, error) { return (*s.w.Load()).Write(p) }
func (s *switchWriter) set(w io.Writer)             { s.w.Store(&w) }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startTorii runs torii over database with the production configuration
// except for the variables in env (TORII_BASE_URL and TORII_DATABASE are
// set here). Its output goes to logs once it is ready.
func startTorii(database string, env map[string]string, logs io.Writer) (*toriiServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	full := map[string]string{
		"TORII_BASE_URL": "http://" + ln.Addr().String(),
		"TORII_DATABASE": database,
		// Several servers run side by side, each with its own metrics port.
		"TORII_METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range env {
		full[k] = v
	}
	startup := &lockedBuffer{}
	out := &switchWriter{}
	out.set(io.MultiWriter(startup, logs))
	ready := make(chan string, 1)
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- cli.Run(ctx, []string{"serve"}, cli.Env{
			Stdin:    strings.NewReader(""),
			Stdout:   out,
			Stderr:   out,
			Getenv:   func(k string) string { return full[k] },
			Ready:    func(addr string) { ready <- addr },
			Listener: ln,
		})
	}()
	select {
	case <-ready:
	case code := <-done:
		cancel()
		return nil, fmt.Errorf("torii exited with status %d before it was ready:\n%s", code, startup.String())
	}
	out.set(logs)
	return &toriiServer{URL: full["TORII_BASE_URL"], Env: full, stop: func() error {
		cancel()
		if code := <-done; code != 0 {
			return fmt.Errorf("torii exited with status %d", code)
		}
		return nil
	}}, nil
}

// startBare serves body (as application/json, like torii's writeJSON) for
// every request, from an http.Server with the settings app.(*App).Serve
// uses. It is the ceiling: the cost of HTTP alone on this machine.
func startBare(body []byte, log *slog.Logger) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		cancel()
		<-errc
	}, nil
}

// prepareDatabase returns the TORII_DATABASE to bench against and a
// function removing it afterwards. An empty flag means a fresh SQLite file
// in a temporary directory; a postgres:// URL gets a fresh schema, selected
// with search_path and dropped at the end.
func prepareDatabase(ctx context.Context, flagValue string) (dsn, kind string, cleanup func(), err error) {
	if flagValue == "" {
		dir, err := os.MkdirTemp("", "toriibench-")
		if err != nil {
			return "", "", nil, err
		}
		return filepath.Join(dir, "torii.db"), "SQLite (temporary file)", func() { os.RemoveAll(dir) }, nil
	}
	if !strings.HasPrefix(flagValue, "postgres://") && !strings.HasPrefix(flagValue, "postgresql://") {
		return flagValue, "SQLite (" + flagValue + ")", func() {}, nil
	}
	u, err := url.Parse(flagValue)
	if err != nil {
		return "", "", nil, fmt.Errorf("-database: %w", err)
	}
	if u.Query().Has("search_path") {
		return "", "", nil, errors.New("-database: leave search_path out of the URL; the bench creates its own schema")
	}
	db, err := sql.Open("pgx", flagValue)
	if err != nil {
		return "", "", nil, err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	schema := "toriibench_" + hex.EncodeToString(suffix)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", "", nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), "PostgreSQL (schema " + schema + ")", func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "toriibench: drop schema %s: %v\n", schema, err)
		}
		db.Close()
	}, nil
}
