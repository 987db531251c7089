package generator

import (
	"bytes"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"testing"

	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"k8s.io/utils/ptr"
)

// TestSpoolFile: past its limit a spool keeps what it was given, read back
// in order (as pass 2 does), at random, across blocks and as a whole.
// TestRenderSpooled: a render that spools to files gives what one in
// memory gives.
func TestRenderSpooled(t *testing.T) {
	g := testcorpus.NewStreams(3, false)
	var in []byte
	for len(in) < 2*stream.SpoolBlock {
		s, _ := g.Next()
		in = append(in, bytes.Join(rawWithoutConfigs(t, s), nil)...)
	}
	cfg := overlay.Config{Enabled: ptr.To(true)}
	var mem, file bytes.Buffer
	if _, err := (&Renderer{Config: cfg}).Render(bytes.NewReader(in), &mem); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Renderer{Config: cfg, MemoryLimit: 4096, TempDir: t.TempDir()}).Render(bytes.NewReader(in), &file); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem.Bytes(), file.Bytes()) {
		t.Fatal("spooling to files changed the output")
	}
}
