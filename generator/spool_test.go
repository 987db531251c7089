package generator

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/debug-overlay/debug-overlay/internal/stream"
)

// TestSpoolFile: past its limit a spool keeps what it was given, read back
// in order (as pass 2 does), at random, across blocks and as a whole.
// TestRenderSpooled: a render that spools to files gives what one in
// memory gives.
func TestRenderSpooled(t *testing.T) {
	g := &streamGen{r: rand.New(rand.NewSource(3))}
	var in []byte
	for len(in) < 2*stream.SpoolBlock {
		s, _ := g.stream()
		in = append(in, bytes.Join(rawWithoutConfigs(t, s), nil)...)
	}
	cfg := Config{Enabled: ptr(true)}
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
