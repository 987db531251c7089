package overlay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// The tests in this file run copyScript, as copyContainer emits it, under the
// real busybox sh with a PATH holding only busybox applets, against source
// directories laid out the way kubelet's atomic writer lays out Secret,
// ConfigMap, projected and downwardAPI volumes.

// kubeletTestTime is the time kubelet would put in the timestamped directory name.
var kubeletTestTime = time.Date(2026, 11, 27, 7, 15, 37, 0, time.UTC)

// copyTestUID is the user the restricted profile runs the copy container as.
const copyTestUID = 65532

// kubeletFile is one entry of a volume payload: what kubelet's FileProjection holds
// (content and mode, from defaultMode or items[].mode).
type kubeletFile struct {
	data string
	mode fs.FileMode
}

// kubeletWrite projects payload into dir the way kubelet's AtomicWriter.Write
// does (pkg/volume/util/atomic_writer.go): the files go into a new hidden
// directory "..<UTC timestamp>.<random>" (mode 0755, subdirectories made with
// MkdirAll(0777) less the umask, each file written and then chmod-ed to its
// mode); "..data" is pointed at it through a "..data_tmp" symlink renamed
// over it; each first path segment gets one visible symlink
// "segment -> ..data/segment"; visible links of removed paths and the
// previous timestamped directory are then deleted. Calling it again on the
// same dir is kubelet's update of a mounted volume.
func kubeletWrite(t *testing.T, dir string, payload map[string]kubeletFile) {
	t.Helper()
	dataDir := filepath.Join(dir, "..data")
	oldTs, err := os.Readlink(dataDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var remove []string
	if oldTs != "" {
		keep := map[string]bool{}
		for p := range payload {
			for ; p != "."; p = filepath.Dir(p) {
				keep[p] = true
			}
		}
		err := filepath.WalkDir(filepath.Join(dir, oldTs), func(p string, _ fs.DirEntry, err error) error {
			rel, _ := filepath.Rel(filepath.Join(dir, oldTs), p)
			if err == nil && rel != "." && !keep[rel] && !strings.Contains(rel, "/") {
				remove = append(remove, rel)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	tsDir, err := os.MkdirTemp(dir, kubeletTestTime.Format("..2006_01_02_15_04_05."))
	if err != nil {
		t.Fatal(err)
	}
	mustNoErr(t, os.Chmod(tsDir, 0o755))
	for p, f := range payload {
		full := filepath.Join(tsDir, p)
		mustNoErr(t, os.MkdirAll(filepath.Dir(full), os.ModePerm))
		mustNoErr(t, os.WriteFile(full, []byte(f.data), f.mode))
		mustNoErr(t, os.Chmod(full, f.mode))
	}
	mustNoErr(t, os.Symlink(filepath.Base(tsDir), filepath.Join(dir, "..data_tmp")))
	mustNoErr(t, os.Rename(filepath.Join(dir, "..data_tmp"), dataDir))
	for p := range payload {
		first, _, _ := strings.Cut(p, "/")
		if _, err := os.Readlink(filepath.Join(dir, first)); os.IsNotExist(err) {
			mustNoErr(t, os.Symlink(filepath.Join("..data", first), filepath.Join(dir, first)))
		}
	}
	for _, p := range remove {
		mustNoErr(t, os.Remove(filepath.Join(dir, p)))
	}
	if oldTs != "" {
		mustNoErr(t, os.RemoveAll(filepath.Join(dir, oldTs)))
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// copiedEntry is what a copy holds at one path: the Lstat mode (type and
// permission bits) and, for regular files, the content.
type copiedEntry struct {
	mode fs.FileMode
	data string
}

func (e copiedEntry) String() string {
	if e.mode.IsRegular() {
		return fmt.Sprintf("%v %q", e.mode, e.data)
	}
	return e.mode.String()
}

// snapshotTree reads the tree under root without following any symlink.
func snapshotTree(t *testing.T, root string) map[string]copiedEntry {
	t.Helper()
	got := map[string]copiedEntry{}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		e := copiedEntry{mode: info.Mode()}
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.data = string(b)
		}
		got[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantTree is what a copy of payload must hold: every file as a regular file
// with its content and mode, every directory on the way with the mode kubelet
// gave it in the source.
func wantTree(t *testing.T, src string, payload map[string]kubeletFile) map[string]copiedEntry {
	t.Helper()
	w := map[string]copiedEntry{}
	for p, f := range payload {
		w[p] = copiedEntry{mode: f.mode, data: f.data}
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			info, err := os.Stat(filepath.Join(src, "..data", d))
			if err != nil {
				t.Fatal(err)
			}
			w[d] = copiedEntry{mode: info.Mode()}
		}
	}
	return w
}

// diffTrees reports the differences between two trees as (-want +got).
func diffTrees[E interface {
	comparable
	fmt.Stringer
}](want, got map[string]E) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		w, inWant := want[k]
		g, inGot := got[k]
		if inWant && inGot && w == g {
			continue
		}
		if inWant {
			fmt.Fprintf(&b, "-%q: %v\n", k, w)
		}
		if inGot {
			fmt.Fprintf(&b, "+%q: %v\n", k, g)
		}
	}
	return b.String()
}

// copySandbox is where the script runs: bin holds busybox's applets and is the
// whole PATH, so cp, rm and [ are busybox's and never GNU coreutils; work is
// the working directory, holding only a file named "keep", so that a name
// run as shell code ("touch pwned", "rm -rf keep") shows there.
type copySandbox struct {
	root string
	bin  string
	work string
	// asUser, when not negative, runs the script as that uid and gid with no
	// supplementary groups.
	asUser int
	// owner, when set, is the copy container's user: the script runs as its
	// runAsUser and runAsGroup (the user's own ID as group when it has
	// none, as for an image whose /etc/passwd gives the user its own
	// group), and in groups.
	owner  *copyUser
	groups []int64
	// script, when set, replaces the script in the container's command;
	// editArgs, when set, changes its arguments.
	script   string
	editArgs func(args []string)
}

func newCopySandbox(t *testing.T) *copySandbox {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("these tests run the copy script under the real busybox, which is not on PATH: %v (make deps installs busybox-static)", err)
	}
	root := t.TempDir()
	sb := &copySandbox{root: root, bin: filepath.Join(root, "bin"), work: filepath.Join(root, "work"), asUser: -1}
	mustNoErr(t, os.Mkdir(sb.bin, 0o755))
	if out, err := exec.Command(busybox, "--install", "-s", sb.bin).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install -s %s: %v\n%s", sb.bin, err, out)
	}
	for _, applet := range []string{"sh", "cp", "rm", "["} {
		target, err := filepath.EvalSymlinks(filepath.Join(sb.bin, applet))
		if err != nil {
			t.Fatalf("busybox installed no %s applet: %v", applet, err)
		}
		if self, _ := filepath.EvalSymlinks(busybox); target != self {
			t.Fatalf("%s resolves to %s, not busybox", applet, target)
		}
	}
	mustNoErr(t, os.Mkdir(sb.work, 0o777))
	mustNoErr(t, os.Chmod(sb.work, 0o777))
	mustNoErr(t, os.WriteFile(filepath.Join(sb.work, "keep"), nil, 0o666))
	return sb
}

// dir makes a directory in the sandbox; mode 0777 is what an emptyDir gets.
func (sb *copySandbox) dir(t *testing.T, name string, mode fs.FileMode) string {
	t.Helper()
	d := filepath.Join(sb.root, name)
	mustNoErr(t, os.Mkdir(d, mode))
	mustNoErr(t, os.Chmod(d, mode))
	return d
}

// checkWork fails if anything ran a file name as code.
func (sb *copySandbox) checkWork(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(sb.work)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"keep"}) {
		t.Errorf("working directory holds %q, want only \"keep\": a file name ran as shell code", names)
	}
}

// copyDirs is one volume to copy: the paths its source and copy are at in
// the test, and whether it is optional.
type copyDirs struct {
	src, dst          string
	optional          bool
	fileMode, dirMode *Perm
}

// copyResult is how one run of the init container ended.
type copyResult struct {
	err            error
	stdout, stderr string
}

// runCopy builds the init container with copyContainer for vols and runs its
// command and arguments, with each mount path replaced by the test
// directory that stands for that volume.
func (sb *copySandbox) runCopy(t *testing.T, vols ...copyDirs) copyResult {
	t.Helper()
	var jobs []copyJob
	paths := map[string]string{}
	perms := sb.owner != nil
	for i, v := range vols {
		name := "vol-" + strconv.Itoa(i)
		jobs = append(jobs, copyJob{volume: name, copyName: copyVolumeName(name), optional: v.optional, fileMode: v.fileMode, dirMode: v.dirMode})
		perms = perms || v.fileMode != nil || v.dirMode != nil
	}
	c := copyContainer("busybox:1.36", corev1.PullIfNotPresent, jobs, sb.owner)

	script, stride := copyScript, 3
	if perms {
		script, stride = copyPermsScript, 6
	}
	if want := []string{"sh", "-c", script, CopyContainerName}; !slices.Equal(c.Command, want) {
		t.Fatalf("copy container command = %q, want %q", c.Command, want)
	}
	for _, m := range c.VolumeMounts {
		for i, j := range jobs {
			switch m.Name {
			case j.volume:
				if !m.ReadOnly {
					t.Errorf("source volume %s is mounted read-write", m.Name)
				}
				paths[m.MountPath] = vols[i].src
			case j.copyName:
				paths[m.MountPath] = vols[i].dst
			}
		}
	}
	if len(c.Args) != stride*len(jobs) {
		t.Fatalf("copy container args = %q, want %d for each of %d volumes", c.Args, stride, len(jobs))
	}
	args := slices.Clone(c.Command[1:])
	if sb.script != "" {
		args[1] = sb.script
	}
	group := keepArg
	if sb.owner != nil && sb.owner.gid != nil {
		group = strconv.FormatInt(*sb.owner.gid, 10)
	}
	for i, a := range c.Args {
		v := vols[i/stride]
		var want string
		switch i % stride {
		case 0, 1:
			p, ok := paths[a]
			if !ok {
				t.Fatalf("copy container arg %d = %q is not one of its mount paths %v", i, a, c.VolumeMounts)
			}
			a = p
		case 2:
			want = map[bool]string{true: "optional", false: "required"}[v.optional]
		case 3:
			want = modeArg(v.fileMode)
		case 4:
			want = modeArg(v.dirMode)
		case 5:
			want = group
		}
		if want != "" && a != want {
			t.Fatalf("copy container arg %d = %q, want %q", i, a, want)
		}
		args = append(args, a)
	}
	if sb.editArgs != nil {
		sb.editArgs(args[3:])
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	name := filepath.Join(sb.bin, c.Command[0])
	uid, gid := int64(sb.asUser), int64(sb.asUser)
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		uid, gid = *sc.RunAsUser, *sc.RunAsUser
		if sc.RunAsGroup != nil {
			gid = *sc.RunAsGroup
		}
	} else if sb.owner != nil {
		t.Fatalf("the copy container has no runAsUser, want %d: %+v", sb.owner.uid, c.SecurityContext)
	}
	if uid >= 0 && os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Fatalf("running the copy as a non-root user needs setpriv (util-linux): %v", err)
		}
		args = append(append(testenv.SetprivArgs(uid, gid, sb.groups), name), args...)
		name = setpriv
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = sb.work
	cmd.Env = []string{"PATH=" + sb.bin}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("copy script did not finish: %v", ctx.Err())
	}
	return copyResult{err: err, stdout: stdout.String(), stderr: stderr.String()}
}

