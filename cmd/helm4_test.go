package cmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pluginEnv makes a plugin directory with plugin.yaml and returns the
// environment Helm 4 would give the plugin, plus extra.
func pluginEnv(t *testing.T, pluginYAML string, extra map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if pluginYAML != "" {
		if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(pluginYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"HELM_PLUGIN_NAME": "debug-overlay", "HELM_PLUGIN_DIR": dir}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

const postRendererPlugin = "apiVersion: v1\nname: debug-overlay\nversion: 0.1.0\ntype: postrenderer/v1\nruntime: subprocess\n"

func TestHelm4PluginFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		terminal string // "" means not detected
		errFile  string
	}{
		{name: "not a plugin", env: map[string]string{}},
		{name: "no plugin.yaml", env: pluginEnv(t, "", nil)},
		{
			// helm-diff running Helm 3 with debug-overlay as its post-renderer.
			name: "a Helm 3 CLI plugin's environment",
			env:  pluginEnv(t, "name: debug-overlay\nversion: 1.0.0\ncommand: $HELM_PLUGIN_DIR/bin/x\n", nil),
		},
		{
			name: "another plugin's name",
			env:  pluginEnv(t, strings.Replace(postRendererPlugin, "name: debug-overlay", "name: other", 1), nil),
		},
		{
			name:     "Helm 4 post-renderer",
			env:      pluginEnv(t, postRendererPlugin, map[string]string{"HELM_CACHE_HOME": "/cache"}),
			terminal: "/dev/tty",
			errFile:  "/cache/debug-overlay/last-error.txt",
		},
		{
			name:     "terminal overridden, XDG cache",
			env:      pluginEnv(t, postRendererPlugin, map[string]string{TerminalEnv: "/tmp/shown", "XDG_CACHE_HOME": "/xdg"}),
			terminal: "/tmp/shown",
			errFile:  "/xdg/helm/debug-overlay/last-error.txt",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := helm4PluginFromEnv(func(k string) string { return tc.env[k] }, nil)
			if tc.terminal == "" {
				if p != nil {
					t.Fatalf("detected as Helm 4 plugin: %+v", p)
				}
				return
			}
			if p == nil {
				t.Fatal("not detected as a Helm 4 post-renderer plugin")
			}
			if p.terminal != tc.terminal || p.errorFile != tc.errFile {
				t.Errorf("terminal %q, error file %q; want %q, %q", p.terminal, p.errorFile, tc.terminal, tc.errFile)
			}
		})
	}
}

func TestLastErrorFileDefault(t *testing.T) {
	got := LastErrorFile(func(string) string { return "" })
	if want := filepath.Join("helm", "debug-overlay", "last-error.txt"); !strings.HasSuffix(got, want) {
		t.Errorf("LastErrorFile() = %q, want it in the user cache directory, ending in %q", got, want)
	}
}

// TestHelm4Finish: a failure is saved whole to the error file, and the
// terminal gets what stderr got and where the file is.
func TestHelm4Finish(t *testing.T) {
	dir := t.TempDir()
	p := &helm4Plugin{
		name: "debug-overlay", dir: "/plugins/debug-overlay", args: []string{"--explain"},
		terminal:  filepath.Join(dir, "tty"),
		errorFile: filepath.Join(dir, "cache", "debug-overlay", "last-error.txt"),
		now:       func() time.Time { return time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC) },
	}
	cmd := NewRootCommand()
	var stderr bytes.Buffer
	cmd.SetErr(&stderr)
	p.attach(cmd)
	cmd.PrintErrln("debug-overlay: warning: something")
	p.finish(errors.New("spec.copy.volumes[0]: no selected workload has a volume named \"nope\"\nsecond line"))

	if got, want := stderr.String(), "debug-overlay: warning: something\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	tty, err := os.ReadFile(p.terminal)
	if err != nil {
		t.Fatal(err)
	}
	wantTTY := "debug-overlay: warning: something\n" +
		"debug-overlay: Helm 4 shows only `plugin \"debug-overlay\" exited with error`; the error is saved in " + p.errorFile + "\n"
	if diff := cmp.Diff(wantTTY, string(tty)); diff != "" {
		t.Errorf("terminal (-want +got):\n%s", diff)
	}
	saved, err := os.ReadFile(p.errorFile)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	wantFile := `debug-overlay failed at 2026-11-27T07:00:00Z as the Helm 4 post-renderer plugin "debug-overlay" (/plugins/debug-overlay) with arguments ["--explain"] in ` + wd + `:

debug-overlay: error: spec.copy.volumes[0]: no selected workload has a volume named "nope"
second line
`
	if diff := cmp.Diff(wantFile, string(saved)); diff != "" {
		t.Errorf("error file (-want +got):\n%s", diff)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(p.errorFile), ".last-error-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// TestExecuteUnderHelm4: Execute, given Helm 4's plugin environment,
// reports a failure on stderr, on the terminal and in the error file.
func TestExecuteUnderHelm4(t *testing.T) {
	env := pluginEnv(t, postRendererPlugin, nil)
	cache, shown := t.TempDir(), filepath.Join(t.TempDir(), "tty")
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("HELM_CACHE_HOME", cache)
	t.Setenv(TerminalEnv, shown)

	_, stderr, err := run(t, deployment, "--config", filepath.Join(cache, "missing.yaml"))
	if err == nil {
		t.Fatal("no error")
	}
	wantErr := "debug-overlay: error: reading --config: open " + filepath.Join(cache, "missing.yaml") + ": no such file or directory\n"
	if stderr != wantErr {
		t.Errorf("stderr = %q, want %q", stderr, wantErr)
	}
	tty, _ := os.ReadFile(shown)
	if !strings.HasPrefix(string(tty), wantErr) || !strings.Contains(string(tty), filepath.Join(cache, "debug-overlay", "last-error.txt")) {
		t.Errorf("terminal got %q", tty)
	}
	saved, _ := os.ReadFile(filepath.Join(cache, "debug-overlay", "last-error.txt"))
	if !strings.HasSuffix(string(saved), "\n\n"+wantErr) {
		t.Errorf("error file holds %q", saved)
	}
}

// TestExecuteOutsideHelm4: without Helm 4's plugin environment nothing but
// stderr is written.
func TestExecuteOutsideHelm4(t *testing.T) {
	cache, shown := t.TempDir(), filepath.Join(t.TempDir(), "tty")
	t.Setenv("HELM_PLUGIN_NAME", "")
	t.Setenv("HELM_PLUGIN_DIR", "")
	t.Setenv("HELM_CACHE_HOME", cache)
	t.Setenv(TerminalEnv, shown)
	if _, _, err := run(t, deployment, "--preset", "nope", "--enable"); err == nil {
		t.Fatal("no error")
	}
	for _, f := range []string{shown, filepath.Join(cache, "debug-overlay", "last-error.txt")} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
}
