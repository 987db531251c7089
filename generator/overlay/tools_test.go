package overlay

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// The tests in this file run the tools init container's script, as
// toolsContainer emits it, and a held container's idle loop, as
// HoldCommand emits it, under the real busybox (Debian's busybox-static,
// the same as the test node's images), on directories laid out as the
// containers have them: the tools image's /bin/busybox, the emptyDir at
// /debug-overlay/bin, and an app root with no shell, entered with chroot.

// toolsRun is one run of the tools script: its output and where it wrote.
type toolsRun struct {
	err            error
	stdout, stderr string
}

// runTools runs the tools init container's command, with its mount path
// replaced by dst and the busybox it copies replaced by src.
func runTools(t *testing.T, sb *copySandbox, src, dst string) toolsRun {
	t.Helper()
	c := toolsContainer(DefaultToolsImage, corev1.PullIfNotPresent)
	if want := []string{"/bin/busybox", "sh", "-c", toolsScript, ToolsContainerName}; !slices.Equal(c.Command, want) {
		t.Fatalf("tools container command = %q, want %q", c.Command, want)
	}
	if want := []string{"/bin/busybox", ToolsPath}; !slices.Equal(c.Args, want) {
		t.Fatalf("tools container args = %q, want %q", c.Args, want)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != ToolsPath || c.VolumeMounts[0].Name != ToolsVolumeName {
		t.Fatalf("tools container mounts %+v, want %s at %s", c.VolumeMounts, ToolsVolumeName, ToolsPath)
	}
	busybox := filepath.Join(sb.bin, "busybox")
	args := append(slices.Clone(c.Command[1:]), src, dst)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, busybox, args...)
	cmd.Dir = sb.work
	cmd.Env = []string{"PATH=" + sb.bin}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("tools script did not finish: %v", ctx.Err())
	}
	return toolsRun{err: err, stdout: stdout.String(), stderr: stderr.String()}
}

// hostBusybox is the static busybox the tests copy, as the tools image holds it.
func hostBusybox(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	p, err = filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// chroot runs argv in root as root of the file system: as root, or in a
// user namespace where this user is root.
func chroot(t *testing.T, sb *copySandbox, root string, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"chroot", root}, argv...)
	name := filepath.Join(sb.bin, "busybox")
	if os.Geteuid() != 0 {
		args = append([]string{"-r", name}, args...)
		name = filepath.Join(sb.bin, "unshare")
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	return cmd
}

