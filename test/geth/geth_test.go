package geth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// gethContainer is the example chart's geth container.
const gethContainer = "geth"

// account is a geth account created for the test.
type account struct {
	// address is lower-case hex without 0x, as `geth account list` prints it.
	address string
	// keyFile is its key file on the host; its base name is the Secret key.
	keyFile string
}

// listed is one line of `geth account list`.
type listed struct {
	line, address, url string
}

// accountLine is a line of `geth account list`:
// Account #0: {ea7a...a921} keystore:///keystore/UTC--...--ea7a...a921
var accountLine = regexp.MustCompile(`^Account #\d+: \{([0-9a-f]{40})\} (\S+)$`)

func TestGethSeesKeystoreOnlyWithOverlay(t *testing.T) {
	start := time.Now()
	acct := newAccount(t)
	name := filepath.Base(acct.keyFile)
	key, err := os.ReadFile(acct.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	keySum := sha256hex(key)
	// Helm's --set-file splits the key path at dots, and a geth key file
	// name holds one (UTC--2026-11-27T07-34-39.555128763Z--<address>).
	setFile := "keystore.files." + strings.ReplaceAll(name, ".", `\.`) + "=" + acct.keyFile

	off := render(t, "--set-file", setFile, "--set", "debug-overlay.enabled=false")
	on := render(t, "--set-file", setFile, "--set", "debug-overlay.enabled=true")
	if got := off.longRunning(); len(off.pod.InitContainers) != 0 || !slices.Equal(got, []string{gethContainer}) {
		t.Fatalf("toggle off: the pod must be the chart's alone; got init containers %d, containers %v", len(off.pod.InitContainers), got)
	}
	if len(on.pod.InitContainers) == 0 {
		t.Fatalf("toggle on: %s has no init container to copy the keystore", on.workload)
	}

	results := map[string][]listed{}
	var kubeletMode string // the key file's mode as kubelet writes it
	t.Run("toggle off", func(t *testing.T) {
		p := startPod(t, off)
		g := mustContainer(t, off, gethContainer)
		ks, _ := gethDirs(t, g)
		// The key is there, as kubelet presents it: a symlink into ..data.
		view := p.describe(t, g, ks)[ks]
		t.Logf("geth sees %s:\n%s", ks, dump(view))
		if e, ok := find(view, name); !ok || e.Link != "..data/"+name {
			t.Errorf("geth's %s: want %s -> ..data/%s as kubelet lays out a Secret, got %+v\n%s", ks, name, name, e, dump(view))
		}
		var written []entry
		for _, e := range view {
			if strings.HasPrefix(e.Path, "..2") && path.Base(e.Path) == name {
				written = append(written, e)
			}
		}
		if len(written) != 1 || written[0].SHA256 != keySum {
			t.Errorf("geth's %s: want the key file's content in the timestamped directory, got %+v\n%s", ks, written, dump(view))
		} else {
			kubeletMode = written[0].Mode
		}

		results["off"] = listAccounts(t, p, g)
		if len(results["off"]) != 0 {
			t.Errorf("toggle off: geth lists %d account(s), want none (it skips symlinked key files): %v", len(results["off"]), results["off"])
		}
	})

	t.Run("toggle on", func(t *testing.T) {
		p := startPod(t, on)
		g := mustContainer(t, on, gethContainer)
		ks, _ := gethDirs(t, g)
		view := p.describe(t, g, ks)[ks]
		t.Logf("geth sees %s:\n%s", ks, dump(view))
		e, ok := find(view, name)
		if !ok || !strings.HasPrefix(e.Mode, "-") || e.SHA256 != keySum {
			t.Errorf("geth's %s: want %s as a regular file with the key's content, got %+v\n%s", ks, name, e, dump(view))
		}
		if kubeletMode != "" && e.Mode != kubeletMode {
			t.Errorf("geth's %s/%s: mode %s, want %s as kubelet wrote it into the Secret volume", ks, name, e.Mode, kubeletMode)
		}

		t.Run("sidecar sees geth's mounts", func(t *testing.T) {
			sidecarSeesMounts(t, p, off, on)
		})

		results["on"] = listAccounts(t, p, g)
		want := "keystore://" + path.Join(ks, name)
		if got := results["on"]; len(got) != 1 || got[0].address != acct.address || got[0].url != want {
			t.Errorf("toggle on: geth lists %v, want exactly {%s} at %s", got, acct.address, want)
		}
	})

	// Side by side, for the log and for whoever runs `make e2e-geth`.
	for _, toggle := range []string{"off", "on"} {
		line := "(no accounts)"
		if l := results[toggle]; len(l) > 0 {
			var lines []string
			for _, a := range l {
				lines = append(lines, a.line)
			}
			line = strings.Join(lines, "\n            ")
		}
		if _, ok := results[toggle]; !ok {
			line = "(not run)"
		}
		msg := fmt.Sprintf("toggle %-4s %s", toggle+":", line)
		t.Log(msg)
		fmt.Println(msg)
	}
	t.Logf("account %s, key file %s; %v", acct.address, name, time.Since(start).Round(time.Millisecond))
}

// sidecarSeesMounts checks that the debug sidecar, the one long-running
// container the overlay added, mounts every mountPath of the geth container,
// the same volume behind it (the copy, after rewiring), with the same content
// as geth sees there.
func sidecarSeesMounts(t *testing.T, p *podFS, off, on rendering) {
	var added []string
	for _, n := range on.longRunning() {
		if !slices.Contains(off.longRunning(), n) {
			added = append(added, n)
		}
	}
	if len(added) != 1 {
		t.Fatalf("want one sidecar added by the overlay, got %v", added)
	}
	side := mustContainer(t, on, added[0])
	g := mustContainer(t, on, gethContainer)
	var paths []string
	for _, gm := range g.VolumeMounts {
		mp := path.Clean(gm.MountPath)
		paths = append(paths, mp)
		i := slices.IndexFunc(side.VolumeMounts, func(m corev1.VolumeMount) bool { return path.Clean(m.MountPath) == mp })
		if i < 0 {
			t.Errorf("sidecar %q does not mount %s (geth mounts volume %q there)", side.Name, mp, gm.Name)
			continue
		}
		if sm := side.VolumeMounts[i]; sm.Name != gm.Name || sm.SubPath != gm.SubPath {
			t.Errorf("sidecar %q mounts volume %q (subPath %q) at %s, geth mounts %q (subPath %q)", side.Name, sm.Name, sm.SubPath, mp, gm.Name, gm.SubPath)
		}
	}
	gethView := p.describe(t, g, paths...)
	sideView := p.describe(t, side, paths...)
	if diff := cmp.Diff(gethView, sideView); diff != "" {
		t.Errorf("what sidecar %q sees at geth's mountPaths differs from geth's view (-geth +sidecar):\n%s", side.Name, diff)
	}
	for _, mp := range paths {
		t.Logf("sidecar %q sees %s as geth does: %d entries", side.Name, mp, len(sideView[mp]))
	}
}

// newAccount creates an account with the real geth, as a user would for
// the chart's keystore.files.
func newAccount(t *testing.T) account {
	t.Helper()
	dir := t.TempDir()
	password := filepath.Join(dir, "password")
	if err := os.WriteFile(password, []byte("debug-overlay\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keystore := filepath.Join(dir, "keystore")
	out, err := testenv.OutputText(exec.Command(gethBin, "account", "new", "--lightkdf", "--keystore", keystore, "--password", password))
	if err != nil {
		t.Fatalf("geth account new: %v", err)
	}
	var a account
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, "Public address of the key:"); ok {
			a.address = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v), "0x"))
		}
		if v, ok := strings.CutPrefix(line, "Path of the secret key file:"); ok {
			a.keyFile = strings.TrimSpace(v)
		}
	}
	if len(a.address) != 40 || filepath.Dir(a.keyFile) != keystore {
		t.Fatalf("geth account new: no address or key file in its output:\n%s", out)
	}
	t.Logf("geth account new: %s in %s", a.address, filepath.Base(a.keyFile))
	return a
}

