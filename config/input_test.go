package config

import (
	"strings"
	"testing"
	"time"
)

func TestMetricsSettings_OffTokenFileAndTooShortToken(t *testing.T) {
	c := mustLoad(t, env{"TORII_METRICS_ADDR": "off", "TORII_METRICS_TOKEN_FILE": "/run/secrets/metrics"},
		files{"/run/secrets/metrics": "0123456789abcdef0123\n"})
	if c.MetricsAddr != "" || c.MetricsToken.Reveal() != "0123456789abcdef0123" {
		t.Fatalf("MetricsAddr %q, token %q", c.MetricsAddr, c.MetricsToken.Reveal())
	}
	_, err := load(env{"TORII_METRICS_TOKEN": "short"}, nil)
	if err == nil || !strings.Contains(err.Error(), "TORII_METRICS_TOKEN") || strings.Contains(err.Error(), "short\"") {
		t.Fatalf("short token: %v", err)
	}
	if _, err := load(env{"TORII_METRICS_ADDR": "everywhere"}, nil); err == nil || !strings.Contains(err.Error(), "TORII_METRICS_ADDR") {
		t.Fatalf("bad address: %v", err)
	}
}

func TestCreationRates_Configurable(t *testing.T) {
	c := mustLoad(t, env{"TORII_RATE_ROOMS_USER": "5/1m", "TORII_RATE_MESSAGES_USER": "off"}, nil)
	if c.RateRoomsUser != (Rate{5, time.Minute}) || c.RateMessagesUser.Enabled() || c.RateGroupsUser != (Rate{10, time.Hour}) {
		t.Fatalf("rates: %+v", c.InputSettings)
	}
}
