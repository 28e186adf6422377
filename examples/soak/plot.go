package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
)

// glyphs is a 3x5 pixel font for the plot's labels: digits and the letters they use.
var glyphs = map[rune][5]string{
	'0': {"111", "101", "101", "101", "111"}, '1': {"010", "110", "010", "010", "111"},
	'2': {"111", "001", "111", "100", "111"}, '3': {"111", "001", "111", "001", "111"},
	'4': {"101", "101", "111", "001", "001"}, '5': {"111", "100", "111", "001", "111"},
	'6': {"111", "100", "111", "101", "111"}, '7': {"111", "001", "001", "001", "001"},
	'8': {"111", "101", "111", "101", "111"}, '9': {"111", "101", "111", "001", "111"},
	'B': {"110", "101", "110", "101", "110"}, 'D': {"110", "101", "101", "101", "110"},
	'E': {"111", "100", "111", "100", "111"}, 'F': {"111", "100", "111", "100", "100"},
	'G': {"111", "100", "101", "101", "111"}, 'I': {"111", "010", "010", "010", "111"},
	'M': {"101", "111", "111", "101", "101"}, 'N': {"110", "101", "101", "101", "101"},
	'O': {"111", "101", "101", "101", "111"}, 'R': {"110", "101", "110", "101", "101"},
	'S': {"111", "100", "111", "001", "111"}, 'T': {"111", "010", "010", "010", "010"},
	'U': {"101", "101", "101", "101", "111"}, '.': {"000", "000", "000", "000", "010"},
	'-': {"000", "000", "111", "000", "000"}, ' ': {"000", "000", "000", "000", "000"},
}

const glyphScale = 2

// text draws s at (x, y) (top left) in c; characters without a glyph are left blank.
func text(img *image.RGBA, x, y int, s string, c color.Color) {
	for _, r := range strings.ToUpper(s) {
		g := glyphs[r]
		for row, bits := range g {
			for col, bit := range bits {
				if bit != '1' {
					continue
				}
				for dy := 0; dy < glyphScale; dy++ {
					for dx := 0; dx < glyphScale; dx++ {
						img.Set(x+col*glyphScale+dx, y+row*glyphScale+dy, c)
					}
				}
			}
		}
		x += 4 * glyphScale
	}
}

// line draws a line from (x0, y0) to (x1, y1).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// series is one panel of the plot.
type series struct {
	title string
	color color.RGBA
	value func(sample) float64
}

// plotSamples writes a PNG of RSS (MB), goroutines and fds over time, one panel each, with
// each panel's minimum and maximum at its left and the run's length in minutes below.
func plotSamples(path string, ss []sample) error {
	const w, panelH, left, gap = 900, 180, 70, 30
	all := []series{
		{"RSS MB", color.RGBA{200, 40, 40, 255}, func(s sample) float64 { return float64(s.rssKB) / 1024 }},
		{"GOROUTINES", color.RGBA{30, 140, 60, 255}, func(s sample) float64 { return float64(s.goroutines) }},
		{"FDS", color.RGBA{40, 70, 200, 255}, func(s sample) float64 { return float64(s.fds) }},
	}
	h := len(all)*(panelH+gap) + gap
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	grey, black := color.RGBA{170, 170, 170, 255}, color.RGBA{0, 0, 0, 255}
	var end float64
	if len(ss) > 0 {
		end = ss[len(ss)-1].at.Minutes()
	}
	for p, s := range all {
		top := gap + p*(panelH+gap)
		bottom, right := top+panelH, w-20
		line(img, left, top, left, bottom, grey)
		line(img, left, bottom, right, bottom, grey)
		text(img, left+6, top-gap+8, s.title, black)
		if len(ss) == 0 {
			continue
		}
		lo, hi := s.value(ss[0]), s.value(ss[0])
		for _, x := range ss {
			lo, hi = min(lo, s.value(x)), max(hi, s.value(x))
		}
		lo = min(lo, 0)
		if hi == lo {
			hi = lo + 1
		}
		text(img, 4, top, fmt.Sprintf("%.0f", hi), black)
		text(img, 4, bottom-10, fmt.Sprintf("%.0f", lo), black)
		px := func(x sample) (int, int) {
			fx := 0.0
			if end > 0 {
				fx = x.at.Minutes() / end
			}
			return left + int(fx*float64(right-left)), bottom - int((s.value(x)-lo)/(hi-lo)*float64(panelH))
		}
		x0, y0 := px(ss[0])
		for _, x := range ss[1:] {
			x1, y1 := px(x)
			line(img, x0, y0, x1, y1, s.color)
			x0, y0 = x1, y1
		}
	}
	text(img, w/2-40, h-gap+10, fmt.Sprintf("MIN 0-%.1f", end), black)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
