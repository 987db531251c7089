package testcorpus_test

import (
	"bytes"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
)

// TestAcceptedStreamsRender holds what NewAcceptedStreams promises the API
// server's test (test/apiserver), without a server: every sample renders,
// the overlay changes as many workloads as Selected says, copies every
// volume Copies names, and enough samples do either.
func TestAcceptedStreamsRender(t *testing.T) {
	const samples = 300
	g := testcorpus.NewAcceptedStreams(1)
	var overlaid, copied int
	for i := range samples {
		s := g.Sample()
		var out bytes.Buffer
		r := generator.Renderer{Config: s.Config}
		report, err := r.Render(bytes.NewReader(s.In), &out)
		if err != nil {
			t.Fatalf("sample %d: %v\nconfig: %s\ninput:\n%s", i, err, testcorpus.ConfigDocument(t, s.Config), s.In)
		}
		if len(report.Workloads) != s.Selected {
			t.Fatalf("sample %d: %d workloads overlaid, want %d\nconfig: %s\ninput:\n%s", i, len(report.Workloads), s.Selected, testcorpus.ConfigDocument(t, s.Config), s.In)
		}
		for _, v := range s.Copies {
			if !bytes.Contains(out.Bytes(), []byte("name: "+v+"-debug-copy")) {
				t.Fatalf("sample %d: no copy of %s in the output:\n%s", i, v, out.Bytes())
			}
		}
		if s.Selected > 0 {
			overlaid++
		}
		if len(s.Copies) > 0 {
			copied++
		}
	}
	if overlaid < samples*2/3 || copied < samples/3 {
		t.Errorf("%d of %d samples overlay a workload, %d copy a volume: want two thirds and a third", overlaid, samples, copied)
	}
	t.Logf("%d of %d samples overlay a workload, %d copy a volume", overlaid, samples, copied)
}
