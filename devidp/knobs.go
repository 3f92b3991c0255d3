package devidp

import "net/http"

// SetFailToken makes the token endpoint answer 503 while on, as a
// provider that cannot be reached during the code exchange.
func (p *Provider) SetFailToken(fail bool) {
	p.mu.Lock()
	p.failToken = fail
	p.mu.Unlock()
}

// SetFailJWKS makes the JWKS answer 503 while on.
func (p *Provider) SetFailJWKS(fail bool) {
	p.mu.Lock()
	p.failJWKS = fail
	p.mu.Unlock()
}

// failing answers 503 and reports true when the knob *on is set.
func (p *Provider) failing(on *bool, w http.ResponseWriter) bool {
	p.mu.Lock()
	fail := *on
	p.mu.Unlock()
	if fail {
		http.Error(w, "switched off (test knob)", http.StatusServiceUnavailable)
	}
	return fail
}
