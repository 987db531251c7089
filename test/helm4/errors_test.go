//go:build unix

package helm4

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// helmError is all Helm 4 says when a post-renderer plugin fails: it reads
// the plugin's stderr into a buffer it never shows.
const helmError = `Error: error while running post render on files: failed to invoke post-renderer plugin "debug-overlay": plugin "debug-overlay" exited with error`

// reason is what debug-overlay says about the failing configuration below.
const reason = `debug-overlay: error: spec.copy.volumes[0]: no selected workload has a volume named "nope"`

// TestErrorReachesUser: a configuration debug-overlay rejects (a copy volume
// the chart does not have) fails `helm4 template`, and the reason reaches
// the user although Helm 4 hides the plugin's stderr: on the terminal, when
// there is one, and always in Helm's cache directory, whose path the
// terminal shows.
func TestErrorReachesUser(t *testing.T) {
	args := append([]string{"template", release, gethChart}, append(postRender(4),
		"--set", "debug-overlay.enabled=true", "--set", "debug-overlay.copy.volumes[0].name=nope")...)

	// helm4 runs with a cache directory of its own, so that the error file is
	// this run's, and without DEBUG_OVERLAY_TTY (the default, /dev/tty).
	newCmd := func(t *testing.T, extra ...string) (*exec.Cmd, string) {
		cache := t.TempDir()
		cmd := exec.Command(helm4Bin, append(args, extra...)...)
		for _, kv := range helmEnv(4, "HELM_CACHE_HOME="+cache) {
			if !strings.HasPrefix(kv, "DEBUG_OVERLAY_TTY=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		return cmd, filepath.Join(cache, "debug-overlay", "last-error.txt")
	}
	checkFile := func(t *testing.T, path string) {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no error file: %v", err)
		}
		t.Logf("%s:\n%s", path, data)
		for _, want := range []string{`debug-overlay failed at `, `as the Helm 4 post-renderer plugin "debug-overlay"`, reason} {
			if !strings.Contains(string(data), want) {
				t.Errorf("the error file does not contain %q", want)
			}
		}
	}

	t.Run("no terminal", func(t *testing.T) {
		// As in CI: a new session has no controlling terminal.
		cmd, errFile := newCmd(t)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		r := runner.Run(t, cmd, nil)
		t.Logf("helm4 printed:\n%s%s", r.Stdout, r.Stderr)
		if r.Code == 0 || len(r.Stdout) != 0 {
			t.Errorf("exit %d with %d bytes on stdout; want a failure and nothing rendered", r.Code, len(r.Stdout))
		}
		if !strings.Contains(string(r.Stderr), helmError) {
			t.Errorf("helm4 stderr does not contain %q", helmError)
		}
		if strings.Contains(string(r.Stderr), "nope") {
			t.Errorf("helm4 showed the plugin's stderr: Helm 4 changed, and helm4.go may be unneeded")
		}
		checkFile(t, errFile)
	})

	t.Run("debug", func(t *testing.T) {
		// --debug logs the exit code and an empty stderr: Helm reads the
		// stderr of exec.ExitError, which Go fills only when Cmd.Stderr is nil.
		cmd, errFile := newCmd(t, "--debug")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		r := runner.Run(t, cmd, nil)
		for _, want := range []string{`msg="plugin execution failed" pluginName=debug-overlay error="exit status 1" exitCode=1 stderr=""`, helmError} {
			if !strings.Contains(string(r.Stderr), want) {
				t.Errorf("helm4 --debug stderr does not contain %q:\n%s", want, r.Stderr)
			}
		}
		if strings.Contains(string(r.Stderr), "nope") {
			t.Errorf("helm4 --debug showed the plugin's stderr: Helm 4 changed, and helm4.go may be unneeded")
		}
		checkFile(t, errFile)
	})

	t.Run("terminal", func(t *testing.T) {
		cmd, errFile := newCmd(t)
		shown, code := runInTerminal(t, cmd)
		t.Logf("the terminal showed:\n%s", shown)
		if code == 0 {
			t.Errorf("helm4 succeeded")
		}
		hint := "debug-overlay: Helm 4 shows only `plugin \"debug-overlay\" exited with error`; the error is saved in " + errFile
		at := -1
		for _, want := range []string{reason, hint, helmError} {
			i := strings.Index(shown, want)
			if i < 0 {
				t.Errorf("the terminal did not show %q", want)
				continue
			}
			if i < at {
				t.Errorf("the terminal showed %q out of order", want)
			}
			at = i
		}
		checkFile(t, errFile)
	})

	t.Run("DEBUG_OVERLAY_TTY", func(t *testing.T) {
		cmd, errFile := newCmd(t)
		file := filepath.Join(t.TempDir(), "shown")
		cmd.Env = append(cmd.Env, "DEBUG_OVERLAY_TTY="+file)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if r := runner.Run(t, cmd, nil); r.Code == 0 {
			t.Errorf("helm4 succeeded")
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if want := reason + "\n"; !strings.HasPrefix(string(data), want) {
			t.Errorf("DEBUG_OVERLAY_TTY got %q, want it to start with %q", data, want)
		}
		checkFile(t, errFile)
	})
}

// TestWarningsReachTerminal: under Helm 4 what debug-overlay says on stderr
// when it succeeds (--post-renderer-args=--explain here) reaches the
// terminal too, and the rendered output is unchanged by it.
func TestWarningsReachTerminal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "shown")
	cmd := helmCmd(4, append([]string{"template", release, gethChart}, append(postRender(4, "--explain"), "--set", "debug-overlay.enabled=true")...)...)
	cmd.Env = append(cmd.Env, "DEBUG_OVERLAY_TTY="+file)
	r := runner.Run(t, cmd, nil)
	if r.Code != 0 {
		t.Fatalf("helm4 failed (exit %d):\n%s", r.Code, r.Stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shown:\n%s", data)
	if want := "kubectl exec -it statefulset/" + release + " -c debug --"; !strings.Contains(string(data), want) {
		t.Errorf("the terminal did not get --explain's %q", want)
	}
	if strings.Contains(string(r.Stdout), "kubectl exec") {
		t.Errorf("--explain's text reached the rendered output")
	}
}
