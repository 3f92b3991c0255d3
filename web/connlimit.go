package web

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// LimitConnsPerIP returns a listener that accepts at most max open
// connections per peer address: a connection over the cap is closed as
// soon as it is accepted, before a byte is read, and the listener goes on
// accepting. The peer is the TCP peer: behind a reverse proxy every client
// shares the proxy's address, so there the cap belongs at the proxy
// (docs/api.md "Limits"). Loopback peers count like any other. Refusals
// are logged at most once per refusalLogEvery.
func LimitConnsPerIP(ln net.Listener, max int, log *slog.Logger) net.Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ipLimitListener{Listener: ln, max: max, log: log, open: map[netip.Addr]int{}}
}

const refusalLogEvery = 10 * time.Second

type ipLimitListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu   sync.Mutex
	open map[netip.Addr]int

	refused atomic.Int64 // since the last log line
	lastLog atomic.Int64 // unix nanoseconds
}

func (l *ipLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerAddr(c)
		l.mu.Lock()
		if l.open[ip] >= l.max {
			l.mu.Unlock()
			c.Close()
			l.noteRefusal(ip)
			continue
		}
		l.open[ip]++
		l.mu.Unlock()
		return &ipConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *ipLimitListener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

func (l *ipLimitListener) noteRefusal(ip netip.Addr) {
	n := l.refused.Add(1)
	now := time.Now().UnixNano()
	last := l.lastLog.Load()
	if now-last < int64(refusalLogEvery) || !l.lastLog.CompareAndSwap(last, now) {
		return
	}
	l.refused.Add(-n)
	l.log.Warn("connections refused: too many open from one address", "ip", ip.String(), "max_conns_per_ip", l.max, "refused", n)
}

// peerAddr is c's remote IP, IPv4 in IPv6 unmapped so both spellings count
// as one.
func peerAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// ipConn gives its slot back when closed (by net/http, or by a detached
// stream that took it over).
type ipConn struct {
	net.Conn
	l    *ipLimitListener
	ip   netip.Addr
	once sync.Once
}

func (c *ipConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// CloseWrite lets net/http half-close before closing, as it does on a bare
// TCP connection, so a client reads the whole answer before the close.
func (c *ipConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
