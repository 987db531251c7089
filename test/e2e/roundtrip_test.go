package e2e

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestStripRoundTrip: strip undoes the overlay: the stripped release parses,
// document by document, to the objects of the toggle-off render, and is
// that render byte for byte.
func TestStripRoundTrip(t *testing.T) {
	off := template(t)
	on := template(t, append(postRender(), "--set", "debug-overlay.enabled=true")...)
	if bytes.Equal(on, off) {
		t.Fatal("the overlaid render equals the plain one: nothing to strip")
	}

	r := runOverlay(t, on, "strip")
	if r.Code != 0 {
		t.Fatalf("strip failed (exit %d):\n%s", r.Code, r.Stderr)
	}
	t.Logf("strip stderr: %s", strings.TrimSpace(string(r.Stderr)))
	want, got := splitDocs(t, off), splitDocs(t, r.Stdout)
	if len(got) != len(want) {
		t.Fatalf("%d documents after strip, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].source != want[i].source {
			t.Errorf("document %d: # Source: %q, want %q", i+1, got[i].source, want[i].source)
		}
		if !reflect.DeepEqual(got[i].obj, want[i].obj) {
			t.Errorf("%v after strip differs from the toggle-off render (-want +got):\n%s",
				want[i], diff([]byte(want[i].raw), []byte(got[i].raw)))
		}
	}
	// Helm renders block YAML, which the overlay splices into and strip cuts
	// out of: the bytes come back, not only the objects.
	if d := diff(off, r.Stdout); d != "" {
		t.Errorf("the stripped stream is not the toggle-off render byte for byte (-want +got):\n%s", d)
	}

	// A stream without the overlay passes through strip untouched.
	if d := diff(off, mustOverlay(t, off, "strip")); d != "" {
		t.Errorf("strip changed a stream without the overlay (-want +got):\n%s", d)
	}
}

// TestIdempotent: the overlaid output, fed back through the binary with the
// same configuration, comes out byte for byte the same.
func TestIdempotent(t *testing.T) {
	// The DebugOverlay document the chart renders, to hand the binary the
	// same configuration again.
	raw := splitDocs(t, template(t, "--set", "debug-overlay.enabled=true"))
	cfg := find(t, raw, "DebugOverlay")
	cfgFile := writeFile(t, "debugoverlay.yaml", []byte(cfg.raw))
	t.Logf("chart configuration:\n%s", cfg.raw)

	chartOn := template(t, append(postRender(), "--set", "debug-overlay.enabled=true")...)
	flagsOn := template(t, postRender("--enable", "--preset=busybox", "--copy-volume=keystore")...)

	for _, tc := range []struct {
		name  string
		first []byte // the overlaid output
		input []byte // fed back in
		args  []string
	}{
		{name: "chart configuration again, as --config", first: chartOn, input: chartOn, args: []string{"--config", cfgFile}},
		{name: "chart configuration again, in the stream", first: chartOn, input: append(bytes.Clone(chartOn), cfg.raw...)},
		{name: "flags again", first: flagsOn, input: flagsOn, args: []string{"--enable", "--preset=busybox", "--copy-volume=keystore"}},
		{name: "twice more", first: flagsOn, input: mustOverlay(t, flagsOn, "--enable", "--preset=busybox", "--copy-volume=keystore"),
			args: []string{"--enable", "--preset=busybox", "--copy-volume=keystore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(tc.first), "debug-overlay-copy") {
				t.Fatalf("the first run did not overlay:\n%s", tc.first)
			}
			again := mustOverlay(t, tc.input, tc.args...)
			if d := diff(tc.first, again); d != "" {
				t.Fatalf("a second run changed the output (-first +second):\n%s", d)
			}
			t.Logf("second run byte-identical (%d bytes)", len(again))
		})
	}
}

// TestExplain: explain on the chart's render says what the StatefulSet gets
// and how to open a shell in it.
func TestExplain(t *testing.T) {
	const shell = "kubectl exec -it statefulset/" + release + " -c debug -- ash"
	on := template(t, "--set", "debug-overlay.enabled=true")
	out := mustOverlay(t, on, "explain")
	t.Logf("explain, toggle on:\n%s", out)
	for _, want := range []string{shell, "StatefulSet " + release, "geth/templates/statefulset.yaml", `"keystore"`, `"keystore-debug-copy"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("explain does not print %q", want)
		}
	}

	off := mustOverlay(t, template(t), "explain")
	t.Logf("explain, toggle off:\n%s", off)
	if strings.Contains(string(off), "kubectl exec") || !strings.Contains(string(off), "disabled") {
		t.Errorf("explain with the toggle off should say the overlay is disabled and print no shell line")
	}
}
