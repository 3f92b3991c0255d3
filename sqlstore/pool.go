package sqlstore

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// PostgreSQL pool settings. 20 connections serve a busy instance without
// exhausting a default max_connections (100) when a few instances share the
// database; idle connections are closed after a few minutes and every
// connection is recycled hourly so that a failover or a restarted pooler
// (PgBouncer) is picked up. The URL may override each with pgxpool's
// parameter names (docs/deploy.md), which are removed before connecting:
// PostgreSQL would reject them as unknown settings.
const (
	pgMaxOpenConns    = 20
	pgMaxIdleConns    = 10
	pgConnMaxIdleTime = 5 * time.Minute
	pgConnMaxLifetime = time.Hour
)

// poolConfig is the database/sql pool of a PostgreSQL store.
type poolConfig struct {
	maxOpen, maxIdle      int
	maxIdleTime, lifetime time.Duration
}

// parsePool takes pool_max_conns, pool_max_conn_idle_time and
// pool_max_conn_lifetime out of a postgres:// URL and returns the URL
// without them and the pool they describe. Idle connections kept are half
// the maximum, at least one.
func parsePool(dsn string) (string, poolConfig, error) {
	pc := poolConfig{maxOpen: pgMaxOpenConns, maxIdle: pgMaxIdleConns, maxIdleTime: pgConnMaxIdleTime, lifetime: pgConnMaxLifetime}
	u, err := url.Parse(dsn)
	if err != nil {
		// The driver reports a malformed URL better, without echoing it.
		return dsn, pc, nil
	}
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return "", pc, fmt.Errorf("pool_max_conns=%q: want a whole number ≥ 1", v)
		}
		pc.maxOpen, pc.maxIdle = n, max(1, n/2)
	}
	for _, p := range []struct {
		name string
		dst  *time.Duration
	}{{"pool_max_conn_idle_time", &pc.maxIdleTime}, {"pool_max_conn_lifetime", &pc.lifetime}} {
		if v := q.Get(p.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return "", pc, fmt.Errorf("%s=%q: want a duration such as 5m", p.name, v)
			}
			*p.dst = d
		}
	}
	for _, k := range []string{"pool_max_conns", "pool_max_conn_idle_time", "pool_max_conn_lifetime"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	return u.String(), pc, nil
}
