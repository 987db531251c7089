package release

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// noGoPath is a PATH without Go: the plugin package must install and run
// without it.
const noGoPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

// gethChart is a copy of the geth example with its file:// dependency
// built, made once.
var gethChart = sync.OnceValues(func() (string, error) {
	dst := filepath.Join(tmpRoot, "charts")
	if _, err := testenv.CopyCharts(dst); err != nil {
		return "", err
	}
	chart := filepath.Join(dst, "examples", "geth")
	env := append(os.Environ(), testenv.HelmHome(filepath.Join(tmpRoot, "helm3-deps"))...)
	return chart, testenv.DependencyBuild(helm3, env, chart)
})

// renderGeth renders the geth example with Helm 4 and the installed
// post-renderer plugin debug-overlay, the toggle on.
func renderGeth(t *testing.T, env []string, chart string) string {
	t.Helper()
	out := string(mustRun(t, cmdIn(env, helm4, "template", "geth", chart, "--post-renderer", "debug-overlay", "--set", "debug-overlay.enabled=true"), nil))
	for _, want := range []string{"debug-overlay.dev/status", "name: debug-overlay-copy", "- name: debug\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the render through the plugin lacks %q", want)
		}
	}
	return out
}

// TestHelmPluginPackage: Helm 4 installs the package, checking its .prov
// against alice's public keyring, with no Go on PATH; the installed
// plugin is the package's binary and post-renders the geth example.
func TestHelmPluginPackage(t *testing.T) {
	chart, err := gethChart()
	if err != nil {
		t.Fatal(err)
	}
	env := append(helmHome(t), noGoPath, "DEBUG_OVERLAY_TTY="+os.DevNull)
	out := string(mustRun(t, cmdIn(env, helm4, "plugin", "install", pluginPackage(), "--keyring", alice.Pubring), nil))
	pkg, err := os.ReadFile(pluginPackage())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Verifying plugin signature...",
		"Signed by: alice (debug-overlay test) <alice@example.invalid>",
		fmt.Sprintf("Plugin Hash Verified: sha256:%x", sha256.Sum256(pkg)),
		"Installed plugin: debug-overlay",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("helm plugin install printed no %q:\n%s", want, out)
		}
	}
	list := string(mustRun(t, cmdIn(env, helm4, "plugin", "list"), nil))
	if !strings.Contains(list, "debug-overlay") || !strings.Contains(list, pluginVersion) {
		t.Errorf("helm plugin list:\n%s", list)
	}
	renderGeth(t, env, chart)
}

// TestHelmPluginRefused: a changed package, a package without its .prov
// and a keyring without the signer's key all fail with Helm's message, and
// install nothing.
func TestHelmPluginRefused(t *testing.T) {
	name := filepath.Base(pluginPackage())
	prov, err := os.ReadFile(pluginPackage() + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), name)
	tamper(t, pluginPackage(), tampered)
	os.WriteFile(tampered+".prov", prov, 0o644)
	unsigned := filepath.Join(t.TempDir(), name)
	os.Link(pluginPackage(), unsigned)

	for _, c := range []struct {
		name, pkg, keyring, want string
	}{
		{"tampered package", tampered, alice.Pubring, "plugin verification failed: sha256 sum does not match for " + name},
		{"another key", pluginPackage(), mallory.Pubring, "plugin verification failed: openpgp: signature made by unknown entity"},
		{"no .prov", unsigned, alice.Pubring, "plugin verification failed: no provenance file (.prov) found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := append(helmHome(t), noGoPath)
			mustFail(t, cmdIn(env, helm4, "plugin", "install", c.pkg, "--keyring", c.keyring), c.want)
			list := string(mustRun(t, cmdIn(env, helm4, "plugin", "list"), nil))
			if strings.Contains(list, "debug-overlay") {
				t.Errorf("the refused package is installed:\n%s", list)
			}
		})
	}
}

