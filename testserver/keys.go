package testserver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"sync"
)

// sharedKey is one RSA signing key made once per test binary: making a
// 2048-bit key costs about a second of CPU under -race, and every server
// makes one when it starts on a new database.
var sharedKey struct {
	once sync.Once
	der  []byte
	err  error
}

// firstKeyShared returns a service.Options.RSAKey for one server on a
// database of its own: its first key is the shared one (the server still
// stores it, publishes it and signs with it as it would a key of its own),
// every later key (a rotation) is made fresh, so that keys stay distinct
// within a database. Servers of different databases having the same first
// key is harmless: their issuers (base URLs) differ. A server started on a
// database a test names (another instance's, say) gets no shared key, so
// that a test of instances sharing their keys cannot pass by coincidence.
func firstKeyShared() func() (*rsa.PrivateKey, error) {
	var mu sync.Mutex
	used := false
	return func() (*rsa.PrivateKey, error) {
		mu.Lock()
		first := !used
		used = true
		mu.Unlock()
		if !first {
			return rsa.GenerateKey(rand.Reader, 2048)
		}
		sharedKey.once.Do(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				sharedKey.err = err
				return
			}
			sharedKey.der, sharedKey.err = x509.MarshalPKCS8PrivateKey(k)
		})
		if sharedKey.err != nil {
			return nil, sharedKey.err
		}
		// A key of its own for each server: nothing is shared in memory.
		k, err := x509.ParsePKCS8PrivateKey(sharedKey.der)
		if err != nil {
			return nil, err
		}
		return k.(*rsa.PrivateKey), nil
	}
}
