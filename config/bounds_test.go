package config

import (
	"testing"
	"time"
)

func TestBounds_ConnsPerIPIsOffBehindATrustedProxyUnlessSet(t *testing.T) {
	cases := []struct {
		name string
		env  env
		want int
	}{
		{"direct: the default cap", nil, DefaultMaxConnsPerIP},
		{"behind a proxy: the peer is the proxy, no cap", env{"TORII_TRUST_PROXY_HEADERS": "true"}, 0},
		{"behind a proxy, set explicitly", env{"TORII_TRUST_PROXY_HEADERS": "true", "TORII_MAX_CONNS_PER_IP": "500"}, 500},
		{"off", env{"TORII_MAX_CONNS_PER_IP": "0"}, 0},
		{"auto spelled out", env{"TORII_MAX_CONNS_PER_IP": "auto"}, DefaultMaxConnsPerIP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustLoad(t, c.env, nil).ConnsPerIP(); got != c.want {
				t.Errorf("ConnsPerIP = %d, want %d", got, c.want)
			}
		})
	}
}

func TestBounds_ValuesAndFlags(t *testing.T) {
	c := mustLoad(t, env{"TORII_MAX_STREAMS_PER_USER": "5", "TORII_BODY_TIMEOUT": "2s", "TORII_STREAM_LIFETIME": "10m"}, nil,
		"--request-timeout", "3s", "--stream-write-timeout", "4s")
	got := c.Bounds
	want := Bounds{MaxConnsPerIP: connsPerIPAuto, MaxStreamsPerUser: 5, BodyTimeout: 2 * time.Second,
		RequestTimeout: 3 * time.Second, StreamLifetime: 10 * time.Minute, StreamWriteTimeout: 4 * time.Second}
	if got != want {
		t.Errorf("bounds %+v, want %+v", got, want)
	}
}

func TestBounds_BadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		env  env
		want string
	}{
		{env{"TORII_MAX_STREAMS_PER_USER": "-1"}, `TORII_MAX_STREAMS_PER_USER: invalid count "-1" (want a whole number ≥ 0, e.g. 32; 0 = no limit)`},
		{env{"TORII_MAX_CONNS_PER_IP": "many"}, `TORII_MAX_CONNS_PER_IP: invalid count "many" (want a whole number ≥ 0, e.g. 64; 0 = no limit)`},
		{env{"TORII_BODY_TIMEOUT": "0"}, `TORII_BODY_TIMEOUT: duration "0" must be greater than zero (example: 30s)`},
		{env{"TORII_REQUEST_TIMEOUT": "soon"}, `TORII_REQUEST_TIMEOUT: invalid duration "soon" (example: 1m)`},
	}
	for _, c := range cases {
		_, err := load(c.env, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: error %v, want %s", c.env, err, c.want)
		}
	}
}
