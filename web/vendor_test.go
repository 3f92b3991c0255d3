package web

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestVendoredFiles_MatchTheirManifest: every file the binary serves from
// static/vendor/ is listed in static/vendor/SHA256SUMS (written by
// update.sh from the npm tarballs it verified) with its checksum, and every
// listed file is there: a hand edit, a stray file or a lost licence fails.
func TestVendoredFiles_MatchTheirManifest(t *testing.T) {
	sums, err := fs.ReadFile(staticFS, "static/vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's format", sc.Text())
		}
		listed[name] = true
		b, err := fs.ReadFile(staticFS, "static/vendor/"+name)
		if err != nil {
			t.Errorf("%s is in SHA256SUMS but not embedded: %v", name, err)
			continue
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s has sha256 %x, SHA256SUMS says %s: vendored files change only through update.sh", name, got, sum)
		}
	}
	entries, err := fs.ReadDir(staticFS, "static/vendor")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "SHA256SUMS" && n != "update.sh" && !listed[n] {
			t.Errorf("static/vendor/%s is not in SHA256SUMS", n)
		}
	}
	// Each library comes with its licence.
	for _, lib := range []string{"markdown-it", "dompurify", "highlight.js"} {
		if !listed[lib+".LICENSE"] {
			t.Errorf("no licence for %s", lib)
		}
	}
}

// TestVendoredFiles_AreThePinnedVersions: the versions update.sh pins are
// the ones in the files (their banners), so the script, the files and
// docs/api.md cannot drift apart silently.
func TestVendoredFiles_AreThePinnedVersions(t *testing.T) {
	script, err := fs.ReadFile(staticFS, "static/vendor/update.sh")
	if err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^vendor (\S+) (\S+) \\$`).FindAllStringSubmatch(string(script), -1) {
		pins[m[1]] = m[2]
	}
	banners := []struct{ pkg, file, format string }{
		{"dompurify", "purify.min.js", "DOMPurify %s "},
		{"@highlightjs/cdn-assets", "highlight.min.js", "Highlight.js v%s "},
	}
	for _, b := range banners {
		v, ok := pins[b.pkg]
		if !ok {
			t.Errorf("update.sh pins no version of %s (pins: %v)", b.pkg, pins)
			continue
		}
		src, err := fs.ReadFile(staticFS, "static/vendor/"+b.file)
		if err != nil {
			t.Fatal(err)
		}
		head := string(src[:min(len(src), 400)])
		if want := strings.Replace(b.format, "%s", v, 1); !strings.Contains(head, want) {
			t.Errorf("%s does not start with %q: update.sh and the file disagree", b.file, want)
		}
	}
	if pins["markdown-it"] == "" {
		t.Errorf("update.sh pins no version of markdown-it (pins: %v)", pins)
	}
}
