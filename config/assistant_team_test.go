package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAssistantTeam_Variables(t *testing.T) {
	cfg := mustLoad(t, env{"TORII_GEMINI_MODELS": "gemini-2.5-flash, gemini-2.5-pro,",
		"TORII_ASSISTANT_QUOTA_DAILY": "200_000", "TORII_ASSISTANT_QUOTA_MONTHLY": "3000000", "TORII_ASSISTANT_LEASE": "5s"}, nil)
	if !slices.Equal(cfg.Models(), []string{"gemini-2.5-flash", "gemini-2.5-pro"}) {
		t.Errorf("Models = %q", cfg.Models())
	}
	if cfg.AssistantQuotaDaily != 200000 || cfg.AssistantQuotaMonthly != 3000000 || cfg.AssistantLease != 5*time.Second {
		t.Errorf("team settings %+v", cfg.AssistantTeam)
	}
	if m := mustLoad(t, env{"TORII_GEMINI_MODEL": "gemini-x"}, nil).Models(); !slices.Equal(m, []string{"gemini-x"}) {
		t.Errorf("Models without a list = %q, want TORII_GEMINI_MODEL", m)
	}
}

func TestAssistantTeam_BadValuesStopStartUp(t *testing.T) {
	for name, want := range map[string]string{
		"TORII_ASSISTANT_QUOTA_DAILY":   "TORII_ASSISTANT_QUOTA_DAILY: invalid token budget",
		"TORII_ASSISTANT_QUOTA_MONTHLY": "TORII_ASSISTANT_QUOTA_MONTHLY: invalid token budget",
		"TORII_GEMINI_MODELS":           "TORII_GEMINI_MODELS:",
	} {
		v := "-1"
		if name == "TORII_GEMINI_MODELS" {
			v = "a b"
		}
		_, err := load(env{name: v}, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: %v, want %q", name, v, err, want)
		}
	}
}
