package i18n

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The languages torii speaks. English is the source language: every key
// exists in it first, and it is the fallback for anything unknown.
const (
	English  = "en"
	Japanese = "ja"
)

// Languages lists the supported languages, the default first.
var Languages = []string{English, Japanese}

var tags = []language.Tag{language.English, language.Japanese}

// matcher picks the best supported language for a list of preferences
// (BCP 47 tags, as in Accept-Language).
var matcher = language.NewMatcher(tags)

//go:embed locales/*.toml
var localeFS embed.FS

// catalog is the parsed, embedded catalog: a go-i18n bundle for lookups
// and plurals, and the raw messages per language for key listings.
type catalog struct {
	bundle   *goi18n.Bundle
	messages map[string]map[string]*goi18n.Message // lang → id → message
	files    map[string]map[string][]string        // lang → file base → ids
}

var cat = mustLoad(localeFS)

func mustLoad(fsys fs.FS) *catalog {
	c, err := load(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// load parses every locales/<feature>.<lang>.toml file. A key defined in
// two files is an error: go-i18n would silently keep one of them.
func load(fsys fs.FS) (*catalog, error) {
	c := &catalog{
		bundle:   goi18n.NewBundle(language.English),
		messages: map[string]map[string]*goi18n.Message{},
		files:    map[string]map[string][]string{},
	}
	c.bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	where := map[string]string{} // lang/id → file
	for _, name := range names {
		base := path.Base(name)
		parts := strings.Split(strings.TrimSuffix(base, ".toml"), ".")
		if len(parts) != 2 || !slices.Contains(Languages, parts[1]) {
			return nil, fmt.Errorf("i18n: %s: want <feature>.<%s>.toml", name, strings.Join(Languages, "|"))
		}
		feature, lang := parts[0], parts[1]
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := c.bundle.ParseMessageFileBytes(buf, base)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		if c.messages[lang] == nil {
			c.messages[lang] = map[string]*goi18n.Message{}
			c.files[lang] = map[string][]string{}
		}
		for _, m := range mf.Messages {
			if prev, dup := where[lang+"/"+m.ID]; dup {
				return nil, fmt.Errorf("i18n: key %q is in both %s and %s", m.ID, prev, base)
			}
			where[lang+"/"+m.ID] = base
			c.messages[lang][m.ID] = m
			c.files[lang][feature] = append(c.files[lang][feature], m.ID)
		}
	}
	return c, nil
}

// Supported reports whether lang is one of Languages, exactly.
func Supported(lang string) bool { return slices.Contains(Languages, lang) }

// Parse returns the supported language a tag names ("ja", "ja-JP", "EN")
// and whether it names one at all; "fr" and garbage give "", false.
func Parse(s string) (string, bool) {
	t, err := language.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", false
	}
	base, _ := t.Base()
	if Supported(base.String()) {
		return base.String(), true
	}
	return "", false
}

// MatchAcceptLanguage returns the supported language that best fits an
// Accept-Language header, and false when nothing in it is supported (so
// the caller falls back to its default rather than to English).
func MatchAcceptLanguage(header string) (string, bool) {
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return "", false
	}
	_, i, conf := matcher.Match(prefs...)
	if conf == language.No {
		return "", false
	}
	return Languages[i], true
}

// Localizer looks messages up in one language. The zero value is not
// usable; get one from New.
type Localizer struct {
	lang string
	loc  *goi18n.Localizer
}

var localizers = func() map[string]*Localizer {
	m := map[string]*Localizer{}
	for _, l := range Languages {
		m[l] = &Localizer{lang: l, loc: goi18n.NewLocalizer(cat.bundle, l)}
	}
	return m
}()

// New returns the Localizer for lang; an unsupported or empty lang gets
// English, never an error. Localizers are shared and safe for concurrent
// use.
func New(lang string) *Localizer {
	if l, ok := localizers[lang]; ok {
		return l
	}
	if p, ok := Parse(lang); ok {
		return localizers[p]
	}
	return localizers[English]
}

// Lang returns the localizer's language ("en", "ja"), for <html lang>.
func (l *Localizer) Lang() string { return l.lang }

// Has reports whether key is in the catalog.
func (l *Localizer) Has(key string) bool {
	_, ok := cat.messages[l.lang][key]
	return ok
}

// T returns the message key in the localizer's language. args are
// name/value pairs filling the message's {{.Name}} fields; a "Count"
// argument also picks the plural form. A missing key returns the key
// itself (tests catch it: see catalog_test.go).
func (l *Localizer) T(key string, args ...any) string {
	data := map[string]any{}
	var count any
	for i := 0; i+1 < len(args); i += 2 {
		name := fmt.Sprint(args[i])
		data[name] = args[i+1]
		if name == "Count" {
			count = args[i+1]
		}
	}
	s, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data, PluralCount: count})
	if err != nil || s == "" {
		return key
	}
	return s
}

// HTML is T for messages that hold markup (<strong>, <code>, <a>): the
// message text is trusted (it is ours), every argument is HTML-escaped
// first. Use it only where a sentence wraps markup around a word, so the
// translator can move it (Japanese word order differs).
func (l *Localizer) HTML(key string, args ...any) template.HTML {
	esc := make([]any, len(args))
	for i, a := range args {
		if i%2 == 1 {
			a = template.HTMLEscapeString(fmt.Sprint(a))
		}
		esc[i] = a
	}
	return template.HTML(l.T(key, esc...))
}

// Messages returns the messages whose keys start with prefix, for page
// JavaScript: a message without plural forms is a string, one with plural
// forms a map of CLDR forms ("one", "other") to text. Template fields stay
// as written ({{.Name}}); web/static/i18n.js fills them.
func (l *Localizer) Messages(prefix string) map[string]any {
	out := map[string]any{}
	for id, m := range cat.messages[l.lang] {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		if m.One == "" && m.Few == "" && m.Many == "" && m.Two == "" && m.Zero == "" {
			out[id] = m.Other
			continue
		}
		forms := map[string]string{"other": m.Other}
		for form, s := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many} {
			if s != "" {
				forms[form] = s
			}
		}
		out[id] = forms
	}
	return out
}

// Funcs returns the template functions bound to l, for html/template:
//
//	{{t "key"}}  {{t "key" "Name" .X "Count" .N}}   (text, escaped)
//	{{thtml "key" "Email" .X}}                        (markup kept, args escaped)
//	{{lang}}                                          ("en", "ja")
func (l *Localizer) Funcs() template.FuncMap {
	return template.FuncMap{
		"t":     l.T,
		"thtml": l.HTML,
		"lang":  l.Lang,
	}
}

// Keys returns every key of lang, sorted.
func Keys(lang string) []string {
	keys := make([]string, 0, len(cat.messages[lang]))
	for id := range cat.messages[lang] {
		keys = append(keys, id)
	}
	sort.Strings(keys)
	return keys
}

// fileKeys returns, for lang, each feature file's keys (feature → keys),
// so a test can check that every feature's pair of files matches.
func fileKeys(lang string) map[string][]string {
	out := map[string][]string{}
	for f, ids := range cat.files[lang] {
		out[f] = slices.Sorted(slices.Values(ids))
	}
	return out
}

// Text returns every form of a message's text in lang (the plural forms
// too), for tests that look for untranslated English.
func Text(lang, key string) []string {
	m, ok := cat.messages[lang][key]
	if !ok {
		return nil
	}
	var out []string
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
