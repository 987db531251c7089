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

// BenchmarkPass1 reads a stream into a Spool, splitting it and scanning
// every header, as pass 1 does (generator's readInput); MB/s is input
// bytes.
func BenchmarkPass1(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				s := NewSpool(b.TempDir(), 8<<20)
				r := NewSpoolReader(bytes.NewReader(in.data), s)
				for {
					_, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if h := r.Header(); !h.Sure && !h.Empty {
						b.Fatalf("header not sure at %d", r.Offset())
					}
				}
				s.Close()
			}
		})
	}
}

// BenchmarkSplit reads the documents of a stream (scanning each header on
// the way), BenchmarkScanHeader scans the headers alone, as ScanHeader's
// other callers do; BenchmarkCopy is the floor, one copy of the stream.
func BenchmarkSplit(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				r := NewReader(bytes.NewReader(in.data))
				for {
					if _, err := r.Next(); err != nil {
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
		doc, err := r.Next()
		if err != nil {
			return docs
		}
		docs = append(docs, bytes.Clone(doc))
	}
}
