package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/toriihq/torii/devidp"
)

// devIDP runs `torii dev-idp`: a local OpenID provider to try Google
// sign-in with no network and no Google project. It prints the three
// variables that point torii at it.
func devIDP(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("dev-idp", env)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	issuer := fs.String("issuer", "", "issuer URL (default http://ADDR)")
	clientID := fs.String("client-id", "torii-dev", "the OAuth client id to accept")
	secret := fs.String("client-secret", "", "the client secret to accept (default: random, printed)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *secret == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		*secret = hex.EncodeToString(b)
	}
	ln := env.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", *addr); err != nil {
			return fmt.Errorf("dev-idp: cannot listen on %s: %w", *addr, err)
		}
	}
	defer ln.Close()
	if *issuer == "" {
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		*issuer = "http://" + net.JoinHostPort(host, port)
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	p, err := devidp.New(devidp.Options{
		Issuer:  *issuer,
		Clients: []devidp.Client{{ID: *clientID, Secret: *secret}},
		Logger:  log,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, `torii dev-idp: an OpenID provider for development at %s
Anyone who can reach it can sign in as anyone: keep it on loopback.

Start torii with these variables (the redirect URI is TORII_BASE_URL/auth/google/callback):

export TORII_OIDC_ISSUER=%s
export TORII_GOOGLE_CLIENT_ID=%s
export TORII_GOOGLE_CLIENT_SECRET=%s
`, *issuer, *issuer, *clientID, *secret)
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
