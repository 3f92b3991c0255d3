package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/toriihq/torii/password"
)

// Targets of the issue.
const (
	meTarget    = 0.60 // authenticated GET /api/v1/me vs the bare handler
	loginTarget = 0.80 // password sign-ins vs raw argon2id hashes
)

// benchPassword is every bench user's password (at least 12 characters).
const benchPassword = "correct horse battery staple"

// bench holds what the scenarios share: the options, the HTTP client side
// and the torii under test.
type bench struct {
	opts  options
	tr    *http.Transport
	torii *toriiServer
	log   *slog.Logger // the bare server's error log
}

func newTransport(maxClients int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no overall limit
		MaxIdleConnsPerHost: maxClients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// Phase is one measured run.
type Phase struct {
	Name   string  `json:"name"`
	Stats  Stats   `json:"stats"`
	Memory *Memory `json:"memory,omitempty"`
}

// MeResult is the outcome of scenario me.
type MeResult struct {
	BodyBytes int     `json:"bodyBytes"`
	Torii     Phase   `json:"torii"`
	Bare      Phase   `json:"bare"`
	Ratio     float64 `json:"ratio"`
	Target    float64 `json:"target"`
	Pass      bool    `json:"pass"`
}

// LoginResult is the outcome of scenario login.
type LoginResult struct {
	Params          string  `json:"params"`
	HashConcurrency int     `json:"hashConcurrency"`
	Users           int     `json:"users"`
	Raw             Phase   `json:"raw"`
	Login           Phase   `json:"login"`
	Waiting         *Phase  `json:"waiting,omitempty"`
	Ratio           float64 `json:"ratio"`
	Target          float64 `json:"target"`
	Pass            bool    `json:"pass"`
}

// do sends req and reads the whole answer, returning its status and, if
// keep is set, its body. Any status but 2xx is a statusError.
func (b *bench) do(req *http.Request, keep bool) (*http.Response, []byte, error) {
	resp, err := b.tr.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	var body []byte
	if keep {
		body, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp, body, statusError{resp.StatusCode}
	}
	return resp, body, err
}

// register creates a password account and returns its session cookie
// ("name=value").
func (b *bench) register(ctx context.Context, email, name string) (string, error) {
	in, _ := json.Marshal(map[string]string{"email": email, "password": benchPassword, "name": name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.torii.URL+"/api/v1/auth/register", bytes.NewReader(in))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, body, err := b.do(req, true)
	if err != nil {
		return "", fmt.Errorf("register %s: %w %s", email, err, body)
	}
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "torii_session") && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("register %s: no session cookie in the answer", email)
}

// registerMany registers n users concurrently and returns their emails.
func (b *bench) registerMany(ctx context.Context, prefix string, n int) ([]string, error) {
	emails := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		emails[i] = fmt.Sprintf("%s-%04d@example.com", prefix, i)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, errs[i] = b.register(ctx, emails[i], fmt.Sprintf("Bench User %d", i))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return emails, nil
}

// getOp sends GET url with the cookie. Each client builds its request once
// and reuses it (allowed once the previous answer's body is closed), so the
// load generator costs as little as it can.
func (b *bench) getOp(url, cookie string) newOp {
	return func(int) op {
		var req *http.Request
		return func(ctx context.Context) error {
			if req == nil {
				var err error
				if req, err = http.NewRequestWithContext(ctx, http.MethodGet, url, nil); err != nil {
					return err
				}
				req.Header.Set("Cookie", cookie)
			}
			_, _, err := b.do(req, false)
			return err
		}
	}
}

// loginOp signs in as emails[client % len(emails)].
func (b *bench) loginOp(emails []string) newOp {
	url := b.torii.URL + "/api/v1/auth/login"
	return func(client int) op {
		body, _ := json.Marshal(map[string]string{"email": emails[client%len(emails)], "password": benchPassword})
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			_, _, err = b.do(req, false)
			return err
		}
	}
}