// checkCopied fails unless run succeeded and dst holds exactly payload's
// files, as regular files, and nothing of kubelet's "..data" machinery.
func checkCopied(t *testing.T, run copyResult, v copyDirs, payload map[string]kubeletFile) {
	t.Helper()
	if run.err != nil {
		t.Fatalf("copy failed: %v\nstdout:\n%s\nstderr:\n%s", run.err, run.stdout, run.stderr)
	}
	got := snapshotTree(t, v.dst)
	for p, e := range got {
		if e.mode&fs.ModeSymlink != 0 {
			t.Errorf("%q in the copy is a symlink", p)
		}
		if strings.HasPrefix(p, "..") {
			t.Errorf("%q in the copy is kubelet's: names starting with .. must not be copied", p)
		}
	}
	if d := diffTrees(wantTree(t, v.src, payload), got); d != "" {
		t.Errorf("copy of %s differs (-want +got):\n%s", v.src, d)
	}
	top := map[string]bool{}
	for p := range payload {
		first, _, _ := strings.Cut(p, "/")
		top[first] = true
	}
	if msg := fmt.Sprintf("copied %d entries from %s to %s\n", len(top), v.src, v.dst); !strings.Contains(run.stdout, msg) {
		t.Errorf("stdout = %q, want it to contain %q", run.stdout, msg)
	}
}

