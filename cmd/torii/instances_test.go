package main_test

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/toriihq/torii/service"
	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

// Several instances of torii on one PostgreSQL database, as behind a load
// balancer: separate processes of the binary the container ships, sharing
// nothing but the database.

// sharedBaseURL is the public URL every instance is given, as behind one
// load balancer: it is the tokens' issuer, so it must be the same.
const sharedBaseURL = "http://torii.test"

func TestMain(m *testing.M) {
	code := testenv.Run(m)
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is the binary buildBinary builds once for the whole package.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildBinary builds cmd/torii with the Dockerfile's flags (static, no cgo)
// once for the package (the first test that needs it builds it; TestMain
// removes it) and checks that the result needs no dynamic loader, as
// distroless/static requires.
func buildBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() { built.bin, built.err = build() })
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func build() (string, error) {
	dir, err := os.MkdirTemp("", "torii-cmd-test-")
	if err != nil {
		return "", err
	}
	built.dir = dir
	bin := filepath.Join(dir, "torii")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	// No deadline of its own: a cold build on a busy machine takes
	// minutes, and go test's -timeout bounds the whole package.
	cmd := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", errors.New("the binary built with CGO_ENABLED=0 asks for a dynamic loader: it would not run on distroless/static")
		}
	}
	return bin, nil
}

// process is one torii started from the binary.
type process struct {
	URL  string
	logs *testserver.SyncBuffer
	cmd  *exec.Cmd
	// killed: the test killed it (kill), so its exit is not checked.
	killed atomic.Bool
}

// kill ends the process at once with SIGKILL, as a crash would.
func (p *process) kill() {
	p.killed.Store(true)
	_ = p.cmd.Process.Kill()
}

// startProcesses starts n instances of bin at once on database and
// returns them when all are ready. Each listens on a port of its own
// (TORII_ADDR 127.0.0.1:0, read back from its "ready" log line) and is
// stopped with SIGTERM when the test ends; it must then exit 0.
func startProcesses(t *testing.T, bin, database string, n int, extra map[string]string) []*process {
	t.Helper()
	env := map[string]string{
		"TORII_ADDR":         "127.0.0.1:0",
		"TORII_METRICS_ADDR": "127.0.0.1:0",
		"TORII_BASE_URL":     sharedBaseURL,
		"TORII_DATABASE":     database,
		"TORII_LOG_FORMAT":   "json",
		"TORII_LOG_LEVEL":    "debug",
	}
	maps.Copy(env, extra)
	procs := make([]*process, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { procs[i], errs[i] = startProcess(t, bin, env) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return procs
}

func startProcess(t *testing.T, bin string, env map[string]string) (*process, error) {
	cmd := exec.Command(bin, "serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &process{logs: &testserver.SyncBuffer{}, cmd: cmd}
	cmd.Stdout = p.logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		// Every line is kept for failure messages; the one saying the
		// server is ready gives its address.
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "torii is ready" {
				ready <- line.Addr
			}
		}
		exited <- cmd.Wait()
	}()
	select {
	case addr := <-ready:
		p.URL = "http://" + addr
	case err := <-exited:
		return nil, errors.New("torii exited before it was ready: " + errString(err) + "\n" + p.logs.String())
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		return nil, errors.New("torii was not ready within a minute:\n" + p.logs.String())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil && !p.killed.Load() {
			t.Errorf("torii at %s: %v\n%s", p.URL, err, p.logs.String())
		}
	})
	return p, nil
}

func errString(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// browser is one user agent: a cookie jar shared by its clients of every
// instance, as a browser behind a load balancer sends its cookie to
// whichever instance answers.
func browser(t *testing.T, procs []*process) []*testserver.Client {
	t.Helper()
	clients := make([]*testserver.Client, len(procs))
	for i, p := range procs {
		clients[i] = (&testserver.Server{URL: p.URL}).Client(t)
		clients[i].HTTP.Jar = clients[0].HTTP.Jar
	}
	return clients
}

func want(t *testing.T, what string, r *testserver.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.Status, r.Body, status)
	}
}

// eventually polls check until it returns "" or the deadline passes: for
// what another instance sees once its one-second principal cache expires.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 10 s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func kids(t *testing.T, c *testserver.Client) []string {
	t.Helper()
	r := c.Do("GET", "/.well-known/jwks.json", nil)
	want(t, "JWKS", r, http.StatusOK)
	var set struct{ Keys []struct{ Kid string } }
	r.Decode(t, &set)
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	slices.Sort(ids)
	return ids
}

