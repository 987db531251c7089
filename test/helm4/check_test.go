package helm4

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckGolden runs `debug-overlay check` on each case in
// testdata/check/<case>/: args holds its arguments, one a line (paths are
// relative to the case), stdin is /dev/null, and expected.txt is what it
// prints followed by its exit code. `go test ./test/helm4/ -run
// TestCheckGolden -update` rewrites expected.txt.
func TestCheckGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(srcDir, "test", "helm4", "testdata", "check", "*", "args"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/check: %v", err)
	}
	for _, argsFile := range dirs {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"check"}, strings.Fields(string(data))...)
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			devNull, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer devNull.Close()
			cmd.Stdin = devNull
			r := runner.Run(t, cmd, nil)
			got := fmt.Sprintf("%s# exit %d\n", r.Stdout, r.Code)
			t.Logf("stderr:\n%s", r.Stderr)
			golden := filepath.Join(repoRoot, "test", "helm4", "testdata", "check", filepath.Base(dir), "expected.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("check printed (-want +got):\n%s", diff)
			}
			if problems := strings.Count(string(r.Stdout), "problem: "); (problems > 0) != (r.Code != 0) {
				t.Errorf("%d problems, exit %d", problems, r.Code)
			}
			if r.Code != 0 && !strings.Contains(string(r.Stderr), "debug-overlay: error: check found ") {
				t.Errorf("stderr does not say check failed:\n%s", r.Stderr)
			}
		})
	}
}

// TestCheckHelmStream: check on what Helm renders (without a
// post-renderer, so the DebugOverlay document is in the stream) finds what
// the post-renderer would reject, and passes what it would accept.
func TestCheckHelmStream(t *testing.T) {
	for _, tc := range []struct {
		name  string
		major int
		set   []string
		code  int
		want  []string
	}{
		{name: "helm4, good", major: 4, set: []string{"debug-overlay.enabled=true"}, want: []string{"0 problems, 0 warnings; 4 documents checked"}},
		{name: "helm3, good", major: 3, set: []string{"debug-overlay.enabled=true"}, want: []string{"0 problems, 0 warnings; 4 documents checked"}},
		{
			// --set replaces the chart's targets list whole.
			name: "helm4, two problems", major: 4, code: 1,
			set: []string{"debug-overlay.enabled=true", "debug-overlay.copy.volumes[0].name=nope", "debug-overlay.targets[0].name=nothing"},
			want: []string{
				`problem: spec.targets[0]: target */nothing matched no workload (workloads in the stream: statefulset/rel)`,
				`problem: spec.copy.volumes[0]: no selected workload has a volume named "nope"`,
				"2 problems, 0 warnings; 4 documents checked",
			},
		},
		{
			name: "helm4, sidecar named like the app", major: 4, code: 1,
			set:  []string{"debug-overlay.enabled=true", "debug-overlay.sidecar.name=geth"},
			want: []string{`problem: document 3 (StatefulSet rel) from geth/templates/statefulset.yaml: spec.template.spec: containers: a container named "geth" already exists`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			stream := template(t, tc.major, gethChart, args...)
			r := overlay(t, stream, "check")
			t.Logf("check printed:\n%s", r.Stdout)
			if r.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.Code, tc.code, r.Stderr)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(r.Stdout), want) {
					t.Errorf("check did not print %q", want)
				}
			}
		})
	}
}
