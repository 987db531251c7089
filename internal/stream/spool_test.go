package stream

import (
	"bytes"
	"io"
	"math/rand"
	"testing"
)

// TestSpoolFile: past its limit a Spool keeps what it was given, read back
// in order (as pass 2 does), at random, across blocks and as a whole.
func TestSpoolFile(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	s := NewSpool(t.TempDir(), 1000)
	defer s.Close()
	var want []byte
	var offs []int64
	for len(want) < 3*SpoolBlock {
		n := r.Intn(5000)
		if r.Intn(50) == 0 {
			n = SpoolBlock + r.Intn(1000) // larger than a block
		}
		p := make([]byte, n)
		r.Read(p)
		offs = append(offs, int64(len(want)))
		want = append(want, p...)
		if _, err := s.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if s.file == nil {
		t.Fatal("the Spool never went to a file")
	}
	offs = append(offs, int64(len(want)))
	for i := 0; i+1 < len(offs); i++ {
		got := make([]byte, offs[i+1]-offs[i])
		if _, err := s.ReadAt(got, offs[i]); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if !bytes.Equal(got, want[offs[i]:offs[i+1]]) {
			t.Fatalf("document %d read back differs", i)
		}
	}
	for range 200 {
		off := r.Int63n(int64(len(want)))
		got := make([]byte, r.Intn(2*SpoolBlock))
		n, err := s.ReadAt(got, off)
		if end := off + int64(len(got)); end > int64(len(want)) {
			if err != io.EOF || n != len(want)-int(off) {
				t.Fatalf("read past the end: %d, %v", n, err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:n], want[off:off+int64(n)]) {
			t.Fatalf("read at %d differs", off)
		}
	}
	var all bytes.Buffer
	if _, err := s.WriteTo(&all); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all.Bytes(), want) {
		t.Fatal("WriteTo differs")
	}
}
