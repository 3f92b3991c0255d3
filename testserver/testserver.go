// Package testserver starts a real torii for tests: the same cli.Run that
// `torii serve` runs, on a loopback port, over a fresh SQLite file (or a
// PostgreSQL schema), stopped and cleaned up when the test ends.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/cli"
	"github.com/toriihq/torii/password"
)

// FastHasher is an argon2id hasher with tiny parameters, so tests that sign
// in many times stay quick. Production parameters are tested in package
// password and measured by the load tool.
func FastHasher() *password.Hasher {
	return password.New(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4, nil)
}

// CheckpointInterval is a test server's background WAL checkpoint
// interval, 25 times production's 200 ms: a test binary runs hundreds of
// servers, and at 200 ms their checkpoints were a sixth of the browser
// tests' own CPU, growing with wall time. No test waits for a checkpoint
// (the writer's automatic one is the backstop).
//
// AccessWatchInterval is production's (1 s): tests that see a change made
// by another process (the CLI) reach a server through the watch or within
// the caches' one-second TTL, some of them without saying so. Tests of the
// watch itself set AppOptions.AccessWatchInterval (web's quietServer).
const (
	CheckpointInterval  = 5 * time.Second
	AccessWatchInterval = time.Second
)

// Server is a running torii.
type Server struct {
	// URL is where the server listens (the base URL may name another host).
	URL  string
	Logs *SyncBuffer
	// Env is the environment the server was started with.
	Env map[string]string
	// Database is the TORII_DATABASE it uses.
	Database string
	stop     func()
}

// Stop shuts the server down gracefully (as SIGTERM does) and waits for it.
func (s *Server) Stop() { s.stop() }

// Options adjust a test server.
type Options struct {
	// Env adds or overrides variables (TORII_BASE_URL and TORII_DATABASE
	// are set by Start unless given).
	Env map[string]string
	// AppOptions are passed through (clock, hasher); the hasher defaults
	// to FastHasher, the background loops' intervals to CheckpointInterval
	// and AccessWatchInterval, and on a database of its own (no TORII_DATABASE in
	// Env) the server's first signing key is one made once per test
	// binary (firstKeyShared).
	AppOptions app.Options
}

// ParallelTests, set by a package's TestMain before its tests run, makes
// Start mark the top-level test that calls it parallel (t.Parallel, once
// per test): each test has a server, a database and a port of its own, so
// tests added later are parallel too without a line of their own.
// Subtests are left as they are: they may share their parent's fakes.
// A test of such a package must not use t.Setenv or global state.
var ParallelTests bool

// parallel holds the tests Start has made parallel: t.Parallel may be
// called once, and a test may start several servers.
var parallel sync.Map

// Start runs torii until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if pt, ok := t.(interface{ Parallel() }); ok && ParallelTests && !strings.Contains(t.Name(), "/") {
		if _, again := parallel.LoadOrStore(t, true); !again {
			t.Cleanup(func() { parallel.Delete(t) })
			pt.Parallel()
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"TORII_BASE_URL":  "http://" + ln.Addr().String(),
		"TORII_LOG_LEVEL": "debug",
		// Each test server gets a metrics port of its own.
		"TORII_METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	if _, ok := env["TORII_DATABASE"]; !ok {
		env["TORII_DATABASE"] = freshSQLite(t)
		if opts.AppOptions.RSAKey == nil {
			opts.AppOptions.RSAKey = firstKeyShared()
		}
	}
	if opts.AppOptions.Hasher == nil {
		opts.AppOptions.Hasher = FastHasher()
	}
	if opts.AppOptions.CheckpointInterval == 0 {
		opts.AppOptions.CheckpointInterval = CheckpointInterval
	}
	if opts.AppOptions.AccessWatchInterval == 0 {
		opts.AppOptions.AccessWatchInterval = AccessWatchInterval
	}
	logs := &SyncBuffer{}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- cli.Run(ctx, []string{"serve"}, cli.Env{
			Stdout: logs, Stderr: logs,
			Getenv:     func(k string) string { return env[k] },
			Ready:      func(addr string) { ready <- addr },
			AppOptions: opts.AppOptions,
			Listener:   ln,
		})
	}()
	select {
	case <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("torii exited with %d before it was ready:\n%s", code, logs.String())
	}
	srv := &Server{URL: "http://" + ln.Addr().String(), Logs: logs, Env: env, Database: env["TORII_DATABASE"]}
	srv.stop = sync.OnceFunc(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("torii exited with %d:\n%s", code, logs.String())
		}
	})
	t.Cleanup(srv.stop)
	return srv
}

// Client is an HTTP client with its own cookie jar: one browser.
type Client struct {
	t    testing.TB
	base string
	HTTP *http.Client
}

// Client returns a new client (a fresh cookie jar) for the server. It does
// not follow redirects, so tests can assert on them.
func (s *Server) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, base: s.URL, HTTP: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Response is a read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Decode decodes the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns error.code of a JSON error body, or "".
func (r *Response) ErrorCode() string {
	e, _ := r.JSON()["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// Do sends a request; body may be nil, a string (sent as is) or any value
// (sent as JSON). Extra headers come in pairs.
func (c *Client) Do(method, path string, body any, headers ...string) *Response {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes (server logs).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