// phase runs one measured closed loop, optionally watching memory, after a
// GC so that earlier phases leave as little behind as possible.
func (b *bench) phase(ctx context.Context, name string, clients int, watchMem bool, mk newOp) Phase {
	b.progress("  %-44s %d clients, %s warm-up + %s …", name, clients, b.opts.warmup, b.opts.duration)
	runtime.GC()
	var mw *memWatch
	if watchMem {
		mw = watchMemory()
	}
	st := runLoad(ctx, clients, b.opts.warmup, b.opts.duration, mk)
	p := Phase{Name: name, Stats: st}
	if mw != nil {
		m := mw.Stop()
		p.Memory = &m
	}
	b.tr.CloseIdleConnections()
	b.progress(" %s/s\n", fmtRate(st.PerSec))
	return p
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.opts.stderr, format, args...)
}

// scenarioMe measures authenticated GET /api/v1/me against the bare
// handler serving the same body.
func (b *bench) scenarioMe(ctx context.Context) (*MeResult, error) {
	cookie, err := b.register(ctx, "bench-me@example.com", "Bench Me")
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.torii.URL+"/api/v1/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", cookie)
	_, body, err := b.do(req, true)
	if err != nil {
		return nil, fmt.Errorf("GET /api/v1/me: %w %s", err, body)
	}
	bareURL, stopBare, err := startBare(body, b.log)
	if err != nil {
		return nil, err
	}
	defer stopBare()

	r := &MeResult{BodyBytes: len(body), Target: meTarget}
	r.Torii = b.phase(ctx, "torii GET /api/v1/me (authenticated)", b.opts.clients, false,
		b.getOp(b.torii.URL+"/api/v1/me", cookie))
	r.Bare = b.phase(ctx, "bare net/http, same body (ceiling)", b.opts.clients, false,
		b.getOp(bareURL+"/api/v1/me", cookie))
	if r.Bare.Stats.PerSec > 0 {
		r.Ratio = r.Torii.Stats.PerSec / r.Bare.Stats.PerSec
	}
	r.Pass = r.Ratio >= meTarget && r.Torii.Stats.Errors == 0 && r.Bare.Stats.Errors == 0
	return r, nil
}

// scenarioLogin measures password sign-ins against raw argon2id hashing
// with the same parameters, and the memory of both.
func (b *bench) scenarioLogin(ctx context.Context) (*LoginResult, error) {
	b.progress("  registering %d users (production argon2id parameters) …", b.opts.loginUsers)
	emails, err := b.registerMany(ctx, "bench-login", b.opts.loginUsers)
	if err != nil {
		return nil, err
	}
	b.progress(" done\n")
	p := password.DefaultParams
	r := &LoginResult{
		Params:          fmt.Sprintf("argon2id m=%d KiB, t=%d, p=%d", p.Memory, p.Time, p.Threads),
		HashConcurrency: runtime.NumCPU(),
		Users:           len(emails),
		Target:          loginTarget,
	}
	if v, err := strconv.Atoi(b.torii.Env["TORII_PASSWORD_HASH_CONCURRENCY"]); err == nil && v > 0 {
		r.HashConcurrency = v
	}

	h := password.New(password.DefaultParams, 0, nil)
	r.Raw = b.phase(ctx, fmt.Sprintf("raw argon2id Hash, %d goroutines", runtime.NumCPU()), runtime.NumCPU(), true,
		func(int) op {
			return func(ctx context.Context) error {
				_, err := h.Hash(ctx, benchPassword)
				return err
			}
		})
	r.Login = b.phase(ctx, "torii POST /api/v1/auth/login", b.opts.clients, true, b.loginOp(emails))
	if b.opts.waitClients > 0 {
		w := b.phase(ctx, "torii POST /api/v1/auth/login (many waiting)", b.opts.waitClients, true, b.loginOp(emails))
		r.Waiting = &w
	}
	if r.Raw.Stats.PerSec > 0 {
		r.Ratio = r.Login.Stats.PerSec / r.Raw.Stats.PerSec
	}
	r.Pass = r.Ratio >= loginTarget && r.Login.Stats.Errors == 0 && r.Raw.Stats.Errors == 0
	return r, nil
}
