package password

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// testParams are tiny so that tests stay fast under -race; the code paths
// are the same as with DefaultParams.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const testPassword = "correct horse battery staple"

func TestHashVerifyRoundTrip(t *testing.T) {
	h := New(testParams, 0, nil)
	ctx := t.Context()
	for _, plain := range []string{testPassword, "  spaces kept  ", "日本語のパスワードです", strings.Repeat("x", MaxBytes)} {
		enc, err := h.Hash(ctx, plain)
		if err != nil {
			t.Fatalf("Hash(%q): %v", plain, err)
		}
		ok, err := h.Verify(ctx, plain, enc)
		if err != nil || !ok {
			t.Errorf("Verify(%q, own hash) = %v, %v; want true, nil", plain, ok, err)
		}
		if h.NeedsRehash(enc) {
			t.Errorf("NeedsRehash(own hash) = true")
		}
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	h := New(testParams, 0, nil)
	ctx := t.Context()
	enc, err := h.Hash(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	// Near misses included: a trimmed or truncated comparison would accept them.
	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", " correct horse battery staple", "Correct horse battery staple"} {
		ok, err := h.Verify(ctx, wrong, enc)
		if err != nil || ok {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
}

func TestHashFormat(t *testing.T) {
	h := New(testParams, 0, nil)
	enc, err := h.Hash(t.Context(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	// 16 bytes → 22 base64 chars, 32 bytes → 43, no padding.
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Errorf("Hash = %q, want match for %s", enc, re)
	}
	// DefaultParams spell as OWASP's recommendation.
	if got, want := encode(DefaultParams, make([]byte, 16), make([]byte, 32)), "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(got, want) {
		t.Errorf("encode(DefaultParams) = %q, want prefix %q", got, want)
	}
}

func TestHashUniqueSalts(t *testing.T) {
	h := New(testParams, 0, nil)
	seen := map[string]bool{}
	salts := map[string]bool{}
	for range 50 {
		enc, err := h.Hash(t.Context(), testPassword)
		if err != nil {
			t.Fatal(err)
		}
		salt := strings.Split(enc, "$")[4]
		if seen[enc] || salts[salt] {
			t.Fatalf("hash or salt repeated: %q", enc)
		}
		seen[enc], salts[salt] = true, true
	}
}

// TestVerifyReferenceVector checks interoperability with the reference
// implementation: `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4
// -l 32 -e` (phc-winner-argon2), which passlib reproduces byte for byte.
func TestVerifyReferenceVector(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hash")
	}
	const ref = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo"
	h := New(testParams, 0, nil)
	ok, err := h.Verify(t.Context(), "password", ref)
	if err != nil || !ok {
		t.Fatalf("Verify(reference) = %v, %v; want true, nil", ok, err)
	}
	if got := encode(Params{Memory: 65536, Time: 2, Threads: 4}, []byte("somesalt"), mustDecodeKey(t, ref)); got != ref {
		t.Errorf("encode = %q, want %q", got, ref)
	}
}

func mustDecodeKey(t *testing.T, enc string) []byte {
	t.Helper()
	_, _, key, err := decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestVerifyUsesStoredParams: a hash made with older, weaker parameters still
// verifies under a hasher with stronger ones, and is flagged for rehashing.
func TestVerifyUsesStoredParams(t *testing.T) {
	old := New(Params{Memory: 8192, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0, nil)
	enc, err := old.Hash(t.Context(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(enc, "$m=8192,t=1,p=1$") {
		t.Fatalf("Hash = %q, want m=8192,t=1,p=1", enc)
	}
	cur := New(DefaultParams, 0, nil)
	ok, err := cur.Verify(t.Context(), testPassword, enc)
	if err != nil || !ok {
		t.Fatalf("Verify(old hash) = %v, %v; want true, nil", ok, err)
	}
	if !cur.NeedsRehash(enc) {
		t.Error("NeedsRehash(m=8192,t=1) under DefaultParams = false, want true")
	}
	if old.NeedsRehash(enc) {
		t.Error("NeedsRehash under its own params = true, want false")
	}
}

func TestNeedsRehash(t *testing.T) {
	h := New(Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}, 0, nil)
	salt16, key32 := b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 32))
	salt8, key16 := b64.EncodeToString(make([]byte, 8)), b64.EncodeToString(make([]byte, 16))
	tests := []struct {
		enc  string
		want bool
	}{
		{"$argon2id$v=19$m=128,t=2,p=2$" + salt16 + "$" + key32, false},
		{"$argon2id$v=19$m=256,t=3,p=4$" + salt16 + "$" + key32, false}, // stronger
		{"$argon2id$v=19$m=64,t=2,p=2$" + salt16 + "$" + key32, true},
		{"$argon2id$v=19$m=128,t=1,p=2$" + salt16 + "$" + key32, true},
		{"$argon2id$v=19$m=128,t=2,p=1$" + salt16 + "$" + key32, true},
		{"$argon2id$v=19$m=128,t=2,p=2$" + salt8 + "$" + key32, true},
		{"$argon2id$v=19$m=128,t=2,p=2$" + salt16 + "$" + key16, true},
		{"garbage", true},
		{"", true},
	}
	for _, tt := range tests {
		if got := h.NeedsRehash(tt.enc); got != tt.want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", tt.enc, got, tt.want)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	salt, key := b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 32))
	ok := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	tests := map[string]string{
		"not PHC":            "hunter2hunter2",
		"bcrypt":             "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":            strings.Replace(ok, "argon2id", "argon2i", 1),
		"argon2d":            strings.Replace(ok, "argon2id", "argon2d", 1),
		"version 16":         strings.Replace(ok, "v=19", "v=16", 1),
		"no version":         "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"two params":         "$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"params reordered":   "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"extra param":        "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key,
		"leading zero":       "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"plus sign":          "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"negative":           "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"t=0":                "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"p=0":                "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"p=256":              "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key,
		"m below 8p":         "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key,
		"m too large":        "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"m overflows uint32": "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key,
		"t too large":        "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key,
		"salt not base64":    "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"salt padded":        "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"salt too short":     "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(make([]byte, 4)) + "$" + key,
		"salt empty":         "$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"key too short":      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 8)),
		"key empty":          "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"key trailing bits":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:len(key)-1] + "B",
		"url alphabet":       "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("_", 43),
		"trailing dollar":    ok + "$",
		"trailing newline":   ok + "\n",
		"leading space":      " " + ok,
		"no leading dollar":  ok[1:],
	}
	h := New(testParams, 0, nil)
	if got, err := h.Verify(t.Context(), "x", ok); err != nil || got {
		t.Fatalf("control: Verify(well-formed) = %v, %v; want false, nil", got, err)
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := h.Verify(t.Context(), testPassword, enc)
			if got || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrMalformedHash", enc, got, err)
			}
			if !h.NeedsRehash(enc) {
				t.Errorf("NeedsRehash(%q) = false", enc)
			}
		})
	}
}

// TestVerifyNoHash: no stored hash still costs one argon2id run with the
// hasher's own parameters (security.md E.27), and never matches.
func TestVerifyNoHash(t *testing.T) {
	h := New(testParams, 0, nil)
	var runs atomic.Int32
	h.beforeHash = func() { runs.Add(1) }
	for _, plain := range []string{"", testPassword} {
		ok, err := h.Verify(t.Context(), plain, "")
		if err != nil || ok {
			t.Errorf("Verify(%q, \"\") = %v, %v; want false, nil", plain, ok, err)
		}
	}
	if got := runs.Load(); got != 2 {
		t.Errorf("argon2id runs = %d, want 2", got)
	}
	p, _, _, err := decode(h.dummy)
	if err != nil || p != testParams {
		t.Errorf("dummy params = %+v, %v; want %+v", p, err, testParams)
	}
}

func TestCancelledContext(t *testing.T) {
	h := New(testParams, 1, nil)
	h.beforeHash = func() { t.Error("hash ran with a cancelled context") }
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Hash(ctx, testPassword); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash = %v, want context.Canceled", err)
	}
	if _, err := h.Verify(ctx, testPassword, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify = %v, want context.Canceled", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestHashRandError(t *testing.T) {
	h := New(testParams, 0, failingReader{})
	if enc, err := h.Hash(t.Context(), testPassword); err == nil {
		t.Errorf("Hash with a failing reader = %q, nil; want an error", enc)
	}
	// The dummy does not depend on the reader working.
	if ok, err := h.Verify(t.Context(), testPassword, ""); ok || err != nil {
		t.Errorf("Verify(\"\") = %v, %v; want false, nil", ok, err)
	}
}

func TestNewDefaults(t *testing.T) {
	h := New(testParams, 0, nil)
	if cap(h.sem) != runtime.NumCPU() {
		t.Errorf("concurrency = %d, want NumCPU = %d", cap(h.sem), runtime.NumCPU())
	}
	if h.rand != cryptoRand {
		t.Error("nil rand did not default to crypto/rand.Reader")
	}
	if h := New(testParams, 3, nil); cap(h.sem) != 3 {
		t.Errorf("concurrency = %d, want 3", cap(h.sem))
	}
}

func TestNewRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 7, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", p)
				}
			}()
			New(p, 1, nil)
		}()
	}
}
