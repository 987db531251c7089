package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

const modulePath = "github.com/debug-overlay/debug-overlay"

// TestGoInstall: `go install module/cmd/debug-overlay@VERSION
// module/cmd/debug-overlay-argocd@VERSION`, served by a module proxy
// holding the commit as VERSION (a file:// proxy laid out as the Go module
// proxy, the machine's module cache behind it for the dependencies),
// builds a debug-overlay and a debug-overlay-argocd whose version comes
// from the build information, and which say their commit is unknown.
//
// VERSION names the commit (v0.0.0-check.g<commit>), not the release's
// version: the go command trusts that a module version never changes, so
// its build cache keeps an index of each module directory in the module
// cache by path and version, not by content. Under a version that an
// earlier commit used, a build with a kept GOCACHE compiles this commit's
// files from the earlier commit's file list (CI failed so: "undefined:
// Choice", "could not import sort").
func TestGoInstall(t *testing.T) {
	version := "v0.0.0-check.g" + gitText(t, "rev-parse", "--short=12", "HEAD")
	proxy := t.TempDir()
	writeModuleProxy(t, proxy, version)
	out, err := exec.Command("go", "env", "GOMODCACHE", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Fields(string(out))
	modcache, upstream := env[0], env[1]
	// Drop this version's entries from the machine's module cache
	// afterwards, so that it does not keep a copy per commit tested (and
	// before, in case a killed run of this commit left a partial one).
	forget := func() {
		for _, p := range []string{filepath.Join(modcache, modulePath+"@"+version), filepath.Join(modcache, "cache", "download", modulePath, "@v")} {
			filepath.WalkDir(p, func(p string, d os.DirEntry, err error) error {
				if err == nil {
					os.Chmod(p, 0o755)
				}
				return nil
			})
			if strings.HasSuffix(p, "@v") {
				for _, ext := range []string{".info", ".mod", ".zip", ".ziphash", ".lock"} {
					os.Remove(filepath.Join(p, version+ext))
				}
				continue
			}
			os.RemoveAll(p)
		}
	}
	forget()
	t.Cleanup(forget)

	gobin := t.TempDir()
	cmd := exec.Command("go", "install", modulePath+"/cmd/debug-overlay@"+version, modulePath+"/cmd/debug-overlay-argocd@"+version)
	cmd.Dir = t.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GOPROXY=file://"+proxy+","+upstream,
		"GONOSUMDB="+modulePath, "GOPRIVATE=", "GONOPROXY=", "GOWORK=off")
	start := time.Now()
	mustRun(t, cmd, nil)
	t.Logf("go install took %v", time.Since(start).Round(time.Millisecond))

	for _, b := range []string{"debug-overlay", "debug-overlay-argocd"} {
		var v struct{ Version, Commit, TreeState string }
		if err := json.Unmarshal(mustRun(t, exec.Command(filepath.Join(gobin, b), "version", "-o", "json"), nil), &v); err != nil {
			t.Fatal(err)
		}
		if v.Version != version || v.Commit != "unknown" || v.TreeState != "unknown" {
			t.Errorf("version of the go install build of %s: %+v, want version %s, commit and tree unknown", b, v, version)
		}
		line := string(mustRun(t, exec.Command(filepath.Join(gobin, b), "version"), nil))
		if !strings.HasPrefix(line, b+" "+version+" commit unknown ") {
			t.Errorf("%s version: %q", b, line)
		}
	}
}

// writeModuleProxy lays out the committed tree as version of the module
// in dir, as a GOPROXY serves it: list, .info, .mod and a module zip
// without the nested modules (directories with a go.mod of their own).
func writeModuleProxy(t *testing.T, dir, version string) {
	t.Helper()
	archive, err := testenv.Output(exec.Command("git", "-C", repoRoot, "archive", "--format=tar", "HEAD"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var nested []string
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = data
		if path.Base(h.Name) == "go.mod" && h.Name != "go.mod" {
			nested = append(nested, path.Dir(h.Name)+"/")
		}
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	prefix := modulePath + "@" + version + "/"
	for name, data := range files {
		inNested := false
		for _, n := range nested {
			inNested = inNested || strings.HasPrefix(name, n)
		}
		if inNested {
			continue
		}
		w, err := zw.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	date := gitText(t, "log", "-1", "--format=%cI")
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": date})
	at := filepath.Join(dir, modulePath, "@v")
	os.MkdirAll(at, 0o755)
	for name, data := range map[string][]byte{
		"list": []byte(version + "\n"), version + ".info": info, version + ".mod": files["go.mod"], version + ".zip": zbuf.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("module proxy: %s %s, %d files (%d nested modules left out)", modulePath, version, len(files), len(nested))
}
