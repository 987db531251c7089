package release

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/test/registry"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// What TestMain sets up; read-only for the tests.
var (
	repoRoot string
	// distDir is a copy of the dist directory under test (hard links:
	// nothing in it is changed, only signatures are added); origDist is
	// the dist directory itself.
	distDir, origDist string
	// version is the release's version (v0.2.0), plugin its Helm plugin
	// version (0.2.0); baseURL is the krew manifest's base URL.
	version, pluginVersion, baseURL string
	// releaseBin is hack/release, built.
	releaseBin string
	// helm3, helm4, kubectl, krew are the real programs of bin/.
	helm3, helm4, kubectl, krew string
	// alice signs the release; mallory is another key.
	alice, mallory key
	// reg is the OCI registry.
	reg *registry.Registry
	// tmpRoot holds everything the tests write.
	tmpRoot string
	runner  testenv.Runner
)

// key is a throw-away OpenPGP key made by gpg, exported as a maintainer
// exports theirs for Helm.
type key struct {
	Name           string
	Secring        string // gpg --export-secret-keys
	Pubring        string // gpg --export
	PassphraseFile string
	Home           string // GNUPGHOME
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "debug-overlay-release-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	tmpRoot = tmp
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "release: setup: %v\n(run `make release-check`, which builds the tools and dist/ first)\n", err)
		return 1
	}
	if reg, err = registry.Start(registry.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		return 1
	}
	defer reg.Stop()
	fmt.Fprintf(os.Stderr, "release: %s from %s; registry %s (pid %d); setup %v\n",
		version, origDist, reg.Host, reg.PID(), time.Since(start).Round(time.Millisecond))
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "release: registry log ends:\n%s\n", reg.LogTail(20))
	}
	return code
}

