package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var platforms = []struct{ os, arch string }{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"},
}

// The release's binaries: the post-renderer and the companion are in
// every archive; the Argo CD plugin is built for linux/amd64 and
// linux/arm64 only and is in the image alone.
const (
	binRender    = "debug-overlay"
	binCompanion = "kubectl-debug_overlay"
	binArgoCD    = "debug-overlay-argocd"
)

// releasedBinary is a binary of the release for a platform: archived,
// or in the image.
type releasedBinary struct {
	name     string
	archived bool
}

// released lists the release's binaries for an operating system.
func released(goos string) []releasedBinary {
	bins := []releasedBinary{{binRender, true}, {binCompanion, true}}
	if goos == "linux" {
		bins = append(bins, releasedBinary{binArgoCD, false})
	}
	return bins
}

// TestChecksums: sha256sum -c accepts checksums.txt, which lists every
// artefact, and gpg accepts its signature with alice's public key only.
func TestChecksums(t *testing.T) {
	cmd := exec.Command("sha256sum", "--strict", "-c", "checksums.txt")
	cmd.Dir = distDir
	out := string(mustRun(t, cmd, nil))
	var want []string
	for _, p := range platforms {
		want = append(want, archiveName(p.os, p.arch))
		for _, b := range released(p.os) {
			want = append(want, fmt.Sprintf("sbom/%s_%s_%s_%s.cdx.json", b.name, version, p.os, p.arch))
		}
	}
	want = append(want, "helm-plugin/debug-overlay-"+pluginVersion+".tgz", "krew/debug-overlay.yaml", "image/index.json")
	for _, w := range want {
		if !strings.Contains(out, w+": OK\n") {
			t.Errorf("sha256sum -c did not check %s:\n%s", w, out)
		}
	}
	if n := strings.Count(out, ": OK\n"); n != len(want) {
		t.Errorf("sha256sum -c checked %d files, want %d:\n%s", n, len(want), out)
	}

	for _, c := range []struct {
		key  key
		good bool
	}{{alice, true}, {mallory, false}} {
		cmd := exec.Command("gpgv", "--keyring", c.key.Pubring, "checksums.txt.asc", "checksums.txt")
		cmd.Dir = distDir
		res := runner.Run(t, cmd, nil)
		if (res.Code == 0) != c.good {
			t.Errorf("gpgv with %s's key: exit %d, want good=%v:\n%s", c.key.Name, res.Code, c.good, res.Stderr)
		}
	}
}

// TestReproducible: make dist of the same commit again, into another
// directory, writes the same bytes (signatures aside, which make sign
// adds).
func TestReproducible(t *testing.T) {
	again := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command(releaseBin, "dist", "-version", version, "-repo", repoRoot, "-out", again, "-base-url", baseURL)
	start := time.Now()
	mustRun(t, cmd, nil)
	t.Logf("the second dist took %v", time.Since(start).Round(time.Millisecond))
	first, second := treeSums(t, origDist), treeSums(t, again)
	for name := range first {
		if strings.HasPrefix(name, "charts/") || strings.HasSuffix(name, ".prov") || strings.HasSuffix(name, ".asc") {
			delete(first, name) // make package's charts and make sign's signatures
		}
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("a second dist of the same commit differs (-%s +second):\n%s", origDist, diff)
	}
	if len(second) < 20 {
		t.Errorf("the second dist wrote only %d files", len(second))
	}
}

// treeSums is the sha256 of every file under dir, by relative path.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sums[filepath.ToSlash(rel)] = fmt.Sprintf("%x", sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// archived is one entry of an archive.
type archived struct {
	Name string
	Mode fs.FileMode
	Data []byte `cmp:"-"`
}

// readArchive lists a tar.gz or zip archive.
func readArchive(t *testing.T, path string) []archived {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []archived
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			out = append(out, archived{f.Name, f.Mode().Perm(), b})
		}
		return out
	}
	for _, e := range readTarGz(t, data) {
		if e.Uid != 0 || e.Gid != 0 || e.Uname != "" || e.Gname != "" {
			t.Errorf("%s: %s is owned by %d:%d (%s:%s), want 0:0 without names", path, e.Name, e.Uid, e.Gid, e.Uname, e.Gname)
		}
		out = append(out, archived{e.Name, fs.FileMode(e.Mode).Perm(), e.Data})
	}
	return out
}

// tarEntry is an entry of a tar archive: its header and its content.
type tarEntry struct {
	*tar.Header
	Data []byte
}

// readTarGz lists the entries of a tar.gz in their order: the release's
// archives, the Helm plugin package, the image's layers.
func readTarGz(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out []tarEntry
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{h, b})
	}
}

// TestArchives: each archive holds the post-renderer and the companion,
// static, for its platform, LICENSE and README.md, and nothing else: not
// the Argo CD plugin, which is the image's alone.
func TestArchives(t *testing.T) {
	license, err := os.ReadFile(filepath.Join(repoRoot, "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		t.Run(p.os+"/"+p.arch, func(t *testing.T) {
			exe := map[bool]string{true: ".exe"}[p.os == "windows"]
			got := readArchive(t, filepath.Join(distDir, archiveName(p.os, p.arch)))
			want := []archived{{"LICENSE", 0o644, nil}, {"README.md", 0o644, nil},
				{binRender + exe, 0o755, nil}, {binCompanion + exe, 0o755, nil}}
			if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Data" }, cmp.Ignore())); diff != "" {
				t.Fatalf("entries (-want +got):\n%s", diff)
			}
			if !bytes.Equal(got[0].Data, license) {
				t.Error("LICENSE differs from the repository's")
			}
			for _, bin := range got[2:] {
				checkBinary(t, p.os, p.arch, bin)
			}
		})
	}
}