// startPod lays out the rendered pod's volumes and runs its init containers.
func startPod(t *testing.T, r rendering) *podFS {
	t.Helper()
	p, err := newPodFS(t.TempDir(), r)
	if err != nil {
		t.Fatalf("%s: %v", r.workload, err)
	}
	p.runInitContainers(t)
	return p
}

// listAccounts runs `geth account list` in the geth container's view, with
// the --keystore and --datadir the rendered container passes to geth.
func listAccounts(t *testing.T, p *podFS, g corev1.Container) []listed {
	t.Helper()
	ks, datadir := gethDirs(t, g)
	argv := []string{"geth", "account", "list", "--keystore=" + ks}
	if datadir != "" {
		argv = append(argv, "--datadir="+datadir)
	}
	res := p.exec(t, g, argv, gethImage(t)...)
	if res.Code != 0 {
		t.Fatalf("geth account list exited %d:\n%s", res.Code, res.Stderr)
	}
	var out []listed
	for line := range strings.Lines(string(res.Stdout)) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m := accountLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("geth account list: unexpected line %q", line)
		}
		out = append(out, listed{line: line, address: m[1], url: m[2]})
	}
	return out
}

// gethDirs returns the keystore and data directories the rendered geth
// container passes to geth.
func gethDirs(t *testing.T, g corev1.Container) (keystore, datadir string) {
	t.Helper()
	for _, a := range slices.Concat(g.Command, g.Args) {
		if v, ok := strings.CutPrefix(a, "--keystore="); ok {
			keystore = path.Clean(v)
		}
		if v, ok := strings.CutPrefix(a, "--datadir="); ok {
			datadir = path.Clean(v)
		}
	}
	if keystore == "" {
		t.Fatalf("container %q passes no --keystore=<dir> to geth: %q", g.Name, slices.Concat(g.Command, g.Args))
	}
	return keystore, datadir
}

// gethImage stands for the ethereum/client-go image: geth at
// /usr/local/bin/geth and, for a geth built with cgo, the host's libraries.
func gethImage(t *testing.T) []bindMount {
	t.Helper()
	mounts := []bindMount{{Source: gethBin, Target: "/usr/local/bin/geth", ReadOnly: true}}
	interp, err := elfInterpreter(gethBin)
	if err != nil {
		t.Fatalf("reading %s: %v", gethBin, err)
	}
	if interp != "" {
		for _, d := range []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64"} {
			if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
				mounts = append(mounts, bindMount{Source: d, Target: d, ReadOnly: true})
			}
		}
	}
	return mounts
}

func mustContainer(t *testing.T, r rendering, name string) corev1.Container {
	t.Helper()
	c, ok := r.container(name)
	if !ok {
		t.Fatalf("%s has no container %q", r.workload, name)
	}
	return c
}

// find returns the entry for rel in a described tree.
func find(view []entry, rel string) (entry, bool) {
	i := slices.IndexFunc(view, func(e entry) bool { return e.Path == rel })
	if i < 0 {
		return entry{}, false
	}
	return view[i], true
}

// dump formats a described tree like ls -l.
func dump(view []entry) string {
	var b strings.Builder
	for _, e := range view {
		fmt.Fprintf(&b, "  %s %6d %s", e.Mode, e.Size, e.Path)
		if e.Link != "" {
			fmt.Fprintf(&b, " -> %s", e.Link)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
