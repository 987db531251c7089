package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanHeader(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want header
	}{
		{
			name: "Helm 3 document",
			raw:  "---\n# Source: app/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  kind: not this one\n",
			want: header{apiVersion: "apps/v1", kind: "Deployment", source: "app/templates/d.yaml", sure: true},
		},
		{
			name: "quoted values and a comment",
			raw:  "apiVersion: \"v1\"\nkind: 'Pod' # a pod\n",
			want: header{apiVersion: "v1", kind: "Pod", sure: true},
		},
		{
			name: "CRLF",
			raw:  "---\r\n# Source: x.yaml\r\napiVersion: v1\r\nkind: Pod\r\n",
			want: header{apiVersion: "v1", kind: "Pod", source: "x.yaml", sure: true},
		},
		{
			name: "byte order mark",
			raw:  "\ufeff# Source: x.yaml\napiVersion: v1\nkind: Pod\n",
			want: header{apiVersion: "v1", kind: "Pod", source: "x.yaml", sure: true},
		},
		{name: "comments only", raw: "---\n# Source: x.yaml\n\n# nothing\n", want: header{source: "x.yaml", empty: true}},
		{name: "end marker only", raw: "---\n...\n", want: header{empty: true}},
		{name: "JSON", raw: `{"apiVersion": "v1", "kind": "Pod"}`, want: header{}},
		{name: "kind twice", raw: "kind: Pod\nkind: Service\napiVersion: v1\n", want: header{apiVersion: "v1", kind: "Service"}},
		{name: "anchor at the top level", raw: "apiVersion: v1\nkind: Pod\n&a x: 1\n", want: header{apiVersion: "v1", kind: "Pod"}},
		{name: "value with odd characters", raw: "apiVersion: v1\nkind: Po:d\n", want: header{apiVersion: "v1", kind: "Po:d"}},
		{name: "value continued on the next line", raw: "apiVersion: v1\nkind: Deployment\n  0\nspec: {}\n", want: header{apiVersion: "v1", kind: "Deployment"}},
		{name: "value continued after a blank line", raw: "kind: Pod\n\n  x\napiVersion: v1\n", want: header{apiVersion: "v1", kind: "Pod"}},
		{name: "indented comment after the value", raw: "kind: Pod\n  # c\napiVersion: v1\n", want: header{apiVersion: "v1", kind: "Pod", sure: true}},
		{name: "no kind", raw: "apiVersion: v1\nfoo: bar\n", want: header{apiVersion: "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanHeader([]byte(tt.raw))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(header{})); diff != "" {
				t.Errorf("scanHeader (-want +got):\n%s", diff)
			}
		})
	}
}
