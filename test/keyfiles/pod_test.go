package keyfiles

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// pod is one rendered pod laid out on this machine as kubelet lays it out
// on a node: a directory per volume, filled before any container starts.
type pod struct {
	spec corev1.PodSpec
	// volumes maps each pod volume to its directory.
	volumes map[string]string
}

// startPod renders manifest (Secrets and one Deployment or StatefulSet)
// through the debug-overlay binary with args, lays out the pod's volumes
// and runs its init containers, which must all be the overlay's copy
// container; it fails the test where kubelet would not start the pod.
func startPod(t *testing.T, name, manifest string, args ...string) *pod {
	t.Helper()
	out := runner.MustRun(t, exec.Command(overlayBin, args...), []byte(manifest))
	docs, err := testenv.SplitDocuments(out)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]corev1.Secret{}
	p := &pod{volumes: map[string]string{}}
	workloads := 0
	for _, d := range docs {
		switch d.Object["kind"] {
		case "Secret":
			var s corev1.Secret
			mustUnmarshal(t, d.Raw, &s)
			secrets[s.Name] = s
		case "Deployment", "StatefulSet":
			var w appsv1.Deployment // the pod template is at spec.template in both
			mustUnmarshal(t, d.Raw, &w)
			p.spec = w.Spec.Template.Spec
			workloads++
		}
	}
	if workloads != 1 {
		t.Fatalf("want one workload in the rendered manifest, got %d:\n%s", workloads, out)
	}

	dir := filepath.Join(tmpRoot, t.Name(), name)
	fsGroup := p.spec.SecurityContext.FSGroup
	for _, v := range p.spec.Volumes {
		vdir := filepath.Join(dir, "volumes", v.Name)
		var err error
		switch src := v.VolumeSource; {
		case src.EmptyDir != nil:
			err = testenv.EmptyDir(vdir, src.EmptyDir.Medium == corev1.StorageMediumMemory)
		case src.Secret != nil:
			// kubelet backs a Secret volume with a memory emptyDir.
			var payload map[string]testenv.FileProjection
			if payload, err = testenv.SecretPayload(src.Secret, secrets); err == nil {
				if err = testenv.EmptyDir(vdir, true); err == nil {
					err = testenv.WriteAtomic(vdir, payload, time.Now())
				}
			}
		default:
			t.Fatalf("volume %q: only emptyDir and secret volumes are laid out here", v.Name)
		}
		if err == nil && fsGroup != nil {
			err = testenv.VolumeOwnership(vdir, *fsGroup, v.EmptyDir == nil)
		}
		if err != nil {
			t.Fatalf("volume %q: %v", v.Name, err)
		}
		p.volumes[v.Name] = vdir
	}
	for _, c := range p.spec.InitContainers {
		if c.Name != overlay.CopyContainerName {
			t.Fatalf("init container %q is not emulated here", c.Name)
		}
		p.runCopy(t, c)
	}
	return p
}

func mustUnmarshal(t *testing.T, raw string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(raw), into); err != nil {
		t.Fatalf("%v:\n%s", err, raw)
	}
}

// runCopy runs the copy init container c as kubelet would: its command and
// arguments as rendered ($(VAR) expanded), each argument that is one of its
// mount paths given as the directory of that volume, busybox's applets as
// its PATH, as its user and groups.
func (p *pod) runCopy(t *testing.T, c corev1.Container) {
	t.Helper()
	env, err := testenv.ContainerEnv(c)
	if err != nil {
		t.Fatal(err)
	}
	argv := testenv.ExpandCommand(c, env)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[path.Clean(m.MountPath)] = filepath.Join(p.volumes[m.Name], m.SubPath)
	}
	for i, a := range argv {
		if dir, ok := mounts[a]; ok {
			argv[i] = dir
		}
	}
	argv[0] = filepath.Join(busyboxBin, argv[0])
	id := p.user(t, c, true)
	cmd := id.command(argv...)
	cmd.Env = []string{"PATH=" + busyboxBin}
	cmd.Dir = "/"
	res := runner.Run(t, cmd, nil)
	t.Logf("init container %q as %s exited %d\n  stdout: %s\n  stderr: %s", c.Name, id, res.Code,
		strings.TrimSpace(string(res.Stdout)), strings.TrimSpace(string(res.Stderr)))
	if res.Code != 0 {
		t.Fatalf("init container %q exited %d: the pod would never start", c.Name, res.Code)
	}
}

