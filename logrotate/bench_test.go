package logrotate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchWrite writes b.N chunks of size bytes through w, reporting MB/s.
func benchWrite(b *testing.B, size int, maxBytes int64, backups int, compress bool) {
	dir := b.TempDir()
	w := &Writer{Filename: filepath.Join(dir, "bench.log"), MaxBytes: maxBytes, Backups: backups, Compress: compress}
	p := bytes.Repeat([]byte("x"), size-1)
	p = append(p, '\n')
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _ = w.Write(p)
	}
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// 100-byte lines, rotating every 10 MiB with supervisord's default 10 backups.
func BenchmarkWrite100B(b *testing.B) { benchWrite(b, 100, 10<<20, 10, false) }

// 64 KiB chunks (what capture hands over from a busy pipe), same rotation.
func BenchmarkWrite64KiB(b *testing.B) { benchWrite(b, 64<<10, 10<<20, 10, false) }

// 64 KiB chunks with gzip of rotated files in the background.
func BenchmarkWrite64KiBCompress(b *testing.B) { benchWrite(b, 64<<10, 10<<20, 3, true) }

// The floor: the same writes straight to an *os.File, no Writer, truncated every 10 MiB so the
// file stays as small as the Writer's.
func BenchmarkRawFile100B(b *testing.B)  { benchRaw(b, 100) }
func BenchmarkRawFile64KiB(b *testing.B) { benchRaw(b, 64<<10) }

func benchRaw(b *testing.B, size int) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "raw.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	p := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		_, _ = f.Write(p)
		if n += int64(size); n >= 10<<20 {
			_ = f.Truncate(0)
			n = 0
		}
	}
}
