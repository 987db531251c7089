package release

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/registry"
)

// toolLines are the lines of a make run's stderr that are not make's own.
func toolLines(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l != "" && !strings.HasPrefix(l, "make") {
			lines = append(lines, l)
		}
	}
	return lines
}

// oneLineFailure runs cmd and checks that it fails with exactly one line
// of its own on stderr, holding want.
func oneLineFailure(t *testing.T, cmd *exec.Cmd, want string) {
	t.Helper()
	res := runner.Run(t, cmd, nil)
	lines := toolLines(string(res.Stderr))
	if res.Code == 0 || len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("%s: exit %d, stderr lines %q; want a failure with one line holding %q", runner.CommandLine(cmd), res.Code, lines, want)
	}
}

// TestDistRefusesBadVersions: make dist without a semantic VERSION fails
// at once, saying so, and writes nothing.
func TestDistRefusesBadVersions(t *testing.T) {
	for _, c := range []struct{ version, want string }{
		{"", "VERSION is required"},
		{"1.2.3", `VERSION "1.2.3" is not a semantic version`},
		{"v1.2", `VERSION "v1.2" is not a semantic version`},
	} {
		t.Run(c.version, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dist")
			args := []string{"-C", repoRoot, "--no-print-directory", "dist", "DIST=" + out}
			if c.version != "" {
				args = append(args, "VERSION="+c.version)
			}
			cmd := exec.Command("make", args...)
			cmd.Env = append(os.Environ(), "VERSION=") // no VERSION from the environment
			oneLineFailure(t, cmd, c.want)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("the refused make dist created %s", out)
			}
		})
	}
}

// TestSignFaults: a missing key, keyring or passphrase, or a wrong
// passphrase, fails with one line and writes no signature.
func TestSignFaults(t *testing.T) {
	dist := t.TempDir()
	os.MkdirAll(filepath.Join(dist, "helm-plugin"), 0o755)
	for _, f := range []string{"checksums.txt", filepath.Join("helm-plugin", filepath.Base(pluginPackage()))} {
		if err := os.Link(filepath.Join(origDist, f), filepath.Join(dist, f)); err != nil {
			t.Fatal(err)
		}
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("not it\n"), 0o600)
	for _, c := range []struct {
		name string
		vars []string
		want string
	}{
		{"no key", []string{"KEYRING=" + alice.Secring}, "no signing key"},
		{"no keyring", []string{"KEY=alice"}, "no keyring"},
		{"no such key", []string{"KEY=bob", "KEYRING=" + alice.Secring}, `no key named "bob"`},
		{"public keyring", []string{"KEY=alice", "KEYRING=" + alice.Pubring}, "has no secret key"},
		{"no passphrase", []string{"KEY=alice", "KEYRING=" + alice.Secring}, "set PASSPHRASE_FILE"},
		{"wrong passphrase", []string{"KEY=alice", "KEYRING=" + alice.Secring, "PASSPHRASE_FILE=" + wrong}, "decrypting the key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("make", append([]string{"-C", repoRoot, "--no-print-directory", "sign", "DIST=" + dist}, c.vars...)...)
			cmd.Env = append(os.Environ(), "KEY=", "KEYRING=", "PASSPHRASE_FILE=")
			oneLineFailure(t, cmd, c.want)
		})
	}
	for _, sig := range []string{"checksums.txt.asc", filepath.Join("helm-plugin", filepath.Base(pluginPackage())+".prov")} {
		if _, err := os.Stat(filepath.Join(dist, sig)); err == nil {
			t.Errorf("a failed make sign wrote %s", sig)
		}
	}
}

// TestPushRefused: a registry that refuses pushes (read-only) makes the
// plugin and image pushes fail with one line, and holds nothing after.
func TestPushRefused(t *testing.T) {
	ro, err := registry.Start(registry.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Stop()
	oneLineFailure(t, exec.Command(releaseBin, "push-plugin", "-dist", distDir, "-repo", ro.Host+"/plugins/debug-overlay", "-plain-http"), "release push-plugin: pushing "+ro.Host+"/plugins/debug-overlay:"+pluginVersion)
	oneLineFailure(t, exec.Command(releaseBin, "push-image", "-layout", filepath.Join(distDir, "image"), "-tag", version, "-ref", ro.Host+"/debug-overlay:"+version, "-plain-http"), "release push-image: pushing "+ro.Host+"/debug-overlay:"+version)
	for _, path := range []string{"/v2/plugins/debug-overlay/manifests/" + pluginVersion, "/v2/debug-overlay/manifests/" + version} {
		resp, err := http.Get("http://" + ro.Host + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after the refused push: %s, want 404", path, resp.Status)
		}
	}
}
