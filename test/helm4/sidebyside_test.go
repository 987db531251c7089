package helm4

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestSideBySide: Helm 3 (the binary as --post-renderer) and Helm 4 (the
// plugin) give the same objects for every example chart and the hooks
// fixture, toggle on and off, compared object by object; only the
// postrender-filename annotation (Helm 4 removes it anyway) and the order of
// documents are set aside. Everything else that differs, in the text, is
// logged: it is Helm's doing, not the overlay's.
func TestSideBySide(t *testing.T) {
	for _, chart := range append(examples, hooksChart) {
		for _, toggle := range []string{"on", "off"} {
			t.Run(filepath.Base(chart)+"/"+toggle, func(t *testing.T) {
				set := []string{"--set", "debug-overlay.enabled=" + map[string]string{"on": "true", "off": "false"}[toggle]}
				out3 := template(t, 3, chart, append(postRender(3), set...)...)
				out4 := template(t, 4, chart, append(postRender(4), set...)...)
				docs3, docs4 := splitDocs(t, out3), splitDocs(t, out4)
				m3, m4 := byKey(t, docs3), byKey(t, docs4)
				if want, got := sortedKeys(m3), sortedKeys(m4); !cmp.Equal(want, got) {
					t.Fatalf("Helm 3 and Helm 4 give different objects (-helm3 +helm4):\n%s", cmp.Diff(want, got))
				}
				overlaid := 0
				for _, k := range sortedKeys(m3) {
					a, b := without(m3[k].obj, filenameAnnotation), without(m4[k].obj, filenameAnnotation)
					if diff := cmp.Diff(a, b); diff != "" {
						t.Errorf("%s differs (-helm3 +helm4):\n%s", k, diff)
					}
					if strings.Contains(m3[k].raw, statusAnnotation) {
						overlaid++
					}
				}
				if toggle == "on" && overlaid == 0 {
					t.Errorf("nothing was overlaid: the comparison proves little")
				}
				if toggle == "off" && overlaid != 0 {
					t.Errorf("%d objects overlaid with the toggle off", overlaid)
				}
				logDifferences(t, docs3, docs4, out3, out4)
			})
		}
	}
}

// logDifferences logs how the two Helms' outputs differ beyond the objects.
func logDifferences(t *testing.T, docs3, docs4 []doc, out3, out4 []byte) {
	t.Helper()
	if k3, k4 := keys(docs3), keys(docs4); !cmp.Equal(k3, k4) {
		t.Logf("document order differs:\n  helm3: %s\n  helm4: %s", strings.Join(k3, ", "), strings.Join(k4, ", "))
	}
	m4 := map[string]doc{}
	for _, d := range docs4 {
		m4[d.key()] = d
	}
	for _, d := range docs3 {
		if s4 := m4[d.key()].source; s4 != d.source {
			t.Logf("%s: # Source: %q under Helm 3, %q under Helm 4", d.key(), d.source, s4)
		}
	}
	blank := 0
	for _, d := range docs4 {
		if strings.HasSuffix(d.raw, "\n\n") {
			blank++
		}
	}
	if blank > 0 {
		t.Logf("Helm 4: %d of %d documents end with a blank line", blank, len(docs4))
	}
	if bytes.Equal(out3, out4) {
		t.Logf("byte-identical")
		return
	}
	if unindent(out3) == unindent(out4) {
		t.Logf("the texts differ only in indentation")
		return
	}
	if squeeze(out3) == squeeze(out4) {
		t.Logf("the texts differ only in indentation and blank lines:\n%s", testenv.LineDiff(string(out3), string(out4), 0))
		return
	}
	d := testenv.LineDiff(string(out3), string(out4), 0)
	t.Logf("text differences (-helm3 +helm4), %d lines:\n%s", strings.Count(d, "\n"), d)
}

// squeeze drops the leading spaces of every line, and blank lines.
func squeeze(b []byte) string {
	var out []string
	for _, l := range strings.Split(unindent(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
