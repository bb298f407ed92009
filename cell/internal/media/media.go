// Package media turns an uploaded photo into the renditions a listing
// serves: it sniffs the content, refuses what is not a real image or is too
// big (in bytes, sides or pixels — decompression bombs included), decodes
// it, and re-encodes resized JPEG variants that fit the mobile budgets.
// Re-encoding from pixels drops every metadata block (EXIF, GPS, XMP).
package media

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoders for uploads
	"io"
	"net/http"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// Limits on uploads.
const (
	MaxUploadBytes = 10 << 20
	MaxSide        = 10000
	MaxPixels      = 40_000_000
	MinSide        = 64
)

// Spec describes a variant: the longest side and the byte budget.
type Spec struct {
	Name    string
	MaxSide int
	Budget  int
}

// Variants every photo is rendered to: a thumbnail for lists, one for 3G
// (≤ 100 KB) and one for 4G (≤ 200 KB).
var Variants = []Spec{
	{Name: "thumb", MaxSide: 320, Budget: 30 << 10},
	{Name: "3g", MaxSide: 960, Budget: 100 << 10},
	{Name: "4g", MaxSide: 1600, Budget: 200 << 10},
}

// Rendition is an encoded variant.
type Rendition struct {
	Spec
	Width, Height int
	Data          []byte
}

// ContentType of every rendition.
const ContentType = "image/jpeg"

var accepted = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// Process reads an upload (at most MaxUploadBytes) and renders Variants.
// It returns the original's dimensions.
func Process(r io.Reader) (width, height int, out []Rendition, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUploadBytes+1))
	if err != nil {
		return 0, 0, nil, errs.Wrap(errs.Invalid, err, "could not read the upload")
	}
	if len(data) > MaxUploadBytes {
		return 0, 0, nil, errs.E(errs.TooLarge, "a photo may be at most %d MB", MaxUploadBytes>>20)
	}
	if ct := http.DetectContentType(data); !accepted[ct] {
		return 0, 0, nil, errs.E(errs.Unsupported, "photos must be JPEG, PNG or WebP; this looks like %s", ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, errs.Wrap(errs.Invalid, err, "the photo is not a valid image")
	}
	switch {
	case cfg.Width < MinSide || cfg.Height < MinSide:
		return 0, 0, nil, errs.E(errs.Invalid, "a photo must be at least %d×%d pixels", MinSide, MinSide)
	case cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels:
		return 0, 0, nil, errs.E(errs.Invalid, "a photo may be at most %d pixels a side and %d megapixels", MaxSide, MaxPixels/1_000_000)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, nil, errs.Wrap(errs.Invalid, err, "the photo is not a valid image")
	}
	for _, spec := range Variants {
		rd, err := render(img, spec)
		if err != nil {
			return 0, 0, nil, err
		}
		out = append(out, rd)
	}
	b := img.Bounds()
	return b.Dx(), b.Dy(), out, nil
}

// render scales img to fit spec.MaxSide (never up) and encodes it as JPEG at
// the highest quality that fits the budget, scaling further down if even
// low quality does not fit.
func render(img image.Image, spec Spec) (Rendition, error) {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), spec.MaxSide)
	for range 6 {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		// JPEG has no alpha: transparent areas become white.
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
		for q := 85; q >= 45; q -= 10 {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}); err != nil {
				return Rendition{}, fmt.Errorf("media: encode %s: %w", spec.Name, err)
			}
			if buf.Len() <= spec.Budget {
				return Rendition{Spec: spec, Width: w, Height: h, Data: buf.Bytes()}, nil
			}
		}
		w, h = max(1, w*4/5), max(1, h*4/5)
	}
	return Rendition{}, fmt.Errorf("media: %s does not fit %d bytes", spec.Name, spec.Budget)
}

// fit scales w×h down so the longest side is at most side.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}
