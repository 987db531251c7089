package stream

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanHeader(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Header
	}{
		{
			name: "Helm 3 document",
			raw:  "---\n# Source: app/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  kind: not this one\n",
			want: Header{APIVersion: "apps/v1", Kind: "Deployment", Source: "app/templates/d.yaml", Sure: true},
		},
		{
			name: "quoted values and a comment",
			raw:  "apiVersion: \"v1\"\nkind: 'Pod' # a pod\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Sure: true},
		},
		{
			name: "Helm 4's filename annotation",
			raw:  "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: x/templates/p.yaml\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x/templates/p.yaml", Sure: true},
		},
		{
			name: "CRLF",
			raw:  "---\r\n# Source: x.yaml\r\napiVersion: v1\r\nkind: Pod\r\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{
			name: "byte order mark",
			raw:  "\ufeff# Source: x.yaml\napiVersion: v1\nkind: Pod\n",
			want: Header{APIVersion: "v1", Kind: "Pod", Source: "x.yaml", Sure: true},
		},
		{name: "comments only", raw: "---\n# Source: x.yaml\n\n# nothing\n", want: Header{Source: "x.yaml", Empty: true}},
		{name: "end marker only", raw: "---\n...\n", want: Header{Empty: true}},
		{name: "JSON", raw: `{"apiVersion": "v1", "kind": "Pod"}`, want: Header{}},
		{name: "kind twice", raw: "kind: Pod\nkind: Service\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Service"}},
		{name: "anchor at the top level", raw: "apiVersion: v1\nkind: Pod\n&a x: 1\n", want: Header{APIVersion: "v1", Kind: "Pod"}},
		{name: "value with odd characters", raw: "apiVersion: v1\nkind: Po:d\n", want: Header{APIVersion: "v1", Kind: "Po:d"}},
		{name: "value continued on the next line", raw: "apiVersion: v1\nkind: Deployment\n  0\nspec: {}\n", want: Header{APIVersion: "v1", Kind: "Deployment"}},
		{name: "value continued after a blank line", raw: "kind: Pod\n\n  x\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Pod"}},
		{name: "indented comment after the value", raw: "kind: Pod\n  # c\napiVersion: v1\n", want: Header{APIVersion: "v1", Kind: "Pod", Sure: true}},
		{name: "no kind", raw: "apiVersion: v1\nfoo: bar\n", want: Header{APIVersion: "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanHeader([]byte(tt.raw))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(Header{})); diff != "" {
				t.Errorf("ScanHeader (-want +got):\n%s", diff)
			}
		})
	}
}
