package cli_test

import (
	"testing"

	"github.com/toriihq/torii/testserver/testenv"
)

// TestMain says, in one line, which tests could not run here (PostgreSQL
// unset, -short), and records for CI that PostgreSQL was used.
func TestMain(m *testing.M) { testenv.Main(m) }
