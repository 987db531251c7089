package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestCopyInitContainer runs the debug-overlay-copy init container that Helm
// rendered, command and arguments as they are, under busybox's sh (the shell
// of its busybox image) on volumes laid out as kubelet lays out a Secret
// volume, and checks what geth then sees at /keystore: the seed case, since
// geth skips key files that are symlinks.
func TestCopyInitContainer(t *testing.T) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox, the shell of the copy init container's image, is missing: run `make deps` (hack/install-deps.sh): %v", err)
	}
	const key = "UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000"
	keyFile := writeFile(t, "key.json", []byte(`{"address":"0000000000000000000000000000000000000000","crypto":{},"version":3}`+"\n"))

	for _, tc := range []struct {
		name string
		args []string
	}{
		{
			name: "keystore with a key file",
			// --set-file splits keys at dots.
			args: []string{"--set-file", "keystore.files." + strings.ReplaceAll(key, ".", `\.`) + "=" + keyFile},
		},
		{
			// With the toggle off this pod starts (geth runs with an empty
			// keystore); switching the debug overlay on must not stop it.
			name: "chart defaults, empty keystore Secret",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := splitDocs(t, template(t, append(tc.args, append(postRender(), "--set", "debug-overlay.enabled=true")...)...))
			var secret corev1.Secret
			if err := yaml.UnmarshalStrict([]byte(find(t, docs, "Secret").raw), &secret); err != nil {
				t.Fatal(err)
			}
			t.Logf("Secret %s: %d keys", secret.Name, len(secret.Data))
			pod := statefulSet(t, docs).Spec.Template.Spec

			// One host directory per pod volume, as kubelet would provide.
			root := t.TempDir()
			hostDir := map[string]string{}
			for _, v := range pod.Volumes {
				dir := filepath.Join(root, "volumes", v.Name)
				switch {
				case v.Secret != nil:
					if v.Secret.SecretName != secret.Name {
						t.Fatalf("volume %s mounts Secret %s; the chart renders %s", v.Name, v.Secret.SecretName, secret.Name)
					}
					atomicWrite(t, dir, secret.Data)
				case v.EmptyDir != nil:
					if err := os.MkdirAll(dir, 0o777); err != nil {
						t.Fatal(err)
					}
				default:
					t.Fatalf("volume %s: unexpected source %+v", v.Name, v.VolumeSource)
				}
				hostDir[v.Name] = dir
			}

			cp := container(pod.InitContainers, "debug-overlay-copy")
			if cp == nil {
				t.Fatalf("no debug-overlay-copy init container; init containers %v", names(pod.InitContainers))
			}
			argv := append(slices.Clone(cp.Command), cp.Args...)
			if len(argv) < 3 || argv[0] != "sh" || argv[1] != "-c" {
				t.Fatalf("debug-overlay-copy runs %q, want sh -c SCRIPT ...", argv)
			}
			// The arguments are the container's mount paths; here they are the
			// host directories of the volumes mounted there.
			for i := 3; i < len(argv); i++ {
				if m := mountAt(cp.VolumeMounts, argv[i]); m != nil {
					argv[i] = hostDir[m.Name]
				}
			}
			r := runner.Run(t, exec.Command(busybox, argv...), nil)
			t.Logf("debug-overlay-copy stdout: %s", strings.TrimSpace(string(r.Stdout)))
			t.Logf("debug-overlay-copy stderr: %s", strings.TrimSpace(string(r.Stderr)))
			if r.Code != 0 {
				t.Fatalf("the copy init container exits %d, so the pod never starts (with the toggle off, it does)", r.Code)
			}

			for _, c := range []string{"geth", "debug"} {
				m := mountAt(container(pod.Containers, c).VolumeMounts, "/keystore")
				if m == nil {
					t.Errorf("container %s has no /keystore mount", c)
					continue
				}
				checkRegularFiles(t, c+":/keystore", hostDir[m.Name], secret.Data)
			}
		})
	}
}

// atomicWrite lays out data in dir as kubelet's atomic writer does for
// Secret and ConfigMap volumes: the files live in a timestamped directory,
// ..data points to it, and each key is a symlink through ..data.
func atomicWrite(t *testing.T, dir string, data map[string][]byte) {
	t.Helper()
	const ts = "..2026_11_27_00_00_00.000000001"
	if err := os.MkdirAll(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range data {
		f := filepath.Join(dir, ts, k)
		if err := os.WriteFile(f, v, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// checkRegularFiles checks that dir holds exactly the keys of data, as
// regular files with their contents and the Secret volume's default mode.
func checkRegularFiles(t *testing.T, what, dir string, data map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s/%s is %v, want a regular file with mode -rw-r--r--", what, e.Name(), fi.Mode())
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := data[e.Name()]; ok && !bytes.Equal(content, want) {
			t.Errorf("%s/%s holds %q, want %q", what, e.Name(), content, want)
		}
	}
	want := make([]string, 0, len(data))
	for k := range data {
		want = append(want, k)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want the Secret's keys %q", what, got, want)
	}
	t.Logf("%s: %q, regular files", what, got)
}
