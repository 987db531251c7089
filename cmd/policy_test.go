package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestPolicyFlags: the flags reach PolicyOptions, and unset lists stay
// empty so that the policy takes its own defaults.
func TestPolicyFlags(t *testing.T) {
	o := NewPolicyOptions()
	fs := pflag.NewFlagSet("policy", pflag.ContinueOnError)
	o.AddFlags(fs)
	if o.Name != "debug-overlay" || o.Images != nil || o.Profiles != nil || o.Containers != nil {
		t.Errorf("defaults: %+v", o)
	}
	if err := fs.Parse([]string{"--name", "dbg", "--allowed-image", "a", "--allowed-image", "b@sha256:", "--allowed-profile", "restricted", "--container-name", "tools", "--out", "p.yaml"}); err != nil {
		t.Fatal(err)
	}
	if o.Name != "dbg" || strings.Join(o.Images, " ") != "a b@sha256:" || strings.Join(o.Profiles, " ") != "restricted" ||
		strings.Join(o.Containers, " ") != "tools" || o.Out != "p.yaml" {
		t.Errorf("parsed: %+v", o)
	}
}

// TestPolicyCommand: the policy goes to stdout, or only to --out.
func TestPolicyCommand(t *testing.T) {
	stdout, stderr, err := run(t, "", "generate", "policy", "--name", "dbg", "--allowed-profile", "baseline", "--container-name", "tools")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"kind: ValidatingAdmissionPolicy\n", "  name: dbg\n", `["tools"].exists(`, "(allowed profiles: baseline)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}

	file := filepath.Join(t.TempDir(), "policy.yaml")
	out, stderr, err := run(t, "", "generate", "policy", "--name", "dbg", "--allowed-profile", "baseline", "--container-name", "tools", "--out", file)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if out != "" || stderr != "" {
		t.Errorf("with --out: stdout %q, stderr %q; want nothing", out, stderr)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != stdout {
		t.Errorf("--out holds %q (%v), want what stdout held", data, err)
	}
}
