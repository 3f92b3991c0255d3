package oidc_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/oidc"
)

// A provider that cannot answer the code exchange now is "try again"
// (SERVICE_UNAVAILABLE); one that refuses the code is a bad sign-in.
func TestExchange_ProviderUnreachableIsServiceUnavailable(t *testing.T) {
	p := startProvider(t, []string{"RS256"})
	c := p.client(func() time.Time { return t0 })
	for _, tc := range []struct {
		name   string
		token  http.HandlerFunc
		reason oidc.ErrReason
		code   string
	}{
		{"token endpoint 500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}, oidc.ReasonUnreachable, torii.EServiceUnavailable},
		{"token endpoint 503", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}, oidc.ReasonUnreachable, torii.EServiceUnavailable},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, oidc.ReasonUnreachable, torii.EServiceUnavailable},
		{"code refused (invalid_grant)", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
		}, oidc.ReasonExchangeRefused, torii.EUnauthorized},
		{"no id_token in the answer", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"access_token": "a", "token_type": "Bearer"})
		}, oidc.ReasonNoIDToken, torii.EUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.setToken(tc.token)
			_, err := c.Exchange(t.Context(), "code", "verifier-verifier-verifier-verifier-verifier")
			if oidc.ReasonOf(err) != tc.reason || torii.ErrorCode(err) != tc.code {
				t.Fatalf("%v: reason %q code %q, want %q %q", err, oidc.ReasonOf(err), torii.ErrorCode(err), tc.reason, tc.code)
			}
		})
	}
}

func TestDiscovery_UnreachableProviderIsServiceUnavailable(t *testing.T) {
	p := startProvider(t, []string{"RS256"})
	p.srv.Close()
	c := p.client(func() time.Time { return t0 })
	_, err := c.Verify(t.Context(), "x.y.z", "")
	if oidc.ReasonOf(err) != oidc.ReasonDiscoveryFailed || torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("provider down: %v", err)
	}
	if _, _, err := c.AuthCodeURL(t.Context(), "s", "n"); torii.ErrorCode(err) != torii.EServiceUnavailable {
		t.Fatalf("AuthCodeURL with the provider down: %v", err)
	}
}

// steppedHandler hands each log record to the test and waits until the
// test lets it go, so the test can change the provider between retries.
type steppedHandler struct {
	records chan slog.Record
	next    chan struct{}
}

func (h steppedHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h steppedHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h steppedHandler) WithGroup(string) slog.Handler            { return h }
func (h steppedHandler) Handle(_ context.Context, r slog.Record) error {
	h.records <- r
	<-h.next
	return nil
}

func attr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
		}
		return true
	})
	return v
}

// Each failed background retry logs the error of an attempt it made, not
// the result of an earlier one: here the first attempt hangs longer than
// RetryMin (as a provider that times out does) and a request's attempt
// fails during Run's backoff; Run's next retry must try again and log what
// the provider says now.
func TestDiscovery_BackgroundRetryLogsTheCurrentError(t *testing.T) {
	const retryMin = time.Second
	p := startProvider(t, []string{"RS256"})
	entered, release := make(chan struct{}), make(chan struct{})
	var mode atomic.Value
	mode.Store("first")
	p.mu.Lock()
	p.discHook = func(w http.ResponseWriter, r *http.Request) {
		m := mode.Load().(string)
		if m == "first" {
			entered <- struct{}{}
			<-release
		}
		http.Error(w, "failing: "+m, http.StatusServiceUnavailable)
	}
	p.mu.Unlock()
	h := steppedHandler{records: make(chan slog.Record), next: make(chan struct{})}
	c := oidc.New(oidc.Config{Issuer: p.srv.URL, ClientID: "client", RetryMin: retryMin, Logger: slog.New(h)})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-done:
				return
			case <-h.records:
			case h.next <- struct{}{}:
			}
		}
	})

	<-entered
	// The provider hangs for longer than RetryMin. This wait and the one
	// below are the intervals under test (discovery pacing runs on real
	// time, on purpose: a frozen test clock must not stop retries), not a
	// stand-in for synchronisation.
	time.Sleep(retryMin)
	mode.Store("second")
	release <- struct{}{}
	r := <-h.records
	if got := attr(r, "err"); !strings.Contains(got, "failing: first") {
		t.Fatalf("first retry logged %q", got)
	}
	h.next <- struct{}{} // Run now waits RetryMin before its next retry
	// Halfway through Run's backoff, a request's attempt fails otherwise.
	time.Sleep(retryMin / 2)
	if _, err := c.Verify(t.Context(), "x.y.z", ""); err == nil || !strings.Contains(err.Error(), "failing: second") {
		t.Fatalf("the request's attempt: %v", err)
	}
	mode.Store("third")
	r = <-h.records
	if got := attr(r, "err"); !strings.Contains(got, "failing: third") {
		t.Fatalf("Run's second retry logged %q, want what the provider says now (third)", got)
	}
	h.next <- struct{}{}
}