// hostileFileNames are items[].path values that kubelet accepts (relative, no
// ".." element, not starting with "..", at most 255 bytes a segment) and
// that break a script that lets the shell split, glob or evaluate them.
var hostileFileNames = []string{
	"with space",
	" leading and trailing space ",
	"single'quote",
	`double"quote`,
	"$(touch pwned-dollar)",
	"`touch pwned-backtick`",
	";touch pwned-semicolon;rm -rf keep",
	"&& rm -rf keep",
	"| touch pwned-pipe",
	"$(rm -rf keep)",
	"${IFS}$HOME$1$@",
	"new\nline",
	"trailing newline\n",
	"tab\there",
	`back\slash`,
	"%s%n%d",
	"-rf",
	"--help",
	"--",
	"-",
	"*",
	"?",
	"[a]",
	"a",
	".[!.]*",
	"ünïcødé-日本語-🙂",
	".ünïcødé hidden",
	strings.Repeat("é", 100) + strings.Repeat("x", 55),
}

func TestCopyScriptCopiesKubeletVolumes(t *testing.T) {
	sb := newCopySandbox(t)
	config := map[string]kubeletFile{
		// defaultMode 0644, the API's default
		"app.yaml":                   {"key: value\n", 0o644},
		".env":                       {"HIDDEN=1\n", 0o644},
		".config/app/settings.toml":  {"[s]\n", 0o644},
		"conf/b/c.txt":               {"nested\n", 0o644},
		"conf/b/..not-reserved":      {"only a first segment starting with .. is kubelet's\n", 0o644},
		"conf/d e/$(touch pwned-in)": {"nested hostile\n", 0o644},
		// items[].mode
		"run.sh":          {"#!/bin/sh\necho hi\n", 0o755},
		"readonly.txt":    {"ro\n", 0o444},
		"private.txt":     {"private\n", 0o600},
		"owner-only.txt":  {"owner only\n", 0o400},
		"group-write.txt": {"a umask of 022 would turn this into 0644\n", 0o664},
		"all.sh":          {"a umask of 022 would turn this into 0755\n", 0o777},
		"empty":           {"", 0o644},
	}
	for i, name := range hostileFileNames {
		config[name] = kubeletFile{fmt.Sprintf("content of %q\n", name), []fs.FileMode{0o644, 0o600, 0o400, 0o755, 0o444}[i%5]}
	}
	secret := map[string]kubeletFile{
		// a Secret with defaultMode 0400 and one item at 0600
		"tls.crt":           {"-----BEGIN CERTIFICATE-----\n", 0o400},
		"tls.key":           {"-----BEGIN PRIVATE KEY-----\n", 0o400},
		".dockerconfigjson": {"{}", 0o400},
		"token":             {"s3cr3t", 0o600},
		"ca/root/ca.pem":    {"root\n", 0o400},
		// fsGroup makes kubelet add group read: 0400 becomes 0440
		"fsgroup.txt": {"g\n", 0o440},
	}

	vols := []copyDirs{
		{src: sb.dir(t, "src-config", 0o777), dst: sb.dir(t, "dst-config", 0o777)},
		{src: sb.dir(t, "src-secret", 0o777), dst: sb.dir(t, "dst-secret", 0o777), optional: true},
	}
	kubeletWrite(t, vols[0].src, config)
	kubeletWrite(t, vols[1].src, secret)

	run := sb.runCopy(t, vols...)
	checkCopied(t, run, vols[0], config)
	checkCopied(t, run, vols[1], secret)
	sb.checkWork(t)
	if run.stderr != "" {
		t.Errorf("stderr = %q, want nothing", run.stderr)
	}

	t.Run("restart copies again over the first copy", func(t *testing.T) {
		// The first copy left 0400 files and directories behind; add what
		// neither kubelet nor the script made.
		for _, v := range vols {
			mustNoErr(t, os.WriteFile(filepath.Join(v.dst, "stale"), []byte("old"), 0o400))
			mustNoErr(t, os.WriteFile(filepath.Join(v.dst, ".stale"), []byte("old"), 0o400))
			mustNoErr(t, os.WriteFile(filepath.Join(v.dst, "..stale"), []byte("old"), 0o400))
			mustNoErr(t, os.Symlink("..data/tls.key", filepath.Join(v.dst, "stale-link")))
		}
		run := sb.runCopy(t, vols...)
		checkCopied(t, run, vols[0], config)
		checkCopied(t, run, vols[1], secret)
		sb.checkWork(t)
	})

	t.Run("restart after kubelet updated the volume", func(t *testing.T) {
		delete(secret, "token")
		delete(secret, "ca/root/ca.pem")
		secret["tls.crt"] = kubeletFile{"-----BEGIN NEW CERTIFICATE-----\n", 0o400}
		secret["new/key"] = kubeletFile{"added", 0o600}
		kubeletWrite(t, vols[1].src, secret)
		run := sb.runCopy(t, vols...)
		checkCopied(t, run, vols[0], config)
		checkCopied(t, run, vols[1], secret)
		sb.checkWork(t)
	})
}

