package devidp

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
)

// Claims are the claims of an ID token; tests change them freely (delete
// "sub", set "aud" to a list…) before signing.
type Claims map[string]any

// SubjectFor derives a stable, Google-like numeric `sub` from an email, so
// the same test user gets the same subject on every run.
func SubjectFor(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	n := new(big.Int).SetBytes(sum[:10])
	s := n.String()
	return "1" + strings.Repeat("0", max(0, 20-len(s))) + s
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Claims returns the claims the provider would put in an ID token for u,
// issued now to clientID, with nonce when it is not empty.
func (p *Provider) Claims(u User, clientID, nonce string) Claims {
	now := p.opts.Now()
	c := Claims{
		"iss":            p.Issuer(),
		"sub":            u.Subject,
		"aud":            clientID,
		"azp":            clientID,
		"email":          u.Email,
		"email_verified": u.EmailVerified,
		"iat":            now.Unix(),
		"exp":            now.Add(p.opts.TokenTTL).Unix(),
	}
	if u.Subject == "" {
		c["sub"] = SubjectFor(u.Email)
	}
	if u.Name != "" {
		c["name"] = u.Name
	}
	if u.Picture != "" {
		c["picture"] = u.Picture
	}
	if u.HostedDomain != "" {
		c["hd"] = u.HostedDomain
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return c
}

// SignOption changes how Sign signs, to make bad tokens.
type SignOption int

// The ways Sign can go wrong on purpose.
const (
	// AlgNone sends an unsigned token with `alg: none`.
	AlgNone SignOption = iota + 1
	// AlgHS256 signs with HMAC-SHA256 keyed with the current public key
	// (the key confusion attack), naming the current kid.
	AlgHS256
	// TamperSignature flips a bit of a valid signature.
	TamperSignature
	// UnknownKey signs with a fresh key that the JWKS does not publish.
	UnknownKey
	// TamperPayload changes the payload after signing (the email).
	TamperPayload
)

// Sign returns a compact JWS of claims signed RS256 with the current key,
// or made bad as the options say.
func (p *Provider) Sign(claims Claims, opts ...SignOption) string {
	key := p.currentKey()
	for _, o := range opts {
		if o == UnknownKey {
			k, err := newKey(nil) // a key the provider never published
			if err != nil {
				panic(err)
			}
			key = k
		}
	}
	header := map[string]any{"alg": "RS256", "kid": key.id, "typ": "JWT"}
	for _, o := range opts {
		switch o {
		case AlgNone:
			header = map[string]any{"alg": "none", "typ": "JWT"}
		case AlgHS256:
			header["alg"] = "HS256"
		}
	}
	input := b64JSON(header) + "." + b64JSON(claims)
	var sig []byte
	switch header["alg"] {
	case "none":
	case "HS256":
		pub, _ := x509.MarshalPKIXPublicKey(&key.key.PublicKey)
		mac := hmac.New(sha256.New, pub)
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	default:
		sum := sha256.Sum256([]byte(input))
		var err error
		if sig, err = rsa.SignPKCS1v15(nil, key.key, crypto.SHA256, sum[:]); err != nil {
			panic(err)
		}
	}
	for _, o := range opts {
		switch o {
		case TamperSignature:
			sig[len(sig)/2] ^= 0x01
		case TamperPayload:
			changed := Claims{}
			for k, v := range claims {
				changed[k] = v
			}
			changed["email"] = "mallory@example.com"
			input = b64JSON(header) + "." + b64JSON(changed)
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// SignWithHeader signs claims RS256 with the current key, adding extra to
// the JOSE header (a `crit` list, say), for tests of header handling.
func (p *Provider) SignWithHeader(claims Claims, extra map[string]any) string {
	key := p.currentKey()
	header := map[string]any{"alg": "RS256", "kid": key.id, "typ": "JWT"}
	for k, v := range extra {
		header[k] = v
	}
	input := b64JSON(header) + "." + b64JSON(claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// IDToken returns a valid ID token for u, issued to clientID.
func (p *Provider) IDToken(u User, clientID string) string {
	return p.Sign(p.Claims(u, clientID, ""))
}

func b64JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
