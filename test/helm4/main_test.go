package helm4

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The paths TestMain sets up; read-only for the tests.
var (
	// repoRoot is the root of the module under test.
	repoRoot string
	// helm3Bin and helm4Bin are the real Helms, bin/helm3 and bin/helm4.
	helm3Bin, helm4Bin string
	// tmpRoot holds everything the tests write.
	tmpRoot string
	// srcDir mirrors the repository's layout: charts/ and test/helm4/testdata/.
	srcDir string
	// pluginDir is the directory installed as the debug-overlay plugin: a
	// copy of plugin.yaml and, where it expects it, the binary under test.
	pluginDir string
	// bin is the binary under test, inside pluginDir.
	bin string
	// gethChart and hooksChart are the charts the tests render.
	gethChart, hooksChart string
	// examples are the example charts, dependencies built.
	examples []string
	// installOutput is what `helm4 plugin install` printed for debug-overlay.
	installOutput string
	// helmHome holds each Helm's home directories, apart.
	helmHome = map[int]string{}
)

const (
	// release is the release name of every render.
	release = "rel"
	// pluginName is the name plugin.yaml gives the plugin.
	pluginName = "debug-overlay"
	// filenameAnnotation is how Helm 4 tells a post-renderer which template
	// a document came from.
	filenameAnnotation = "postrenderer.helm.sh/postrender-filename"
)

// binName is the binary plugin.yaml runs on this platform.
var binName = "debug-overlay-" + runtime.GOOS + "-" + runtime.GOARCH

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

// run sets up the binary, both Helms, the plugin and the charts, and runs the
// tests. Any setup failure fails the whole run: a missing tool is never a
// reason to skip.
func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "debug-overlay-helm4-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm4: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintf(os.Stderr, "helm4: setup: %v\n", err)
		return 1
	}
	return m.Run()
}

func setup(tmp string) error {
	start := time.Now()
	tmpRoot = tmp
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		return err
	}
	// Each Helm keeps its state apart from any Helm on the machine and from
	// the other (Helm 3 refuses to start cleanly with a v1 plugin.yaml in its
	// plugins directory); these variables would override paths derived from
	// the homes. The terminal is kept out of every test but the one about it.
	for _, k := range os.Environ() {
		name, _, _ := strings.Cut(k, "=")
		if strings.HasPrefix(name, "HELM_") || name == "DEBUG_OVERLAY_TTY" {
			os.Unsetenv(name)
		}
	}
	os.Setenv("DEBUG_OVERLAY_TTY", os.DevNull)
	for _, major := range []int{3, 4} {
		helmHome[major] = filepath.Join(tmp, fmt.Sprintf("helm%d", major))
	}

	versions := map[int]string{}
	for major, path := range map[int]*string{3: &helm3Bin, 4: &helm4Bin} {
		*path = filepath.Join(repoRoot, "bin", fmt.Sprintf("helm%d", major))
		if _, err := os.Stat(*path); err != nil {
			return fmt.Errorf("the real Helm %d is missing at %s: run `make tools` (hack/install-tools.sh helm3 helm4) first: %w", major, *path, err)
		}
		v, err := output(helmCmd(major, "version", "--short"))
		if err != nil {
			return fmt.Errorf("%s version: %w", *path, err)
		}
		if !strings.HasPrefix(v, fmt.Sprintf("v%d.", major)) {
			return fmt.Errorf("%s is Helm %s, want Helm %d: run `make tools` (hack/install-tools.sh helm3 helm4)", *path, v, major)
		}
		versions[major] = v
	}

	// The binary goes where plugin.yaml expects it.
	pluginDir = filepath.Join(tmp, "plugins", pluginName)
	bin = filepath.Join(pluginDir, "bin", binName)
	if err := copyFile(filepath.Join(repoRoot, "plugin.yaml"), filepath.Join(pluginDir, "plugin.yaml"), 0o644); err != nil {
		return fmt.Errorf("copying plugin.yaml: %w", err)
	}
	if prebuilt := os.Getenv("DEBUG_OVERLAY_BIN"); prebuilt != "" {
		if err := copyFile(prebuilt, bin, 0o755); err != nil {
			return fmt.Errorf("copying DEBUG_OVERLAY_BIN: %w", err)
		}
	} else {
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/debug-overlay")
		build.Dir = repoRoot
		if _, err := output(build); err != nil {
			return fmt.Errorf("building the binary: %w", err)
		}
	}
	binVersion, err := output(exec.Command(bin, "version"))
	if err != nil {
		return fmt.Errorf("%s version: %w", bin, err)
	}

	// Copies, so that nothing in the repository is written (others build
	// there in parallel) and the toggle chart is packaged from its current
	// sources rather than from a stale charts/*.tgz.
	srcDir = filepath.Join(tmp, "src")
	if err := copyTree(filepath.Join(repoRoot, "charts"), filepath.Join(srcDir, "charts")); err != nil {
		return fmt.Errorf("copying charts: %w", err)
	}
	testdata := filepath.Join("test", "helm4", "testdata")
	if err := copyTree(filepath.Join(repoRoot, testdata), filepath.Join(srcDir, testdata)); err != nil {
		return fmt.Errorf("copying testdata: %w", err)
	}
	if examples, err = filepath.Glob(filepath.Join(srcDir, "charts", "examples", "*", "Chart.yaml")); err != nil || len(examples) == 0 {
		return fmt.Errorf("no example charts in %s", filepath.Join(repoRoot, "charts", "examples"))
	}
	for i, c := range examples {
		examples[i] = filepath.Dir(c)
	}
	gethChart = filepath.Join(srcDir, "charts", "examples", "geth")
	hooksChart = filepath.Join(srcDir, testdata, "hooks")
	for _, c := range append([]string{hooksChart}, examples...) {
		if _, err := output(helmCmd(4, "dependency", "build", c)); err != nil {
			return fmt.Errorf("helm4 dependency build %s: %w", c, err)
		}
	}

	// The plugin under test, and two fixture plugins: identity (cat) shows
	// what Helm 4 alone does to a stream; tee runs the binary under test and
	// keeps what Helm sent and what came back.
	if installOutput, err = output(helmCmd(4, "plugin", "install", pluginDir)); err != nil {
		return fmt.Errorf("helm4 plugin install %s: %w", pluginDir, err)
	}
	for _, name := range []string{"identity", "tee"} {
		dir := filepath.Join(tmp, "plugins", name)
		if err := copyTree(filepath.Join(srcDir, testdata, "plugins", name), dir); err != nil {
			return err
		}
		if _, err := output(helmCmd(4, "plugin", "install", dir)); err != nil {
			return fmt.Errorf("helm4 plugin install %s: %w", dir, err)
		}
	}
	fmt.Fprintf(os.Stderr, "helm4: helm %s and %s, debug-overlay %s (%s), %d example chart(s), setup %v\n",
		versions[4], versions[3], binVersion, bin, len(examples), time.Since(start).Round(time.Millisecond))
	return nil
}