func TestCopyScriptFailures(t *testing.T) {
	tests := []struct {
		name     string
		optional bool
		// layout fills the source directory; nil leaves it unmounted.
		layout     func(t *testing.T, src string)
		wantOK     bool
		wantStderr string // with "SRC" standing for the source path
	}{
		{
			name:       "unmounted source",
			wantStderr: "debug-overlay-copy: source SRC is not mounted\n",
		},
		{
			name:     "unmounted optional source",
			optional: true,
			wantOK:   true,
		},
		{
			name:   "empty required volume: an object with no keys, which kubelet mounts",
			layout: func(t *testing.T, src string) { kubeletWrite(t, src, nil) },
			wantOK: true,
		},
		{
			name:     "empty optional volume",
			optional: true,
			layout:   func(t *testing.T, src string) { kubeletWrite(t, src, nil) },
			wantOK:   true,
		},
		{
			name:     "empty optional directory without kubelet's files",
			optional: true,
			layout:   func(t *testing.T, src string) {},
			wantOK:   true,
		},
		{
			name: "dangling symlink",
			layout: func(t *testing.T, src string) {
				kubeletWrite(t, src, map[string]kubeletFile{"ok": {"ok", 0o644}})
				mustNoErr(t, os.Symlink("..data/gone", filepath.Join(src, "gone")))
			},
			wantStderr: "gone",
		},
		{
			name: "dangling symlink in a directory",
			layout: func(t *testing.T, src string) {
				kubeletWrite(t, src, map[string]kubeletFile{"dir/ok": {"ok", 0o644}})
				mustNoErr(t, os.Symlink("nowhere", filepath.Join(src, "..data", "dir", "gone")))
			},
			wantStderr: "gone",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb := newCopySandbox(t)
			v := copyDirs{src: filepath.Join(sb.root, "src"), dst: sb.dir(t, "dst", 0o777), optional: tc.optional}
			if tc.layout != nil {
				v.src = sb.dir(t, "src", 0o777)
				tc.layout(t, v.src)
			}
			run := sb.runCopy(t, v)
			sb.checkWork(t)
			if ok := run.err == nil; ok != tc.wantOK {
				t.Fatalf("copy succeeded = %v, want %v (err %v)\nstdout:\n%s\nstderr:\n%s", ok, tc.wantOK, run.err, run.stdout, run.stderr)
			}
			if !tc.wantOK {
				var exit *exec.ExitError
				if !errors.As(run.err, &exit) || exit.ExitCode() <= 0 {
					t.Errorf("copy ended with %v, want a non-zero exit status", run.err)
				}
			}
			if tc.wantStderr == "" && run.stderr != "" {
				t.Errorf("stderr = %q, want nothing", run.stderr)
			}
			if w := strings.ReplaceAll(tc.wantStderr, "SRC", v.src); !strings.Contains(run.stderr, w) {
				t.Errorf("stderr = %q, want it to contain %q", run.stderr, w)
			}
			if tc.wantOK {
				if got := snapshotTree(t, v.dst); len(got) != 0 {
					t.Errorf("copy of an empty volume holds %v", got)
				}
			}
		})
	}
}

