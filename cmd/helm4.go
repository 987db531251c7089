package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// Helm 4 runs a post-renderer as a plugin and hides everything it says: in
// helm v4.3.1, internal/plugin/runtime_subprocess.go runPostrenderer points
// the plugin's stderr at a bytes.Buffer that nothing reads, and executeCmd
// returns only `plugin "NAME" exited with error`. Even --debug shows no more
// than the exit code: its log line prints exec.ExitError.Stderr, which Go
// fills only when Cmd.Stderr is nil. So, when started by Helm 4 as a
// post-renderer plugin, debug-overlay also writes what it says on stderr to
// the terminal, which Helm does not capture, and saves a failure's full
// error in Helm's cache directory, for CI logs and for sessions without a
// terminal.

// TerminalEnv names the environment variable that says where, under Helm 4,
// diagnostics go besides the hidden stderr. Unset, they go to /dev/tty (the
// controlling terminal, when there is one); set, to the file it names,
// appended to; /dev/null switches this off.
const TerminalEnv = "DEBUG_OVERLAY_TTY"

// The environment variables Helm 4 sets for a plugin's process, on top of
// its own environment (runPostrenderer; HELM_CACHE_HOME and friends are
// passed only when they are set in Helm's own environment).
const (
	pluginNameEnv = "HELM_PLUGIN_NAME"
	pluginDirEnv  = "HELM_PLUGIN_DIR"
)

// postRendererPluginType is the plugin type Helm 4's --post-renderer takes.
const postRendererPluginType = "postrenderer/v1"

// LastErrorFile returns where, under Helm 4, a failed run saves its error:
// debug-overlay/last-error.txt in Helm's cache directory, found as Helm
// finds it (helm.sh/helm/v4/pkg/helmpath): $HELM_CACHE_HOME, else
// $XDG_CACHE_HOME/helm, else ~/.cache/helm on Linux and
// ~/Library/Caches/helm on macOS. `helm env HELM_CACHE_HOME` prints it.
// Empty when there is no home directory to put it in.
func LastErrorFile(getenv func(string) string) string {
	dir := getenv("HELM_CACHE_HOME")
	if dir == "" {
		if xdg := getenv("XDG_CACHE_HOME"); xdg != "" {
			dir = filepath.Join(xdg, "helm")
		} else if user, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(user, "helm")
		} else {
			return ""
		}
	}
	return filepath.Join(dir, "debug-overlay", "last-error.txt")
}

// helm4Plugin is debug-overlay run by Helm 4 as a post-renderer plugin. The
// nil *helm4Plugin is the other case, and its methods do nothing.
type helm4Plugin struct {
	name, dir string
	args      []string
	terminal  string
	errorFile string
	now       func() time.Time

	tty    *os.File
	ttyErr error
}

// helm4PluginFromEnv returns a helm4Plugin when Helm 4 started this process
// as a post-renderer plugin: HELM_PLUGIN_NAME and HELM_PLUGIN_DIR are set
// and the plugin.yaml there declares a postrenderer/v1 plugin of that name.
// The check on plugin.yaml tells Helm 4's post-renderer apart from a Helm 3
// CLI plugin (helm-diff, say) that runs Helm 3 with debug-overlay as its
// post-renderer: the process inherits that plugin's variables, and Helm 3
// shows our stderr.
func helm4PluginFromEnv(getenv func(string) string, args []string) *helm4Plugin {
	name, dir := getenv(pluginNameEnv), getenv(pluginDirEnv)
	if name == "" || dir == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
	if err != nil {
		return nil
	}
	var meta struct {
		Name string `yaml:"name"`
		Type string `yaml:"type"`
	}
	if yaml.Unmarshal(data, &meta) != nil || meta.Name != name || meta.Type != postRendererPluginType {
		return nil
	}
	terminal := getenv(TerminalEnv)
	if terminal == "" {
		terminal = "/dev/tty"
	}
	return &helm4Plugin{name: name, dir: dir, args: args, terminal: terminal, errorFile: LastErrorFile(getenv), now: time.Now}
}

// attach sends everything cmd writes on stderr to the terminal too.
func (p *helm4Plugin) attach(cmd *cobra.Command) {
	if p == nil {
		return
	}
	cmd.SetErr(&teeWriter{w: cmd.ErrOrStderr(), also: p})
}

// finish saves a failure's error and says where on the terminal, then
// closes the terminal.
func (p *helm4Plugin) finish(runErr error) {
	if p == nil {
		return
	}
	defer p.close()
	if runErr == nil {
		return
	}
	msg := fmt.Sprintf("debug-overlay: Helm 4 shows only `plugin %q exited with error`", p.name)
	if err := p.saveError(runErr); err != nil {
		msg += fmt.Sprintf("; saving the error failed: %v\n", err)
	} else {
		msg += fmt.Sprintf("; the error is saved in %s\n", p.errorFile)
	}
	_, _ = p.Write([]byte(msg))
}

// saveError writes the error, with when and how debug-overlay ran, to the
// last-error file, replacing it whole so a reader never sees half of it.
func (p *helm4Plugin) saveError(runErr error) error {
	if p.errorFile == "" {
		return errors.New("no cache directory: set HELM_CACHE_HOME")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "debug-overlay failed at %s as the Helm 4 post-renderer plugin %q (%s)",
		p.now().UTC().Format(time.RFC3339), p.name, p.dir)
	if len(p.args) > 0 {
		fmt.Fprintf(&b, " with arguments %q", p.args)
	}
	if wd, err := os.Getwd(); err == nil {
		fmt.Fprintf(&b, " in %s", wd)
	}
	fmt.Fprintf(&b, ":\n\ndebug-overlay: error: %v\n", runErr)

	dir := filepath.Dir(p.errorFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".last-error-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p.errorFile); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Write writes to the terminal, opened on first use. Without one (CI, or
// Helm run with no controlling terminal) it does nothing.
func (p *helm4Plugin) Write(b []byte) (int, error) {
	if p.tty == nil && p.ttyErr == nil {
		p.tty, p.ttyErr = os.OpenFile(p.terminal, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	if p.ttyErr != nil {
		return len(b), nil
	}
	return p.tty.Write(b)
}

func (p *helm4Plugin) close() {
	if p.tty != nil {
		p.tty.Close()
	}
}

// teeWriter writes to w and also to also, whose errors do not count: the
// terminal is a courtesy, stderr is the contract.
type teeWriter struct {
	w    io.Writer
	also io.Writer
}

func (t *teeWriter) Write(b []byte) (int, error) {
	n, err := t.w.Write(b)
	_, _ = t.also.Write(b)
	return n, err
}
