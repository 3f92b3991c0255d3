package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/toriihq/torii/devidp"
)

// googleTarget is the target: ID-token sign-ins per second at 15 %
// or more of raw RS256 verifications per second, measured in the same run.
const googleTarget = 0.15

// Credentials of the in-process provider the bench signs tokens with.
const (
	benchClientID = "toriibench"
	benchSecret   = "toriibench-secret"
)

var benchGoogleUser = devidp.User{Email: "bench-google@example.com", Name: "Bench Google", EmailVerified: true}

// GoogleResult is the outcome of scenario google.
type GoogleResult struct {
	Tokens int `json:"tokens"`
	// Raw is the baseline: the least work that verifies an RS256 JWT's
	// signature (split, base64-decode, SHA-256, crypto/rsa).
	Raw Phase `json:"raw"`
	// RawJose is the same through go-jose (parse + Verify), for reference.
	RawJose Phase `json:"rawJose"`
	SignIn  Phase `json:"signIn"`
	// Rounds are the ratios sign-ins/raw of the alternating rounds.
	Rounds []float64 `json:"rounds"`
	Reused bool      `json:"reused"`
	Ratio  float64   `json:"ratio"`
	Target float64   `json:"target"`
	Pass   bool      `json:"pass"`
}

// benchIDP is a dev-idp on loopback that torii discovers.
type benchIDP struct {
	p    *devidp.Provider
	srv  *httptest.Server
	used atomic.Int64
}

func startBenchIDP() (*benchIDP, error) {
	p, err := devidp.New(devidp.Options{Clients: []devidp.Client{{ID: benchClientID, Secret: benchSecret}}})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(p)
	p.SetIssuer(srv.URL)
	return &benchIDP{p: p, srv: srv}, nil
}

// env points torii at the provider.
func (i *benchIDP) env() map[string]string {
	return map[string]string{
		"TORII_OIDC_ISSUER":          i.p.Issuer(),
		"TORII_GOOGLE_CLIENT_ID":     benchClientID,
		"TORII_GOOGLE_CLIENT_SECRET": benchSecret,
	}
}

// mint signs n distinct valid ID tokens for the bench user, in parallel.
func (i *benchIDP) mint(n int) []string {
	tokens := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.NumCPU()
	for w := range workers {
		wg.Go(func() {
			for k := w; k < n; k += workers {
				c := i.p.Claims(benchGoogleUser, benchClientID, "")
				c["jti"] = fmt.Sprintf("bench-%d", k) // distinct tokens
				tokens[k] = i.p.Sign(c)
			}
		})
	}
	wg.Wait()
	return tokens
}

// publicKeys reads the provider's JWKS as torii does.
func (i *benchIDP) publicKeys() ([]jose.JSONWebKey, error) {
	resp, err := http.Get(i.p.Issuer() + "/jwks")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return nil, err
	}
	return set.Keys, nil
}

// googleOp posts the next token of the pool as a GIS credential.
func (b *bench) googleOp(tokens []string, next *atomic.Int64, reused *atomic.Bool) newOp {
	url := b.torii.URL + "/api/v1/auth/google"
	return func(int) op {
		return func(ctx context.Context) error {
			k := next.Add(1) - 1
			if k >= int64(len(tokens)) {
				reused.Store(true)
			}
			// The JSON body is the token in quotes: no encoding work on the
			// load generator's side, which shares the CPUs.
			tok := tokens[k%int64(len(tokens))]
			body := make([]byte, 0, len(tok)+17)
			body = append(append(append(body, `{"credential":"`...), tok...), `"}`...)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			_, _, err = b.do(req, false)
			return err
		}
	}
}

