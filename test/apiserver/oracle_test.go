package apiserver

import (
	"strings"
	"testing"
)

// TestOracle: the checks the other tests rely on can fail. Server-side dry
// run refuses an unknown field (strict field validation) and an invalid
// pod, and the server's warnings reach the caller.
func TestOracle(t *testing.T) {
	ns := namespace(t, nil)
	const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n"
	for _, tc := range []struct {
		name        string
		manifest    string
		wantErr     string // a substring of kubectl's stderr; empty: accepted
		wantWarning string // a substring of one warning
	}{
		{
			name:     "valid",
			manifest: pod + "    - {name: app, image: busybox:1.36}\n",
		},
		{
			name:     "unknown field",
			manifest: pod + "    - {name: app, image: busybox:1.36, sidecar: true}\n",
			wantErr:  `unknown field "spec.containers[0].sidecar"`,
		},
		{
			name:     "duplicate container name",
			manifest: pod + "    - {name: app, image: busybox:1.36}\n    - {name: app, image: busybox:1.36}\n",
			wantErr:  `spec.containers[1].name: Duplicate value: "app"`,
		},
		{
			name:        "duplicate environment variable",
			manifest:    pod + "    - {name: app, image: busybox:1.36, env: [{name: A, value: one}, {name: A, value: two}]}\n",
			wantWarning: `hides previous definition of "A"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnings, err := kube.ApplyServerDryRun(ns, []byte(tc.manifest))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("accepted, want an error with %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(kubectlError(t, err), tc.wantErr):
				t.Fatalf("error lacks %q: %v", tc.wantErr, err)
			}
			if tc.wantWarning != "" && !strings.Contains(strings.Join(warnings, "\n"), tc.wantWarning) {
				t.Fatalf("warnings %q lack %q", warnings, tc.wantWarning)
			}
			t.Logf("error: %v; warnings: %q", err, warnings)
		})
	}
}