// TestCopyScriptAsNonRoot runs the copy as the restricted profile's user,
// as kubelet would run it under runAsUser. The world-readable files are
// root's, as kubelet writes them; the 0400 and 0600 ones are the user's, as
// kubelet chowns them for a projected volume's FsUser. cp must give the user
// every copy, keep the modes, and not try to chown (cp -p would, and would
// complain on stderr).
func TestCopyScriptAsNonRoot(t *testing.T) {
	sb := newCopySandbox(t)
	// t.TempDir makes 0700 directories: let the user reach the sandbox.
	mustNoErr(t, os.Chmod(filepath.Dir(sb.root), 0o755))
	mustNoErr(t, os.Chmod(sb.root, 0o755))
	for d := filepath.Dir(filepath.Dir(sb.root)); ; d = filepath.Dir(d) {
		if info, err := os.Stat(d); err != nil || info.Mode()&0o001 == 0 {
			t.Fatalf("%s is not searchable by other users (%v): point TMPDIR at a directory that is", d, err)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	uid := os.Geteuid()
	if uid == 0 {
		uid = copyTestUID
		sb.asUser = copyTestUID
	}

	payload := map[string]kubeletFile{
		"world-readable.txt": {"r\n", 0o444},
		"config.yaml":        {"c\n", 0o644},
		"run.sh":             {"#!/bin/sh\n", 0o755},
		"all.sh":             {"x\n", 0o777},
		"nested/dir/f.txt":   {"n\n", 0o644},
		"token":              {"t\n", 0o600},
		"tls.key":            {"k\n", 0o400},
		"nested/dir/k.pem":   {"k\n", 0o400},
		".hidden":            {"h\n", 0o400},
	}
	v := copyDirs{src: sb.dir(t, "src", 0o755), dst: sb.dir(t, "dst", 0o777)}
	kubeletWrite(t, v.src, payload)
	if os.Geteuid() == 0 {
		for p, f := range payload {
			if f.mode&0o004 == 0 {
				mustNoErr(t, os.Chown(filepath.Join(v.src, "..data", p), copyTestUID, copyTestUID))
			}
		}
	}

	for _, name := range []string{"first run", "restart over 0400 copies"} {
		t.Run(name, func(t *testing.T) {
			run := sb.runCopy(t, v)
			checkCopied(t, run, v, payload)
			if run.stderr != "" {
				t.Errorf("stderr = %q, want nothing (cp must not try to preserve ownership)", run.stderr)
			}
			out, err := exec.Command(filepath.Join(sb.bin, "find"), v.dst, "-mindepth", "1",
				"(", "!", "-user", strconv.Itoa(uid), "-o", "!", "-group", strconv.Itoa(uid), ")").CombinedOutput()
			if err != nil || len(out) != 0 {
				t.Errorf("copies not owned by %d:%d (err %v):\n%s", uid, uid, err, out)
			}
			sb.checkWork(t)
		})
	}
}

// TestCopyScriptNeedsUmask0 shows that the script's "umask 0" is what keeps
// group and other write bits: busybox cp without -p creates each file with
// the source mode less the umask, and container runtimes start processes
// with umask 022. Without the line, 0664 and 0777 items come out as 0644 and
// 0755, and TestCopyScriptCopiesKubeletVolumes fails.
func TestCopyScriptNeedsUmask0(t *testing.T) {
	sb := newCopySandbox(t)
	payload := map[string]kubeletFile{"g": {"g", 0o664}, "x": {"x", 0o777}, "d/f": {"f", 0o666}}
	src, dst := sb.dir(t, "src", 0o777), sb.dir(t, "dst", 0o777)
	kubeletWrite(t, src, payload)
	if !strings.Contains(copyScript, "\numask 0\n") {
		t.Fatal("copyScript no longer sets umask 0")
	}
	sb.script = strings.Replace(copyScript, "\numask 0\n", "\numask 022\n", 1)
	if run := sb.runCopy(t, copyDirs{src: src, dst: dst}); run.err != nil {
		t.Fatalf("copy failed: %v\n%s", run.err, run.stderr)
	}
	got := snapshotTree(t, dst)
	for p, mode := range map[string]fs.FileMode{"g": 0o644, "x": 0o755, "d/f": 0o644} {
		if got[p].mode != mode {
			t.Errorf("with umask 022, %s has mode %v, want %v", p, got[p].mode, mode)
		}
	}
}

// TestKubeletWriteLayout pins the fixture to kubelet's layout, so the tests
// above copy what a pod really mounts.
func TestKubeletWriteLayout(t *testing.T) {
	dir := t.TempDir()
	kubeletWrite(t, dir, map[string]kubeletFile{"key": {"v", 0o400}, "a/b/c.txt": {"c", 0o644}})

	ts, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		t.Fatal(err)
	}
	if prefix := "..2026_11_27_07_15_37."; !strings.HasPrefix(ts, prefix) || strings.Contains(ts, "/") {
		t.Errorf("..data -> %q, want %s<random> in the same directory", ts, prefix)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{ts, "..data", "a", "key"}; !reflect.DeepEqual(names, want) {
		t.Errorf("volume holds %q, want %q", names, want)
	}
	for link, target := range map[string]string{"key": "..data/key", "a": "..data/a"} {
		if got, err := os.Readlink(filepath.Join(dir, link)); err != nil || got != target {
			t.Errorf("%s -> %q (%v), want -> %q", link, got, err, target)
		}
	}
	for p, mode := range map[string]fs.FileMode{ts: fs.ModeDir | 0o755, ts + "/key": 0o400, ts + "/a/b/c.txt": 0o644} {
		if info, err := os.Lstat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		} else if info.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", p, info.Mode(), mode)
		}
	}
	if info, err := os.Lstat(filepath.Join(dir, ts, "a")); err != nil || !info.IsDir() {
		t.Errorf("a/b/c.txt's first segment is not a directory inside %s: %v", ts, err)
	}
}

