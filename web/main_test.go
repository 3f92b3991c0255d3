package web_test

import (
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
	testenv.Main(m)
}
