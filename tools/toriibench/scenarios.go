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
	"os"
	"runtime"
	"runtime/pprof"
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
	CPU    CPU     `json:"cpu"`
}

// MeResult is the outcome of scenario me.
type MeResult struct {
	BodyBytes int   `json:"bodyBytes"`
	Torii     Phase `json:"torii"`
	Bare      Phase `json:"bare"`
	// Rounds are the ratios of the alternating rounds.
	Rounds []float64 `json:"rounds"`
	Ratio  float64   `json:"ratio"`
	Target float64   `json:"target"`
	Pass   bool      `json:"pass"`
}

// LoginResult is the outcome of scenario login.
type LoginResult struct {
	Params          string `json:"params"`
	HashConcurrency int    `json:"hashConcurrency"`
	Users           int    `json:"users"`
	Raw             Phase  `json:"raw"`
	Login           Phase  `json:"login"`
	Waiting         *Phase `json:"waiting,omitempty"`
	// Rounds are the ratios of the alternating rounds.
	Rounds []float64 `json:"rounds"`
	Ratio  float64   `json:"ratio"`
	Target float64   `json:"target"`
	Pass   bool      `json:"pass"`
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

// side is one of the two measurements a ratio compares.
type side struct {
	name     string
	clients  int
	watchMem bool
	mk       newOp
}

// run measures one closed loop of sd, after letting the previous one
// settle: requests cancelled at the end of a run may still be finishing in
// the server (an argon2id run cannot be interrupted), and a GC leaves as
// little as possible of earlier runs behind.
func (b *bench) run(ctx context.Context, sd side, warmup, window time.Duration, atEnd func()) (*sample, CPU, time.Duration, *Memory) {
	time.Sleep(300 * time.Millisecond)
	runtime.GC()
	var mw *memWatch
	if sd.watchMem {
		mw = watchMemory()
	}
	mark := markCPU()
	smp := runLoad(ctx, sd.clients, warmup, window, sd.mk, atEnd)
	cpu, wall := mark.since(), time.Since(mark.wall)
	var mem *Memory
	if mw != nil {
		m := mw.Stop()
		mem = &m
	}
	return smp, cpu, wall, mem
}

// phase measures sd in one go.
func (b *bench) phase(ctx context.Context, sd side, atEnd func()) Phase {
	b.progress("  %-44s %d clients, %s warm-up + %s …", sd.name, sd.clients, b.opts.warmup, b.opts.duration)
	smp, cpu, _, mem := b.run(ctx, sd, b.opts.warmup, b.opts.duration, atEnd)
	b.tr.CloseIdleConnections()
	p := Phase{Name: sd.name, Stats: smp.stats(), CPU: cpu, Memory: mem}
	b.progress(" %s/s (CPU: this process %.0f %%, others %.0f %%)\n", fmtRate(p.Stats.PerSec), 100*cpu.Self, 100*cpu.Others)
	return p
}

// pair measures the two sides of a ratio in alternating rounds — a b, b a,
// a b, … — each side getting -duration in all, so that a machine whose speed
// drifts during the run (a shared VM) affects both sides alike. The first
// run of each side is preceded by the full warm-up, later ones by a shorter
// one (the connections stay open between rounds). It returns both phases
// and the ratio a/b of each round.
func (b *bench) pair(ctx context.Context, a, bb side) (Phase, Phase, []float64) {
	rounds := b.opts.rounds
	window := b.opts.duration / time.Duration(rounds)
	rewarm := min(b.opts.warmup, time.Second)
	b.progress("  %s vs %s: %d rounds of %s each (+ warm-up) …\n", a.name, bb.name, rounds, window)
	type acc struct {
		smp        sample
		self, oth  float64 // CPU shares × wall seconds
		wall       float64
		mem        *Memory
		warmedOnce bool
	}
	var accs [2]acc
	sides := [2]side{a, bb}
	ratios := make([]float64, 0, rounds)
	for r := range rounds {
		var perSec, others [2]float64
		order := [2]int{0, 1}
		if r%2 == 1 {
			order = [2]int{1, 0}
		}
		for _, i := range order {
			ac := &accs[i]
			warm := rewarm
			if !ac.warmedOnce {
				warm, ac.warmedOnce = b.opts.warmup, true
			}
			smp, cpu, wall, mem := b.run(ctx, sides[i], warm, window, nil)
			ac.smp.add(smp)
			ac.self += cpu.Self * wall.Seconds()
			ac.oth += cpu.Others * wall.Seconds()
			ac.wall += wall.Seconds()
			if mem != nil {
				if ac.mem == nil {
					ac.mem = mem
				} else {
					ac.mem.PeakRSS = max(ac.mem.PeakRSS, mem.PeakRSS)
				}
			}
			perSec[i], others[i] = smp.perSec(), cpu.Others
		}
		ratios = append(ratios, perSec[0]/max(perSec[1], 1e-9))
		b.progress("    round %d/%d: %s/s vs %s/s = %.0f %% (CPU of other processes: %.0f %%, %.0f %%)\n", r+1, rounds,
			fmtRate(perSec[0]), fmtRate(perSec[1]), 100*ratios[len(ratios)-1], 100*others[0], 100*others[1])
	}
	b.tr.CloseIdleConnections()
	var out [2]Phase
	for i := range accs {
		ac := &accs[i]
		out[i] = Phase{Name: sides[i].name, Stats: ac.smp.stats(), Memory: ac.mem}
		if ac.wall > 0 {
			out[i].CPU = CPU{Self: ac.self / ac.wall, Others: ac.oth / ac.wall}
		}
		b.progress("    %-44s %s/s (CPU: this process %.0f %%, others %.0f %%)\n", out[i].Name, fmtRate(out[i].Stats.PerSec),
			100*out[i].CPU.Self, 100*out[i].CPU.Others)
	}
	return out[0], out[1], ratios
}

// heapProfile writes the -memprofile, if asked for: the live heap while the
// sign-in requests are in flight (and, with -wait-clients, waiting).
func (b *bench) heapProfile() {
	if b.opts.memProfile == "" {
		return
	}
	f, err := os.Create(b.opts.memProfile)
	if err == nil {
		runtime.GC() // up-to-date live heap
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.progress("\ntoriibench: -memprofile: %v\n", err)
	}
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
	r.Torii, r.Bare, r.Rounds = b.pair(ctx,
		side{name: "torii GET /api/v1/me (authenticated)", clients: b.opts.clients, mk: b.getOp(b.torii.URL+"/api/v1/me", cookie)},
		side{name: "bare net/http, same body (ceiling)", clients: b.opts.clients, mk: b.getOp(bareURL+"/api/v1/me", cookie)})
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
	raw := side{name: fmt.Sprintf("raw argon2id Hash, %d goroutines", runtime.NumCPU()), clients: runtime.NumCPU(), watchMem: true,
		mk: func(int) op {
			return func(ctx context.Context) error {
				_, err := h.Hash(ctx, benchPassword)
				return err
			}
		}}
	login := side{name: "torii POST /api/v1/auth/login", clients: b.opts.clients, watchMem: true, mk: b.loginOp(emails)}
	r.Login, r.Raw, r.Rounds = b.pair(ctx, login, raw)
	if b.opts.waitClients > 0 {
		login.name, login.clients = "torii POST /api/v1/auth/login (many waiting)", b.opts.waitClients
		w := b.phase(ctx, login, b.heapProfile)
		r.Waiting = &w
	}
	if r.Raw.Stats.PerSec > 0 {
		r.Ratio = r.Login.Stats.PerSec / r.Raw.Stats.PerSec
	}
	r.Pass = r.Ratio >= loginTarget && r.Login.Stats.Errors == 0 && r.Raw.Stats.Errors == 0
	return r, nil
}
