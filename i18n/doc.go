// Package i18n is torii's message catalog: every user-visible text of the
// pages, page JavaScript, e-mails and API error messages, in English (en,
// the source and fallback) and Japanese (ja). It wraps
// github.com/nicksnyder/go-i18n/v2 (lookups, CLDR plurals, {{.Field}}
// templates) and golang.org/x/text/language (Accept-Language matching).
// The CLI and logs stay English and do not use it.
//
// # Files
//
// The catalog is embedded from locales/<feature>.<lang>.toml: each feature
// has its own pair, e.g. locales/chat.en.toml and locales/chat.ja.toml,
// both complete, so engineers adding features never edit the same file.
// go-i18n takes the language from the file name. A key defined in two
// files stops the program at start-up.
//
//	"account.heading" = "Your account"          # flat, quoted, dotted keys
//	"chat.hello" = "Hello, {{.Name}}"           # fields filled from arguments
//
//	["time.minutesAgo"]                         # plurals: TOML tables,
//	one = "{{.Count}} minute ago"               # LAST in the file (a table
//	other = "{{.Count}} minutes ago"            # takes every key after it)
//
// Keys are <feature>.<name>; page JavaScript keys start with "js."
// (js.<script>.<name>, e.g. js.chat.send). Japanese is natural です/ます
// style with Google's own terms: 「Google でログイン」「ログアウト」.
//
// # Go
//
//	l := i18n.New("ja")                         // unknown → English, never an error
//	l.T("chat.hello", "Name", u.Name)           // name/value pairs
//	l.T("time.minutesAgo", "Count", 5)          // "Count" picks the plural form
//	l.HTML("setup.confirm", "Email", e)         // message markup kept, args escaped
//	i18n.MatchAcceptLanguage(r.Header.Get("Accept-Language"))
//
// A missing key returns the key itself. In package web, s.localizer(r, user)
// gives the request's Localizer (the order: ?lang=, the torii_lang
// cookie, the user's preference, Accept-Language, TORII_DEFAULT_LANGUAGE).
// pageData's Title, Notice and Error may be catalog keys: render
// translates them (Title: "chat.title").
//
// # Templates
//
// Page templates are parsed once per language with these functions:
//
//	{{t "key"}}                                 text, escaped by html/template
//	{{t "key" "Name" .User.Name "Count" .N}}    with fields / plural
//	{{thtml "key" "Email" .Email}}              message holding <strong>, <code>, <a>
//	{{t (printf "role.%s" .Role)}}              a family of keys chosen at run time
//	{{lang}}                                    "en" or "ja" (<html lang>)
//
// Times: write <time datetime="{{iso .T}}">{{when .T}}</time> (UTC on the
// server, for no-JS readers); web/static/i18n.js shows it in the reader's
// zone and locale (data-format="relative" for "5 minutes ago",
// data-format="date" for the date only).
//
// # Page JavaScript
//
// The layout embeds every "js." message of the page's language as JSON
// (<script type="application/json" id="torii-i18n">) and loads
// /static/i18n.js before the page's scripts, which gives:
//
//	t("js.chat.send")                           // "Send" / "送信"
//	t("js.chat.messageRoom", { Room: name })    // {{.Room}} filled
//	t("js.x.minutes", { Count: 3 })             // plural via Intl.PluralRules
//	toriiTime.format(date), toriiTime.relative(date), window.toriiLang
//
// # Tests
//
// catalog_test.go checks, for any number of feature files: every key in
// both languages with the same {{.Fields}}; English plurals have "one";
// every key a template ({{t "k"}}), script (t("k")) or Go file (.T("k"))
// names exists; no key is unused (written in quotes somewhere, or in a
// run-time family: "prefix." + x in Go/JS, printf "prefix.%s" in a
// template, Sprintf("prefix.%d", …) in Go); no template has visible text
// or placeholder/title/alt/aria-label/data-confirm words outside {{t}};
// no web/static script has a hard-coded sentence. Run:
//
//	go test -run 'TestCatalog|TestTemplates|TestScripts' ./i18n/
package i18n