// containerRoot lays out, in the sandbox, the root file system of a
// container: /dev/null (a container always has it; busybox sh opens it
// for a job in the background), /tmp, and files (path -> content); with
// busybox, the image's /bin/busybox and a relative link per applet in /bin,
// as the busybox images have them.
func containerRoot(t *testing.T, sb *copySandbox, name string, busybox bool, files map[string]string) string {
	t.Helper()
	root := sb.dir(t, name, 0o755)
	for _, d := range []string{"dev", "tmp", "debug-overlay"} {
		mustNoErr(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	mustNoErr(t, os.Chmod(filepath.Join(root, "tmp"), 0o1777))
	null := filepath.Join(root, "dev", "null")
	if os.Geteuid() == 0 {
		mustNoErr(t, syscall.Mknod(null, syscall.S_IFCHR|0o666, int(unix1Dev(1, 3))))
		mustNoErr(t, os.Chmod(null, 0o666))
	} else {
		mustNoErr(t, os.WriteFile(null, nil, 0o666)) // no mknod in a user namespace
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		mustNoErr(t, os.MkdirAll(filepath.Dir(full), 0o755))
		mustNoErr(t, os.WriteFile(full, []byte(content), 0o644))
	}
	if busybox {
		bin := filepath.Join(root, "bin")
		mustNoErr(t, os.MkdirAll(bin, 0o755))
		data, err := os.ReadFile(hostBusybox(t))
		mustNoErr(t, err)
		mustNoErr(t, os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755))
		list, err := exec.Command(hostBusybox(t), "--list").Output()
		mustNoErr(t, err)
		for _, a := range strings.Fields(string(list)) {
			if a != "busybox" {
				mustNoErr(t, os.Symlink("busybox", filepath.Join(bin, a)))
			}
		}
	}
	return root
}

// unix1Dev is makedev(major, minor) for the small numbers of /dev/null.
func unix1Dev(major, minor uint64) uint64 { return major<<8 | minor }

// mountTools stands for kubelet's mount of the tools emptyDir in a
// container: the directory the init container filled, copied with its
// links to ToolsPath in root.
func mountTools(t *testing.T, sb *copySandbox, filled, root string) {
	t.Helper()
	at := filepath.Join(root, strings.TrimPrefix(ToolsPath, "/"))
	mustNoErr(t, os.RemoveAll(at))
	if out, err := exec.Command(filepath.Join(sb.bin, "cp"), "-a", filled, at).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
}

// toolsImage lays out a root as the tools image (busybox), with the
// emptyDir at ToolsPath.
func toolsImage(t *testing.T, sb *copySandbox) string {
	t.Helper()
	root := containerRoot(t, sb, "tools-image", true, nil)
	mustNoErr(t, os.MkdirAll(filepath.Join(root, strings.TrimPrefix(ToolsPath, "/")), 0o777))
	return root
}

// initTools runs the tools init container as it is, its command and args
// unchanged, in root (toolsImage).
func initTools(t *testing.T, sb *copySandbox, root string) toolsRun {
	t.Helper()
	c := toolsContainer(DefaultToolsImage, corev1.PullIfNotPresent)
	cmd := chroot(t, sb, root, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, append(slices.Clone(c.Command), c.Args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return toolsRun{err: err, stdout: stdout.String(), stderr: stderr.String()}
}

// TestToolsScript: the init container, run as it is in a root laid out as
// the tools image, copies the static busybox with its applets as relative
// links; an app root with no shell and no program at all, with the copy
// where kubelet mounts it, gets a shell through ToolsShell: PATH has the
// tools first for that shell alone, the app's files and environment are
// there; a second run gives the same directory.
func TestToolsScript(t *testing.T) {
	sb := newCopySandbox(t)
	root := toolsImage(t, sb)
	run := initTools(t, sb, root)
	if run.err != nil {
		t.Fatalf("tools script failed: %v\nstdout:\n%s\nstderr:\n%s", run.err, run.stdout, run.stderr)
	}
	t.Logf("stdout: %s", run.stdout)
	dst := filepath.Join(root, strings.TrimPrefix(ToolsPath, "/"))

	want, err := os.ReadFile(hostBusybox(t))
	mustNoErr(t, err)
	got, err := os.ReadFile(filepath.Join(dst, "busybox"))
	mustNoErr(t, err)
	if !bytes.Equal(got, want) {
		t.Error("the copied busybox differs from the image's")
	}
	fi, err := os.Lstat(filepath.Join(dst, "busybox"))
	mustNoErr(t, err)
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o555 {
		t.Errorf("busybox: mode %v, want a regular file, 0555", fi.Mode())
	}
	list, err := exec.Command(hostBusybox(t), "--list").Output()
	mustNoErr(t, err)
	applets := 0
	for _, a := range strings.Fields(string(list)) {
		if a == "busybox" {
			continue
		}
		applets++
		link, err := os.Readlink(filepath.Join(dst, a))
		if err != nil || link != "busybox" {
			t.Errorf("applet %s: link %q (%v), want a relative link to busybox", a, link, err)
		}
	}
	if want := "static busybox and " + strconv.Itoa(applets) + " applets in " + ToolsPath; !strings.Contains(run.stdout, want) {
		t.Errorf("stdout %q does not say %q", run.stdout, want)
	}
	before := snapshotTree(t, dst)

	app := containerRoot(t, sb, "app", false, map[string]string{"etc/app.conf": "listen = 8080\n"})
	mountTools(t, sb, dst, app)
	if _, err := os.Stat(filepath.Join(app, "bin")); err == nil {
		t.Fatal("the app root has a /bin")
	}
	out, err := chroot(t, sb, app, []string{"PATH=/app/bin", "APP_MODE=debug"}, ToolsShell, "-c",
		`echo "PATH=$PATH"; echo "APP_MODE=$APP_MODE"; cat /etc/app.conf; which ls; ls /`).CombinedOutput()
	if err != nil {
		t.Fatalf("the shell in the app root: %v\n%s", err, out)
	}
	t.Logf("in the app root:\n%s", out)
	for _, w := range []string{"PATH=" + ToolsPath + ":/app/bin\n", "APP_MODE=debug\n", "listen = 8080\n", ToolsPath + "/ls\n", "debug-overlay\ndev\netc\ntmp\n"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("the shell in the app root printed no %q", w)
		}
	}
	// The issue's own line works too.
	out, err = chroot(t, sb, app, []string{"PATH=/app/bin"}, ToolsPath+"/sh", "-c", "PATH="+ToolsPath+":$PATH exec sh -c 'which sh'").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != ToolsPath+"/sh" {
		t.Errorf("sh -c 'PATH=...:$PATH exec sh': %v, %q", err, out)
	}

	// Init containers run again when the pod's sandbox is made anew; the
	// emptyDir keeps what the first run wrote.
	if again := initTools(t, sb, root); again.err != nil {
		t.Fatalf("second run failed: %v\n%s", again.err, again.stderr)
	}
	if d := diffTrees(before, snapshotTree(t, dst)); d != "" {
		t.Errorf("a second run changed the tools (-first +second):\n%s", d)
	}
}

// elfHeader builds the ELF header and program headers of a file of class
// (1: 32 bits, 2: 64) and byte order, with a PT_INTERP naming interp
// among its program headers when interp is not empty, and interp's text
// after them: what the script reads, nothing more.
func elfHeader(class byte, order binary.ByteOrder, interp string) []byte {
	ehsize, phentsize := 52, 32
	if class == 2 {
		ehsize, phentsize = 64, 56
	}
	data := byte(1)
	if order == binary.BigEndian {
		data = 2
	}
	types := []uint32{6, 1} // PT_PHDR, PT_LOAD
	if interp != "" {
		types = append(types, 3, 1)
	}
	b := make([]byte, ehsize+phentsize*len(types))
	copy(b, []byte{0x7f, 'E', 'L', 'F', class, data, 1})
	order.PutUint16(b[16:], 2) // ET_EXEC
	off := len(b)
	if class == 2 {
		order.PutUint64(b[32:], uint64(ehsize))
		order.PutUint16(b[54:], uint16(phentsize))
		order.PutUint16(b[56:], uint16(len(types)))
	} else {
		order.PutUint32(b[28:], uint32(ehsize))
		order.PutUint16(b[42:], uint16(phentsize))
		order.PutUint16(b[44:], uint16(len(types)))
	}
	for i, typ := range types {
		ph := b[ehsize+i*phentsize:]
		order.PutUint32(ph, typ)
		if typ != 3 {
			continue
		}
		if class == 2 {
			order.PutUint64(ph[8:], uint64(off))
			order.PutUint64(ph[32:], uint64(len(interp)+1))
		} else {
			order.PutUint32(ph[4:], uint32(off))
			order.PutUint32(ph[16:], uint32(len(interp)+1))
		}
	}
	return append(append(b, interp...), 0)
}

// TestToolsScriptRefuses: a busybox that is dynamically linked (the host's
// own programs are; so are ELF files of either class and byte order that
// name an interpreter), is no ELF file, or is missing fails the init
// container with a message that says so, and copies nothing.
func TestToolsScriptRefuses(t *testing.T) {
	sb := newCopySandbox(t)
	dynamic, err := exec.LookPath("ls")
	mustNoErr(t, err)
	dynamic, err = filepath.EvalSymlinks(dynamic)
	mustNoErr(t, err)
	file := func(name string, data []byte) string {
		p := filepath.Join(sb.root, name)
		mustNoErr(t, os.WriteFile(p, data, 0o755))
		return p
	}
	for _, tc := range []struct {
		name string
		src  string
		want string
	}{
		{"the host's dynamically linked ls", dynamic, "is dynamically linked (ELF interpreter /lib"},
		{"ELF32 little-endian with an interpreter", file("elf32le", elfHeader(1, binary.LittleEndian, "/lib/ld-linux-armhf.so.3")), "is dynamically linked (ELF interpreter /lib/ld-linux-armhf.so.3)"},
		{"ELF64 big-endian with an interpreter", file("elf64be", elfHeader(2, binary.BigEndian, "/lib64/ld64.so.1")), "is dynamically linked (ELF interpreter /lib64/ld64.so.1)"},
		{"ELF32 big-endian with an interpreter", file("elf32be", elfHeader(1, binary.BigEndian, "/lib/ld.so.1")), "is dynamically linked (ELF interpreter /lib/ld.so.1)"},
		{"a shell script", file("script", []byte("#!/bin/sh\necho hello\n")), "is not an ELF executable"},
		{"nothing there", filepath.Join(sb.root, "missing"), "is not there: the tools image (spec.tools.image) needs a static busybox at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := sb.dir(t, "tools-"+strings.ReplaceAll(tc.name, " ", "-"), 0o777)
			run := runTools(t, sb, tc.src, dst)
			t.Logf("stderr: %s", run.stderr)
			if run.err == nil {
				t.Fatalf("the script succeeded; stdout:\n%s", run.stdout)
			}
			if want := "debug-overlay-tools: " + tc.src + " " + tc.want; !strings.Contains(run.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, run.stderr)
			}
			if entries, _ := os.ReadDir(dst); len(entries) > 0 {
				t.Errorf("the script left %d entries in the tools directory", len(entries))
			}
		})
	}
	// The parser finds no interpreter in an ELF file without one: it gets
	// past the check and fails only on running it (not a real program).
	static := file("static64le", elfHeader(2, binary.LittleEndian, ""))
	run := runTools(t, sb, static, sb.dir(t, "tools-static", 0o777))
	if strings.Contains(run.stderr, "dynamically linked") || strings.Contains(run.stderr, "not an ELF") {
		t.Errorf("an ELF file without PT_INTERP is refused as dynamic or not ELF:\n%s", run.stderr)
	}
}

