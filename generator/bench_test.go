package generator_test

import (
	"bytes"
	"fmt"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io"
	"sync"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
)

// benchSizes are the stream sizes, in documents, of the in-process
// benchmarks; hack/bench/compare.sh measures the whole process up to 50,000.
var benchSizes = []int{100, 1000, 10000}

var benchStreams sync.Map // documents -> []byte

// benchStream returns the generated Helm-like stream of n documents (see
// hack/bench/streamgen), made once per test binary.
func benchStream(n int) []byte {
	if s, ok := benchStreams.Load(n); ok {
		return s.([]byte)
	}
	s := streamgen.Generate(streamgen.Options{Docs: n, Seed: 1})
	benchStreams.Store(n, s)
	return s
}

// benchWorkloads is how many pod-bearing workloads a stream of n documents holds.
func benchWorkloads(n int) int {
	total := 0
	for _, kc := range streamgen.Counts(n) {
		for _, k := range streamgen.WorkloadKinds {
			if kc.Kind == k {
				total += kc.N
			}
		}
	}
	return total
}

func benchConfigs() []struct {
	name string
	cfg  overlay.Config
} {
	on, off := true, false
	return []struct {
		name string
		cfg  overlay.Config
	}{
		{"enabled", overlay.Config{Enabled: &on}},
		{"enabled+copy", overlay.Config{Enabled: &on, Copy: overlay.Copy{
			Volumes: []overlay.CopyVolume{{Name: streamgen.CopyVolume}}}}},
		{"disabled", overlay.Config{Enabled: &off}},
	}
}

// BenchmarkRender renders whole streams: every workload overlaid (with and
// without a copied Secret volume that about half of them mount), and the
// disabled pass-through. MB/s is input bytes.
func BenchmarkRender(b *testing.B) {
	for _, c := range benchConfigs() {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/docs=%d", c.name, n), func(b *testing.B) {
				in := benchStream(n)
				r := &generator.Renderer{Config: c.cfg, TempDir: b.TempDir()}
				// Check once, untimed, that the benchmark measures real work.
				var out bytes.Buffer
				report, err := r.Render(bytes.NewReader(in), &out)
				if err != nil {
					b.Fatal(err)
				}
				if c.cfg.IsEnabled() {
					if got, want := len(report.Workloads), benchWorkloads(n); got != want {
						b.Fatalf("overlaid %d workloads, want %d", got, want)
					}
				} else if !bytes.Equal(out.Bytes(), in) {
					b.Fatal("the disabled render changed the stream")
				}
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := r.Render(bytes.NewReader(in), io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRenderCRDs renders the CRD-only stream (streamgen's CRDs: ten
// CustomResourceDefinitions, 4.5 MB, no workload, as CRD-only charts render),
// enabled (pass 2 copies every document through) and disabled (the
// copy-through road). Nothing is selected, so the output must be the input.
func BenchmarkRenderCRDs(b *testing.B) {
	in := streamgen.Generate(streamgen.Options{Docs: streamgen.CRDStreamDocs, Seed: 1, CRDs: true})
	on, off := true, false
	for _, c := range []struct {
		name    string
		enabled *bool
	}{{"enabled", &on}, {"disabled", &off}} {
		b.Run(c.name, func(b *testing.B) {
			r := &generator.Renderer{Config: overlay.Config{Enabled: c.enabled}, TempDir: b.TempDir()}
			var out bytes.Buffer
			if _, err := r.Render(bytes.NewReader(in), &out); err != nil {
				b.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), in) {
				b.Fatal("the render changed a stream without workloads")
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Render(bytes.NewReader(in), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStrip strips a rendered stream (overlay with a copied volume)
// back. MB/s is input bytes.
func BenchmarkStrip(b *testing.B) {
	on := true
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			r := &generator.Renderer{TempDir: b.TempDir(), Config: overlay.Config{Enabled: &on,
				Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: streamgen.CopyVolume}}}}}
			var rendered bytes.Buffer
			if _, err := r.Render(bytes.NewReader(benchStream(n)), &rendered); err != nil {
				b.Fatal(err)
			}
			in := rendered.Bytes()
			s := &generator.Stripper{TempDir: b.TempDir()}
			stripped, err := s.Strip(bytes.NewReader(in), io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			if want := benchWorkloads(n); stripped != want {
				b.Fatalf("stripped %d pod templates, want %d", stripped, want)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Strip(bytes.NewReader(in), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
