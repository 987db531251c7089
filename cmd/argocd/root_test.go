package argocd

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// run runs the root command with args, as main does, and returns the exit
// status and what it wrote.
func run(args ...string) (code int, stdout, stderr string) {
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	code = Execute(root)
	return code, out.String(), errOut.String()
}

func TestRootCommand(t *testing.T) {
	var names []string
	for _, c := range NewRootCommand().Commands() {
		names = append(names, c.Name())
	}
	if want := []string{"generate", "plugin", "version"}; !slices.Equal(names, want) {
		t.Errorf("commands %q, want %q", names, want)
	}

	code, out, stderr := run("version")
	if code != 0 || !strings.HasPrefix(out, Program+" ") || stderr != "" {
		t.Errorf("version: exit %d, stdout %q, stderr %q; want 0 and a line naming %s", code, out, stderr, Program)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"a bad flag points to the help", []string{"plugin", "--nope"}, Program + ": error: unknown flag: --nope (see '" + Program + " plugin --help')\n"},
		{"generate's error is one line", []string{"generate", "--chart", t.TempDir()}, Program + ": error: ARGOCD_APP_NAME is not set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(AppNameEnv, "")
			code, out, stderr := run(c.args...)
			if code != 1 || out != "" || !strings.HasPrefix(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing on stdout and one line starting %q", code, out, stderr, c.want)
			}
		})
	}
}