// TestProvenanceAsHelmWrites: the .prov of make sign holds what `helm
// plugin package --sign` writes for the same plugin directory and key
// (the same metadata block; the archives differ, Helm's takes the files'
// times and owners) and Helm's own .prov verifies with Helm.
func TestProvenanceAsHelmWrites(t *testing.T) {
	dir := t.TempDir()
	extract(t, pluginPackage(), dir)
	out := t.TempDir()
	env := append(helmHome(t), noGoPath)
	mustRun(t, cmdIn(env, helm4, "plugin", "package", filepath.Join(dir, "debug-overlay"), "--sign",
		"--key", alice.Name, "--keyring", alice.Secring, "--passphrase-file", alice.PassphraseFile, "-d", out), nil)
	helmProv, err := os.ReadFile(filepath.Join(out, "debug-overlay-"+pluginVersion+".tgz.prov"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(pluginPackage() + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	meta := func(prov []byte) string {
		body, _, _ := bytes.Cut(prov, []byte("\n...\n"))
		_, body, _ = bytes.Cut(body, []byte("\n\n")) // the clear-signed header
		return string(body)
	}
	if meta(ours) == "" || meta(ours) != meta(helmProv) {
		t.Errorf("the metadata of our .prov differs from Helm's:\n%s\n%s", testenv.LineDiff(meta(helmProv), meta(ours), 3), ours)
	}
	for _, want := range []string{"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n", "files:\n  debug-overlay-" + pluginVersion + ".tgz: sha256:"} {
		if !strings.Contains(string(ours), want) || !strings.Contains(string(helmProv), want) {
			t.Errorf("one of the .prov files lacks %q:\nours:\n%s\nHelm's:\n%s", want, ours, helmProv)
		}
	}
}

// extract unpacks a tar.gz into dir.
func extract(t *testing.T, archive, dir string) {
	t.Helper()
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range readTarGz(t, data) {
		p := filepath.Join(dir, filepath.FromSlash(e.Name))
		if e.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, e.Data, os.FileMode(e.Mode)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHelmPluginOCI: the package and its .prov, pushed to the registry by
// make release's ORAS push as Helm pulls plugins, install with Helm 4 from
// oci:// with verification and post-render the geth example.
func TestHelmPluginOCI(t *testing.T) {
	chart, err := gethChart()
	if err != nil {
		t.Fatal(err)
	}
	repo := reg.Host + "/plugins/debug-overlay"
	mustRun(t, exec.Command(releaseBin, "push-plugin", "-dist", distDir, "-repo", repo, "-plain-http"), nil)

	// What is in the registry, read through its API.
	var m struct {
		ArtifactType string
		Config       struct{ MediaType string }
		Layers       []struct {
			MediaType   string
			Annotations map[string]string
		}
	}
	getJSON(t, "http://"+reg.Host+"/v2/plugins/debug-overlay/manifests/"+pluginVersion, &m)
	if m.ArtifactType != "application/vnd.helm.plugin.v1+json" || len(m.Layers) != 2 {
		t.Errorf("manifest: %+v", m)
	}
	for i, title := range []string{"debug-overlay-" + pluginVersion + ".tgz", "debug-overlay-" + pluginVersion + ".tgz.prov"} {
		if i < len(m.Layers) && (m.Layers[i].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" || m.Layers[i].Annotations["org.opencontainers.image.title"] != title) {
			t.Errorf("layer %d: %+v, want %s titled %s", i, m.Layers[i], "application/vnd.oci.image.layer.v1.tar+gzip", title)
		}
	}

	env := append(helmHome(t), noGoPath, "DEBUG_OVERLAY_TTY="+os.DevNull)
	out := string(mustRun(t, cmdIn(env, helm4, "plugin", "install", "oci://"+repo+":"+pluginVersion, "--plain-http", "--keyring", alice.Pubring), nil))
	if !strings.Contains(out, "Plugin Hash Verified: sha256:") || !strings.Contains(out, "Installed plugin: debug-overlay") {
		t.Errorf("helm plugin install from oci:// did not verify:\n%s", out)
	}
	renderGeth(t, env, chart)

	// Helm 4.3.1 drops --version for oci:// plugin sources (its install
	// command gives the OCI installer no version): without the tag in the
	// reference it cannot even make a reference. docs/install.md says to
	// put the version in the tag; this fails the day Helm takes --version.
	env = append(helmHome(t), noGoPath)
	mustFail(t, cmdIn(env, helm4, "plugin", "install", "oci://"+repo, "--version", pluginVersion, "--plain-http", "--keyring", alice.Pubring),
		`failed to perform "FetchReference" on source: invalid reference`)

	// Another key is refused from the registry too.
	env = append(helmHome(t), noGoPath)
	mustFail(t, cmdIn(env, helm4, "plugin", "install", "oci://"+repo+":"+pluginVersion, "--plain-http", "--keyring", mallory.Pubring),
		"openpgp: signature made by unknown entity")
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestHelmPluginGit: the repository itself installs from git with Helm 4
// when told not to verify (Helm cannot verify a git source, and says so
// without the flag); its install hook builds the binary with Go.
func TestHelmPluginGit(t *testing.T) {
	chart, err := gethChart()
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "debug-overlay")
	mustRun(t, exec.Command("git", "clone", "--quiet", repoRoot, clone), nil)
	source := "file://" + clone

	// The hook's go build, with HOME elsewhere, keeps the machine's caches.
	goenv, err := testenv.OutputText(exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := strings.Fields(goenv)
	env := append(helmHome(t), "DEBUG_OVERLAY_TTY="+os.DevNull, "GOCACHE="+dirs[0], "GOMODCACHE="+dirs[1], "GOPATH="+dirs[2], "GOFLAGS=")
	mustFail(t, cmdIn(env, helm4, "plugin", "install", source), "plugin source does not support verification. Use --verify=false to skip verification")
	out := string(mustRun(t, cmdIn(env, helm4, "plugin", "install", source, "--verify=false"), nil))
	if !strings.Contains(out, "debug-overlay: building") || !strings.Contains(out, "Installed plugin: debug-overlay") {
		t.Errorf("helm plugin install from git:\n%s", out)
	}
	renderGeth(t, env, chart)
}
