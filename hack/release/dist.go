package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/debug-overlay/debug-overlay/hack/release/archive"
)

// platform is one GOOS/GOARCH of the release.
type platform struct{ OS, Arch string }

func (p platform) String() string { return p.OS + "/" + p.Arch }

// exe is the file name suffix of executables on the platform.
func (p platform) exe() string {
	if p.OS == "windows" {
		return ".exe"
	}
	return ""
}

// platforms are the release's platforms, in the order they are built.
var platforms = []platform{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"},
}

// Binaries of the release: the post-renderer, its companion (live mode,
// the kubectl plugin) and the Argo CD Config Management Plugin.
const (
	binRender    = "debug-overlay"
	binCompanion = "kubectl-debug_overlay"
	binArgoCD    = "debug-overlay-argocd"
)

// binary is one binary of the release, built from ./cmd/NAME.
type binary struct {
	name string
	// imageOnly binaries are built for the image's platforms only and
	// shipped in the image, not in the archives (nor krew or the Helm
	// plugin, which take theirs from the archives): the Argo CD plugin runs
	// only in the sidecar of Argo CD's repo-server, a Linux pod, and Helm
	// 4's SDK, which it links, would cost every platform's build a minute.
	imageOnly bool
}

// binaries are the release's binaries, in the order they are built and
// archived.
var binaries = []binary{{name: binRender}, {name: binCompanion}, {name: binArgoCD, imageOnly: true}}

// builtFor says whether b is built for p.
func (b binary) builtFor(p platform) bool {
	return !b.imageOnly || slices.ContainsFunc(imagePlatforms, func(ip v1.Platform) bool {
		return ip.OS == p.OS && ip.Architecture == p.Arch
	})
}

// project is the module and the name everything is published under.
const (
	project    = "debug-overlay"
	modulePath = "github.com/debug-overlay/debug-overlay"
	sourceURL  = "https://" + modulePath
)

// semverRE is semver.org's regular expression, with the v Go modules and
// git tags use.
var semverRE = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// checkVersion accepts vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] only.
func checkVersion(v string) error {
	if v == "" {
		return errors.New("VERSION is required, as vMAJOR.MINOR.PATCH (for example VERSION=v0.2.0)")
	}
	if !semverRE.MatchString(v) {
		return fmt.Errorf("VERSION %q is not a semantic version vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] (for example v0.2.0)", v)
	}
	return nil
}

// distOptions is the dist command.
type distOptions struct {
	Version string
	Out     string // the dist directory
	Repo    string // the repository root
	BaseURL string // where the archives will be downloadable, for krew
}

// release is what dist knows once the version is checked.
type release struct {
	distOptions
	// created is SOURCE_DATE_EPOCH: every time written into an artefact.
	created time.Time
	// commit is the commit built, "" outside a git checkout; dirty says
	// whether the tree had changes.
	commit    string
	committed time.Time
	dirty     bool
	// binaries holds every built binary by platform and name.
	binaries map[platform]map[string][]byte
}

// semverNoV is the version without its v, as Helm plugins and charts
// write it.
func (r *release) semverNoV() string { return strings.TrimPrefix(r.Version, "v") }

// archiveName is the name of a platform's archive.
func (r *release) archiveName(p platform) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s_%s%s", project, r.Version, p.OS, p.Arch, ext)
}

