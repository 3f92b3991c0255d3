package mail_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/toriihq/torii/mail"
)

// Send returns when its context ends, even while the server stalls in the
// middle of the conversation (go-mail itself heeds the context only while
// dialing): a shutdown never waits for a slow mail server.
func TestSender_ReturnsWhenTheContextEndsMidConversation(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	greeted := make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte("220 stall.test ESMTP\r\n"))
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil { // EHLO, never answered
			return
		}
		close(greeted)
		r.ReadString('\n') // until the client hangs up
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s, err := mail.New(mail.Options{
		Server: mail.Server{Host: "127.0.0.1", Port: port, Security: mail.StartTLSOpportunistic},
		From:   "torii@example.com", Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, mail.Message{To: "ann@example.com", Subject: "s", Text: "t"}) }()
	select {
	case <-greeted:
	case err := <-done:
		t.Fatalf("Send returned before the server stalled: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send still waits for the stalled server (port " + strconv.Itoa(port) + ") after its context ended")
	}
}