// ownedEntry is what a copy holds at one path, with its owner.
type ownedEntry struct {
	copiedEntry
	uid, gid uint32
}

func (e ownedEntry) String() string { return fmt.Sprintf("%v %d:%d", e.copiedEntry, e.uid, e.gid) }

// snapshotOwned reads the tree under root like snapshotTree, with owners.
func snapshotOwned(t *testing.T, root string) map[string]ownedEntry {
	t.Helper()
	got := map[string]ownedEntry{}
	for p, e := range snapshotTree(t, root) {
		info, err := os.Lstat(filepath.Join(root, p))
		mustNoErr(t, err)
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			t.Fatalf("%s: no owner in %T", p, info.Sys())
		}
		got[p] = ownedEntry{copiedEntry: e, uid: st.Uid, gid: st.Gid}
	}
	return got
}

// needRoot fails a test that must act as kubelet does: write root's files,
// give them a group, and run the copy as another user.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test must run as root: it lays out volumes as kubelet does (root's files, fsGroup) and runs the copy as the owner with setpriv")
	}
}

// TestCopyPermsScript runs copyPermsScript as the owner the pod asks for,
// as kubelet runs it: the source is a Secret volume in kubelet's layout,
// root's files, and with an fsGroup kubelet's group ownership of that
// volume and of the emptyDir (setgid, group-writable), and the fsGroup
// among the container's groups. The copies must belong to the owner, have
// exactly the modes asked (or kubelet's), and the same content, and a
// restart must copy again over them whatever modes they got.
func TestCopyPermsScript(t *testing.T) {
	needRoot(t)
	const uid, gid, fsGroup = 1000, 3000, 2000
	mode := func(m Perm) *Perm { return &m }
	tests := []struct {
		name              string
		owner             *copyUser
		fsGroup           bool
		fileMode, dirMode *Perm
		// want is the owner of every copy; wantFile and wantDir the mode of
		// each file and directory, 0 for the source's.
		wantUID, wantGID  uint32
		wantFile, wantDir fs.FileMode
		wantDirSetgid     bool
	}{
		{
			name: "UID:GID with an fsGroup: the group asked, not the emptyDir's", owner: &copyUser{uid: uid, gid: ptr.To[int64](gid)}, fsGroup: true,
			fileMode: mode(0o600), dirMode: mode(0o700),
			wantUID: uid, wantGID: gid, wantFile: 0o600, wantDir: fs.ModeDir | 0o700,
		},
		{
			name: "UID with an fsGroup: the fsGroup, through the setgid emptyDir; kubelet's directory modes", owner: &copyUser{uid: uid}, fsGroup: true,
			fileMode: mode(0o440),
			wantUID:  uid, wantGID: fsGroup, wantFile: 0o440, wantDirSetgid: true,
		},
		{
			name: "UID:GID without an fsGroup, kubelet's file modes", owner: &copyUser{uid: uid, gid: ptr.To[int64](gid)},
			dirMode: mode(0o750),
			wantUID: uid, wantGID: gid, wantDir: fs.ModeDir | 0o750,
		},
		{
			name: "no owner: the copy container's user (root here), modes asked", fsGroup: true,
			fileMode: mode(0o600), dirMode: mode(0o700),
			wantUID: 0, wantGID: fsGroup, wantFile: 0o600, wantDir: fs.ModeDir | 0o700,
		},
		{
			name: "modes that lock the owner out, and a restart over them", owner: &copyUser{uid: uid, gid: ptr.To[int64](gid)}, fsGroup: true,
			fileMode: mode(0), dirMode: mode(0),
			wantUID: uid, wantGID: gid, wantFile: 0, wantDir: fs.ModeDir,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newCopySandbox(t)
			mustNoErr(t, os.Chmod(filepath.Dir(sb.root), 0o755))
			mustNoErr(t, os.Chmod(sb.root, 0o755))
			sb.owner = tt.owner
			if tt.owner == nil {
				sb.asUser = 0
			}
			payload := map[string]kubeletFile{
				"tls.key":        {"-----BEGIN PRIVATE KEY-----\n", 0o644},
				"tls.crt":        {"-----BEGIN CERTIFICATE-----\n", 0o644},
				".hidden":        {"h\n", 0o644},
				"ca/root/ca.pem": {"root\n", 0o644},
				// Readable by the owner only through the fsGroup: see
				// TestCopyAsOwnerNeedsReadableFiles.
				"nested/dir/k.pem": {"k\n", 0o400},
			}
			if !tt.fsGroup {
				payload["nested/dir/k.pem"] = kubeletFile{"k\n", 0o444}
			}
			v := copyDirs{src: sb.dir(t, "src", 0o777), dst: sb.dir(t, "dst", 0o777), fileMode: tt.fileMode, dirMode: tt.dirMode}
			kubeletWrite(t, v.src, payload)
			if tt.fsGroup {
				sb.groups = []int64{fsGroup}
				mustNoErr(t, testenv.VolumeOwnership(v.src, fsGroup, true))
				mustNoErr(t, testenv.VolumeOwnership(v.dst, fsGroup, false))
				if info, err := os.Stat(v.dst); err != nil || info.Mode() != fs.ModeDir|fs.ModeSetgid|0o777 {
					t.Fatalf("the emptyDir with an fsGroup: %v (%v), want kubelet's drwxrwsrwx", info.Mode(), err)
				}
			}
			for _, run := range []string{"first run", "restart"} {
				res := sb.runCopy(t, v)
				if res.err != nil || res.stderr != "" {
					t.Fatalf("%s: copy failed: %v\nstdout:\n%s\nstderr:\n%s", run, res.err, res.stdout, res.stderr)
				}
				got := snapshotOwned(t, v.dst)
				want := map[string]ownedEntry{}
				for p, e := range wantTree(t, v.src, payload) {
					if e.mode.IsDir() {
						e.mode = tt.wantDir
						if e.mode == 0 {
							src, err := os.Stat(filepath.Join(v.src, "..data", p))
							mustNoErr(t, err)
							e.mode = fs.ModeDir | src.Mode().Perm()
						}
						if tt.wantDirSetgid {
							e.mode |= fs.ModeSetgid
						}
					} else if tt.wantFile != 0 || tt.fileMode != nil {
						e.mode = tt.wantFile
					} else {
						src, err := os.Stat(filepath.Join(v.src, "..data", p))
						mustNoErr(t, err)
						e.mode = src.Mode()
					}
					want[p] = ownedEntry{copiedEntry: e, uid: tt.wantUID, gid: tt.wantGID}
				}
				if d := diffTrees(want, got); d != "" {
					t.Errorf("%s: copy differs (-want +got):\n%s", run, d)
				}
				sb.checkWork(t)
			}
		})
	}
}

