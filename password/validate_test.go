package password

import (
	"strings"
	"testing"

	"github.com/toriihq/torii"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, plain string
		wantField   string // "" means valid
	}{
		{"empty", "", "must be at least 12 characters"},
		{"11 runes", strings.Repeat("a", 11), "must be at least 12 characters"},
		{"12 runes", strings.Repeat("a", 12), ""},
		// 11 two-byte runes are 22 bytes: runes are counted, not bytes.
		{"11 multi-byte runes", strings.Repeat("é", 11), "must be at least 12 characters"},
		{"12 multi-byte runes", strings.Repeat("é", 12), ""},
		{"12 four-byte runes", strings.Repeat("🔑", 12), ""},
		{"only spaces", strings.Repeat(" ", 12), ""},
		{"leading and trailing spaces count", "  abcdefghij  ", ""},
		{"spaces would push under if trimmed", " abcdefghij ", ""},
		{"1024 bytes", strings.Repeat("a", MaxBytes), ""},
		{"1025 bytes", strings.Repeat("a", MaxBytes+1), "must be at most 1024 bytes"},
		{"1025 bytes of multi-byte runes", strings.Repeat("é", 512) + "a", "must be at most 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.plain)
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("Validate(%q) = %v, want nil", tt.plain, err)
				}
				return
			}
			if !torii.IsCode(err, torii.EValidation) {
				t.Fatalf("Validate = %v, want VALIDATION_ERROR", err)
			}
			if got := err.(*torii.Error).Fields["password"]; got != tt.wantField {
				t.Errorf("Fields[password] = %q, want %q", got, tt.wantField)
			}
		})
	}
}

// TestSpacesKept: what is verified is exactly what was hashed, spaces and all.
func TestSpacesKept(t *testing.T) {
	h := New(testParams, 0, nil)
	plain := "  padded passphrase  "
	enc, err := h.Hash(t.Context(), plain)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Verify(t.Context(), strings.TrimSpace(plain), enc); ok {
		t.Error("trimmed password verified against the untrimmed hash")
	}
	if ok, _ := h.Verify(t.Context(), plain, enc); !ok {
		t.Error("password with spaces did not verify")
	}
}