// TestInstances_SharePostgres: two processes started together on one
// database make one signing key between them and publish the same JWKS; a
// session or JWT from one is valid on the other; a sign-out or a
// deactivation on one (or from the CLI) ends access on both.
func TestInstances_SharePostgres(t *testing.T) {
	t.Parallel()
	database := testserver.PostgresDatabase(t)
	bin := buildBinary(t)
	procs := startProcesses(t, bin, database, 2, nil)
	a, b := browser(t, procs)[0], browser(t, procs)[1]

	t.Run("one signing key, the same JWKS", func(t *testing.T) {
		ka, kb := kids(t, a), kids(t, b)
		if len(ka) != 1 || !slices.Equal(ka, kb) {
			t.Fatalf("JWKS kids: A %v, B %v; want one key, the same on both", ka, kb)
		}
	})

	ann := browser(t, procs)
	t.Run("sign-in on A is valid on B", func(t *testing.T) {
		want(t, "register on A", ann[0].Do("POST", "/api/v1/auth/register",
			map[string]string{"email": "ann@example.com", "password": "a long enough password", "name": "Ann"}), http.StatusCreated)
		r := ann[1].Do("GET", "/api/v1/me", nil)
		want(t, "/me on B", r, http.StatusOK)
		if !strings.Contains(string(r.Body), `"email":"ann@example.com"`) {
			t.Fatalf("/me on B: %s", r.Body)
		}
	})

	t.Run("a JWT from A verifies on B", func(t *testing.T) {
		r := ann[0].Do("POST", "/api/v1/auth/token", nil)
		want(t, "token on A", r, http.StatusOK)
		var pair struct{ AccessToken, RefreshToken string }
		r.Decode(t, &pair)
		bare := (&testserver.Server{URL: procs[1].URL}).Client(t)
		want(t, "/me on B with A's JWT", bare.Do("GET", "/api/v1/me", nil, "Authorization", "Bearer "+pair.AccessToken), http.StatusOK)
		// The refresh token is single use across instances too.
		want(t, "refresh on B", bare.Do("POST", "/api/v1/auth/token/refresh", map[string]string{"refreshToken": pair.RefreshToken}), http.StatusOK)
		want(t, "re-use on A", a.Do("POST", "/api/v1/auth/token/refresh", map[string]string{"refreshToken": pair.RefreshToken}), http.StatusUnauthorized)
	})

	t.Run("sign-out on B ends the session on A", func(t *testing.T) {
		bob := browser(t, procs)
		want(t, "register bob on B", bob[1].Do("POST", "/api/v1/auth/register",
			map[string]string{"email": "bob@example.com", "password": "a long enough password", "name": "Bob"}), http.StatusCreated)
		want(t, "/me on A", bob[0].Do("GET", "/api/v1/me", nil), http.StatusOK)
		jar := bob[0].HTTP.Jar
		kept := (&testserver.Server{URL: procs[0].URL}).Client(t)
		kept.HTTP.Jar = copyJar(t, jar, procs[0].URL)
		want(t, "logout on B", bob[1].Do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
		eventually(t, "old cookie on A", func() string {
			if r := kept.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
				return http.StatusText(r.Status)
			}
			return ""
		})
	})

	t.Run("deactivation from the CLI ends access on both", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), bin, "user", "set-status", "ann@example.com", "inactive")
		cmd.Env = []string{"TORII_DATABASE=" + database}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("torii user set-status: %v\n%s", err, out)
		}
		for i, c := range ann {
			eventually(t, "ann on instance "+string(rune('A'+i)), func() string {
				if r := c.Do("GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
					return http.StatusText(r.Status)
				}
				return ""
			})
		}
	})
}

// copyJar returns a new jar holding the cookies jar has for url.
func copyJar(t *testing.T, jar http.CookieJar, url string) http.CookieJar {
	t.Helper()
	c := (&testserver.Server{URL: url}).Client(t)
	u := mustURL(t, url)
	c.HTTP.Jar.SetCookies(u, jar.Cookies(u))
	return c.HTTP.Jar
}

// TestInstances_KeyRotationRaceAgreesOnOneKey: two instances whose clocks
// pass the rotation time at once both try to rotate; the database's
// compare-and-swap lets one key in, both publish it, and a token the one
// signs verifies on the other. In-process (cli.Run, as `torii serve`) so
// the clock can be moved.
func TestInstances_KeyRotationRaceAgreesOnOneKey(t *testing.T) {
	t.Parallel()
	database := testserver.PostgresDatabase(t)
	clock := testserver.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	var servers []*testserver.Server
	for range 2 {
		opts := testserver.Options{Env: map[string]string{"TORII_DATABASE": database, "TORII_BASE_URL": sharedBaseURL}}
		opts.AppOptions.Now = clock.Now
		servers = append(servers, testserver.Start(t, opts))
	}
	a, b := servers[0].Client(t), servers[1].Client(t)
	before := kids(t, a)
	if len(before) != 1 || !slices.Equal(before, kids(t, b)) {
		t.Fatalf("before rotation: A %v, B %v", before, kids(t, b))
	}

	// Past the rotation time, within the old key's overlap.
	clock.Advance(service.KeyRotationPeriod + time.Minute)
	var ka, kb []string
	var wg sync.WaitGroup
	wg.Go(func() { ka = kidsNoFatal(servers[0].URL) })
	wg.Go(func() { kb = kidsNoFatal(servers[1].URL) })
	wg.Wait()
	if len(ka) != 2 || !slices.Equal(ka, kb) || !slices.Contains(ka, before[0]) {
		t.Fatalf("after rotation: A %v, B %v; want the old key and exactly one new one, on both", ka, kb)
	}

	want(t, "register on A", a.Do("POST", "/api/v1/auth/register",
		map[string]string{"email": "ann@example.com", "password": "a long enough password", "name": "Ann"}), http.StatusCreated)
	r := a.Do("POST", "/api/v1/auth/token", nil)
	want(t, "token on A", r, http.StatusOK)
	var pair struct{ AccessToken string }
	r.Decode(t, &pair)
	want(t, "/me on B with A's JWT", b.Do("GET", "/api/v1/me", nil, "Authorization", "Bearer "+pair.AccessToken), http.StatusOK)
}

// kidsNoFatal is kids for goroutines other than the test's: nil on any
// failure, which the caller's comparison reports.
func kidsNoFatal(base string) []string {
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid string } }
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &set) != nil {
		return nil
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	slices.Sort(ids)
	return ids
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
