package geth

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// podFS is a directory tree standing for one pod on a node: one directory
// per pod volume, filled as kubelet fills it before any container starts
// (as under /var/lib/kubelet/pods/<uid>/volumes/), and one root directory
// per container, into which container_test.go bind-mounts that container's
// volumeMounts.
type podFS struct {
	dir     string
	spec    corev1.PodSpec
	volumes map[string]podVolume
	runs    int // container runs so far, to name their spec files
}

// podVolume is one pod volume on the node.
type podVolume struct {
	dir string
	// apiData is true for Secret and ConfigMap volumes, which kubelet
	// mounts read-only into every container whatever volumeMounts say.
	apiData bool
}

// newPodFS lays out the volumes of a rendered pod under dir.
func newPodFS(dir string, r rendering) (*podFS, error) {
	p := &podFS{dir: dir, spec: r.pod, volumes: map[string]podVolume{}}
	for _, v := range r.pod.Volumes {
		vdir := filepath.Join(dir, "volumes", v.Name)
		var payload map[string]testenv.FileProjection
		var err error
		memory := false
		switch src := v.VolumeSource; {
		case src.EmptyDir != nil:
			memory = src.EmptyDir.Medium == corev1.StorageMediumMemory
		case src.Secret != nil:
			// kubelet backs a Secret volume with a memory emptyDir.
			memory = true
			payload, err = testenv.SecretPayload(src.Secret, r.secrets)
		case src.ConfigMap != nil:
			payload, err = testenv.ConfigMapPayload(src.ConfigMap, r.configMaps)
		default:
			return nil, fmt.Errorf("volume %q: only emptyDir, secret and configMap volumes are laid out here", v.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
		if err := testenv.EmptyDir(vdir, memory); err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
		if payload != nil {
			if err := testenv.WriteAtomic(vdir, payload, time.Now()); err != nil {
				return nil, fmt.Errorf("volume %q: %w", v.Name, err)
			}
		}
		p.volumes[v.Name] = podVolume{dir: vdir, apiData: payload != nil}
	}
	return p, nil
}

// runInitContainers runs the pod's init containers as kubelet does: in
// order, each to completion before the next starts, failing the test as a
// failed init container would keep the pod from ever starting. A native
// sidecar (restartPolicy: Always) is started and not waited for; it idles,
// so it is not run here at all.
func (p *podFS) runInitContainers(t *testing.T) {
	t.Helper()
	for _, c := range p.spec.InitContainers {
		if restartable(c) {
			t.Logf("init container %q is a native sidecar: started, not awaited (not run here)", c.Name)
			continue
		}
		if len(c.Command) == 0 {
			t.Fatalf("init container %q has no command: its image's entrypoint is not known here", c.Name)
		}
		env, err := testenv.ContainerEnv(c)
		if err != nil {
			t.Fatal(err)
		}
		argv := testenv.ExpandCommand(c, env)
		res := p.exec(t, c, argv)
		t.Logf("init container %q (%s) exited %d\n  stdout: %s\n  stderr: %s", c.Name, c.Image, res.Code,
			strings.TrimSpace(string(res.Stdout)), strings.TrimSpace(string(res.Stderr)))
		if res.Code != 0 {
			t.Fatalf("init container %q exited %d: the pod would never start", c.Name, res.Code)
		}
	}
}
