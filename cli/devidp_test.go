package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/cli"
	"github.com/toriihq/torii/testserver"
)

func TestDevIDP_ServesDiscoveryAndPrintsTheVariables(t *testing.T) {
	var out, errOut testserver.SyncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- cli.Run(ctx, []string{"dev-idp", "--addr", "127.0.0.1:0", "--client-id", "my-client"}, cli.Env{
			Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
			Ready: func(addr string) { ready <- addr },
		})
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("dev-idp exited with %d: %s %s", code, out.String(), errOut.String())
	}
	issuer := "http://" + addr
	for _, want := range []string{"export TORII_OIDC_ISSUER=" + issuer + "\n", "export TORII_GOOGLE_CLIENT_ID=my-client\n", "export TORII_GOOGLE_CLIENT_SECRET="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != issuer || doc["jwks_uri"] != issuer+"/jwks" {
		t.Fatalf("discovery: %v", doc)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
