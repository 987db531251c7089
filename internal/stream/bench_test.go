package stream

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
)

// benchInputs are the streams the package's benchmarks read: the
// CRD-only stream (about 4.5 MB, ten documents) and the 10,000-document
// release (29 MB); see hack/bench/streamgen.
func benchInputs() []struct {
	name string
	data []byte
} {
	return []struct {
		name string
		data []byte
	}{
		{"crds", streamgen.Generate(streamgen.Options{Docs: streamgen.CRDStreamDocs, Seed: 1, CRDs: true})},
		{"docs=10000", streamgen.Generate(streamgen.Options{Docs: 10000, Seed: 1})},
	}
}

// BenchmarkPass1 splits a stream, scans every header and spools every
// document, as pass 1 does; MB/s is input bytes.
func BenchmarkPass1(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				s := NewSpool(b.TempDir(), 4<<20)
				r := NewReader(bytes.NewReader(in.data))
				for {
					doc, err := r.Next(nil)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if h := ScanHeader(doc); !h.Sure && !h.Empty {
						b.Fatalf("header not sure: %q", doc[:min(len(doc), 200)])
					}
					if _, err := s.Write(doc); err != nil {
						b.Fatal(err)
					}
				}
				s.Close()
			}
		})
	}
}

// BenchmarkSplit and BenchmarkScanHeader measure the two walks over the
// lines of a stream apart; BenchmarkCopy is the floor, one copy of it.
func BenchmarkSplit(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				r := NewReader(bytes.NewReader(in.data))
				for {
					if _, err := r.Next(nil); err != nil {
						break
					}
				}
			}
		})
	}
}

func BenchmarkScanHeader(b *testing.B) {
	for _, in := range benchInputs() {
		docs := splitAll(in.data)
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				for _, d := range docs {
					ScanHeader(d)
				}
			}
		})
	}
}

func BenchmarkCopy(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			dst := make([]byte, len(in.data))
			for b.Loop() {
				copy(dst, in.data)
			}
		})
	}
}

func splitAll(data []byte) [][]byte {
	var docs [][]byte
	r := NewReader(bytes.NewReader(data))
	for {
		doc, err := r.Next(nil)
		if err != nil {
			return docs
		}
		docs = append(docs, bytes.Clone(doc))
	}
}
