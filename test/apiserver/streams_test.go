package apiserver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestRandomStreamsAccepted samples streams from the generator the
// generator's own tests use (internal/testcorpus), in the form the API
// server accepts as it is: every built-in workload kind, with init
// containers, existing native sidecars, volumes of every type, mounts of
// them, hooks and inject annotations, Secrets, ConfigMaps, Services and
// empty documents. The overlay's output for each must be accepted too, by
// server-side dry-run apply with strict field validation, without a
// warning the input does not draw. The binary reads each sample's
// configuration from a --config file or, for every other sample, from a
// DebugOverlay document at the end of the stream, as a chart carries it.
func TestRandomStreamsAccepted(t *testing.T) {
	// Some samples overlay nothing (the overlay switched off, or only hooks
	// and opted-out workloads): 45 overlay about as many workloads as 30
	// did when every sample overlaid all of its own.
	const samples = 45
	ns := namespace(t, nil)
	g := testcorpus.NewAcceptedStreams(20261127)
	var overlaid, workloads, copied int
	for i := range samples {
		s := g.Sample()
		if s.Selected > 0 {
			overlaid++
		}
		workloads += s.Selected
		if len(s.Copies) > 0 {
			copied++
		}
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			t.Parallel()
			checkAccepted(t, ns, s, i%2 == 1)
		})
	}
	if overlaid < samples*2/3 {
		t.Errorf("only %d of %d samples overlay a workload", overlaid, samples)
	}
	if copied < samples/3 {
		t.Errorf("only %d of %d samples copy a volume", copied, samples)
	}
	t.Logf("%d of %d samples overlay %d workloads in all; %d copy volumes", overlaid, samples, workloads, copied)
}

// checkAccepted renders s through the binary, with its configuration in
// the stream or in a --config file, and dry-run applies the output.
func checkAccepted(t *testing.T, ns string, s testcorpus.Sample, inStream bool) {
	config := testcorpus.ConfigDocument(t, s.Config)
	stdin, args := s.In, []string{}
	if inStream {
		stdin = slices.Concat(s.In, []byte("---\n"), config)
	} else {
		file := filepath.Join(t.TempDir(), "debugoverlay.yaml")
		if err := os.WriteFile(file, config, 0o600); err != nil {
			t.Fatal(err)
		}
		args = []string{"--config", file}
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("debug-overlay %v: %v\nconfiguration:\n%s\ninput:\n%s", args, err, config, stdin)
	}
	if got := bytes.Count(out, []byte(overlay.StatusAnnotation+":")); got != s.Selected {
		t.Fatalf("%d documents carry the status annotation, want %d\nconfiguration:\n%s\noutput:\n%s", got, s.Selected, config, out)
	}
	for _, v := range s.Copies {
		if !bytes.Contains(out, []byte("name: "+v+"-debug-copy")) {
			t.Fatalf("the configuration copies %s but the output has no copy of it:\n%s", v, out)
		}
	}
	warnings, err := kube.ApplyServerDryRun(ns, out)
	if err == nil && len(warnings) == 0 {
		t.Logf("accepted: %d workloads overlaid, copies %q, configuration in the %s", s.Selected, s.Copies, map[bool]string{true: "stream", false: "--config file"}[inStream])
		return
	}
	inWarnings, inErr := kube.ApplyServerDryRun(ns, s.In)
	if inErr != nil {
		t.Fatalf("the input itself is refused, so the sample proves nothing: %v\ninput:\n%s", inErr, s.In)
	}
	if err != nil {
		t.Fatalf("the server accepts the input but refuses the output:\n%v\nconfiguration:\n%s\ninput:\n%s\noutput:\n%s", err, config, s.In, out)
	}
	for _, w := range warnings {
		if !slices.Contains(inWarnings, w) {
			t.Errorf("the server warns about the output but not the input: %s\noutput:\n%s", w, out)
		}
	}
}
