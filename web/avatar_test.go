package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/toriihq/torii/testserver"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func putAvatar(c *testserver.Client, data []byte, contentType string) *testserver.Response {
	return c.Do("PUT", "/api/v1/me/avatar", data, "Content-Type", contentType)
}

func TestAvatar_UploadIsRedrawnAsBoundedPNGAndServedSafely(t *testing.T) {
	srv := start(t, nil)
	ann := signedIn(t, srv, "ann@example.com")
	bob := signedIn(t, srv, "bob@example.com")

	// The content decides, not the Content-Type the client claims.
	r := putAvatar(ann, pngOf(t, 600, 300), "text/html")
	if r.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	path := r.JSON()["user"].(map[string]any)["avatarUrl"].(string)
	if !strings.HasPrefix(path, "/avatars/") || !strings.Contains(path, "?v=") {
		t.Fatalf("avatarUrl %q", path)
	}
	img := bob.Do("GET", path, nil)
	if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || img.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET %s: %d %v", path, img.Status, img.Header)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.Body))
	if err != nil || cfg.Width != 256 || cfg.Height != 128 {
		t.Fatalf("served picture: %v %+v", err, cfg)
	}
	if r := srv.Client(t).Do("GET", path, nil); r.Status != http.StatusNotFound {
		t.Errorf("signed out: %d", r.Status)
	}

	for name, body := range map[string][]byte{
		"html":        []byte("<html><script>alert(1)</script></html>"),
		"empty":       {},
		"too wide":    pngOf(t, 5000, 1),
		"over 2 MiB":  bytes.Repeat([]byte{0x89}, 2<<20+1),
		"cut-off png": pngOf(t, 64, 64)[:40],
	} {
		t.Run(name, func(t *testing.T) {
			wantFieldError(t, putAvatar(ann, body, "image/png"), "picture")
		})
	}

	// Removing it drops the upload.
	r = ann.Do("DELETE", "/api/v1/me/avatar", nil)
	if r.Status != http.StatusOK || r.JSON()["user"].(map[string]any)["avatarUrl"] != "" {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("GET", path, nil); r.Status != http.StatusNotFound {
		t.Errorf("after removal: %d", r.Status)
	}
	// The /account form shows the field.
	wantPage(t, ann.Do("GET", "/account", nil), http.StatusOK, `id="profile-picture"`)
	if a := auditJSON(t, cliAdmin(t, srv), "profile.update"); !strings.Contains(a, `"picture":"upload"`) || !strings.Contains(a, `"picture":"removed"`) {
		t.Errorf("profile.update audit: %s", a)
	}
}

func TestAvatar_ProviderPictureUntilAnUploadWhichItNeverReplaces(t *testing.T) {
	g := startGoogle(t, nil)
	u := ada
	u.Picture = "https://lh3.googleusercontent.example/ada.png"
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(u)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	if got := me(t, c)["user"].(map[string]any)["avatarUrl"]; got != u.Picture {
		t.Fatalf("avatarUrl %v, want Google's picture", got)
	}
	if r := putAvatar(c, pngOf(t, 32, 32), "image/png"); r.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	again := g.srv.Client(t)
	g.signIn(again, g.idp.Token(u))
	if got := me(t, again)["user"].(map[string]any)["avatarUrl"].(string); !strings.HasPrefix(got, "/avatars/") {
		t.Fatalf("a provider sign-in replaced the upload with %q", got)
	}
}

// Removing the upload brings back the picture Google gave at the last
// sign-in at once, not at the next sign-in.
func TestAvatar_RemovingTheUploadBringsBackGooglesPictureAtOnce(t *testing.T) {
	g := startGoogle(t, nil)
	u := ada
	u.Picture = "https://lh3.googleusercontent.example/ada.png"
	c := g.srv.Client(t)
	if r := g.signIn(c, g.idp.Token(u)); r.Status != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	if r := putAvatar(c, pngOf(t, 32, 32), "image/png"); r.Status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	// Google's picture changes while the upload is shown.
	u.Picture = "https://lh3.googleusercontent.example/ada-2.png"
	g.signIn(g.srv.Client(t), g.idp.Token(u))
	if r := c.Do("DELETE", "/api/v1/me/avatar", nil); r.Status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	if got := me(t, c)["user"].(map[string]any)["avatarUrl"]; got != u.Picture {
		t.Fatalf("after removing the upload avatarUrl is %v, want Google's latest %q", got, u.Picture)
	}

}

// A password account that links Google from /account shows Google's
// picture at once; after an upload is removed, it comes back.
func TestAvatar_LinkingGoogleShowsItsPictureAtOnce(t *testing.T) {
	g := startGoogle(t, nil)
	c := g.srv.Client(t)
	registerUser(t, c, "ann@example.com", "Ann")
	u := grace
	u.Picture = "https://lh3.googleusercontent.example/grace.png"
	if r := c.Do("POST", "/api/v1/me/identities", map[string]string{"credential": g.idp.Token(u)}); r.Status != http.StatusCreated {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	if got := me(t, c)["user"].(map[string]any)["avatarUrl"]; got != u.Picture {
		t.Fatalf("avatarUrl %v after linking, want Google's picture", got)
	}
	putAvatar(c, pngOf(t, 16, 16), "image/png")
	if r := c.Do("DELETE", "/api/v1/me/avatar", nil); r.Status != http.StatusOK || r.JSON()["user"].(map[string]any)["avatarUrl"] != u.Picture {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
}
