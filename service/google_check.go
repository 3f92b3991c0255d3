package service

import "errors"

// failedCheck names the check that refused a provider step ("" if the
// error names none): package oidc's errors carry it (azp_mismatch,
// key_not_for_signing, provider_unreachable…). The audit keeps it as
// `check` beside `reason` (the error code), so an admin sees which check
// refused a sign-in, and tests assert it.
func failedCheck(err error) string {
	var c interface{ FailedCheck() string }
	if errors.As(err, &c) {
		return c.FailedCheck()
	}
	return ""
}
