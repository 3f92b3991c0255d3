package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/toriihq/torii"
	"github.com/toriihq/torii/i18n"
	"github.com/toriihq/torii/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds every page template, parsed once at start-up with the shared
// layout, once per language: the templates' t, thtml, when, ago and device
// functions are bound to that language's i18n.Localizer.
type pages struct {
	byLang map[string]map[string]*template.Template
}

var pageFuncs = template.FuncMap{
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"has":  func(list []string, v string) bool { return slices.Contains(list, v) },
	"join": strings.Join,
	"initial": func(name string) string {
		for _, r := range name {
			return strings.ToUpper(string(r))
		}
		return "?"
	},
}

// localFuncs are the template functions that speak l's language. Times
// are rendered in UTC on the server, for pages read without JavaScript;
// web/static/i18n.js rewrites every <time datetime> in the reader's zone
// and locale.
func localFuncs(l *i18n.Localizer) template.FuncMap {
	f := l.Funcs()
	f["when"] = func(t time.Time) string { return l.T("time.utc", "Time", t.UTC().Format(l.T("time.layout"))) }
	f["ago"] = func(t time.Time) string { return ago(l, t) }
	f["device"] = func(ua string) string { return deviceName(l, ua) }
	// jsMessages is the page JavaScript's share of the catalog, embedded
	// by the layout as JSON (web/static/i18n.js reads it).
	f["jsMessages"] = func() map[string]any { return l.Messages("js.") }
	return f
}

// sharedPages parses the templates once per process: they depend on
// nothing but the embedded files and catalogs, and a parsed template is
// safe for concurrent use. A process usually runs one server; the tests
// run hundreds, and parsing every page in every language is most of what
// starting one costs under -race.
var sharedPages = sync.OnceValues(loadPages)

func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byLang: map[string]map[string]*template.Template{}}
	for _, lang := range i18n.Languages {
		funcs := localFuncs(i18n.New(lang))
		p.byLang[lang] = map[string]*template.Template{}
		for _, name := range names {
			base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
			if base == "layout" || strings.HasPrefix(base, "_") {
				continue
			}
			// Files named _*.html hold partials shared by several pages.
			t, err := template.New(base).Funcs(pageFuncs).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", name)
			if err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", name, err)
			}
			p.byLang[lang][base] = t
		}
	}
	return p, nil
}

// pageData is what every page template receives.
type pageData struct {
	Title   string
	User    *torii.User
	IsAdmin bool
	Config  service.Config
	// Error is a message shown above the form; Fields holds per-field
	// messages shown next to each input.
	Error  string
	Fields map[string]string
	// Form refills inputs after a failed submission (never the password).
	Form   map[string]string
	Notice string
	Next   string
	// GoogleAction labels the Google button ("Sign in with Google"); empty
	// hides it.
	GoogleAction string
	Data         any
	// err is the error behind Error, for handlers that adapt the page
	// to its code.
	err error
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	l := s.localizer(r, d.User)
	t, ok := s.pages.byLang[l.Lang()][name]
	if !ok {
		s.log.Error("missing page template", "name", name)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	d.Config = s.svc.PublicConfig()
	// Handlers give catalog keys for Title and Notice (and Error, when it
	// is not an error's message): they are translated here.
	if d.err != nil && d.Error == torii.ErrorMessage(d.err) {
		d.Error = errorText(l, d.err)
	}
	d.Title, d.Notice, d.Error = localText(l, d.Title), localText(l, d.Notice), localText(l, d.Error)
	d.Fields = fieldsText(l, d.Fields)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("render page", "name", name, "err", err, "request_id", requestID(r.Context()))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// renderError shows a friendly error page: the message of a coded error,
// never internals.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		s.log.Error("page failed", "err", err, "request_id", requestID(r.Context()))
	}
	s.render(w, r, status, "error", pageData{
		Title: statusTitle(status),
		Error: torii.ErrorMessage(err),
		err:   err,
		Data:  map[string]any{"Status": status, "RequestID": requestID(r.Context())},
	})
}

// formFailure prepares a form page for err and returns the status to
// render it with; ok is false when err is a server failure, which it has
// already answered with the error page. Field messages go beside their
// inputs (d.Fields) with "Please correct the fields below." above the
// form, unless the error says something more specific; a RATE_LIMITED
// error sets Retry-After. Every form page answers its errors through it.
func (s *Server) formFailure(w http.ResponseWriter, r *http.Request, d *pageData, err error) (status int, ok bool) {
	status = statusOf(err)
	if status >= 500 {
		s.renderError(w, r, err)
		return status, false
	}
	d.Error, d.err = torii.ErrorMessage(err), err
	var e *torii.Error
	if errors.As(err, &e) {
		if len(e.Fields) > 0 {
			d.Fields = e.Fields
			if e.Message == torii.InvalidMessage {
				d.Error = "form.correctFields"
			}
		}
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(e.RetryAfter))
		}
	}
	return status, true
}

func staticFiles() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// localText translates s when it is a catalog key and leaves any other
// text as it is.
func localText(l *i18n.Localizer, s string) string {
	if s != "" && l.Has(s) {
		return l.T(s)
	}
	return s
}

// statusTitle is the error page's title for an HTTP status: a catalog key
// for the statuses torii answers, a generic one for any other.
func statusTitle(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity,
		http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable:
		return fmt.Sprintf("status.%d", status)
	}
	return "status.other"
}

// ago renders a past time the way people say it.
func ago(l *i18n.Localizer, t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return l.T("time.justNow")
	case d < time.Hour:
		return l.T("time.minutesAgo", "Count", int(d.Minutes()))
	case d < 24*time.Hour:
		return l.T("time.hoursAgo", "Count", int(d.Hours()))
	default:
		return l.T("time.daysAgo", "Count", int(d.Hours()/24))
	}
}

// deviceName summarises a User-Agent as "Browser on OS" for the sessions
// list; it only has to be recognisable, not exact.
func deviceName(l *i18n.Localizer, ua string) string {
	browser, os := l.T("device.unknownBrowser"), ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", l.T("device.goClient")},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			os = o.name
			break
		}
	}
	if os == "" {
		return browser
	}
	return l.T("device.browserOnOS", "Browser", browser, "OS", os)
}