// findRepoRoot walks up from the working directory to the go.mod of the
// module under test.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module github.com/debug-overlay/debug-overlay\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/debug-overlay/debug-overlay above the working directory")
		}
		dir = parent
	}
}

// copyTree copies chart and fixture sources, leaving out what `helm
// dependency build` produces (lock files and packaged dependencies) and
// keeping the executable bit.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "Chart.yaml")); err == nil {
			if d.IsDir() && d.Name() == "charts" {
				return filepath.SkipDir
			}
			if d.Name() == "Chart.lock" {
				return nil
			}
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(path, target, info.Mode().Perm()|0o644)
	})
}

func copyFile(src, dst string, perm os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, perm)
}

// helmEnv is the environment of Helm major: this process's, with Helm's
// home directories pointing into the temporary directory.
func helmEnv(major int, extra ...string) []string {
	home := helmHome[major]
	env := append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	return append(env, extra...)
}

// helmCmd returns the command that runs Helm major with its own homes.
func helmCmd(major int, args ...string) *exec.Cmd {
	path := helm3Bin
	if major == 4 {
		path = helm4Bin
	}
	cmd := exec.Command(path, args...)
	cmd.Env = helmEnv(major)
	return cmd
}

// output runs a setup command and returns its trimmed stdout, or an error
// with its stderr.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// result is what a subprocess did.
type result struct {
	stdout, stderr []byte
	code           int // exit code
}

// runCmd runs cmd, feeding it stdin, and logs the command line, the exit
// code and the time it took.
func runCmd(t *testing.T, cmd *exec.Cmd, stdin []byte) result {
	t.Helper()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	t.Logf("$ %s  # exit %d, %d bytes out, %v", shorten(cmd.Path, cmd.Args[1:]), r.code, len(r.stdout), elapsed.Round(time.Millisecond))
	return r
}

// shorten makes a command line readable in the logs.
func shorten(name string, args []string) string {
	r := strings.NewReplacer(bin, "BIN", helm3Bin, "helm3", helm4Bin, "helm4", srcDir+"/", "", tmpRoot+"/", "$TMP/")
	words := []string{r.Replace(name)}
	for _, a := range args {
		a = r.Replace(a)
		if strings.ContainsAny(a, " '\"$*?[]{}()|&;<>\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// helm runs Helm major.
func helm(t *testing.T, major int, args ...string) result {
	t.Helper()
	return runCmd(t, helmCmd(major, args...), nil)
}

// template renders chart with `helm template rel` under Helm major, failing
// the test when Helm fails.
func template(t *testing.T, major int, chart string, args ...string) []byte {
	t.Helper()
	r := helm(t, major, append([]string{"template", release, chart}, args...)...)
	if r.code != 0 {
		t.Fatalf("helm%d template failed (exit %d):\n%s", major, r.code, r.stderr)
	}
	return r.stdout
}

// postRender returns the arguments that run debug-overlay as Helm major's
// post-renderer: the plugin's name for Helm 4, the binary's path for Helm 3.
func postRender(major int, args ...string) []string {
	out := []string{"--post-renderer", pluginName}
	if major == 3 {
		out[1] = bin
	}
	for _, a := range args {
		out = append(out, "--post-renderer-args", a)
	}
	return out
}

// overlay runs the binary under test on stdin.
func overlay(t *testing.T, stdin []byte, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(bin, args...), stdin)
}
