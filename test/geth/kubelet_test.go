package geth

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
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

// fileProjection is one file of a Secret or ConfigMap volume, as kubelet's
// volume plugins hand it to the atomic writer.
type fileProjection struct {
	data []byte
	mode os.FileMode
}

// now is the time kubelet's atomic writer stamps into its directory names.
var now = time.Now

// newPodFS lays out the volumes of a rendered pod under dir.
func newPodFS(dir string, r rendering) (*podFS, error) {
	p := &podFS{dir: dir, spec: r.pod, volumes: map[string]podVolume{}}
	for _, v := range r.pod.Volumes {
		vdir := filepath.Join(dir, "volumes", v.Name)
		var payload map[string]fileProjection
		var err error
		memory := false
		switch src := v.VolumeSource; {
		case src.EmptyDir != nil:
			memory = src.EmptyDir.Medium == corev1.StorageMediumMemory
		case src.Secret != nil:
			// kubelet backs a Secret volume with a memory emptyDir.
			memory = true
			payload, err = secretPayload(src.Secret, r.secrets)
		case src.ConfigMap != nil:
			payload, err = configMapPayload(src.ConfigMap, r.configMaps)
		default:
			return nil, fmt.Errorf("volume %q: only emptyDir, secret and configMap volumes are laid out here", v.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
		if err := emptyDir(vdir, memory); err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
		if payload != nil {
			if err := writeAtomic(vdir, payload); err != nil {
				return nil, fmt.Errorf("volume %q: %w", v.Name, err)
			}
		}
		p.volumes[v.Name] = podVolume{dir: vdir, apiData: payload != nil}
	}
	return p, nil
}

// emptyDir makes an emptyDir volume's directory as kubelet does: mode 0777,
// and for the memory medium the root of a tmpfs, whose mode is 1777 (a plain
// directory with that mode stands in for the tmpfs here).
func emptyDir(dir string, memory bool) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	mode := os.FileMode(0o777)
	if memory {
		mode |= os.ModeSticky
	}
	return os.Chmod(dir, mode)
}

// secretPayload is what kubelet's secret volume plugin projects: every key
// with defaultMode, or only items with their own paths and modes.
func secretPayload(v *corev1.SecretVolumeSource, secrets map[string]corev1.Secret) (map[string]fileProjection, error) {
	optional := v.Optional != nil && *v.Optional
	s, ok := secrets[v.SecretName]
	if !ok {
		if optional {
			return map[string]fileProjection{}, nil
		}
		return nil, fmt.Errorf("secret %q is not in the rendered chart: the pod would wait in ContainerCreating", v.SecretName)
	}
	data := maps.Clone(s.Data)
	if data == nil {
		data = map[string][]byte{}
	}
	for k, v := range s.StringData { // the API server merges stringData into data, stringData winning
		data[k] = []byte(v)
	}
	return project(data, v.Items, v.DefaultMode, corev1.SecretVolumeSourceDefaultMode, optional)
}

// configMapPayload is what kubelet's configMap volume plugin projects.
func configMapPayload(v *corev1.ConfigMapVolumeSource, configMaps map[string]corev1.ConfigMap) (map[string]fileProjection, error) {
	optional := v.Optional != nil && *v.Optional
	c, ok := configMaps[v.Name]
	if !ok {
		if optional {
			return map[string]fileProjection{}, nil
		}
		return nil, fmt.Errorf("configMap %q is not in the rendered chart: the pod would wait in ContainerCreating", v.Name)
	}
	data := maps.Clone(c.BinaryData)
	if data == nil {
		data = map[string][]byte{}
	}
	for k, v := range c.Data {
		data[k] = []byte(v)
	}
	return project(data, v.Items, v.DefaultMode, corev1.ConfigMapVolumeSourceDefaultMode, optional)
}

// project maps keys to files as kubelet's MakePayload does.
func project(data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, fallback int32, optional bool) (map[string]fileProjection, error) {
	mode := fallback
	if defaultMode != nil {
		mode = *defaultMode
	}
	payload := map[string]fileProjection{}
	if len(items) == 0 {
		for k, d := range data {
			payload[k] = fileProjection{data: d, mode: os.FileMode(mode)}
		}
		return payload, nil
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("key %q not found: the pod would wait in ContainerCreating", it.Key)
		}
		m := mode
		if it.Mode != nil {
			m = *it.Mode
		}
		payload[it.Path] = fileProjection{data: d, mode: os.FileMode(m)}
	}
	return payload, nil
}

// writeAtomic projects payload into dir the way kubelet's AtomicWriter
// (pkg/volume/util/atomic_writer.go) does on a first write: the files go
// into a fresh "..<timestamp>.<random>" directory (mode 0755, each file
// chmod-ed to its mode whatever the umask), each top-level name becomes a
// symlink "name -> ..data/name", and "..data" is a symlink to the timestamped
// directory, made as "..data_tmp" and renamed over. This indirection is why
// every file of a Secret volume is a symlink, and why geth does not see it.
func writeAtomic(dir string, payload map[string]fileProjection) error {
	ts, err := os.MkdirTemp(dir, now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return err
	}
	paths := slices.Sorted(maps.Keys(payload))
	for _, p := range paths {
		if err := validPayloadPath(p); err != nil {
			return err
		}
		full := filepath.Join(ts, p)
		if err := os.MkdirAll(filepath.Dir(full), os.ModePerm); err != nil {
			return err
		}
		f := payload[p]
		if err := os.WriteFile(full, f.data, f.mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.mode); err != nil {
			return err
		}
	}
	for _, p := range paths {
		top, _, _ := strings.Cut(filepath.Clean(p), string(filepath.Separator))
		visible := filepath.Join(dir, top)
		if _, err := os.Lstat(visible); err == nil {
			continue // a second file under the same top-level directory
		}
		if err := os.Symlink(filepath.Join("..data", top), visible); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "..data"))
}

