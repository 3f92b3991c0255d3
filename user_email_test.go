package torii

import "testing"

// TestNormalizeEmail_ASCIICaseOnlyAndNoImitation: one normalisation (issue
// 12 rule 7): trimmed, NFC, ASCII lower case; an address holding a
// character that stands for an ASCII letter is never turned into the
// ASCII address it imitates.
func TestNormalizeEmail_ASCIICaseOnlyAndNoImitation(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		imitates bool
	}{
		{" Kim@Example.COM ", "kim@example.com", false},
		{"\u212Aim@example.com", "\u212Aim@example.com", true},          // KELVIN SIGN: "K" in NFC
		{"k\u0130m@example.com", "k\u0130m@example.com", true},          // İ lowers to "i"
		{"ki\u017Fm@example.com", "ki\u017Fm@example.com", true},        // LONG S folds to "s"
		{"k\u0131m@example.com", "k\u0131m@example.com", true},          // dotless ı uppers to "I"
		{"kI\u0307m@example.com", "kI\u0307m@example.com", true},        // I + combining dot is İ in NFC
		{"Jos\u0065\u0301@example.com", "jos\u00e9@example.com", false}, // NFC composes é
		{"\u00c9lise@example.com", "\u00c9lise@example.com", false},     // non-ASCII case is kept
	} {
		if got := NormalizeEmail(tc.in); got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := EmailImitatesASCII(tc.in); got != tc.imitates {
			t.Errorf("EmailImitatesASCII(%q) = %v, want %v", tc.in, got, tc.imitates)
		}
	}
}
