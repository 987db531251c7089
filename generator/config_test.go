package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func TestParseDebugOverlay(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    overlay.Config
		wantErr string
	}{
		{
			name:  "valid",
			input: "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nmetadata:\n  name: x\nspec:\n  enabled: true\n  copy:\n    volumes:\n      - name: keys\n        sizeLimit: 1Mi\n",
			want:  overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "keys", SizeLimit: ptrQuantity("1Mi")}}}},
		},
		{
			name:    "unknown field",
			input:   "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nspec:\n  enable: true\n",
			wantErr: `file.yaml: error unmarshaling JSON: while decoding JSON: json: unknown field "enable"`,
		},
		{
			name:    "wrong kind",
			input:   "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlays\nspec: {}\n",
			wantErr: `file.yaml: want apiVersion debug-overlay.dev/v1alpha1 and kind DebugOverlay, got "debug-overlay.dev/v1alpha1" and "DebugOverlays"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := ParseDebugOverlay([]byte(tt.input), "file.yaml")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, obj.Spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrQuantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