// validPayloadPath rejects what the atomic writer rejects: absolute paths,
// ".." elements and names starting with "..", which it reserves.
func validPayloadPath(p string) error {
	if p == "" || filepath.IsAbs(p) {
		return fmt.Errorf("invalid path %q: must be a non-empty relative path", p)
	}
	parts := strings.Split(p, "/")
	if slices.Contains(parts, "..") || strings.HasPrefix(parts[0], "..") {
		return fmt.Errorf("invalid path %q: must not contain '..' or start with '..'", p)
	}
	return nil
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
		env, err := containerEnv(c)
		if err != nil {
			t.Fatal(err)
		}
		argv := expandCommand(c, env)
		res := p.exec(t, c, argv)
		t.Logf("init container %q (%s) exited %d\n  stdout: %s\n  stderr: %s", c.Name, c.Image, res.Code,
			strings.TrimSpace(string(res.Stdout)), strings.TrimSpace(string(res.Stderr)))
		if res.Code != 0 {
			t.Fatalf("init container %q exited %d: the pod would never start", c.Name, res.Code)
		}
	}
}

// containerEnv is a container's literal environment. Values taken from
// elsewhere (valueFrom, envFrom) and the Service links kubelet adds are not
// emulated; no container here has any.
func containerEnv(c corev1.Container) (map[string]string, error) {
	if len(c.EnvFrom) > 0 {
		return nil, fmt.Errorf("container %q: envFrom is not emulated", c.Name)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, fmt.Errorf("container %q: env %q: valueFrom is not emulated", c.Name, e.Name)
		}
		env[e.Name] = expand(e.Value, env)
	}
	return env, nil
}

// expandCommand is command followed by args, with $(VAR) references expanded
// as kubelet does before it hands them to the runtime.
func expandCommand(c corev1.Container, env map[string]string) []string {
	var argv []string
	for _, a := range slices.Concat(c.Command, c.Args) {
		argv = append(argv, expand(a, env))
	}
	return argv
}

// expand follows kubelet's expansion rules (third_party/forked/golang/
// expansion): $(NAME) becomes NAME's value when NAME is defined and stays as
// written otherwise, $$ becomes $, and any other $ stays. The copy script's
// $((n + 1)) therefore reaches the shell unchanged, while a $$ in it would
// not.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func TestWriteAtomicLayout(t *testing.T) {
	dir := t.TempDir()
	now = func() time.Time { return time.Date(2026, 11, 27, 7, 8, 9, 0, time.UTC) }
	t.Cleanup(func() { now = time.Now })
	payload := map[string]fileProjection{
		"key":        {data: []byte("one"), mode: 0o644},
		"nested/a/b": {data: []byte("two"), mode: 0o400},
	}
	if err := writeAtomic(dir, payload); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	var tsDirs []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			links[e.Name()] = target
		} else {
			tsDirs = append(tsDirs, e.Name())
		}
	}
	if len(tsDirs) != 1 || !strings.HasPrefix(tsDirs[0], "..2026_11_27_07_08_09.") {
		t.Fatalf("want one ..2026_11_27_07_08_09.<random> directory, got %v", tsDirs)
	}
	want := map[string]string{"..data": tsDirs[0], "key": "..data/key", "nested": "..data/nested"}
	if !maps.Equal(links, want) {
		t.Errorf("symlinks: got %v, want %v", links, want)
	}
	for p, f := range payload {
		fi, err := os.Lstat(filepath.Join(dir, tsDirs[0], p))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %v, want a regular file with %v", p, fi.Mode(), f.mode)
		}
		data, err := os.ReadFile(filepath.Join(dir, p)) // through the symlinks
		if err != nil || string(data) != string(f.data) {
			t.Errorf("%s through the symlinks: %q, %v; want %q", p, data, err, f.data)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, tsDirs[0])); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("timestamped directory: %v, %v; want mode 0755", fi.Mode(), err)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "EMPTY": ""}
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "defined", in: "$(A)/b", want: "x/b"},
		{name: "defined empty", in: "<$(EMPTY)>", want: "<>"},
		{name: "undefined stays", in: "$(B)", want: "$(B)"},
		{name: "escaped", in: "$$(A) $$", want: "$(A) $"},
		{name: "shell arithmetic", in: "n=$((n + 1))", want: "n=$((n + 1))"},
		{name: "shell parameters", in: `"$#" "$1" $dst/*`, want: `"$#" "$1" $dst/*`},
		{name: "unclosed", in: "$(A", want: "$(A"},
		{name: "trailing dollar", in: "a$", want: "a$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := expand(tc.in, env); got != tc.want {
				t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
