package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The client side of scenario chat: SSE subscribers that parse their
// stream with as little work as possible, and senders whose message
// bodies carry the time they were sent, so that a subscriber can compute
// the delivery latency of what it reads without sharing anything with the
// sender.

// stampPrefix starts every bench message body; the nanoseconds since
// chatClient.base at which the POST was sent follow it.
const stampPrefix = `"body":"t`

// streamTransport opens one connection per event stream (an SSE response
// holds its connection for as long as it lasts), without limit.
func streamTransport() *http.Transport {
	return &http.Transport{
		Proxy:              nil,
		DialContext:        (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		DisableKeepAlives:  true,
		DisableCompression: true,
		MaxConnsPerHost:    0,
		ReadBufferSize:     2 << 10,
		WriteBufferSize:    1 << 10,
	}
}

// recorder collects the delivery latencies of one measured window: those
// of messages whose stamp is in [from, to); byInstance splits them by the
// subscriber's instance (scenario team on two instances).
type recorder struct {
	from, to   int64
	hist       histogram
	byInstance [2]histogram
}

// chatClient is what senders and subscribers share.
type chatClient struct {
	url      string // torii's base URL
	room     int64
	base     time.Time
	tr       *http.Transport // senders and set-up requests
	streamTr *http.Transport
	rec      atomic.Pointer[recorder]
	// userStream: subscribers open the user's stream (GET /api/v1/events,
	// issue 17) instead of the room's, and count its message events,
	// whose SSE ids are event log ids: the message id is read from the
	// data (`{"id":N,…`).
	userStream bool
}

func (c *chatClient) now() int64 { return int64(time.Since(c.base)) }

// subscriber is one open event stream.
type subscriber struct {
	c      *chatClient
	cancel context.CancelFunc
	done   chan struct{}
	err    error // why the stream ended; read after done is closed

	last  atomic.Int64 // the largest message id read
	count atomic.Int64 // messages read
	dups  atomic.Int64 // ids not above the previous one (must stay 0)

	mu   sync.Mutex
	seen idSet // ids read since the last track

	instance int // which server it is connected to (0 or 1)
}

// subscribe opens the room's event stream with cookie (live only: no
// Last-Event-ID) and reads it on its own goroutine until close. It returns
// once the response headers arrived, at which point the server has
// subscribed the stream (it subscribes before it answers).
func (c *chatClient) subscribe(ctx context.Context, cookie string) (*subscriber, error) {
	return c.subscribeAt(ctx, c.url, 0, cookie)
}

// subscribeAt is subscribe on the server at base, instance number inst.
func (c *chatClient) subscribeAt(ctx context.Context, base string, inst int, cookie string) (*subscriber, error) {
	sctx, cancel := context.WithCancel(ctx)
	path := "/api/v1/rooms/" + strconv.FormatInt(c.room, 10) + "/events"
	if c.userStream {
		path = "/api/v1/events"
	}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, base+path, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.streamTr.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, statusError{resp.StatusCode}
	}
	s := &subscriber{c: c, cancel: cancel, done: make(chan struct{}), instance: inst}
	go s.read(resp.Body)
	return s, nil
}

// close ends the stream and waits for its reader.
func (s *subscriber) close() {
	s.cancel()
	<-s.done
}

// read parses the SSE stream: an "id: N" line, then the "data: {…}" line
// of the same event, whose body starts with the stamp. Everything else
// (event names, heartbeats) is skipped. A line longer than the buffer is
// looked at only for its beginning.
func (s *subscriber) read(body io.ReadCloser) {
	defer close(s.done)
	defer body.Close()
	br := bufio.NewReaderSize(body, 1<<10)
	var id int64
	message := false // the event being read is a message (user streams)
	tail := false    // in the rest of a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			s.err = err
			return
		}
		if !tail {
			switch {
			case bytes.HasPrefix(line, []byte("id: ")):
				id, _ = strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
			case bytes.HasPrefix(line, []byte("event: ")):
				message = bytes.Equal(bytes.TrimSpace(line[7:]), []byte("message"))
			case s.c.userStream && bytes.HasPrefix(line, []byte("data: ")):
				if mid, err := messageID(line); message && err == nil {
					s.got(mid, line, s.c.now())
				}
				id, message = 0, false
			case bytes.HasPrefix(line, []byte("data: ")) && id > 0:
				s.got(id, line, s.c.now())
				id = 0
			}
		}
		tail = err == bufio.ErrBufferFull
	}
}

