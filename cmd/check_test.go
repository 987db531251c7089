package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	parentValues := write("values.yaml", "image: x\ndebug-overlay:\n  enabled: true\n  global: {}\n  sidecar: {preset: custom}\n  copy: {volumes: [{name: creds, medium: Tape}]}\n")
	toggleValues := write("toggle.yaml", "enabled: true\nsidecar: {nam: x, profle: y}\n")
	config := write("config.yaml", "apiVersion: debug-overlay.dev/v1alpha1\nkind: DebugOverlay\nspec:\n  enabled: true\n  targts: []\n  sidecar: {name: api}\n")
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	for _, tc := range []struct {
		name  string
		stdin any // string or *os.File
		args  []string
		want  string
		err   string
	}{
		{
			name: "good stream", stdin: deployment, args: []string{"--enable"},
			want: "0 problems, 0 warnings; 1 document checked\n",
		},
		{
			name: "disabled", stdin: deployment,
			want: "0 problems, 0 warnings; the overlay is disabled, so the stream's 1 document was not checked (add --enable to check them)\n",
		},
		{
			name: "values of a parent chart, no stream", stdin: devNull, args: []string{"--values", parentValues},
			want: "problem: spec.sidecar.image: the custom preset needs an image\n" +
				`problem: spec.copy.volumes[0].medium: unknown medium "Tape" (valid: auto, Memory, Disk)` + "\n" +
				"2 problems, 0 warnings; no stream given: the configuration alone was checked\n",
			err: "check found 2 problems",
		},
		{
			name: "every layer, every problem", stdin: deployment,
			args: []string{"-f", toggleValues, "--config", config, "--target", "a/b/c", "-"},
			want: "problem: --values " + toggleValues + `: unknown field "spec.sidecar.nam"` + "\n" +
				"problem: --values " + toggleValues + `: unknown field "spec.sidecar.profle"` + "\n" +
				"problem: " + config + `: unknown field "spec.targts"` + "\n" +
				`problem: --target "a/b/c": want KIND/NAME or NAME` + "\n" +
				`problem: document 1 (Deployment api) from app/templates/deployment.yaml: spec.template.spec: containers: a container named "api" already exists; give the sidecar another name (sidecar.name, --name)` + "\n" +
				"5 problems, 0 warnings; 1 document checked\n",
			err: "check found 5 problems",
		},
		{
			name: "stream from a file", stdin: "", args: []string{"--enable", "--copy-volume", "nope", write("stream.yaml", deployment)},
			want: `problem: spec.copy.volumes[0]: no selected workload has a volume named "nope"` + "\n" +
				"1 problem, 0 warnings; 1 document checked\n",
			err: "check found 1 problem",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := NewRootCommand()
			var out, errOut bytes.Buffer
			switch in := tc.stdin.(type) {
			case string:
				cmd.SetIn(strings.NewReader(in))
			case *os.File:
				cmd.SetIn(in)
			}
			cmd.SetOut(&out)
			cmd.SetErr(&errOut)
			cmd.SetArgs(append([]string{"check"}, tc.args...))
			err := cmd.Execute()
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.err {
				t.Errorf("error %q, want %q", gotErr, tc.err)
			}
		})
	}
}

func TestCheckFlags(t *testing.T) {
	o := NewCheckOptions()
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"-f", "a.yaml", "--values", "b.yaml", "--config", "c.yaml", "--enable"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "b.yaml"}; !cmp.Equal(want, o.ValuesFiles) {
		t.Errorf("ValuesFiles = %v, want %v", o.ValuesFiles, want)
	}
	if o.Overlay.ConfigFile != "c.yaml" || !o.Overlay.Enable {
		t.Errorf("overlay flags not shared: %+v", o.Overlay)
	}
}

// TestCheckExpiry: check fails for an expired overlay, whatever its
// onExpiry, and warns when it expires within --warn-within.
func TestCheckExpiry(t *testing.T) {
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	for _, tc := range []struct {
		name    string
		args    []string
		problem string
		warning string
	}{
		{name: "expired", args: []string{"--expires", at(-time.Hour)}, problem: "the debug overlay expired at "},
		{name: "expired, onExpiry strip", args: []string{"--expires", at(-time.Hour), "--on-expiry", "strip"}, problem: "onExpiry strip: rendered without it"},
		{name: "within the default day", args: []string{"--expires", at(3*time.Hour - 30*time.Second)}, warning: "the debug overlay expires in 2h59m"},
		{name: "outside --warn-within", args: []string{"--expires", at(3 * time.Hour), "--warn-within", "1h"}},
		{name: "far", args: []string{"--expires", at(100 * 24 * time.Hour)}},
		{name: "not a time", args: []string{"--expires", "4h"}, problem: `spec.expires: "4h" is not an RFC 3339 time`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, stream := range []bool{true, false} { // a stream, and the configuration alone
				cmd := NewRootCommand()
				var out bytes.Buffer
				cmd.SetIn(strings.NewReader(deployment))
				if !stream {
					devNull, err := os.Open(os.DevNull)
					if err != nil {
						t.Fatal(err)
					}
					defer devNull.Close()
					cmd.SetIn(devNull)
				}
				cmd.SetOut(&out)
				cmd.SetErr(&bytes.Buffer{})
				cmd.SetArgs(append([]string{"check", "--enable"}, tc.args...))
				err := cmd.Execute()
				if (err != nil) != (tc.problem != "") {
					t.Errorf("error %v, want a problem: %v\n%s", err, tc.problem != "", out.String())
				}
				if tc.problem != "" && (!strings.Contains(out.String(), "problem: ") || !strings.Contains(out.String(), tc.problem)) {
					t.Errorf("stdout does not say %q:\n%s", tc.problem, out.String())
				}
				if hasWarning := strings.Contains(out.String(), "warning: "); hasWarning != (tc.warning != "") || !strings.Contains(out.String(), tc.warning) {
					t.Errorf("stdout should warn %q:\n%s", tc.warning, out.String())
				}
			}
		})
	}
}
