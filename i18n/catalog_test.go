package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// These tests guard the catalog for every feature's files at once: add a
// pair locales/<feature>.en.toml + .ja.toml and run
//
//	go test -run 'TestCatalog|TestTemplates|TestScripts' ./i18n/
//
// to check your keys (both languages, same fields, used and defined).

// repoRoot is the module root, one level up from this package.
const repoRoot = ".."

func TestCatalog_EveryFeatureHasBothLanguagesWithTheSameKeys(t *testing.T) {
	t.Parallel()
	en, ja := fileKeys(English), fileKeys(Japanese)
	if len(en) == 0 {
		t.Fatal("no catalog files loaded")
	}
	for _, f := range sortedKeys(en, ja) {
		if !slices.Equal(en[f], ja[f]) {
			t.Errorf("%s: keys only in %s.en.toml: %v; only in %s.ja.toml: %v",
				f, f, missing(en[f], ja[f]), f, missing(ja[f], en[f]))
		}
	}
}

func TestCatalog_NoMessageIsEmpty(t *testing.T) {
	t.Parallel()
	for _, lang := range Languages {
		for _, k := range Keys(lang) {
			if strings.TrimSpace(strings.Join(Text(lang, k), "")) == "" {
				t.Errorf("%s %s: empty message", lang, k)
			}
		}
	}
}