// TestHoldLoop: a held container's idle loop, run by the tools' busybox in
// an app root without a shell, idles; SIGTERM ends it at once with status
// 0; the release file ends it with status 0 too.
func TestHoldLoop(t *testing.T) {
	sb := newCopySandbox(t)
	root := toolsImage(t, sb)
	if run := initTools(t, sb, root); run.err != nil {
		t.Fatalf("tools script: %v\n%s", run.err, run.stderr)
	}
	app := containerRoot(t, sb, "app", false, nil)
	mountTools(t, sb, filepath.Join(root, strings.TrimPrefix(ToolsPath, "/")), app)
	mustNoErr(t, os.MkdirAll(filepath.Join(app, strings.TrimPrefix(HoldPath, "/")), 0o777))
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := chroot(t, sb, app, []string{"PATH=/nowhere"}, HoldCommand("app")...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		mustNoErr(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill() })
		return cmd, &out
	}
	ended := func(cmd *exec.Cmd, within time.Duration) (error, bool) {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err, true
		case <-time.After(within):
			return nil, false
		}
	}

	cmd, out := start()
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the loop ended by itself (%v):\n%s", err, out)
	}
	// chroot and unshare exec the next program: the process is the loop.
	t0 := time.Now()
	mustNoErr(t, cmd.Process.Signal(syscall.SIGTERM))
	err, ok := ended(cmd, 5*time.Second)
	if !ok {
		t.Fatal("the loop is still running 5s after SIGTERM")
	}
	if err != nil {
		t.Errorf("after SIGTERM: %v, want status 0", err)
	}
	t.Logf("SIGTERM ended the loop in %v; output:\n%s", time.Since(t0).Round(time.Millisecond), out)
	if want := "debug-overlay: container app is held"; !strings.Contains(out.String(), want) {
		t.Errorf("the loop did not say %q", want)
	}

	cmd, out = start()
	time.Sleep(500 * time.Millisecond)
	mustNoErr(t, os.WriteFile(filepath.Join(app, strings.TrimPrefix(ReleaseFile("app"), "/")), nil, 0o644))
	err, ok = ended(cmd, 5*time.Second)
	if !ok {
		t.Fatal("the loop is still running 5s after its release file appeared")
	}
	if err != nil || !strings.Contains(out.String(), "debug-overlay: container app released") {
		t.Errorf("after the release: %v, output:\n%s", err, out)
	}
}

