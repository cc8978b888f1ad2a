// Package qrterm draws a QR code in a terminal — two modules a character
// cell, with Unicode half blocks — and writes it as a PNG. A phone camera
// reads it off an ordinary terminal at 80×24, over SSH, and with NO_COLOR.
//
// The glyphs mark the code's light modules (the quiet zone included) and
// leave its dark ones to the terminal's background: correct on the usual
// dark background with no colour at all. With colour the cells are also
// painted dark on light (see Lines), so a light-background terminal shows
// it the right way round too.
package qrterm

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Quiet is the light margin drawn around the code, in modules. The
// standard asks for 4; 2 is what fits an 80×24 screen and what phone
// readers and zbar take.
const Quiet = 2

// Code is a QR code's modules, true for dark, without a margin.
type Code [][]bool

// Encode makes the QR code of payload at the lowest error correction:
// the smallest code, for the smallest screen.
func Encode(payload string) (Code, error) {
	q, err := qrcode.New(payload, qrcode.Low)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// Size is the code's width (and height) in modules, margin included.
func (c Code) Size() int { return len(c) + 2*Quiet }

// Rows is how many terminal lines the code takes.
func (c Code) Rows() int { return (c.Size() + 1) / 2 }

// dark reports whether module (x, y) of the code with its margin is dark.
func (c Code) dark(x, y int) bool {
	x, y = x-Quiet, y-Quiet
	return y >= 0 && y < len(c) && x >= 0 && x < len(c) && c[y][x]
}

// Lines are the code drawn in half blocks, a line per two module rows:
// █ both halves light, ▀ the upper, ▄ the lower, a space neither.
func (c Code) Lines() []string {
	n := c.Size()
	out := make([]string, 0, c.Rows())
	for y := 0; y < n; y += 2 {
		var b strings.Builder
		for x := 0; x < n; x++ {
			top, bottom := !c.dark(x, y), y+1 < n && !c.dark(x, y+1)
			if y+1 >= n {
				bottom = false // below the code: the terminal's own background
			}
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		out = append(out, b.String())
	}
	return out
}

// Read is the inverse of Lines: the code (with its margin) drawn in the
// half-block lines, as a screen capture shows them.
func Read(lines []string) (Code, error) {
	var grid [][]bool // light modules
	for _, l := range lines {
		var top, bottom []bool
		for _, r := range l {
			switch r {
			case '█':
				top, bottom = append(top, true), append(bottom, true)
			case '▀':
				top, bottom = append(top, true), append(bottom, false)
			case '▄':
				top, bottom = append(top, false), append(bottom, true)
			case ' ':
				top, bottom = append(top, false), append(bottom, false)
			default:
				return nil, fmt.Errorf("qrterm: %q is not part of a drawn code", r)
			}
		}
		grid = append(grid, top, bottom)
	}
	if len(grid) == 0 {
		return nil, errors.New("qrterm: no lines")
	}
	out := make(Code, len(grid))
	for y, row := range grid {
		out[y] = make([]bool, len(row))
		for x, light := range row {
			out[y][x] = !light
		}
	}
	return out, nil
}

// Image is the code as a picture: dark modules black on white, scale
// pixels a module, with a 4-module margin (as the standard asks).
func (c Code) Image(scale int) image.Image {
	n := len(c) + 8
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range n * scale {
		for x := range n * scale {
			mx, my := x/scale-4, y/scale-4
			v := color.Gray{Y: 255}
			if my >= 0 && my < len(c) && mx >= 0 && mx < len(c[my]) && c[my][mx] {
				v = color.Gray{}
			}
			img.SetGray(x, y, v)
		}
	}
	return img
}

// EncodePNG writes the code as a PNG to w.
func (c Code) EncodePNG(w io.Writer) error { return png.Encode(w, c.Image(8)) }
