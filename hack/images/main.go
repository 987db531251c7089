// Command images builds the container images of the test node (test/node,
// `make e2e-cluster`) as docker-archive tarballs, from binaries on this
// machine: there is no registry to pull from. Each image's layers are tar
// files made from a root filesystem directory; the tarballs are what
// `ctr images import` loads into containerd.
//
//	base      busybox-static with a hard link per applet, tagged as the
//	          alpine and busybox images the sidecar presets, the copy init
//	          container and the tools init container name (Debian's
//	          busybox-static is statically linked, as busybox:1.36-uclibc is)
//	pause     a tiny static Go program (./pause), the pod sandbox image
//	toolbox   base plus bash-static, tagged as the toolbox preset's image
//	geth      base plus bin/geth, tagged as the geth chart's image
//	app       a single static Go program (./app) and its own files, no
//	          shell: the shell-less application of the tools and holds
//	argocd    base plus bin/argocd-cmp-server (Argo CD v3.5.1's, stripped),
//	          standing in for Argo CD's image, whose copyutil init container
//	          copies the cmp-server into the repo-server's var-files volume
//
// Out of -out it writes one <name>.tar per image and images.json, which
// lists each file with its tags (and the sandbox image's role), plus a
// digest of every input. When images.json already holds that digest and
// every tarball is there, nothing is rebuilt.
//
// Usage: go run . -out DIR [-busybox PATH] [-bash PATH] [-geth PATH]
//
//	[-cmp-server PATH]
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The tags, as containerd normalises them (docker.io/library/... for
// official images). They must match what the charts and the presets name.
var (
	baseTags    = []string{"docker.io/library/alpine:3.20", "docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36-uclibc"}
	toolboxTags = []string{"docker.io/nicolaka/netshoot:v0.13"}
	gethTags    = []string{"docker.io/ethereum/client-go:v1.17.10"}
	// pauseTag names no real registry (.test is reserved), so nobody
	// mistakes it for upstream's pause image; nor argocdTag for Argo
	// CD's.
	pauseTag  = "debug-overlay.test/pause:v1"
	argocdTag = "debug-overlay.test/argocd:v3.5.1"
	// appTag is the shell-less application image.
	appTag = "debug-overlay.test/app:v1"
)

// RoleSandbox marks the image containerd's sandbox_image must name.
const RoleSandbox = "sandbox"

// Image is one tarball of images.json.
type Image struct {
	File string   `json:"file"`
	Tags []string `json:"tags"`
	Role string   `json:"role,omitempty"`
}

// Manifest is images.json.
type Manifest struct {
	// Inputs is a digest of every binary and source file the images are
	// built from.
	Inputs string  `json:"inputs"`
	Images []Image `json:"images"`
}

// epoch is every file's and image's time, so that rebuilds are identical.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func main() {
	out := flag.String("out", "", "Write the tarballs and images.json into this directory")
	busybox := flag.String("busybox", "/bin/busybox", "A statically linked busybox")
	bash := flag.String("bash", "/bin/bash-static", "A statically linked bash")
	geth := flag.String("geth", "../../bin/geth", "The geth binary")
	cmpServer := flag.String("cmp-server", "../../bin/argocd-cmp-server", "Argo CD's argocd-cmp-server (hack/build-argocd.sh)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "images: -out is required")
		os.Exit(2)
	}
	start := time.Now()
	state, err := build(*out, inputs{busybox: *busybox, bash: *bash, geth: *geth, cmpServer: *cmpServer})
	if err != nil {
		fmt.Fprintf(os.Stderr, "images: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%-10s %-8s %-6s %6.1fs\n", "images", "", state, time.Since(start).Seconds())
}

// inputs are the binaries the images are made of.
type inputs struct {
	busybox, bash, geth, cmpServer string
}

func build(out string, in inputs) (string, error) {
	busybox, bash, geth := in.busybox, in.bash, in.geth
	for _, b := range []struct{ what, path, fix string }{
		{"busybox", busybox, "install busybox-static (hack/node-deps.sh)"},
		{"bash", bash, "install bash-static (hack/node-deps.sh)"},
		{"geth", geth, "run make geth (hack/build-geth.sh)"},
		{"argocd-cmp-server", in.cmpServer, "run make argocd (hack/build-argocd.sh)"},
	} {
		if err := isStatic(b.path); err != nil {
			return "", fmt.Errorf("%s %s: %w: %s", b.what, b.path, err, b.fix)
		}
	}
	digest, err := digestInputs(busybox, bash, geth, in.cmpServer)
	if err != nil {
		return "", fmt.Errorf("hashing the inputs: %w", err)
	}
	if upToDate(out, digest) {
		return "cached", nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(out, ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	base, err := busyboxLayer(filepath.Join(tmp, "base"), busybox)
	if err != nil {
		return "", fmt.Errorf("base layer: %w", err)
	}
	pauseBin := filepath.Join(tmp, "pause-bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", pauseBin, "./pause")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the pause program: %w", err)
	}
	pause, err := filesLayer(filepath.Join(tmp, "pause"), map[string]string{"pause": pauseBin})
	if err != nil {
		return "", fmt.Errorf("pause layer: %w", err)
	}
	app, err := appLayer(tmp)
	if err != nil {
		return "", fmt.Errorf("app layer: %w", err)
	}
	bashLayer, err := filesLayer(filepath.Join(tmp, "bash"), map[string]string{"bin/bash": bash})
	if err != nil {
		return "", fmt.Errorf("bash layer: %w", err)
	}
	gethLayer, err := filesLayer(filepath.Join(tmp, "geth"), map[string]string{"usr/local/bin/geth": geth})
	if err != nil {
		return "", fmt.Errorf("geth layer: %w", err)
	}
	cmpLayer, err := filesLayer(filepath.Join(tmp, "argocd"), map[string]string{"usr/local/bin/argocd-cmp-server": in.cmpServer})
	if err != nil {
		return "", fmt.Errorf("argocd layer: %w", err)
	}

	m := Manifest{Inputs: digest}
	for _, img := range []struct {
		file   string
		tags   []string
		role   string
		layers []v1.Layer
		config v1.Config
	}{
		{"base.tar", baseTags, "", []v1.Layer{base}, v1.Config{Cmd: []string{"sh"}}},
		{"pause.tar", []string{pauseTag}, RoleSandbox, []v1.Layer{pause}, v1.Config{Entrypoint: []string{"/pause"}}},
		{"toolbox.tar", toolboxTags, "", []v1.Layer{base, bashLayer}, v1.Config{Cmd: []string{"bash"}}},
		// As the upstream image: geth is the entrypoint, the chart gives args.
		{"geth.tar", gethTags, "", []v1.Layer{base, gethLayer}, v1.Config{Entrypoint: []string{"geth"}}},
		{"app.tar", []string{appTag}, "", []v1.Layer{app}, v1.Config{Entrypoint: []string{"/app"}, Cmd: []string{"serve"}}},
		// Argo CD's image runs as 999 (its argocd user).
		{"argocd.tar", []string{argocdTag}, "", []v1.Layer{base, cmpLayer}, v1.Config{User: "999"}},
	} {
		i, err := image(img.layers, img.config)
		if err != nil {
			return "", fmt.Errorf("%s: %w", img.file, err)
		}
		refs := map[name.Reference]v1.Image{}
		for _, t := range img.tags {
			ref, err := name.NewTag(t)
			if err != nil {
				return "", err
			}
			refs[ref] = i
		}
		if err := tarball.MultiRefWriteToFile(filepath.Join(tmp, img.file), refs); err != nil {
			return "", fmt.Errorf("writing %s: %w", img.file, err)
		}
		if err := os.Rename(filepath.Join(tmp, img.file), filepath.Join(out, img.file)); err != nil {
			return "", err
		}
		m.Images = append(m.Images, Image{File: img.file, Tags: img.tags, Role: img.role})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	// images.json last: its digest says the tarballs beside it are complete.
	return "built", os.WriteFile(filepath.Join(out, "images.json"), append(data, '\n'), 0o644)
}

// image is an image of layers for this machine's architecture.
func image(layers []v1.Layer, config v1.Config) (v1.Image, error) {
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = runtime.GOARCH
	cf.OS = "linux"
	cf.Created = v1.Time{Time: epoch}
	config.Env = []string{defaultPath}
	cf.Config = config
	return mutate.ConfigFile(img, cf)
}

// busyboxLayer lays out a busybox root filesystem in dir, every applet a
// hard link to /bin/busybox as busybox --install makes them, and returns it
// as a layer.
func busyboxLayer(dir, busybox string) (v1.Layer, error) {
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "etc", "root", "home/nonroot", "tmp", "var/tmp", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	for d, mode := range map[string]fs.FileMode{"tmp": 0o1777, "var/tmp": 0o1777, "root": 0o700} {
		if err := os.Chmod(filepath.Join(dir, d), mode); err != nil {
			return nil, err
		}
	}
	if err := os.Chown(filepath.Join(dir, "home/nonroot"), 65532, 65532); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "bin/busybox")
	if err := copyFile(busybox, bin); err != nil {
		return nil, err
	}
	list, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", busybox, err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "bin/busybox" {
			continue
		}
		if err := os.Link(bin, filepath.Join(dir, applet)); err != nil {
			return nil, err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n",
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	return dirLayer(dir)
}

// appLayer builds the app program and lays out its image: /app, its
// configuration and a file of its own, nothing else (no shell, no libc).
func appLayer(tmp string) (v1.Layer, error) {
	bin := filepath.Join(tmp, "app-bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./app")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building the app program: %w", err)
	}
	dir := filepath.Join(tmp, "app")
	for f, content := range map[string]string{
		"etc/app/app.conf": "listen = 8080\n",
		"etc/app/motd":     "this file is the app image's own\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	if err := copyFile(bin, filepath.Join(dir, "app")); err != nil {
		return nil, err
	}
	return dirLayer(dir)
}

// filesLayer lays out files (path in the image -> file on this machine) in
// dir and returns it as a layer.
func filesLayer(dir string, files map[string]string) (v1.Layer, error) {
	for dst, src := range files {
		full := filepath.Join(dir, dst)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := copyFile(src, full); err != nil {
			return nil, err
		}
	}
	return dirLayer(dir)
}

// dirLayer tars dir into a layer: entries sorted, owners and modes as on
// disk, every time set to epoch, hard links kept as links.
func dirLayer(dir string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[uint64]string{} // inode -> first name, for hard links
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return nil, err
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.Format = tar.FormatPAX
		st, _ := fi.Sys().(*syscall.Stat_t)
		if st != nil {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
			if fi.Mode().IsRegular() && st.Nlink > 1 {
				if first, ok := seen[st.Ino]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					seen[st.Ino] = rel
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// isStatic fails unless path is an executable ELF file without an
// interpreter: the images hold no libc to link against.
func isStatic(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, []byte("\x7fELF")) {
		return errors.New("not an ELF executable")
	}
	// A dynamically linked executable names its loader in PT_INTERP;
	// the loader's path appears in the file as a string.
	for _, ld := range []string{"/lib64/ld-linux", "/lib/ld-linux", "/lib/ld-musl"} {
		if bytes.Contains(data, []byte(ld)) {
			return errors.New("dynamically linked (names " + ld + "*)")
		}
	}
	return nil
}

// digestInputs hashes this program's own sources and the contents of the
// binaries (not their paths: the same geth from another path is the same
// image).
func digestInputs(binaries ...string) (string, error) {
	h := sha256.New()
	srcs, err := filepath.Glob("*.go")
	if err != nil {
		return "", err
	}
	more, _ := filepath.Glob("pause/*.go")
	apps, _ := filepath.Glob("app/*.go")
	more = append(more, apps...)
	files := append(append(srcs, more...), "go.mod", "go.sum")
	for i, f := range append(files, binaries...) {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		label := f
		if i >= len(files) {
			label = fmt.Sprintf("binary %d", i-len(files))
		}
		fmt.Fprintf(h, "%s %d\n", label, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// upToDate reports whether out holds the images of inputs already.
func upToDate(out, inputs string) bool {
	data, err := os.ReadFile(filepath.Join(out, "images.json"))
	if err != nil {
		return false
	}
	var m Manifest
	if json.Unmarshal(data, &m) != nil || m.Inputs != inputs {
		return false
	}
	for _, img := range m.Images {
		if _, err := os.Stat(filepath.Join(out, img.File)); err != nil {
			return false
		}
	}
	return true
}
