package web_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// Connections that send one byte of a 1,000-byte body are answered 400
// and closed once TORII_BODY_TIMEOUT has passed; the server answers
// everyone else meanwhile and after.
func TestSlowBodies_AreCutOffAfterTheBodyTimeout(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_BODY_TIMEOUT":     "500ms",
		"TORII_MAX_CONNS_PER_IP": "0", // this test is about bodies, not the per-IP cap
	}})
	addr := strings.TrimPrefix(srv.URL, "http://")
	const n = 60
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		conns[i] = c
	}
	// While they trickle, others are served.
	if r := srv.Client(t).Do("GET", "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz among slow bodies: %d", r.Status)
	}
	for i, c := range conns {
		// The guard is far beyond the bound: a connection still open at
		// it was never cut.
		c.SetReadDeadline(time.Now().Add(streamWait))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d: %v (want a 400 answer, then the close)", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"BAD_REQUEST"`) || !strings.Contains(string(body), "did not arrive in time") {
			t.Fatalf("connection %d: %d %s", i, resp.StatusCode, body)
		}
		rest, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection %d still open after its answer (read %q)", i, rest)
		}
	}
	if r := srv.Client(t).Do("GET", "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz after slow bodies: %d", r.Status)
	}
}

// A peer address holds at most TORII_MAX_CONNS_PER_IP connections: the
// next is closed unanswered, while another address still gets in, and a
// closed connection frees its place.
func TestConnsPerIP_OverflowIsRefusedWhileOtherAddressesGetIn(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{"TORII_MAX_CONNS_PER_IP": "3"}})
	addr := strings.TrimPrefix(srv.URL, "http://")
	from := func(ip string) *net.Dialer {
		return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	}
	// healthz asks over a new connection from ip and returns the
	// connection (kept alive) and the status, 0 when the server closed it
	// unanswered.
	healthz := func(ip string) (net.Conn, int) {
		t.Helper()
		c, err := from(ip).Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(streamWait))
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("connection from %s neither answered nor closed", ip)
			}
			return c, 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return c, resp.StatusCode
	}
	var held []net.Conn
	for i := range 3 {
		c, st := healthz("127.0.0.1")
		if st != http.StatusOK {
			t.Fatalf("connection %d under the cap: %d", i, st)
		}
		held = append(held, c)
	}
	if _, st := healthz("127.0.0.1"); st != 0 {
		t.Fatalf("a 4th connection from 127.0.0.1 was answered %d; want it closed", st)
	}
	if !strings.Contains(srv.Logs.String(), "connections refused: too many open from one address") ||
		!strings.Contains(srv.Logs.String(), "ip=127.0.0.1 max_conns_per_ip=3") {
		t.Fatalf("refusal not logged with its reason:\n%s", srv.Logs.String())
	}
	if _, st := healthz("127.0.0.2"); st != http.StatusOK {
		t.Fatalf("another address was refused: %d", st)
	}
	held[0].Close()
	// The server frees the place when it sees the close; ask until it has.
	deadline := time.Now().Add(streamWait)
	for {
		if _, st := healthz("127.0.0.1"); st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection never freed its place")
		}
	}
}