func (s *subscriber) got(id int64, data []byte, now int64) {
	if id <= s.last.Load() {
		s.dups.Add(1)
	}
	s.last.Store(id)
	s.count.Add(1)
	s.mu.Lock()
	s.seen.add(id)
	s.mu.Unlock()
	if t, ok := parseStamp(data); ok {
		if r := s.c.rec.Load(); r != nil && t >= r.from && t < r.to {
			r.hist.record(time.Duration(now - t))
			r.byInstance[s.instance].record(time.Duration(now - t))
		}
	}
}

// track forgets the ids read so far and records those above after.
func (s *subscriber) track(after int64) {
	s.mu.Lock()
	s.seen.reset(after)
	s.mu.Unlock()
}

// missing counts the ids of want this subscriber has not read.
func (s *subscriber) missing(want []int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, id := range want {
		if !s.seen.has(id) {
			n++
		}
	}
	return n
}

// parseStamp finds the stamp in an event's data line.
func parseStamp(data []byte) (int64, bool) {
	i := bytes.Index(data, []byte(stampPrefix))
	if i < 0 {
		return 0, false
	}
	var t int64
	n := 0
	for _, ch := range data[i+len(stampPrefix):] {
		if ch < '0' || ch > '9' {
			break
		}
		t = t*10 + int64(ch-'0')
		n++
	}
	return t, n > 0
}

// idSet is a set of message ids above a base, as a bitmap.
type idSet struct {
	base int64
	bits []uint64
}

func (s *idSet) reset(base int64) { s.base, s.bits = base, s.bits[:0] }

func (s *idSet) add(id int64) {
	i := id - s.base - 1
	if i < 0 {
		return
	}
	for int64(len(s.bits))*64 <= i {
		s.bits = append(s.bits, 0)
	}
	s.bits[i/64] |= 1 << (i % 64)
}

func (s *idSet) has(id int64) bool {
	i := id - s.base - 1
	return i >= 0 && i/64 < int64(len(s.bits)) && s.bits[i/64]&(1<<(i%64)) != 0
}

func (s *idSet) len() int {
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// sender posts messages as one user.
type sender struct {
	c      *chatClient
	cookie string
	name   string // part of the clientId, unique per sender
	seq    int
	url    string
	body   []byte
}

func (c *chatClient) newSender(cookie, name string) *sender {
	return &sender{c: c, cookie: cookie, name: name, url: c.url + "/api/v1/rooms/" + strconv.FormatInt(c.room, 10) + "/messages"}
}

// post sends one message, stamped now, with a fresh clientId (as the web
// client does), and returns its id once the server answered 201.
func (s *sender) post(ctx context.Context) (int64, error) {
	s.seq++
	b := append(s.body[:0], `{"body":"t`...)
	b = strconv.AppendInt(b, s.c.now(), 10)
	b = append(b, ` bench message`...)
	b = append(b, `","clientId":"`...)
	b = append(b, s.name...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(s.seq), 10)
	b = append(b, `"}`...)
	s.body = b
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", s.cookie)
	resp, err := s.c.tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, statusError{resp.StatusCode}
	}
	if err != nil {
		return 0, err
	}
	return messageID(out)
}

// messageID reads the id of {"message":{"id":N,…}}.
func messageID(b []byte) (int64, error) {
	i := bytes.Index(b, []byte(`"id":`))
	if i < 0 {
		return 0, fmt.Errorf("no message id in the answer")
	}
	var id int64
	for _, ch := range b[i+5:] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + int64(ch-'0')
	}
	if id <= 0 {
		return 0, fmt.Errorf("no message id in the answer")
	}
	return id, nil
}