func setup() error {
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		return err
	}
	testenv.ClearHelmEnv()
	os.Unsetenv("KUBECONFIG")
	os.Unsetenv("KREW_ROOT")
	var errs []error
	for _, t := range []struct {
		path   *string
		name   string
		target string
	}{
		{&helm3, "helm3", "tools"}, {&helm4, "helm4", "tools"}, {&kubectl, "kubectl", "kube"},
		{&krew, "kubectl-krew", "tools"}, {new(string), "registry", "tools"},
	} {
		if *t.path, err = testenv.Tool(t.name, t.target); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := exec.LookPath("gpg"); err != nil {
		errs = append(errs, fmt.Errorf("gpg: %w: install gnupg (hack/install-deps.sh)", err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	origDist = os.Getenv("DIST")
	if origDist == "" {
		origDist = filepath.Join(repoRoot, "dist")
	}
	if err := readRelease(); err != nil {
		return err
	}
	distDir = filepath.Join(tmpRoot, "dist")
	if err := linkTree(origDist, distDir); err != nil {
		return fmt.Errorf("copying %s: %w", origDist, err)
	}

	releaseBin = filepath.Join(tmpRoot, "release")
	build := exec.Command("go", "build", "-o", releaseBin, ".")
	build.Dir = filepath.Join(repoRoot, "hack", "release")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if _, err := testenv.Output(build); err != nil {
		return fmt.Errorf("building hack/release: %w", err)
	}

	if alice, err = newKey("alice"); err != nil {
		return err
	}
	if mallory, err = newKey("mallory"); err != nil {
		return err
	}
	sign := exec.Command(releaseBin, "sign", "-dist", distDir, "-key", alice.Name, "-keyring", alice.Secring, "-passphrase-file", alice.PassphraseFile)
	if _, err := testenv.Output(sign); err != nil {
		return err
	}
	runner.Short = strings.NewReplacer(tmpRoot, "TMP", filepath.Join(repoRoot, "bin")+"/", "")
	return nil
}

// readRelease takes the version and the base URL from the krew manifest of
// the dist directory.
func readRelease() error {
	data, err := os.ReadFile(filepath.Join(origDist, "krew", "debug-overlay.yaml"))
	if err != nil {
		return fmt.Errorf("no release in %s: %w", origDist, err)
	}
	var m struct {
		Spec struct {
			Version   string
			Platforms []struct{ URI string }
		}
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return err
	}
	if m.Spec.Version == "" || len(m.Spec.Platforms) == 0 {
		return fmt.Errorf("%s/krew/debug-overlay.yaml has no version or platforms", origDist)
	}
	version = m.Spec.Version
	pluginVersion = strings.TrimPrefix(version, "v")
	baseURL = m.Spec.Platforms[0].URI[:strings.LastIndex(m.Spec.Platforms[0].URI, "/")]
	return nil
}

// newKey makes a key with gpg in a home of its own, protected by a
// passphrase, and exports its secret and public keys.
func newKey(name string) (key, error) {
	k := key{Name: name, Home: filepath.Join(tmpRoot, "gnupg-"+name)}
	if err := os.MkdirAll(k.Home, 0o700); err != nil {
		return k, err
	}
	k.PassphraseFile = filepath.Join(k.Home, "passphrase")
	if err := os.WriteFile(k.PassphraseFile, []byte("correct horse "+name+"\n"), 0o600); err != nil {
		return k, err
	}
	gpg := func(args ...string) ([]byte, error) {
		cmd := exec.Command("gpg", append([]string{"--homedir", k.Home, "--batch", "--pinentry-mode", "loopback", "--passphrase-file", k.PassphraseFile}, args...)...)
		return testenv.Output(cmd)
	}
	// gpg starts an agent for the home; stop it when the key is out.
	defer exec.Command("gpgconf", "--homedir", k.Home, "--kill", "gpg-agent").Run()
	uid := fmt.Sprintf("%s (debug-overlay test) <%s@example.invalid>", name, name)
	// ed25519: made at once (RSA waits for entropy, 20 s here).
	if _, err := gpg("--quick-generate-key", uid, "ed25519", "sign", "never"); err != nil {
		return k, err
	}
	for file, args := range map[*string][]string{&k.Secring: {"--export-secret-keys", name}, &k.Pubring: {"--export", name}} {
		out, err := gpg(args...)
		if err != nil {
			return k, err
		}
		if len(out) == 0 {
			return k, fmt.Errorf("gpg %s exported nothing", strings.Join(args, " "))
		}
		*file = filepath.Join(k.Home, strings.TrimPrefix(args[0], "--")+".gpg")
		if err := os.WriteFile(*file, out, 0o600); err != nil {
			return k, err
		}
	}
	return k, nil
}

// linkTree copies src to dst with hard links for files.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(p, filepath.Join(dst, rel))
	})
}

// archiveName is the name of a platform's archive in dist.
func archiveName(goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("debug-overlay_%s_%s_%s%s", version, goos, goarch, ext)
}

// pluginPackage is the Helm plugin package's path in distDir.
func pluginPackage() string {
	return filepath.Join(distDir, "helm-plugin", "debug-overlay-"+pluginVersion+".tgz")
}

// cmdIn is a command with env added to a copy of this process's.
func cmdIn(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// helmHome makes a clean Helm home under the test's directory and returns
// its environment; HOME is there too.
func helmHome(t *testing.T) []string {
	dir := t.TempDir()
	return append(testenv.HelmHome(dir), "HOME="+dir)
}

// mustRun runs cmd, fails the test when it fails, and returns stdout.
func mustRun(t *testing.T, cmd *exec.Cmd, stdin []byte) []byte {
	t.Helper()
	return runner.MustRun(t, cmd, stdin)
}

// mustFail runs cmd, fails the test when it succeeds or when its output
// lacks want, and returns its stderr and stdout together.
func mustFail(t *testing.T, cmd *exec.Cmd, want string) string {
	t.Helper()
	res := runner.Run(t, cmd, nil)
	out := string(res.Stderr) + string(res.Stdout)
	if res.Code == 0 {
		t.Fatalf("%s succeeded, want a failure:\n%s", runner.CommandLine(cmd), out)
	}
	if !strings.Contains(out, want) {
		t.Errorf("%s failed without %q:\n%s", runner.CommandLine(cmd), want, out)
	}
	return out
}

// tamper writes a copy of the file src at dst with one byte changed in
// its middle.
func tamper(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Clone(data)
	data[len(data)/2] ^= 0xff
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
