package cli

import (
	"fmt"
	"strings"
	"testing"
)

// A table lines its columns up by terminal width: 山田太郎 takes eight
// columns, like "Ann Lee" plus one, so the next column starts at the same
// place on every line.
func TestTable_AlignsFullWidthCharactersByTheirTerminalWidth(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	tw := newTable(&out)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS")
	fmt.Fprintln(tw, "1\tAnn Lee\tactive")
	fmt.Fprintln(tw, "2\t山田太郎\tinactive")
	fmt.Fprintln(tw, "3\tＡＢＣ\tactive")
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "ID  NAME      STATUS\n" +
		"1   Ann Lee   active\n" +
		"2   山田太郎  inactive\n" +
		"3   ＡＢＣ    active\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	for _, c := range []struct {
		s string
		w int
	}{{"abc", 3}, {"日本語", 6}, {"ｶﾅ", 2}, {"é", 1}, {"e\u0301", 1}, {"", 0}} {
		if got := displayWidth(c.s); got != c.w {
			t.Errorf("displayWidth(%q) = %d, want %d", c.s, got, c.w)
		}
	}
}
