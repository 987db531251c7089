package testenv

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// FileProjection is one file of a Secret or ConfigMap volume, as kubelet's
// volume plugins hand it to the atomic writer.
type FileProjection struct {
	Data []byte
	Mode os.FileMode
}

// EmptyDir makes an emptyDir volume's directory as kubelet does: mode 0777,
// and for the memory medium the root of a tmpfs, whose mode is 1777 (a plain
// directory with that mode stands in for the tmpfs here).
func EmptyDir(dir string, memory bool) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	mode := os.FileMode(0o777)
	if memory {
		mode |= os.ModeSticky
	}
	return os.Chmod(dir, mode)
}

// SecretPayload is what kubelet's secret volume plugin projects: every key
// with defaultMode, or only items with their own paths and modes.
func SecretPayload(v *corev1.SecretVolumeSource, secrets map[string]corev1.Secret) (map[string]FileProjection, error) {
	optional := v.Optional != nil && *v.Optional
	s, ok := secrets[v.SecretName]
	if !ok {
		if optional {
			return map[string]FileProjection{}, nil
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

// ConfigMapPayload is what kubelet's configMap volume plugin projects.
func ConfigMapPayload(v *corev1.ConfigMapVolumeSource, configMaps map[string]corev1.ConfigMap) (map[string]FileProjection, error) {
	optional := v.Optional != nil && *v.Optional
	c, ok := configMaps[v.Name]
	if !ok {
		if optional {
			return map[string]FileProjection{}, nil
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
func project(data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, fallback int32, optional bool) (map[string]FileProjection, error) {
	mode := fallback
	if defaultMode != nil {
		mode = *defaultMode
	}
	payload := map[string]FileProjection{}
	if len(items) == 0 {
		for k, d := range data {
			payload[k] = FileProjection{Data: d, Mode: os.FileMode(mode)}
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
		payload[it.Path] = FileProjection{Data: d, Mode: os.FileMode(m)}
	}
	return payload, nil
}

// WriteAtomic projects payload into dir the way kubelet's AtomicWriter
// (pkg/volume/util/atomic_writer.go) does on a first write: the files go
// into a fresh "..<timestamp>.<random>" directory (mode 0755, each file
// chmod-ed to its mode whatever the umask), each top-level name becomes a
// symlink "name -> ..data/name", and "..data" is a symlink to the timestamped
// directory, made as "..data_tmp" and renamed over. This indirection is why
// every file of a Secret volume is a symlink, and why geth does not see it.
func WriteAtomic(dir string, payload map[string]FileProjection, now time.Time) error {
	ts, err := os.MkdirTemp(dir, now.UTC().Format("..2006_01_02_15_04_05."))
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
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.Mode); err != nil {
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

// VolumeOwnership does to a volume what kubelet does for a pod with an
// fsGroup once the volume plugin has filled it (pkg/volume/volume_linux.go,
// changeFilePermission): every entry, symlinks too, gets fsGroup as its
// group; every entry but the symlinks gets group read access added to its
// mode (and write access, unless the volume is read-only, as Secret,
// ConfigMap, projected and downwardAPI volumes are), directories also
// search access and the setgid bit. An emptyDir's directory so becomes
// drwxrwsrwx, and what is created in it gets the fsGroup.
func VolumeOwnership(dir string, fsGroup int64, readOnly bool) error {
	return filepath.Walk(dir, func(p string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, -1, int(fsGroup)); err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return nil
		}
		mask := fs.FileMode(0o660)
		if readOnly {
			mask = 0o440
		}
		if info.IsDir() {
			mask |= fs.ModeSetgid | 0o110
		}
		return os.Chmod(p, info.Mode()|mask)
	})
}

// ContainerEnv is a container's literal environment. Values taken from
// elsewhere (valueFrom, envFrom) and the Service links kubelet adds are not
// emulated; no container here has any.
func ContainerEnv(c corev1.Container) (map[string]string, error) {
	if len(c.EnvFrom) > 0 {
		return nil, fmt.Errorf("container %q: envFrom is not emulated", c.Name)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, fmt.Errorf("container %q: env %q: valueFrom is not emulated", c.Name, e.Name)
		}
		env[e.Name] = Expand(e.Value, env)
	}
	return env, nil
}

// ExpandCommand is command followed by args, with $(VAR) references expanded
// as kubelet does before it hands them to the runtime.
func ExpandCommand(c corev1.Container, env map[string]string) []string {
	var argv []string
	for _, a := range slices.Concat(c.Command, c.Args) {
		argv = append(argv, Expand(a, env))
	}
	return argv
}

// Expand follows kubelet's expansion rules (third_party/forked/golang/
// expansion): $(NAME) becomes NAME's value when NAME is defined and stays as
// written otherwise, $$ becomes $, and any other $ stays. The copy script's
// $((n + 1)) therefore reaches the shell unchanged, while a $$ in it would
// not.
func Expand(s string, env map[string]string) string {
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
