package generator

import (
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

func TestStrip(t *testing.T) {
	enabled := overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "creds"}}}}
	overlaid, _, err := render(enabled, []byte(streamDeployment+streamService))
	if err != nil {
		t.Fatal(err)
	}
	// kubectl get -o yaml wraps objects in a List, indented one level.
	var list strings.Builder
	list.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for _, doc := range splitRaw(overlaid) {
		_, body := stream.SplitPreamble(doc)
		for i, line := range strings.SplitAfter(string(body), "\n") {
			if line == "" {
				continue
			}
			if i == 0 {
				list.WriteString("- " + line)
			} else {
				list.WriteString("  " + line)
			}
		}
	}
	original, err := parseStream([]byte(streamDeployment + streamService))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		want  []any
		n     int
	}{
		{name: "rendered stream", input: string(overlaid), want: original, n: 1},
		{name: "List document", input: list.String(), want: []any{map[string]any{"apiVersion": "v1", "kind": "List", "items": original}}, n: 1},
		{name: "nothing to strip", input: streamDeployment + streamService, want: original, n: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := strip(nil, []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n {
				t.Errorf("stripped %d pod templates, want %d", n, tt.n)
			}
			objs, err := parseStream(got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, objs); diff != "" {
				t.Errorf("stripped objects (-want +got):\n%s", diff)
			}
			again, n, err := strip(nil, got)
			if err != nil || n != 0 || string(again) != string(got) {
				t.Errorf("stripping again: %d pod templates, err %v, changed %v; want a no-op", n, err, string(again) != string(got))
			}
		})
	}
}

func TestStripUnchangedBytes(t *testing.T) {
	input := streamDeployment + streamService
	got, _, err := strip(nil, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != input {
		t.Errorf("Strip changed a stream without overlay (-want +got):\n%s", cmp.Diff(input, string(got)))
	}
}

func TestStripRejectsBadStatus(t *testing.T) {
	input := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    " + overlay.StatusAnnotation + ": '{\"version\":7}'\nspec:\n  containers: []\n"
	got, _, err := strip(nil, []byte(input))
	if err == nil || !strings.Contains(err.Error(), "unknown version 7") {
		t.Errorf("error = %v, want unknown version", err)
	}
	if len(got) > 0 {
		t.Errorf("Strip failed but wrote %q", got)
	}
}