// TestHeldProgramRunsAsKubeletWould: the recorded program, through kubelet's
// expansion of the environment variable (the $ doubled) and a real busybox
// sh's eval, gives the words kubelet would have run, for words that break
// naive quoting; the differences ShellWord documents show as documented.
func TestHeldProgramRunsAsKubeletWould(t *testing.T) {
	sb := newCopySandbox(t)
	env := map[string]string{
		"DIR":    "/etc/app",
		"SPACED": "a b  'c' \"d\" $(DIR) $HOME `x`",
		"EMPTY":  "",
	}
	command := []string{"/app", "--dir=$(DIR)/conf"}
	args := append(slices.Clone(hostileFileNames), "$(SPACED)", "$$(DIR)", "$(EMPTY)", "", "x$", "$(unclosed", "$x", "100$", "$(DIR)$(DIR)", "'$(DIR)'")
	h := HoldProgram("app", false, command, args)
	if h.EntrypointUnknown() {
		t.Fatal("a program with a command is unknown")
	}
	var kubeEnv []string
	for k, v := range env {
		kubeEnv = append(kubeEnv, k+"="+v)
	}
	value := testenv.Expand(h.EnvValue(), env)
	if value != h.Run {
		t.Fatalf("kubelet's expansion of the environment value changes it:\n%q\nwant\n%q", value, h.Run)
	}
	cmd := exec.Command(filepath.Join(sb.bin, "sh"), "-c", `eval "set -- $`+HoldEnv+`"; for a; do printf '%s\0' "$a"; done`)
	cmd.Dir = sb.work
	cmd.Env = append(kubeEnv, "PATH="+sb.bin, HoldEnv+"="+value, "HOME=/root")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eval of the recorded program: %v", err)
	}
	sb.checkWork(t)
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var want []string
	for _, w := range append(slices.Clone(command), args...) {
		want = append(want, testenv.Expand(w, env))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the shell runs other words than kubelet (-kubelet +shell):\n%s", d)
	}

	// A variable the container lacks: kubelet keeps the reference, the
	// shell expands it to nothing (documented).
	if got := ShellWord("$(MISSING)x"); got != `"${MISSING}"'x'` {
		t.Errorf("ShellWord($(MISSING)x) = %s", got)
	}
	// A name that is no shell variable name stays literal.
	if got := ShellWord("$(a.b)"); got != `'$(a.b)'` {
		t.Errorf("ShellWord($(a.b)) = %s", got)
	}
}