// identity is a process's user, group and supplementary groups.
type identity struct {
	uid, gid int64
	groups   []int64
}

func (id identity) String() string {
	return fmt.Sprintf("%d:%d groups %v", id.uid, id.gid, id.groups)
}

// user is who container c runs as: its runAsUser and runAsGroup, else the
// pod's, else the image's user and that user's group. The image's user is
// root for the copy container (busybox); an app image runs as its user,
// whose group this machine's /etc/passwd gives (the postgres image's
// passwd gives postgres its own group, as Debian's does). kubelet adds the
// pod's fsGroup and supplementalGroups to every container's groups.
func (p *pod) user(t *testing.T, c corev1.Container, copyContainer bool) identity {
	t.Helper()
	psc := *p.spec.SecurityContext
	csc := corev1.SecurityContext{}
	if c.SecurityContext != nil {
		csc = *c.SecurityContext
	}
	id := identity{groups: slices.Clone(psc.SupplementalGroups)}
	if psc.FSGroup != nil {
		id.groups = append([]int64{*psc.FSGroup}, id.groups...)
	}
	switch {
	case csc.RunAsUser != nil:
		id.uid = *csc.RunAsUser
	case psc.RunAsUser != nil:
		id.uid = *psc.RunAsUser
	}
	switch {
	case csc.RunAsGroup != nil:
		id.gid = *csc.RunAsGroup
	case psc.RunAsGroup != nil:
		id.gid = *psc.RunAsGroup
	case copyContainer:
		// busybox's /etc/passwd knows root; a user it does not know gets
		// group 0 from the runtime.
	default:
		u, err := user.LookupId(strconv.FormatInt(id.uid, 10))
		if err != nil {
			t.Fatalf("container %q runs as %d, which has no group here: %v", c.Name, id.uid, err)
		}
		if id.gid, err = strconv.ParseInt(u.Gid, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// command runs argv as id.
func (id identity) command(argv ...string) *exec.Cmd {
	return exec.Command(setpriv, append(testenv.SetprivArgs(id.uid, id.gid, id.groups), argv...)...)
}

// container returns the pod's container name.
func (p *pod) container(t *testing.T, name string) corev1.Container {
	t.Helper()
	for _, c := range p.spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("the pod has no container %q", name)
	return corev1.Container{}
}

// mountPath returns the directory container c sees at mountPath: the
// volume's, or the copy's where the overlay rewired the mount.
func (p *pod) mountPath(t *testing.T, c corev1.Container, mountPath string) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == mountPath {
			return filepath.Join(p.volumes[m.Name], m.SubPath)
		}
	}
	t.Fatalf("container %q mounts nothing at %s", c.Name, mountPath)
	return ""
}

// fileInfo is a file's mode and owner, as ls -ln shows them.
type fileInfo struct {
	mode     fs.FileMode
	uid, gid uint32
	link     bool
}

func (f fileInfo) String() string {
	s := fmt.Sprintf("%v %d:%d", f.mode, f.uid, f.gid)
	if f.link {
		s = "symlink to " + s
	}
	return s
}

// stat reads the mode and owner of file, following symlinks as the
// programs do, and says whether file itself is one.
func stat(t *testing.T, file string) fileInfo {
	t.Helper()
	l, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	return fileInfo{mode: info.Mode(), uid: st.Uid, gid: st.Gid, link: l.Mode()&fs.ModeSymlink != 0}
}