// TestCopyAsOwnerNeedsReadableFiles shows the case checkReadable refuses:
// kubelet writes a 0400 Secret file as root, and without an fsGroup a copy
// that runs as another user cannot read it. With an fsGroup it can.
func TestCopyAsOwnerNeedsReadableFiles(t *testing.T) {
	needRoot(t)
	payload := map[string]kubeletFile{"tls.key": {"k\n", 0o400}}
	for _, fsGroup := range []bool{false, true} {
		t.Run(fmt.Sprintf("fsGroup %v", fsGroup), func(t *testing.T) {
			sb := newCopySandbox(t)
			mustNoErr(t, os.Chmod(filepath.Dir(sb.root), 0o755))
			mustNoErr(t, os.Chmod(sb.root, 0o755))
			sb.owner = &copyUser{uid: 1000, gid: ptr.To[int64](1000)}
			v := copyDirs{src: sb.dir(t, "src", 0o777), dst: sb.dir(t, "dst", 0o777), fileMode: ptr.To(Perm(0o600))}
			kubeletWrite(t, v.src, payload)
			pod := &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{}}
			if fsGroup {
				sb.groups = []int64{2000}
				pod.SecurityContext.FSGroup = ptr.To[int64](2000)
				mustNoErr(t, testenv.VolumeOwnership(v.src, 2000, true))
				mustNoErr(t, testenv.VolumeOwnership(v.dst, 2000, false))
			}
			vol := corev1.Volume{Name: "keys", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{DefaultMode: ptr.To[int32](0o400)}}}
			refused := checkReadable(sb.owner, vol, pod)
			res := sb.runCopy(t, v)
			if fsGroup {
				if refused != nil || res.err != nil {
					t.Fatalf("with an fsGroup: checkReadable says %v, the copy ended with %v (%s)", refused, res.err, res.stderr)
				}
				return
			}
			if refused == nil {
				t.Error("checkReadable lets the copy run as user 1000 on a 0400 file without an fsGroup")
			}
			if res.err == nil || !strings.Contains(res.stderr, "Permission denied") {
				t.Errorf("the copy as user 1000 ended with %v, stderr %q; want it to fail with Permission denied", res.err, res.stderr)
			}
		})
	}
}

