package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is wrapped by the errors Verify returns for a stored hash
// that is not an argon2id PHC string within the accepted bounds. It means a
// corrupt or foreign value in the store, never a wrong password.
var ErrMalformedHash = errors.New("password: malformed hash")

// Bounds on parameters, for New and for parsing. The upper bounds exist
// because the parameters of a stored hash decide how much memory and time a
// verification costs: a corrupt row must not make one sign-in allocate
// gigabytes or run for minutes.
const (
	minSaltLen = 8       // the PHC string format's minimum
	maxSaltLen = 256     // nobody needs more
	minKeyLen  = 16      // shorter tags make collisions cheap
	maxKeyLen  = 256     // nobody needs more
	maxTime    = 64      // far above any sane interactive setting
	maxMemory  = 1 << 20 // KiB: 1 GiB, far above any sane interactive setting
)

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// rejects non-zero trailing bits, so every hash has exactly one spelling.
var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC argon2id string. The returned Params have SaltLen and
// KeyLen set to the lengths of salt and key.
func decode(s string) (p Params, salt, key []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("not a PHC string")
	}
	if parts[1] != "argon2id" {
		return fail("not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return fail("parameters are not m,t,p")
	}
	m, ok1 := parseParam(kv[0], "m=")
	t, ok2 := parseParam(kv[1], "t=")
	th, ok3 := parseParam(kv[2], "p=")
	if !ok1 || !ok2 || !ok3 || th > 255 {
		return fail("bad parameters")
	}
	// Comparing with the re-encoding also rejects the CR and LF that the
	// base64 decoder silently skips.
	if salt, err = b64.DecodeString(parts[4]); err != nil || b64.EncodeToString(salt) != parts[4] {
		return fail("bad salt encoding")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || b64.EncodeToString(key) != parts[5] {
		return fail("bad key encoding")
	}
	p = Params{Memory: m, Time: t, Threads: uint8(th),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.check(); err != nil {
		return fail(err.Error())
	}
	return p, salt, key, nil
}

// parseParam parses "name=decimal" in canonical form only (no sign, no
// leading zeros), so that each hash has one spelling.
func parseParam(s, name string) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != v {
		return 0, false
	}
	return uint32(n), true
}

// check enforces the bounds above. Memory must be at least 8 KiB per lane,
// as in the reference implementation (x/crypto silently raises it instead,
// which would verify a hash the reference calls invalid).
func (p Params) check() error {
	switch {
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time must be in [1, %d]", maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory must be in [8×threads, %d] KiB", maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length must be in [%d, %d]", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length must be in [%d, %d]", minKeyLen, maxKeyLen)
	}
	return nil
}
