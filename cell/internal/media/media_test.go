package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/pushnchat/pushnchat/internal/errs"
)

// noisyImage is hard to compress, so the byte budgets are really tested.
func noisyImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x ^ y), uint8(rng.IntN(256)), uint8(y), 255})
		}
	}
	return img
}

// JPEGWithEXIF returns a JPEG carrying an EXIF block with marker inside.
func JPEGWithEXIF(t testing.TB, img image.Image, marker string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), []byte(marker)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), seg...), b[2:]...)
}

func TestProcessRendersVariantsWithinBudgetsAndDropsEXIF(t *testing.T) {
	data := JPEGWithEXIF(t, noisyImage(2400, 1600), "GPS 6.5244N 3.3792E")
	if !bytes.Contains(data, []byte("GPS 6.5244N")) {
		t.Fatal("test input lacks its EXIF marker")
	}
	w, h, out, err := Process(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if w != 2400 || h != 1600 {
		t.Errorf("dimensions = %dx%d; want 2400x1600", w, h)
	}
	if len(out) != len(Variants) {
		t.Fatalf("got %d renditions; want %d", len(out), len(Variants))
	}
	for _, rd := range out {
		if len(rd.Data) > rd.Budget {
			t.Errorf("%s: %d bytes; budget %d", rd.Name, len(rd.Data), rd.Budget)
		}
		if max(rd.Width, rd.Height) > rd.MaxSide {
			t.Errorf("%s: %dx%d exceeds %d", rd.Name, rd.Width, rd.Height, rd.MaxSide)
		}
		if bytes.Contains(rd.Data, []byte("Exif")) || bytes.Contains(rd.Data, []byte("GPS 6.5244N")) {
			t.Errorf("%s still carries the EXIF block", rd.Name)
		}
		if _, err := jpeg.Decode(bytes.NewReader(rd.Data)); err != nil {
			t.Errorf("%s is not a valid JPEG: %v", rd.Name, err)
		}
	}
}

func TestProcessKeepsSmallImagesSmall(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, noisyImage(200, 120)); err != nil {
		t.Fatal(err)
	}
	_, _, out, err := Process(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, rd := range out {
		if rd.Width > 200 || rd.Height > 120 {
			t.Errorf("%s upscaled to %dx%d", rd.Name, rd.Width, rd.Height)
		}
	}
}

// pngClaiming returns a valid small PNG whose header claims w×h pixels, as
// a decompression bomb would.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR data starts after the 8-byte signature, 4-byte length, 4-byte type.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestProcessRefusals(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want errs.Kind
	}{
		{"text", []byte("hello, this is not a photo"), errs.Unsupported},
		{"html", []byte("<html><script>alert(1)</script></html>"), errs.Unsupported},
		{"fake jpeg", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("junk"), 100)...), errs.Invalid},
		{"decompression bomb", pngClaiming(t, 30000, 30000), errs.Invalid},
		{"too many pixels", pngClaiming(t, 9000, 9000), errs.Invalid},
		{"too small", pngClaiming(t, 10, 10), errs.Invalid},
		{"over 10 MB", append(JPEGWithEXIF(t, noisyImage(64, 64), "x"), make([]byte, MaxUploadBytes)...), errs.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := Process(bytes.NewReader(tt.data))
			if got := errs.KindOf(err); got != tt.want {
				t.Errorf("Process(%s) error = %v (kind %s); want kind %s", tt.name, err, got, tt.want)
			}
		})
	}
}
