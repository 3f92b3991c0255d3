package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// Bounds on connections, requests and event streams (docs/api.md
// "Limits"): every wait and count a client controls has one. These are the
// one home of their defaults: web falls back to them when its Limits are
// zero.
const (
	// DefaultMaxConnsPerIP caps the open TCP connections of one peer
	// address when torii faces clients directly.
	DefaultMaxConnsPerIP = 64
	// DefaultMaxStreamsPerUser caps the event streams one user holds open
	// on one instance (tabs, devices, scripts).
	DefaultMaxStreamsPerUser = 32
	// DefaultBodyTimeout is how long a client may take to send a request
	// body, from the end of its headers.
	DefaultBodyTimeout = 30 * time.Second
	// DefaultRequestTimeout bounds a whole request other than an event
	// stream: reading, handling and writing the answer.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultStreamLifetime is how long an event stream lives before the
	// server ends it with a reconnect hint (±10 % jitter).
	DefaultStreamLifetime = time.Hour
	// DefaultStreamWriteTimeout is how long one write to an event stream
	// may block: a client that stops reading is dropped after it.
	DefaultStreamWriteTimeout = 10 * time.Second
)

// connsPerIPAuto is MaxConnsPerIP's "auto": resolved by ConnsPerIP.
const connsPerIPAuto = -1

// Bounds are the limits of Limits in docs/api.md; Config embeds them.
type Bounds struct {
	// MaxConnsPerIP caps concurrent TCP connections per peer address
	// (TORII_MAX_CONNS_PER_IP, --max-conns-per-ip). Default "auto": 64, or
	// 0 (off) with TrustProxyHeaders, where every peer is the proxy. Read
	// it through ConnsPerIP.
	MaxConnsPerIP int
	// MaxStreamsPerUser caps a user's open event streams per instance
	// (TORII_MAX_STREAMS_PER_USER, --max-streams-per-user). Default 32; 0
	// disables the cap.
	MaxStreamsPerUser int
	// BodyTimeout bounds receiving a request body (TORII_BODY_TIMEOUT,
	// --body-timeout). Default 30s.
	BodyTimeout time.Duration
	// RequestTimeout bounds a non-streaming request as a whole
	// (TORII_REQUEST_TIMEOUT, --request-timeout). Default 60s.
	RequestTimeout time.Duration
	// StreamLifetime bounds an event stream's life (TORII_STREAM_LIFETIME,
	// --stream-lifetime). Default 1h.
	StreamLifetime time.Duration
	// StreamWriteTimeout bounds one write to an event stream
	// (TORII_STREAM_WRITE_TIMEOUT, --stream-write-timeout). Default 10s.
	StreamWriteTimeout time.Duration
}

// ConnsPerIP is the connection cap per peer address in force: 0 = none.
func (c *Config) ConnsPerIP() int {
	if c.MaxConnsPerIP != connsPerIPAuto {
		return c.MaxConnsPerIP
	}
	if c.TrustProxyHeaders {
		return 0
	}
	return DefaultMaxConnsPerIP
}

func durationVar(env, help string, def time.Duration, set func(*Config, time.Duration)) variable {
	return variable{env: env, group: "Connections and streams", def: formatDuration(def), help: help,
		set: func(c *Config, s string) error {
			d, err := parseDuration(s, formatDuration(def), false)
			set(c, d)
			return err
		}}
}

// boundsVariables are the settings of Bounds, in Usage's last section.
var boundsVariables = []variable{
	{env: "TORII_MAX_CONNS_PER_IP", group: "Connections and streams", def: "auto",
		defDoc: "auto: " + strconv.Itoa(DefaultMaxConnsPerIP) + ", or 0 (off) when TORII_TRUST_PROXY_HEADERS=true",
		help:   "open TCP connections one peer address may hold; more are closed at once; 0 = no cap. The peer is the TCP peer, so behind a proxy cap at the proxy",
		set: func(c *Config, s string) (err error) {
			if s == "auto" {
				c.MaxConnsPerIP = connsPerIPAuto
				return nil
			}
			c.MaxConnsPerIP, err = parseLimit(s, "64")
			return
		}},
	{env: "TORII_MAX_STREAMS_PER_USER", group: "Connections and streams", def: strconv.Itoa(DefaultMaxStreamsPerUser),
		help: "event streams one user may hold open on this instance; more answer 429 RATE_LIMITED; 0 = no cap",
		set:  func(c *Config, s string) (err error) { c.MaxStreamsPerUser, err = parseLimit(s, "32"); return }},
	durationVar("TORII_BODY_TIMEOUT", "how long a client may take to send a request body; slower bodies are cut off",
		DefaultBodyTimeout, func(c *Config, d time.Duration) { c.BodyTimeout = d }),
	durationVar("TORII_REQUEST_TIMEOUT", "how long a request other than an event stream may take as a whole; past it the request's work is cancelled and it answers 503",
		DefaultRequestTimeout, func(c *Config, d time.Duration) { c.RequestTimeout = d }),
	durationVar("TORII_STREAM_LIFETIME", "how long an event stream lives (±10 % jitter) before the server ends it with a reconnect hint; the client resumes with Last-Event-ID",
		DefaultStreamLifetime, func(c *Config, d time.Duration) { c.StreamLifetime = d }),
	durationVar("TORII_STREAM_WRITE_TIMEOUT", "how long one write to an event stream may block; a client that stops reading is dropped after it",
		DefaultStreamWriteTimeout, func(c *Config, d time.Duration) { c.StreamWriteTimeout = d }),
}

func init() { variables = append(variables, boundsVariables...) }

// parseLimit parses a count ≥ 0 where 0 means no limit.
func parseLimit(s, example string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid count %s (want a whole number ≥ 0, e.g. %s; 0 = no limit)", quote(s), example)
	}
	return n, nil
}

// boundsAttrs lists the bounds for the start-up summary.
func (c *Config) boundsAttrs() []slog.Attr {
	d := formatDuration
	return []slog.Attr{
		slog.Int("TORII_MAX_CONNS_PER_IP", c.ConnsPerIP()),
		slog.Int("TORII_MAX_STREAMS_PER_USER", c.MaxStreamsPerUser),
		slog.String("TORII_BODY_TIMEOUT", d(c.BodyTimeout)),
		slog.String("TORII_REQUEST_TIMEOUT", d(c.RequestTimeout)),
		slog.String("TORII_STREAM_LIFETIME", d(c.StreamLifetime)),
		slog.String("TORII_STREAM_WRITE_TIMEOUT", d(c.StreamWriteTimeout)),
	}
}
