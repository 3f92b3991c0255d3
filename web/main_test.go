package web_test

import (
	"testing"

	"github.com/toriihq/torii/testserver/testenv"
)

// TestMain says, in one line even without -v, which checks did not run for
// want of a program (nginx, PyJWT) or in -short mode.
func TestMain(m *testing.M) { testenv.Main(m) }
