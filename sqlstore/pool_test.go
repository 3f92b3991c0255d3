package sqlstore

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParsePool_DefaultsOverridesAndErrors(t *testing.T) {
	def := poolConfig{maxOpen: 20, maxIdle: 10, maxIdleTime: 5 * time.Minute, lifetime: time.Hour}
	cases := []struct {
		name, dsn, wantDSN, wantErr string
		want                        poolConfig
	}{
		{"defaults", "postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", "", def},
		{"all three, removed from the URL", "postgres://u@h/db?sslmode=require&pool_max_conns=4&pool_max_conn_idle_time=1m&pool_max_conn_lifetime=30m",
			"postgres://u@h/db?sslmode=require", "", poolConfig{maxOpen: 4, maxIdle: 2, maxIdleTime: time.Minute, lifetime: 30 * time.Minute}},
		{"one connection keeps one idle", "postgres://u@h/db?pool_max_conns=1", "postgres://u@h/db", "", poolConfig{maxOpen: 1, maxIdle: 1, maxIdleTime: 5 * time.Minute, lifetime: time.Hour}},
		{"zero", "postgres://u@h/db?pool_max_conns=0", "", "pool_max_conns", def},
		{"not a number", "postgres://u@h/db?pool_max_conns=many", "", "pool_max_conns", def},
		{"bad duration", "postgres://u@h/db?pool_max_conn_lifetime=1h30", "", "pool_max_conn_lifetime", def},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn, got, err := parsePool(c.dsn)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("pool = %+v, want %+v", got, c.want)
			}
			gu, _ := url.Parse(dsn)
			wu, _ := url.Parse(c.wantDSN)
			if gu.Query().Encode() != wu.Query().Encode() || gu.Host != wu.Host || gu.Path != wu.Path {
				t.Errorf("dsn = %s, want %s", dsn, c.wantDSN)
			}
		})
	}
}

// TestPostgres_PoolParametersApplyAndAreNotSentToTheServer: PostgreSQL
// rejects unknown settings, so a URL with pool_max_conns must still
// connect, with that pool size.
func TestPostgres_PoolParametersApplyAndAreNotSentToTheServer(t *testing.T) {
	dsn := postgresURL(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s, err := Open(t.Context(), dsn+sep+"pool_max_conns=3&pool_max_conn_lifetime=10m")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.write.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("MaxOpenConnections = %d, want 3", got)
	}
}
