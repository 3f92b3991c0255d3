package service

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // decoders of the accepted formats
	_ "image/jpeg"
	"image/png"
	"time"

	"github.com/toriihq/torii"
)

// Uploaded pictures (issue 19). An upload is decoded and drawn again as a
// PNG of at most AvatarSize pixels a side: the bytes served are always
// torii's own PNG, never what was sent (no script, no polyglot, no EXIF
// location), with a content type torii chose.
const (
	// MaxAvatarBytes bounds an upload.
	MaxAvatarBytes = 2 << 20
	// maxAvatarPixels bounds the declared size of an upload, checked
	// before decoding, so a small file cannot ask for a huge bitmap.
	maxAvatarPixels = 4096
	// AvatarSize is the side of the stored picture's longer edge, at most.
	AvatarSize = 256
)

func errPicture(msg string) error { return torii.Invalid(map[string]string{"picture": msg}) }

// SetAvatar makes data (a PNG, JPEG or GIF, by content, whatever the
// request said) the principal's picture. Errors: VALIDATION_ERROR
// (`picture`: empty, too large, not an image of those types, too many
// pixels).
func (s *Service) SetAvatar(ctx context.Context, p Principal, data []byte, m Meta) (torii.User, error) {
	switch {
	case len(data) == 0:
		return torii.User{}, errPicture("is required")
	case len(data) > MaxAvatarBytes:
		return torii.User{}, errPicture("must be at most 2 MiB")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "png" && format != "jpeg" && format != "gif") {
		return torii.User{}, errPicture("must be a PNG, JPEG or GIF image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxAvatarPixels || cfg.Height > maxAvatarPixels {
		return torii.User{}, errPicture("must be at most 4096 pixels a side")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return torii.User{}, errPicture("must be a PNG, JPEG or GIF image")
	}
	var out bytes.Buffer
	if err := png.Encode(&out, shrink(img, AvatarSize)); err != nil {
		return torii.User{}, err
	}
	now := s.now().UTC()
	u, err := s.store.SetAvatar(ctx, p.User.ID, out.Bytes(), fmt.Sprintf("%s%d?v=%d", torii.AvatarPathPrefix, p.User.ID, now.UnixMilli()), now)
	if err != nil {
		return torii.User{}, missingIsUnauthorized(err)
	}
	s.cache.forgetUser(u.ID)
	s.audit(ctx, torii.AuditProfile, &u.ID, u.Email, m, map[string]any{"picture": "upload"})
	return u, nil
}

// RemoveAvatar drops the principal's uploaded picture: the picture of
// their linked provider identity (Google's), if it has one, comes back at
// once (torii.AvatarStore.DeleteAvatar).
func (s *Service) RemoveAvatar(ctx context.Context, p Principal, m Meta) (torii.User, error) {
	u, err := s.store.DeleteAvatar(ctx, p.User.ID, s.now().UTC())
	if err != nil {
		return torii.User{}, missingIsUnauthorized(err)
	}
	s.cache.forgetUser(u.ID)
	s.audit(ctx, torii.AuditProfile, &u.ID, u.Email, m, map[string]any{"picture": "removed"})
	return u, nil
}

// Avatar returns user id's uploaded picture (a PNG) for a signed-in
// viewer. Errors: NOT_FOUND.
func (s *Service) Avatar(ctx context.Context, _ Principal, id int64) ([]byte, time.Time, error) {
	return s.store.Avatar(ctx, id)
}

// shrink scales img so that its longer side is at most size (nearest
// neighbour over box averages would be finer; a 256-pixel avatar needs
// no more), and copies it into a plain RGBA image either way, so the PNG
// holds pixels only.
func shrink(img image.Image, size int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, h*size/b.Dx())
		} else {
			w, h = max(1, w*size/b.Dy()), size
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		sy := b.Min.Y + y*b.Dy()/h
		for x := range w {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/w, sy))
		}
	}
	return out
}
