package web_test

import (
	"runtime"
	"testing"

	"github.com/toriihq/torii/testserver"
	"github.com/toriihq/torii/testserver/testenv"
)

// TestMain runs every test that starts a server in parallel with the others
// (each has its own server, database and port), and says, in one line even
// without -v, which checks did not run for want of a program (nginx, PyJWT)
// or in -short mode.
func TestMain(m *testing.M) {
	testserver.ParallelTests = true
	// The web tests compute more than they wait (the race detector,
	// the server and the client share the machine): one per core.
	testenv.DefaultParallel = runtime.GOMAXPROCS(0)
	testenv.Main(m)
}
