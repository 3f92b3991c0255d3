package service

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStoredText_ValidUTF8WithoutNULAndCutOnARuneBoundary(t *testing.T) {
	got := storedText("ab\xff\x00"+strings.Repeat("é", 10), 9)
	if !utf8.ValidString(got) || strings.ContainsRune(got, 0) || len(got) > 9 {
		t.Fatalf("storedText = %q", got)
	}
	if got != "ab\uFFFDéé" {
		t.Fatalf("storedText = %q, want %q", got, "ab\uFFFDéé")
	}
}

func TestBoundedDetail_CutsEveryStringAndCapsTheWhole(t *testing.T) {
	d := boundedDetail(map[string]any{"reason": strings.Repeat("x", 10_000), "nested": map[string]any{"v": "\xff" + strings.Repeat("y", 5000)},
		"list": []string{strings.Repeat("z", 3000)}, "n": 3})
	b, _ := json.Marshal(d)
	if len(b) > maxAuditDetailBytes {
		t.Fatalf("detail is %d bytes", len(b))
	}
	if r, _ := d["reason"].(string); len(r) != maxAuditDetailValueBytes {
		t.Fatalf("reason is %d bytes, want %d", len(r), maxAuditDetailValueBytes)
	}
	if v := d["nested"].(map[string]any)["v"].(string); !utf8.ValidString(v) || len(v) > maxAuditDetailValueBytes {
		t.Fatalf("nested value %q…", v[:8])
	}
	many := map[string]any{}
	for i := range 50 {
		many[strings.Repeat("k", 10)+string(rune('A'+i))] = strings.Repeat("v", 200)
	}
	if got := boundedDetail(many); len(got) != 1 || got["truncated"] != true {
		t.Fatalf("an oversized detail became %d keys", len(got))
	}
}
