package torii

// SignupMode says who may get an account (TORII_SIGNUP).
type SignupMode string

// The signup modes of TORII_SIGNUP.
const (
	// SignupAuto creates an unknown but allowed user at first sign-in
	// (seed 002).
	SignupAuto SignupMode = "auto"
	// SignupExplicit answers USER_NOT_FOUND to an unknown user, who must
	// register first (seed 003).
	SignupExplicit SignupMode = "explicit"
	// SignupClosed admits only users that an admin created.
	SignupClosed SignupMode = "closed"
)

// Valid reports whether m is one of the known modes.
func (m SignupMode) Valid() bool {
	return m == SignupAuto || m == SignupExplicit || m == SignupClosed
}