// checkBinary checks a binary's format and, when this machine can run it,
// its version.
func checkBinary(t *testing.T, goos, goarch string, bin archived) {
	t.Helper()
	if goos == "linux" {
		f, err := elf.NewFile(bytes.NewReader(bin.Data))
		if err != nil {
			t.Fatalf("%s: %v", bin.Name, err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked", bin.Name)
			}
		}
		if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]; f.Machine != want {
			t.Errorf("%s is for %v, want %v", bin.Name, f.Machine, want)
		}
	}
	if goos != runtime.GOOS || goarch != runtime.GOARCH {
		return
	}
	path := filepath.Join(t.TempDir(), bin.Name)
	if err := os.WriteFile(path, bin.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, Commit, CommitDate, TreeState, GoVersion, Platform string }
	if err := json.Unmarshal(mustRun(t, exec.Command(path, "version", "-o", "json"), nil), &v); err != nil {
		t.Fatal(err)
	}
	head := gitText(t, "rev-parse", "HEAD")
	date, _ := time.Parse(time.RFC3339, gitText(t, "log", "-1", "--format=%cI"))
	tree := map[bool]string{true: "clean", false: "dirty"}[gitText(t, "status", "--porcelain") == ""]
	want := struct{ Version, Commit, CommitDate, TreeState, GoVersion, Platform string }{
		version, head, date.UTC().Format(time.RFC3339), tree, runtime.Version(), goos + "/" + goarch,
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("%s version -o json (-want +got):\n%s", bin.Name, diff)
	}
	line := strings.TrimSpace(string(mustRun(t, exec.Command(path, "version"), nil)))
	if name := strings.TrimSuffix(bin.Name, ".exe"); !strings.HasPrefix(line, name+" "+version+" commit "+head) {
		t.Errorf("%s version: %q", bin.Name, line)
	}
}

func gitText(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", repoRoot}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// TestSBOMs: each SBOM describes the binary in the archive, or for the
// Argo CD plugin in the image (its sha256), at the commit's time, and
// lists what that binary links: client-go in the companion and the
// plugin, not in the post-renderer; Helm's template functions (sprig) in
// the plugin alone. There is no SBOM of a plugin for darwin or windows.
func TestSBOMs(t *testing.T) {
	date, _ := time.Parse(time.RFC3339, gitText(t, "log", "-1", "--format=%cI"))
	images := imageBinaries(t)
	for _, p := range platforms {
		exe := map[bool]string{true: ".exe"}[p.os == "windows"]
		entries := readArchive(t, filepath.Join(distDir, archiveName(p.os, p.arch)))
		if p.os != "linux" {
			if _, err := os.Stat(filepath.Join(distDir, "sbom", fmt.Sprintf("%s_%s_%s_%s.cdx.json", binArgoCD, version, p.os, p.arch))); err == nil {
				t.Errorf("an SBOM of %s for %s/%s, which the release does not build", binArgoCD, p.os, p.arch)
			}
		}
		for _, rb := range released(p.os) {
			b := rb.name
			var bin []byte
			if rb.archived {
				i := slices.IndexFunc(entries, func(e archived) bool { return e.Name == b+exe })
				if i < 0 {
					t.Fatalf("%s is not in the %s/%s archive", b, p.os, p.arch)
				}
				bin = entries[i].Data
			} else if bin = images[p.os+"/"+p.arch][b]; bin == nil {
				t.Fatalf("%s is not in the %s/%s image", b, p.os, p.arch)
			}
			data, err := os.ReadFile(filepath.Join(distDir, "sbom", fmt.Sprintf("%s_%s_%s_%s.cdx.json", b, version, p.os, p.arch)))
			if err != nil {
				t.Fatal(err)
			}
			var bom struct {
				BOMFormat, SpecVersion, SerialNumber string
				Metadata                             struct {
					Timestamp string
					Component struct {
						Name, Version string
						Hashes        []struct{ Alg, Content string }
					}
				}
				Components []struct{ Name, Version string }
			}
			if err := json.Unmarshal(data, &bom); err != nil {
				t.Fatal(err)
			}
			c := bom.Metadata.Component
			if bom.BOMFormat != "CycloneDX" || c.Name != b || c.Version != version || len(c.Hashes) != 1 ||
				c.Hashes[0].Content != fmt.Sprintf("%x", sha256.Sum256(bin)) {
				t.Errorf("%s %s/%s: the SBOM does not describe the released binary: %+v", b, p.os, p.arch, bom.Metadata)
			}
			if bom.Metadata.Timestamp != date.UTC().Format(time.RFC3339) {
				t.Errorf("%s %s/%s: timestamp %s, want the commit's %s", b, p.os, p.arch, bom.Metadata.Timestamp, date.UTC().Format(time.RFC3339))
			}
			linked := map[string]bool{}
			for _, c := range bom.Components {
				linked[c.Name] = true
			}
			const sprig = "github.com/Masterminds/sprig/v3"
			if !linked["std"] || !linked["github.com/spf13/cobra"] || linked["k8s.io/client-go"] != (b != binRender) || linked[sprig] != (b == binArgoCD) {
				t.Errorf("%s %s/%s: components std %v, cobra %v, client-go %v, sprig %v", b, p.os, p.arch,
					linked["std"], linked["github.com/spf13/cobra"], linked["k8s.io/client-go"], linked[sprig])
			}
		}
	}
}
