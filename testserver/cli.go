package testserver

import (
	"context"
	"strings"
	"testing"

	"github.com/toriihq/torii/app"
	"github.com/toriihq/torii/cli"
)

// CLI runs a torii command against the server's database, as an operator
// would in another terminal, and returns its output and exit status.
func (s *Server) CLI(t testing.TB, stdin string, args ...string) (out string, code int) {
	t.Helper()
	var buf SyncBuffer
	code = cli.Run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &buf, Stderr: &buf,
		Getenv:     func(k string) string { return s.Env[k] },
		AppOptions: appOptionsForCLI(),
	})
	return buf.String(), code
}

func appOptionsForCLI() (o app.Options) {
	o.Hasher = FastHasher()
	return o
}
