package testserver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"sync"
)

// onceKey is one RSA signing key made once per test binary: making a
// 2048-bit key costs about a second of CPU under -race, and every server
// makes one when it starts on a new database, every dev-idp when it starts.
type onceKey struct {
	once sync.Once
	der  []byte
	err  error
}

// sharedKey is the test servers' first key, idpKey the dev-idps' (another
// key, so that a torii key and a provider key are never the same).
var sharedKey, idpKey onceKey

// firstKeyShared returns a service.Options.RSAKey for one server on a
// database of its own: its first key is the shared one (the server still
// stores it, publishes it and signs with it as it would a key of its own),
// every later key (a rotation) is made fresh, so that keys stay distinct
// within a database. Servers of different databases having the same first
// key is harmless: their issuers (base URLs) differ. A server started on a
// database a test names (another instance's, say) gets no shared key, so
// that a test of instances sharing their keys cannot pass by coincidence.
func firstKeyShared() func() (*rsa.PrivateKey, error) { return firstKeyOf(&sharedKey) }

// firstKeyOf returns a maker of RSA keys whose first key is shared's.
func firstKeyOf(shared *onceKey) func() (*rsa.PrivateKey, error) {
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
		shared.once.Do(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				shared.err = err
				return
			}
			shared.der, shared.err = x509.MarshalPKCS8PrivateKey(k)
		})
		if shared.err != nil {
			return nil, shared.err
		}
		// A key of its own for each server: nothing is shared in memory.
		k, err := x509.ParsePKCS8PrivateKey(shared.der)
		if err != nil {
			return nil, err
		}
		return k.(*rsa.PrivateKey), nil
	}
}
