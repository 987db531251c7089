package geth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// helperEnv, when set, makes the test binary a container's entrypoint: it
// names a containerRun file to carry out instead of running the tests.
const helperEnv = "DEBUG_OVERLAY_GETH_CONTAINER"

// imagePath is the PATH of the images here (busybox, alpine,
// ethereum/client-go).
const imagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerRun is one process in one container's view: the test binary,
// started in a private mount namespace, bind-mounts Mounts under Root,
// chroots there and execs Argv, or, with Describe set, prints a description
// of those paths instead.
type containerRun struct {
	Root     string      `json:"root"`
	Mounts   []bindMount `json:"mounts"`
	Dir      string      `json:"dir"`
	Env      []string    `json:"env"`
	Argv     []string    `json:"argv,omitempty"`
	Describe []string    `json:"describe,omitempty"`
}

// bindMount puts Source (a host path) at Target (a path in the container).
type bindMount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// entry describes one file as a container sees it.
type entry struct {
	Path   string `json:"path"`
	Mode   string `json:"mode"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Link   string `json:"link,omitempty"`
}

// exec runs argv in container c's view of the pod, with extra bind mounts
// standing for files of its image.
func (p *podFS) exec(t *testing.T, c corev1.Container, argv []string, image ...bindMount) testenv.Result {
	t.Helper()
	env, err := testenv.ContainerEnv(c)
	if err != nil {
		t.Fatal(err)
	}
	run := p.view(t, c, image)
	run.Argv = argv
	run.Env = []string{"PATH=" + imagePath, "HOME=/root", "HOSTNAME=" + release + "-0"}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		run.Env = append(run.Env, k+"="+env[k])
	}
	return p.enter(t, c.Name, run)
}

// describe lists what container c sees at each of paths, recursively,
// without following symlinks.
func (p *podFS) describe(t *testing.T, c corev1.Container, paths ...string) map[string][]entry {
	t.Helper()
	run := p.view(t, c, nil)
	run.Describe = paths
	res := p.enter(t, c.Name, run)
	if res.Code != 0 {
		t.Fatalf("describing %v in container %q: exit %d: %s", paths, c.Name, res.Code, res.Stderr)
	}
	var out map[string][]entry
	if err := json.Unmarshal(res.Stdout, &out); err != nil {
		t.Fatalf("describing %v in container %q: %v", paths, c.Name, err)
	}
	return out
}

// view is container c's filesystem: a root holding busybox (the shell and
// tools of each image here) and the image files given, and c's
// volumeMounts, each at its mountPath and read-only where kubelet makes it
// so, outer paths mounted before the paths nested in them.
func (p *podFS) view(t *testing.T, c corev1.Container, image []bindMount) containerRun {
	t.Helper()
	root := filepath.Join(p.dir, "roots", c.Name)
	if err := imageRoot(root); err != nil {
		t.Fatalf("container %q: %v", c.Name, err)
	}
	run := containerRun{Root: root, Dir: "/"}
	if c.WorkingDir != "" {
		run.Dir = c.WorkingDir
	}
	run.Mounts = append([]bindMount{{Source: busybox, Target: "/bin/busybox", ReadOnly: true}}, image...)
	var volumes []bindMount
	for _, m := range c.VolumeMounts {
		v, ok := p.volumes[m.Name]
		if !ok {
			t.Fatalf("container %q mounts volume %q, which the pod does not have", c.Name, m.Name)
		}
		if m.SubPathExpr != "" {
			t.Fatalf("container %q, volume %q: subPathExpr is not emulated", c.Name, m.Name)
		}
		volumes = append(volumes, bindMount{
			Source:   filepath.Join(v.dir, m.SubPath),
			Target:   path.Clean(m.MountPath),
			ReadOnly: m.ReadOnly || v.apiData,
		})
	}
	slices.SortStableFunc(volumes, func(a, b bindMount) int {
		return strings.Count(a.Target, "/") - strings.Count(b.Target, "/")
	})
	run.Mounts = append(run.Mounts, volumes...)
	return run
}

// busyboxApplets is the list of busybox's commands.
var busyboxApplets = sync.OnceValues(func() ([]string, error) {
	out, err := testenv.OutputText(exec.Command(busybox, "--list"))
	return strings.Fields(out), err
})

// imageRoot makes a container root with /bin/<applet> symlinks to
// /bin/busybox (bind-mounted at run time) and a /tmp, once.
func imageRoot(root string) error {
	if _, err := os.Stat(root); err == nil {
		return nil
	}
	applets, err := busyboxApplets()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, d := range []string{"bin", "tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky); err != nil {
		return err
	}
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			return err
		}
	}
	return nil
}

// enter starts the test binary as the container process and waits for it.
func (p *podFS) enter(t *testing.T, name string, run containerRun) testenv.Result {
	t.Helper()
	p.runs++
	spec := filepath.Join(p.dir, "runs", fmt.Sprintf("%02d-%s.json", p.runs, name))
	data, err := json.MarshalIndent(run, "", "  ")
	if err == nil {
		err = os.MkdirAll(filepath.Dir(spec), 0o755)
	}
	if err == nil {
		err = os.WriteFile(spec, data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = []string{helperEnv + "=" + spec}
	// Go makes / private in the new namespace (MS_REC|MS_PRIVATE) before it
	// execs, so no bind mount leaks to the host and all vanish on exit.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	res, err := testenv.Exec(cmd, nil)
	if err != nil {
		t.Fatalf("entering container %q: %v", name, err)
	}
	what := "describe " + strings.Join(run.Describe, " ")
	if run.Describe == nil {
		what = "$ " + strings.Join(shortArgv(run.Argv), " ")
	}
	t.Logf("[%s] %s  # exit %d, %v", name, what, res.Code, res.Elapsed.Round(time.Millisecond))
	return res
}

// shortArgv makes a command line readable in the logs.
func shortArgv(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if n := strings.Count(strings.TrimSuffix(a, "\n"), "\n"); n > 0 {
			a = "'<" + strconv.Itoa(n+1) + " lines>'"
		}
		out[i] = a
	}
	return out
}

// containerMain is the test binary as a container process, already in its
// own mount namespace: bind-mount, chroot, then exec or describe. Its own
// failures exit 125, as a runtime's do.
func containerMain(specPath string) int {
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "container: %v\n", err)
		return 125
	}
	data, err := os.ReadFile(specPath)
	if err != nil {
		return fail(err)
	}
	var run containerRun
	if err := json.Unmarshal(data, &run); err != nil {
		return fail(err)
	}
	for _, m := range run.Mounts {
		if err := bind(run.Root, m); err != nil {
			return fail(err)
		}
	}
	if err := syscall.Chroot(run.Root); err != nil {
		return fail(fmt.Errorf("chroot %s: %w", run.Root, err))
	}
	if err := os.Chdir(run.Dir); err != nil {
		return fail(err)
	}
	if run.Describe != nil {
		out := map[string][]entry{}
		for _, p := range run.Describe {
			if out[p], err = describeTree(p); err != nil {
				return fail(err)
			}
		}
		if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
			return fail(err)
		}
		return 0
	}
	if len(run.Argv) == 0 {
		return fail(errors.New("no command"))
	}
	os.Setenv("PATH", imagePath)
	prog, err := exec.LookPath(run.Argv[0])
	if err != nil {
		return fail(err)
	}
	return fail(syscall.Exec(prog, run.Argv, run.Env))
}

// bind mounts m.Source at m.Target under root, creating the mount point.
func bind(root string, m bindMount) error {
	target := filepath.Join(root, m.Target)
	fi, err := os.Stat(m.Source)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		err = os.MkdirAll(target, 0o755)
	} else if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
		var f *os.File
		if f, err = os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644); err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("mount point %s: %w", m.Target, err)
	}
	if err := syscall.Mount(m.Source, target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("mount --bind %s %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		if err := syscall.Mount("", target, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("mount -o remount,bind,ro %s: %w", m.Target, err)
		}
	}
	return nil
}

// describeTree lists root and everything below it, without following
// symlinks: mode, size and content hash of files, targets of symlinks.
func describeTree(root string) ([]entry, error) {
	var out []entry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		e := entry{Path: rel, Mode: fi.Mode().String()}
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			e.Size, e.SHA256 = fi.Size(), hex.EncodeToString(sum[:])
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}
