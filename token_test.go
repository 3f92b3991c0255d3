package torii_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/toriihq/torii"
)

// A private key reaches no log line, format verb or JSON document.
func TestPrivateKey_NeverPrinted(t *testing.T) {
	secret := "very-secret-key-bytes"
	k := torii.SigningKey{ID: "kid-1", Algorithm: "RS256", PrivateKey: torii.PrivateKey(secret),
		PublicJWK: []byte(`{"kid":"kid-1"}`), CreatedAt: time.Unix(0, 0), NotAfter: time.Unix(60, 0)}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, k.PrivateKey), fmt.Sprintf(verb, &k))
	}
	outs = append(outs, fmt.Sprint(k, k.PrivateKey), fmt.Sprintln(k.PrivateKey))
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("key", "key", k, "private", k.PrivateKey, "any", any(k))
	}
	outs = append(outs, buf.String())
	for _, v := range []any{k, k.PrivateKey, map[string]any{"k": k}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(b))
	}
	hexSecret := fmt.Sprintf("%x", []byte(secret))
	for _, out := range outs {
		if strings.Contains(out, secret) || strings.Contains(strings.ToLower(out), hexSecret) || strings.Contains(out, "118 101 114 121") {
			t.Errorf("private key printed: %s", out)
		}
	}
	if !strings.Contains(buf.String(), "kid-1") {
		t.Errorf("the log does not name the key: %s", buf.String())
	}
}