// TestCopyPermsScriptFailsLoudly: when chgrp or chmod fails, the script
// exits non-zero, so kubelet keeps the pod from starting instead of the app
// starting on copies with the wrong owner or mode (busybox find passes the
// exit status of -exec ... + on).
func TestCopyPermsScriptFailsLoudly(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		name string
		arg  int // among the first volume's arguments
		val  string
		want string
	}{
		{name: "chgrp to a group the user is not in", arg: 5, val: "4000", want: "chgrp"},
		{name: "chmod with a mode it does not take", arg: 3, val: "0999", want: "chmod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := newCopySandbox(t)
			mustNoErr(t, os.Chmod(filepath.Dir(sb.root), 0o755))
			mustNoErr(t, os.Chmod(sb.root, 0o755))
			sb.owner = &copyUser{uid: 1000, gid: ptr.To[int64](3000)}
			sb.editArgs = func(args []string) { args[tc.arg] = tc.val }
			v := copyDirs{src: sb.dir(t, "src", 0o777), dst: sb.dir(t, "dst", 0o777), fileMode: ptr.To(Perm(0o600))}
			kubeletWrite(t, v.src, map[string]kubeletFile{"tls.key": {"k\n", 0o644}})
			res := sb.runCopy(t, v)
			var exit *exec.ExitError
			if !errors.As(res.err, &exit) || exit.ExitCode() <= 0 {
				t.Fatalf("copy ended with %v, want a non-zero exit\nstdout:\n%s\nstderr:\n%s", res.err, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, tc.want) || strings.Contains(res.stdout, "copied") {
				t.Errorf("stdout %q, stderr %q: want %s's complaint and no report of success", res.stdout, res.stderr, tc.want)
			}
		})
	}
}
