package web_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/toriihq/torii/testserver"
)

// stallingSMTP is a mail server that greets, reads the client's EHLO and
// then never answers: a mail being sent to it is stuck mid-conversation.
// greeted is closed when the first client is stuck.
func stallingSMTP(t *testing.T) (url string, greeted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	g := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(conn, "220 stall.test ESMTP\r\n")
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		close(g)
		r.ReadString('\n') // until torii hangs up
	}()
	return fmt.Sprintf("smtp://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port), g
}

// TORII_SHUTDOWN_TIMEOUT bounds the whole shutdown, the outbox included: a
// mail server that stalls mid-send (the send's own timeout is 30 s) does
// not hold up the exit.
func TestShutdown_AStalledMailServerDoesNotHoldItUp(t *testing.T) {
	const timeout = time.Second
	smtpURL, greeted := stallingSMTP(t)
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"TORII_SHUTDOWN_TIMEOUT": timeout.String(),
		"TORII_SMTP_URL":         smtpURL,
		"TORII_MAIL_FROM":        "Torii <torii@example.com>",
	}})
	r := srv.Client(t).Do("POST", "/api/v1/auth/register", map[string]string{"email": "ann@example.com", "password": goodPassword, "name": "Ann"})
	wantStatus(t, "register", r, http.StatusCreated)
	select {
	case <-greeted: // the verification mail is being sent, and stuck
	case <-time.After(streamWait):
		t.Fatal("torii did not start sending the verification mail")
	}
	start := time.Now()
	srv.Stop()
	if took := time.Since(start); took > timeout+3*time.Second {
		t.Fatalf("shutdown took %v with TORII_SHUTDOWN_TIMEOUT=%v while a mail was being sent", took, timeout)
	}
}
