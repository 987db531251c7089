package stream

import (
	"bytes"
	"io"
	"math/rand"
	"testing"

	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
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

// TestSpoolAppend: a Spool that mixes its own bytes with ranges of other
// Spools appended by reference (in memory or in a file, on either side, and
// a reference to a reference) reads and writes out what a plain copy would.
func TestSpoolAppend(t *testing.T) {
	for _, limits := range []struct {
		name     string
		src, dst int64
	}{
		{"memory to memory", 1 << 30, 1 << 30},
		{"file to memory", 1000, 1 << 30},
		{"memory to file", 1 << 30, 1000},
		{"file to file", 1000, 1000},
	} {
		t.Run(limits.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(22))
			src := NewSpool(t.TempDir(), limits.src)
			defer src.Close()
			var srcBytes []byte
			for len(srcBytes) < 3*SpoolBlock {
				p := make([]byte, r.Intn(40000))
				r.Read(p)
				srcBytes = append(srcBytes, p...)
				if _, err := src.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			dst := NewSpool(t.TempDir(), limits.dst)
			defer dst.Close()
			var want []byte
			for range 60 {
				if r.Intn(2) == 0 {
					p := make([]byte, r.Intn(20000))
					r.Read(p)
					want = append(want, p...)
					if _, err := dst.Write(p); err != nil {
						t.Fatal(err)
					}
					continue
				}
				off := r.Int63n(int64(len(srcBytes)))
				n := r.Int63n(min(int64(len(srcBytes))-off, 2*SpoolBlock) + 1)
				want = append(want, srcBytes[off:off+n]...)
				if err := dst.Append(src, off, n); err != nil {
					t.Fatal(err)
				}
			}
			// A reference to dst, which holds references itself.
			outer := NewSpool(t.TempDir(), 1<<30)
			defer outer.Close()
			if _, err := outer.Write([]byte("head\n")); err != nil {
				t.Fatal(err)
			}
			if err := outer.Append(dst, 0, dst.Size()); err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				name  string
				spool *Spool
				want  []byte
			}{{"spool", dst, want}, {"reference to it", outer, append([]byte("head\n"), want...)}} {
				if s.spool.Size() != int64(len(s.want)) {
					t.Fatalf("%s: Size() = %d, want %d", s.name, s.spool.Size(), len(s.want))
				}
				var all bytes.Buffer
				if n, err := s.spool.WriteTo(&all); err != nil || n != int64(len(s.want)) {
					t.Fatalf("%s: WriteTo: %d, %v", s.name, n, err)
				}
				if !bytes.Equal(all.Bytes(), s.want) {
					t.Fatalf("%s: WriteTo differs", s.name)
				}
				for range 300 {
					off := r.Int63n(int64(len(s.want)))
					got := make([]byte, r.Intn(3*SpoolBlock))
					n, err := s.spool.ReadAt(got, off)
					if end := off + int64(len(got)); end > int64(len(s.want)) {
						if err != io.EOF || n != len(s.want)-int(off) {
							t.Fatalf("%s: read past the end: %d, %v", s.name, n, err)
						}
					} else if err != nil || n != len(got) {
						t.Fatalf("%s: ReadAt: %d, %v", s.name, n, err)
					}
					if !bytes.Equal(got[:n], s.want[off:off+int64(n)]) {
						t.Fatalf("%s: read at %d differs", s.name, off)
					}
				}
			}
			if err := dst.Append(src, int64(len(srcBytes))-1, 2); err == nil {
				t.Error("Append past the end of the source succeeded")
			}
		})
	}
}

// TestSpoolMemory: in memory a Spool holds its bytes in blocks and never
// copies them to grow; past its limit it keeps nothing in blocks.
func TestSpoolMemory(t *testing.T) {
	const limit = 3 * memoryBlock
	s := NewSpool(t.TempDir(), limit)
	defer s.Close()
	p := bytes.Repeat([]byte("x"), 1000)
	var first *byte
	for s.Size()+int64(len(p)) <= limit {
		if _, err := s.Write(p); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = &s.blocks[0][0]
		}
	}
	if &s.blocks[0][0] != first || s.file != nil || len(s.blocks) < 3 {
		t.Fatalf("%d blocks, file %v: the first block moved or the Spool went to disk early", len(s.blocks), s.file)
	}
	if got, want := cap(s.blocks[len(s.blocks)-1]), memoryBlock; got < want {
		t.Errorf("the last block holds %d bytes, want %d or more", got, want)
	}
	if _, err := s.Write(p); err != nil {
		t.Fatal(err)
	}
	if s.file == nil || s.blocks != nil {
		t.Fatal("past its limit the Spool still holds blocks in memory")
	}
}

// TestSpoolBytes: every document a spooling Reader read is in one block of
// its Spool, and Bytes gives it without a copy, capped so that an append
// cannot write into the Spool; past the limit, or across blocks, Bytes
// declines.
func TestSpoolBytes(t *testing.T) {
	data := streamgen.Generate(streamgen.Options{Docs: 4, Seed: 1, CRDs: true})
	data = append(data, streamgen.Generate(streamgen.Options{Docs: 2000, Seed: 1})...)
	for _, limit := range []int64{1 << 30, int64(len(data)) / 2} {
		s := NewSpool(t.TempDir(), limit)
		dr := NewSpoolReader(bytes.NewReader(data), s)
		type doc struct {
			off  int64
			want []byte
		}
		var docs []doc
		for {
			raw, err := dr.Next()
			if err != nil {
				break
			}
			docs = append(docs, doc{dr.Offset(), bytes.Clone(raw)})
		}
		for i, d := range docs {
			b, ok := s.Bytes(d.off, int64(len(d.want)))
			if limit < int64(len(data)) {
				if ok {
					t.Fatalf("limit %d: Bytes gave document %d of a Spool in a file", limit, i)
				}
				continue
			}
			if !ok || !bytes.Equal(b, d.want) || cap(b) != len(b) {
				t.Fatalf("document %d: ok %v, cap %d, equal %v", i, ok, cap(b), bytes.Equal(b, d.want))
			}
		}
		s.Close()
	}
	s := NewSpool(t.TempDir(), 1<<30)
	defer s.Close()
	p := bytes.Repeat([]byte("x"), SpoolBlock-10)
	s.Write(p)
	s.Write(p)
	if _, ok := s.Bytes(SpoolBlock-10, 20); ok {
		t.Error("Bytes gave a range across two blocks")
	}
	if b, ok := s.Bytes(5, 10); !ok || string(b) != "xxxxxxxxxx" {
		t.Errorf("Bytes(5, 10) = %q, %v", b, ok)
	}
}