// TestHeldProgramWithoutCommand: with no command in the manifest, the
// recorded program says the entrypoint is unknown, and running it fails
// saying so; with DEBUG_OVERLAY_ENTRYPOINT set, it runs that with the args.
func TestHeldProgramWithoutCommand(t *testing.T) {
	sb := newCopySandbox(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"args only", []string{"--port", "8080"}, "the manifest sets no command, so the entrypoint of the image runs"},
		{"neither", nil, "the manifest sets neither command nor args"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := HoldProgram("app", false, nil, tc.args)
			if !h.EntrypointUnknown() {
				t.Fatal("EntrypointUnknown is false")
			}
			run := func(extra ...string) (string, error) {
				cmd := exec.Command(filepath.Join(sb.bin, "sh"), "-c", `eval "$`+HoldEnv+`"`)
				cmd.Dir = sb.work
				cmd.Env = append([]string{"PATH=" + sb.bin, HoldEnv + "=" + testenv.Expand(h.EnvValue(), nil)}, extra...)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := run()
			if err == nil || !strings.Contains(out, EntrypointEnv) || !strings.Contains(out, tc.want) {
				t.Errorf("without %s: %v, %q; want a failure that says %q", EntrypointEnv, err, out, tc.want)
			}
			out, err = run(EntrypointEnv + "=echo entry")
			if want := strings.TrimSpace("entry " + strings.Join(tc.args, " ")); err != nil || strings.TrimSpace(out) != want {
				t.Errorf("with %s=echo entry: %v, %q; want %q", EntrypointEnv, err, out, want)
			}
		})
	}
}