// dist builds every artefact into a staging directory inside Out and moves
// them into place only once all of them were written, checksums.txt last:
// an interrupted or failed run leaves the previous artefacts as they were.
func dist(o distOptions) error {
	if err := checkVersion(o.Version); err != nil {
		return err
	}
	if o.BaseURL == "" {
		o.BaseURL = sourceURL + "/releases/download/" + o.Version
	}
	r := &release{distOptions: o, binaries: map[platform]map[string][]byte{}}
	var err error
	if r.created, r.commit, r.committed, err = sourceDate(o.Repo); err != nil {
		return err
	}
	if r.commit != "" {
		status, err := gitOutput(o.Repo, "status", "--porcelain")
		if err != nil {
			return err
		}
		if r.dirty = status != ""; r.dirty {
			fmt.Fprintf(os.Stderr, "dist: warning: the tree has uncommitted changes: the binaries say \"dirty tree\", and no one can rebuild them from commit %s\n", r.commit)
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(o.Out, ".staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	if err := r.build(staging); err != nil {
		return err
	}
	out, err := r.artefacts()
	if err != nil {
		return err
	}
	image, err := r.image(filepath.Join(staging, "image"))
	if err != nil {
		return err
	}

	var names []string
	for name, data := range out {
		if err := writeFile(filepath.Join(staging, name), data); err != nil {
			return err
		}
		names = append(names, name)
	}
	names = append(names, image...)
	sums, err := checksums(staging, names)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(staging, ".bin")); err != nil {
		return err
	}
	return publish(staging, o.Out, sums)
}

// artefacts makes, from the binaries built, what dist holds
// besides the image, by path in dist: an archive per platform, an SBOM
// per binary built (the image's too), the krew manifest and the Helm 4
// plugin package.
func (r *release) artefacts() (map[string][]byte, error) {
	license, err := os.ReadFile(filepath.Join(r.Repo, "LICENSE"))
	if err != nil {
		return nil, fmt.Errorf("every archive carries the license: %w", err)
	}
	readme, err := os.ReadFile(filepath.Join(r.Repo, "README.md"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, p := range platforms {
		entries := []archive.Entry{archive.File("LICENSE", license, false), archive.File("README.md", readme, false)}
		for _, b := range binaries {
			if !b.builtFor(p) {
				continue
			}
			data := r.binaries[p][b.name]
			if !b.imageOnly {
				entries = append(entries, archive.File(b.name+p.exe(), data, true))
			}
			doc, err := sbom(data, b.name, r.Version, p, r.created)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprintf("sbom/%s_%s_%s_%s.cdx.json", b.name, r.Version, p.OS, p.Arch)] = doc
		}
		write := archive.TarGz
		if p.OS == "windows" {
			write = archive.Zip
		}
		if out[r.archiveName(p)], err = write(entries, r.created); err != nil {
			return nil, fmt.Errorf("archive for %s: %w", p, err)
		}
	}
	if out["krew/"+project+".yaml"], err = r.krewManifest(out); err != nil {
		return nil, err
	}
	pkgName, pkg, err := r.helmPlugin(license, readme)
	if err != nil {
		return nil, err
	}
	out["helm-plugin/"+pkgName] = pkg
	return out, nil
}

// sourceDate is SOURCE_DATE_EPOCH when set, else the time of the commit
// checked out in repo; and that commit and its time ("" and zero outside
// a git checkout).
func sourceDate(repo string) (created time.Time, commit string, committed time.Time, err error) {
	if commit, err = gitOutput(repo, "rev-parse", "HEAD"); err == nil {
		out, err := gitOutput(repo, "log", "-1", "--format=%ct")
		if err != nil {
			return created, "", committed, err
		}
		sec, err := strconv.ParseInt(out, 10, 64)
		if err != nil {
			return created, "", committed, fmt.Errorf("git log printed %q for the commit time", out)
		}
		committed = time.Unix(sec, 0).UTC()
	} else {
		commit = ""
	}
	if env := os.Getenv("SOURCE_DATE_EPOCH"); env != "" {
		sec, err := strconv.ParseInt(env, 10, 64)
		if err != nil {
			return created, "", committed, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", env)
		}
		return time.Unix(sec, 0).UTC(), commit, committed, nil
	}
	if commit == "" {
		return created, "", committed, errors.New("no SOURCE_DATE_EPOCH, and no git commit to take it from")
	}
	return committed, commit, committed, nil
}

func gitOutput(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// build compiles every binary for each platform it is built for into
// staging/.bin.
// -trimpath keeps the machine's paths out; the version, the commit, its
// time and the tree's state go in with -X (go build's own VCS stamp is
// missing in a git worktree and under -buildvcs=false, which the machine's
// go env may set); GOFLAGS and the per-architecture levels are fixed so
// that the caller's environment does not change the bytes.
func (r *release) build(staging string) error {
	x := modulePath + "/cmd."
	ldflags := "-s -w -X " + x + "version=" + r.Version
	if r.commit != "" {
		tree := map[bool]string{true: "dirty", false: "clean"}[r.dirty]
		ldflags += " -X " + x + "commit=" + r.commit + " -X " + x + "commitDate=" + r.committed.Format(time.RFC3339) + " -X " + x + "treeState=" + tree
	}
	for _, p := range platforms {
		r.binaries[p] = map[string][]byte{}
		for _, b := range binaries {
			if !b.builtFor(p) {
				continue
			}
			out := filepath.Join(staging, ".bin", p.OS+"_"+p.Arch, b.name+p.exe())
			cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/"+b.name)
			cmd.Dir = r.Repo
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch,
				"GOFLAGS=", "GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=")
			if msg, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("building %s for %s: %v\n%s", b.name, p, err, msg)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				return err
			}
			r.binaries[p][b.name] = data
			fmt.Fprintf(os.Stderr, "dist: built %s for %s (%d bytes)\n", b.name, p, len(data))
		}
	}
	return nil
}

// checksums is checksums.txt: sha256sum's format, sorted by name.
func checksums(dir string, names []string) ([]byte, error) {
	slices.Sort(names)
	var buf bytes.Buffer
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, "%x  %s\n", sha256.Sum256(data), n)
	}
	return buf.Bytes(), nil
}

// publish moves each top-level entry of staging into out, replacing what
// was there, and writes checksums.txt last, through a temporary name.
// Other entries of out (dist/charts of make package) stay.
func publish(staging, out string, sums []byte) error {
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	// checksums.txt first, so that a half-published dist has none; then
	// its signature and the archives of earlier versions, which it would
	// no longer list.
	old, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	for _, e := range old {
		n := e.Name()
		if n == "checksums.txt" || n == "checksums.txt.asc" || strings.HasPrefix(n, project+"_v") {
			if err := os.Remove(filepath.Join(out, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	for _, e := range entries {
		dst := filepath.Join(out, e.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, e.Name()), dst); err != nil {
			return err
		}
	}
	return writeFile(filepath.Join(out, "checksums.txt"), sums)
}

// writeFile writes data to a temporary name beside path and renames it:
// path either holds all of data or is as it was.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