// A message's {{.Fields}} are the same in every language: a translation
// that drops {{.Email}} would silently lose it.
func TestCatalog_TranslationsUseTheSameFields(t *testing.T) {
	t.Parallel()
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	fields := func(lang, key string) []string {
		var out []string
		for _, s := range Text(lang, key) {
			for _, m := range field.FindAllStringSubmatch(s, -1) {
				out = append(out, m[1])
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, k := range Keys(English) {
		if a, b := fields(English, k), fields(Japanese, k); !slices.Equal(a, b) {
			t.Errorf("%s: fields %v in English, %v in Japanese", k, a, b)
		}
	}
}

// An English message with a {{.Count}} has both plural forms, so
// "1 minute ago" is never "1 minutes ago".
func TestCatalog_EnglishPluralsHaveOneAndOther(t *testing.T) {
	t.Parallel()
	for _, k := range Keys(English) {
		m := cat.messages[English][k]
		if strings.Contains(m.Other, ".Count") && m.One == "" {
			t.Errorf("%s: uses .Count but has no \"one\" form", k)
		}
	}
}

func TestCatalog_PluralsAndFields(t *testing.T) {
	t.Parallel()
	en, ja := New("en"), New("ja-JP")
	for _, c := range []struct{ got, want string }{
		{en.T("time.minutesAgo", "Count", 1), "1 minute ago"},
		{en.T("time.minutesAgo", "Count", 5), "5 minutes ago"},
		{ja.T("time.minutesAgo", "Count", 5), "5分前"},
		{en.T("chat.hello", "Name", "<Aiko>"), "Hello, <Aiko>"},
		{string(ja.HTML("setup.confirm", "Email", "<x@example.com>")), "このサーバーにはまだ管理者がいません。<strong>&lt;x@example.com&gt;</strong> を最初の管理者にするには確定してください。"},
		{en.T("no.such.key"), "no.such.key"},
		{New("fr").Lang(), "en"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestCatalog_LanguageMatching(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header, want string
		ok           bool
	}{
		{"ja-JP,ja;q=0.9", "ja", true},
		{"ja", "ja", true},
		{"en-US,en;q=0.9,ja;q=0.8", "en", true},
		{"fr-FR,ja;q=0.5", "ja", true},
		{"fr", "", false},
		{"", "", false},
		{"ä;;;", "", false},
	} {
		got, ok := MatchAcceptLanguage(c.header)
		if got != c.want || ok != c.ok {
			t.Errorf("MatchAcceptLanguage(%q) = %q, %v; want %q, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

// sources returns the repository's non-test source files with the given
// extensions, skipping vendored code and test data.
func sources(t *testing.T, exts ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "vendor", "node_modules", "testdata", "locales",
				"devidp": // the development provider's page stays English, like the CLI

				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, "_test.go") || !slices.Contains(exts, filepath.Ext(p)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	// Keys named where they are looked up: {{t "k"}}, {{thtml "k"}},
	// t("k") / t('k') in page JavaScript, .T("k") / .HTML("k") in Go.
	usedInTemplate = regexp.MustCompile(`\b(?:t|thtml)\s+"([^"\s]+)"`)
	usedInJS       = regexp.MustCompile(`\bt\(\s*["']([^"'\s]+)["']`)
	usedInGo       = regexp.MustCompile(`\.(?:T|HTML)\(\s*"([^"\s]+)"`)
	// Families of keys built at run time: "prefix." + x in Go or JS,
	// (printf "prefix.%s" x) in templates.
	dynamicConcat = regexp.MustCompile(`["']([A-Za-z][\w.]*\.)["']\s*\+`)
	dynamicPrintf = regexp.MustCompile(`(?:printf|Sprintf\()\s*"([A-Za-z][\w.]*\.)%[sdv]"`)
	// jsComment is a // line comment (JavaScript's and Go's): examples in
	// comments are not lookups.
	jsComment = regexp.MustCompile(`(?m)^\s*//.*$|\s//\s.*$`)
	quoted    = regexp.MustCompile(`"([A-Za-z][\w]*(?:\.[\w]+)+)"|'([A-Za-z][\w]*(?:\.[\w]+)+)'`)
)

// Every key a template, script or Go file looks up is in the catalog.
func TestCatalog_EveryKeyUsedExists(t *testing.T) {
	t.Parallel()
	defined := map[string]bool{}
	for _, k := range Keys(English) {
		defined[k] = true
	}
	for p, src := range sources(t, ".html", ".js", ".go", ".tmpl") {
		var re *regexp.Regexp
		switch filepath.Ext(p) {
		case ".html", ".tmpl":
			re = usedInTemplate
		case ".js":
			re, src = usedInJS, jsComment.ReplaceAllString(src, "")
		default:
			re, src = usedInGo, jsComment.ReplaceAllString(src, "")
		}
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			if !defined[m[1]] && !strings.HasSuffix(m[1], ".") { // "prefix." + x: a family
				t.Errorf("%s: key %q is not in the catalog", p, m[1])
			}
		}
	}
}

// Every key is used somewhere: written out in quotes in a template,
// script or Go file, or part of a family built at run time.
func TestCatalog_NoUnusedKeys(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var prefixes []string
	var all strings.Builder
	for _, src := range sources(t, ".html", ".js", ".go", ".tmpl") {
		all.WriteString(src)
		for _, m := range quoted.FindAllStringSubmatch(src, -1) {
			seen[m[1]+m[2]] = true
		}
		for _, m := range dynamicConcat.FindAllStringSubmatch(src, -1) {
			prefixes = append(prefixes, m[1])
		}
		for _, m := range dynamicPrintf.FindAllStringSubmatch(src, -1) {
			prefixes = append(prefixes, m[1])
		}
	}
	for _, k := range Keys(English) {
		// Error messages are their own English text (errors.en.toml).
		if seen[k] || strings.Contains(all.String(), strconv.Quote(k)) || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		t.Errorf("key %q is not used by any template, script or Go file", k)
	}
}

// Page text lives in the catalog: a template's visible text and its
// user-facing attributes hold no words of their own, only {{t}} calls.
func TestTemplates_HaveNoHardCodedText(t *testing.T) {
	t.Parallel()
	comment := regexp.MustCompile(`(?s)\{\{-?\s*/\*.*?\*/\s*-?\}\}|<!--.*?-->`)
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	script := regexp.MustCompile(`(?is)<(script|style)\b[^>]*>.*?</(script|style)>`)
	attr := regexp.MustCompile(`(?i)\b(?:placeholder|title|alt|aria-label|data-confirm)="([^"]*)"`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	words := regexp.MustCompile(`[A-Za-z]{2,}`)
	for p, src := range sources(t, ".html", ".tmpl") {
		s := comment.ReplaceAllString(src, " ")
		s = script.ReplaceAllString(s, " ")
		s = action.ReplaceAllString(s, " ")
		var found []string
		for _, m := range attr.FindAllStringSubmatch(s, -1) {
			found = append(found, words.FindAllString(m[1], -1)...)
		}
		found = append(found, words.FindAllString(tag.ReplaceAllString(s, " "), -1)...)
		found = slices.DeleteFunc(found, func(w string) bool { return slices.Contains(brands, w) })
		if len(found) > 0 {
			t.Errorf("%s: text outside the catalog: %v (use {{t \"key\"}})", p, found)
		}
	}
}

// brands are names that are the same in every language.
var brands = []string{"torii", "Gemini", "Google", "Enter", "Shift", "Esc"}

// Page JavaScript shows no sentence of its own: user-visible strings come
// from t("js.…").
func TestScripts_HaveNoHardCodedSentences(t *testing.T) {
	t.Parallel()
	lit := regexp.MustCompile(`"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'`)
	sentence := regexp.MustCompile(`^[A-Z][a-z]+ [A-Za-z]+|[A-Za-z]{2,} [A-Za-z]{2,}.*[.!?…]$|^[a-z]+…$`)
	for p, src := range sources(t, ".js") {
		if !strings.Contains(filepath.ToSlash(p), "web/static/") {
			continue
		}
		src = jsComment.ReplaceAllString(src, "")
		for _, m := range lit.FindAllStringSubmatch(src, -1) {
			s := m[1] + m[2]
			if sentence.MatchString(s) {
				t.Errorf("%s: hard-coded text %q (use t(\"js.…\") and the catalog)", p, s)
			}
		}
	}
}

// Every English error message the Go code writes for a client (an
// Errorf format, an Error's Message, a field message) is a catalog key, so
// a Japanese reader gets it in Japanese (docs/api.md "Languages").
func TestErrors_EveryMessageIsInTheCatalog(t *testing.T) {
	t.Parallel()
	str := `"((?:[^"\\\n]|\\.)*)"`
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`Errorf\((?:torii\.)?E\w+,\s*` + str),
		regexp.MustCompile(`(?s)(?:torii\.)?Error\{[^{}]*?Message:\s*` + str),
		regexp.MustCompile(`\b(?:fields|f)\["\w+"\]\s*=\s*` + str),
		regexp.MustCompile(`(?:Fields:\s*|torii\.Invalid\()map\[string\]string\{"\w+":\s*` + str),
		regexp.MustCompile(`(?:errNotAllowed|mayEnter|mayEnterClaims|admission)\([^()]*?` + str + `\)`),
	}
	// Operators' tools speak English only: the CLI, configuration and
	// development servers.
	skip := []string{"config/", "cli/", "cmd/", "tools/", "testserver/", "storetest/", "e2e/", "i18n/"}
	for p, src := range sources(t, ".go") {
		rel := strings.TrimPrefix(filepath.ToSlash(p), "../")
		if slices.ContainsFunc(skip, func(s string) bool { return strings.HasPrefix(rel, s) }) {
			continue
		}
		for _, re := range patterns {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				msg, err := strconv.Unquote(`"` + m[1] + `"`)
				if err != nil || msg == "%s" {
					continue
				}
				if !New(Japanese).Has(msg) {
					t.Errorf("%s: error message %q is not in the catalog (add it to locales/<feature>.en.toml and .ja.toml)", rel, msg)
				}
			}
		}
	}
}

// CSS shows no words of its own (content: "…" in a pseudo-element would
// escape the catalog): text comes from the page, e.g. content: attr(data-…).
func TestStyles_HaveNoText(t *testing.T) {
	t.Parallel()
	content := regexp.MustCompile(`content:\s*"([^"]*)"`)
	words := regexp.MustCompile(`[A-Za-z]{2,}`)
	for p, src := range sources(t, ".css") {
		for _, m := range content.FindAllStringSubmatch(src, -1) {
			if words.MatchString(m[1]) {
				t.Errorf("%s: content %q is text outside the catalog (use content: attr(data-…))", p, m[1])
			}
		}
	}
}

func sortedKeys(ms ...map[string][]string) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func missing(a, b []string) []string {
	var out []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}