// scenarioGoogle measures ID-token sign-ins of an existing user (POST
// /api/v1/auth/google with valid, distinct tokens signed in advance)
// against raw RS256 verifications (parse + signature check with go-jose,
// as torii's key set does) of the same tokens, in the same run.
func (b *bench) scenarioGoogle(ctx context.Context, idp *benchIDP) (*GoogleResult, error) {
	b.progress("  signing %d ID tokens in advance …", b.opts.googleTokens)
	tokens := idp.mint(b.opts.googleTokens)
	b.progress(" done\n")
	// The user exists before the measured phases: its first sign-in creates it.
	first, _ := json.Marshal(map[string]string{"credential": idp.p.Sign(idp.p.Claims(benchGoogleUser, benchClientID, ""))})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.torii.URL+"/api/v1/auth/google", bytes.NewReader(first))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if _, body, err := b.do(req, true); err != nil {
		return nil, fmt.Errorf("first Google sign-in: %w %s", err, body)
	}
	keys, err := idp.publicKeys()
	if err != nil || len(keys) == 0 {
		return nil, fmt.Errorf("read the JWKS: %v", err)
	}
	r := &GoogleResult{Tokens: len(tokens), Target: googleTarget}
	pub, ok := keys[0].Key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the provider's key is %T, not RSA", keys[0].Key)
	}
	var rawNext atomic.Int64
	raw := side{name: fmt.Sprintf("raw RS256 verify (crypto/rsa), %d goroutines", runtime.NumCPU()), clients: runtime.NumCPU(),
		mk: func(int) op {
			return func(context.Context) error {
				tok := tokens[(rawNext.Add(1)-1)%int64(len(tokens))]
				dot := strings.LastIndexByte(tok, '.')
				sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
				if err != nil {
					return err
				}
				sum := sha256.Sum256([]byte(tok[:dot]))
				return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
			}
		}}
	var next atomic.Int64
	var reused atomic.Bool
	signIn := side{name: "torii POST /api/v1/auth/google (existing user)", clients: b.opts.clients,
		mk: b.googleOp(tokens, &next, &reused)}
	r.SignIn, r.Raw, r.Rounds = b.pair(ctx, signIn, raw)
	var joseNext atomic.Int64
	r.RawJose = b.phase(ctx, side{name: fmt.Sprintf("raw RS256 verify (go-jose), %d goroutines", runtime.NumCPU()), clients: runtime.NumCPU(),
		mk: func(int) op {
			return func(context.Context) error {
				tok := tokens[(joseNext.Add(1)-1)%int64(len(tokens))]
				jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
				if err != nil {
					return err
				}
				_, err = jws.Verify(&keys[0])
				return err
			}
		}}, nil)
	r.Reused = reused.Load()
	if r.Raw.Stats.PerSec > 0 {
		r.Ratio = r.SignIn.Stats.PerSec / r.Raw.Stats.PerSec
	}
	r.Pass = r.Ratio >= googleTarget && r.SignIn.Stats.Errors == 0 && r.Raw.Stats.Errors == 0 && r.RawJose.Stats.Errors == 0
	return r, nil
}

func printGoogle(w io.Writer, g *GoogleResult) {
	fmt.Fprintf(w, "\nGoogle ID-token sign-in of an existing user, %d distinct tokens signed in advance (RS256, 2048-bit)\n", g.Tokens)
	printPhases(w, g.Raw, g.RawJose, g.SignIn)
	fmt.Fprintf(w, "ratio sign-ins/raw verifications (crypto/rsa): %.1f %% (target ≥ %.0f %%) %s%s\n", 100*g.Ratio, 100*g.Target,
		verdict(g.Pass), caveat(g.Raw, g.SignIn))
	fmt.Fprintf(w, "  per round: %s\n", fmtRatios(g.Rounds))
	if g.RawJose.Stats.PerSec > 0 {
		fmt.Fprintf(w, "ratio sign-ins/go-jose verifications: %.1f %%\n", 100*g.SignIn.Stats.PerSec/g.RawJose.Stats.PerSec)
	}
	if g.Reused {
		fmt.Fprintln(w, "note: the token pool ran out and tokens were used again; raise -google-tokens for distinct tokens only")
	}
	loud(w, g.Raw, g.RawJose, g.SignIn)
}

// printPhases prints a table of phases: rate and latencies.
func printPhases(w io.Writer, phases ...Phase) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tclients\tops/s\tp50\tp90\tp99\tmax\terrors\tCPU self\tCPU others\t")
	for _, p := range phases {
		s := p.Stats
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", p.Name, s.Clients, fmtRate(s.PerSec),
			fmtDur(s.P50), fmtDur(s.P90), fmtDur(s.P99), fmtDur(s.Max), s.Errors, fmtPct(p.CPU.Self), fmtPct(p.CPU.Others))
	}
	tw.Flush()
}
