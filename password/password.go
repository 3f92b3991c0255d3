// Package password hashes and verifies passwords with argon2id
// (security.md E.26–E.29).
//
// Every hash allocates Params.Memory KiB, so a Hasher runs at most a fixed
// number of them at once: a flood of sign-ins queues up instead of exhausting
// memory. Hashes are PHC strings carrying their own parameters, so the
// parameters can be raised later and old hashes still verify.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters and output sizes.
type Params struct {
	Memory  uint32 // memory cost in KiB
	Time    uint32 // number of passes over the memory
	Threads uint8  // degree of parallelism (lanes)
	SaltLen uint32 // salt length in bytes
	KeyLen  uint32 // derived key length in bytes
}

// DefaultParams are OWASP's recommended argon2id parameters: 19 MiB of
// memory, 2 passes, 1 lane, a 16-byte salt and a 32-byte key. They meet
// security.md E.28 (m ≥ 19 MiB, t ≥ 2, p = 1).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords with fixed parameters, running at
// most a fixed number of argon2id computations at once. It is safe for
// concurrent use.
type Hasher struct {
	p    Params
	sem  chan struct{} // one token per running hash
	rand io.Reader
	// dummy is a well-formed hash with the hasher's parameters, verified
	// against when there is no real hash, so that "no such account" costs
	// the same as "wrong password" (security.md E.27).
	dummy string
	// beforeHash, when set (by tests only), runs while the semaphore is
	// held, just before argon2id starts.
	beforeHash func()
}

// New returns a Hasher that hashes with p, runs at most concurrency hashes
// at once (concurrency ≤ 0 means runtime.NumCPU()) and reads salts from rand
// (nil means crypto/rand.Reader; any other reader must be safe for
// concurrent use). New panics if p is outside the bounds Verify accepts,
// since a hasher whose own hashes cannot be verified is a programming error.
func New(p Params, concurrency int, rand io.Reader) *Hasher {
	if err := p.check(); err != nil {
		panic("password: " + err.Error())
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	if rand == nil {
		rand = cryptoRand
	}
	h := &Hasher{p: p, sem: make(chan struct{}, concurrency), rand: rand}
	h.dummy = h.makeDummy()
	return h
}

var cryptoRand = rand.Reader

// makeDummy builds the stand-in hash. Its key is random rather than derived:
// a verification against it is thrown away, so only its cost matters, and
// that depends only on the parameters. This avoids one argon2id run at start-up.
func (h *Hasher) makeDummy() string {
	b := make([]byte, h.p.SaltLen+h.p.KeyLen)
	// On a reader error the zero bytes are as good: the result is discarded.
	_, _ = io.ReadFull(h.rand, b)
	return encode(h.p, b[:h.p.SaltLen], b[h.p.SaltLen:])
}

// Hash returns the PHC string of plain with a fresh random salt, in the
// format of the reference argon2 CLI and passlib:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// (base64 standard alphabet, no padding). plain is hashed as given: callers
// check it with Validate first. Hash waits for a free slot; if ctx ends
// first it returns ctx.Err().
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := h.derive(ctx, plain, h.p, salt)
	if err != nil {
		return "", err
	}
	return encode(h.p, salt, key), nil
}

// Verify reports whether plain matches encoded, using the parameters stored
// in encoded and a constant-time comparison. A malformed encoded string is an
// error wrapping ErrMalformedHash. An empty encoded (no password set, or no
// such account) returns false after doing the same work as a real
// verification, so the two cases cannot be told apart by timing. Verify
// waits for a free slot; if ctx ends first it returns ctx.Err().
func (h *Hasher) Verify(ctx context.Context, plain, encoded string) (ok bool, err error) {
	if encoded == "" {
		_, err := h.verify(ctx, plain, h.dummy)
		return false, err
	}
	return h.verify(ctx, plain, encoded)
}

func (h *Hasher) verify(ctx context.Context, plain, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, plain, p, salt)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with weaker parameters than
// the hasher's (less memory, fewer passes or lanes, a shorter salt or key),
// so the caller should store a fresh Hash after a successful Verify. A
// malformed encoded string needs rehashing too.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	if err != nil {
		return true
	}
	return p.Memory < h.p.Memory || p.Time < h.p.Time || p.Threads < h.p.Threads ||
		p.SaltLen < h.p.SaltLen || p.KeyLen < h.p.KeyLen
}

// derive runs argon2id under the concurrency bound.
func (h *Hasher) derive(ctx context.Context, plain string, p Params, salt []byte) ([]byte, error) {
	// Checked first because select picks at random when both cases are ready:
	// an already-cancelled request must not start a hash.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.sem }()
	if h.beforeHash != nil {
		h.beforeHash()
	}
	return argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}
