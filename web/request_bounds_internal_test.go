package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A non-streaming request whose work outlives TORII_REQUEST_TIMEOUT has
// its context cancelled and answers 503 SERVICE_UNAVAILABLE (not 500);
// an event stream gets no request deadline.
func TestRequestDeadline_CancelsWorkAndAnswers503ButSparesStreams(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler), opts: Options{
		StreamWriteTimeout: time.Second,
		Limits:             Limits{RequestTimeout: 200 * time.Millisecond}.withDefaults(),
	}}
	streamHasDeadline := make(chan bool, 1)
	h := s.bounded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			_, ok := r.Context().Deadline()
			streamHasDeadline <- ok
			return
		}
		<-r.Context().Done() // work that waits on its context (a query)
		s.writeError(w, r, fmt.Errorf("store: %w", r.Context().Err()))
	}))
	ts := httptest.NewServer(h)
	defer ts.Close()

	start := time.Now()
	resp, err := http.Get(ts.URL + "/api/v1/rooms")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("slow request: %d %s", resp.StatusCode, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %v; the deadline is 200ms", d)
	}

	resp, err = http.Get(ts.URL + "/api/v1/rooms/1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if <-streamHasDeadline {
		t.Fatal("an event stream got the request deadline")
	}
}
