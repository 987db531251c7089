package generator

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/podcheck"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

func TestRenderRandomStreams(t *testing.T) {
	const streams = 300
	g := testcorpus.NewStreams(20261127, true)
	succeeded, spliced, tree, oddKept := 0, 0, 0, 0
	for i := range streams {
		in, cfg := g.Next()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("stream %d: %s\nconfig: %+v\ninput:\n%s", i, fmt.Sprintf(format, args...), cfg, in)
		}
		// Switching the overlay off gives the input back, without its
		// DebugOverlay document.
		off := cfg
		off.Enabled = ptr.To(false)
		if got, _, err := render(off, in); err != nil {
			fail("Render, disabled: %v", err)
		} else if want := bytes.Join(rawWithoutConfigs(t, in), nil); !bytes.Equal(got, want) {
			fail("Render, disabled, changed the stream (-want +got):\n%s", cmp.Diff(string(want), string(got)))
		}

		out, report, err := render(cfg, in)
		if err != nil {
			if len(out) > 0 {
				fail("Render failed (%v) but wrote %d bytes", err, len(out))
			}
			if testing.Verbose() {
				t.Logf("stream %d: %v", i, err)
			}
			continue
		}
		succeeded++
		spliced += report.spliced
		tree += len(report.Workloads) - report.spliced
		for _, raw := range splitRaw(out) {
			if isOdd(raw) && !bytes.Contains(raw, []byte(overlay.StatusAnnotation)) && bytes.Contains(raw, []byte("containers:")) {
				oddKept++ // byte for byte: checkInvariants says so
			}
		}
		for _, p := range checkInvariants(in, out, report, cfg.Kinds) {
			fail("%s", p)
		}
		if report.Config.Sidecar.Profile == overlay.ProfileRestricted {
			for _, pod := range overlaidPodSpecs(out, cfg.Kinds) {
				for _, c := range append(pod.spec.InitContainers, pod.spec.Containers...) {
					if c.Name != report.Config.Sidecar.Name && c.Name != overlay.CopyContainerName {
						continue
					}
					if p := podcheck.RestrictedProblems(c); len(p) > 0 {
						fail("document %d: container %q is not restricted: %s", pod.doc, c.Name, strings.Join(p, ", "))
					}
				}
			}
		}
		if t.Failed() {
			return // one failing stream is enough to read
		}
	}
	if succeeded < streams/2 {
		t.Errorf("only %d of %d random streams rendered; the generator makes too many invalid ones", succeeded, streams)
	}
	if spliced == 0 || tree == 0 || oddKept == 0 {
		t.Errorf("%d workloads spliced, %d on the tree road, %d odd workloads left alone: want some of each", spliced, tree, oddKept)
	}
	t.Logf("%d of %d random streams rendered: %d workloads spliced, %d on the tree road, %d odd workloads left alone",
		succeeded, streams, spliced, tree, oddKept)
}

// isOdd reports whether streamGen wrote a document outside the fast road's
// subset.
func isOdd(raw []byte) bool {
	for _, mark := range []string{"helm.sh/chart: c-1.0\n    helm.sh/chart", "image:\t", "\r\n", "&labels"} {
		if bytes.Contains(raw, []byte(mark)) {
			return true
		}
	}
	return false
}
