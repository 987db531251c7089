//go:build linux

package nodee2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// account is a geth account created with the real geth for the keystore
// Secret.
type account struct {
	// address is lower-case hex without 0x, as `geth account list` prints it.
	address string
	// keyFile is its key file; its base name is the Secret's key.
	keyFile string
}

var (
	acctOnce sync.Once
	acct     account
	acctErr  error
)

// gethAccount creates, once, an account with `geth account new --lightkdf`.
func gethAccount(t *testing.T) account {
	t.Helper()
	acctOnce.Do(func() {
		dir := filepath.Join(tmpRoot, "account")
		password := filepath.Join(dir, "password")
		if acctErr = os.MkdirAll(dir, 0o700); acctErr != nil {
			return
		}
		if acctErr = os.WriteFile(password, []byte("debug-overlay\n"), 0o600); acctErr != nil {
			return
		}
		var out string
		out, acctErr = output(exec.Command(gethBin, "account", "new", "--lightkdf", "--keystore", filepath.Join(dir, "keystore"), "--password", password))
		for line := range strings.Lines(out) {
			if v, ok := strings.CutPrefix(line, "Public address of the key:"); ok {
				acct.address = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v), "0x"))
			}
			if v, ok := strings.CutPrefix(line, "Path of the secret key file:"); ok {
				acct.keyFile = strings.TrimSpace(v)
			}
		}
		if acctErr == nil && (len(acct.address) != 40 || acct.keyFile == "") {
			acctErr = fmt.Errorf("geth account new printed no address and key file:\n%s", out)
		}
	})
	if acctErr != nil {
		t.Fatalf("creating a geth account: %v", acctErr)
	}
	return acct
}

// gethValues writes the values of a geth release: the key file as the
// keystore Secret's only key, and geth's arguments for a node that never
// touches the network (--nat=none: no UPnP or NAT-PMP probes either).
func gethValues(t *testing.T, a account) []string {
	t.Helper()
	values := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(values, []byte("args: [--nodiscover, --maxpeers=0, --ipcdisable, --nat=none]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Helm's --set-file splits the key at dots, and a key file name has one.
	name := filepath.Base(a.keyFile)
	return []string{"-f", values, "--set-file", "keystore.files." + strings.ReplaceAll(name, ".", `\.`) + "=" + a.keyFile}
}

// accountLine is a line of `geth account list`:
// Account #0: {ea7a...a921} keystore:///keystore/UTC--...--ea7a...a921
var accountLine = regexp.MustCompile(`^Account #\d+: \{([0-9a-f]{40})\} (\S+)$`)

// listAccounts runs `geth account list --keystore /keystore` in the geth
// container and returns the accounts it printed as "address url".
func listAccounts(t *testing.T, ns, pod string) []string {
	t.Helper()
	out := execIn(t, ns, pod, "geth", "geth", "account", "list", "--keystore", "/keystore")
	var got []string
	for line := range strings.Lines(out) {
		if m := accountLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			got = append(got, m[1]+" "+m[2])
		}
	}
	return got
}

// TestHelm3GethToggle is the seed case on a real kubelet: geth's keystore
// comes from a Secret, whose files kubelet presents as symlinks, which geth
// skips. With the toggle on the copy init container gives geth regular
// files and geth lists the account; helm upgrade with the toggle off brings
// the chart's own pod back, and geth lists nothing; helm rollback brings the
// debug release back.
func TestHelm3GethToggle(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	ns := newNamespace(t, "geth-helm3", nil)
	const rel = "geth"
	pod := rel + "-0"
	keyURL := "keystore:///keystore/" + filepath.Base(a.keyFile)
	values := gethValues(t, a)
	helm3 := func(args ...string) string {
		t.Helper()
		start := time.Now()
		out, err := helm(3, args...)
		if err != nil {
			t.Fatalf("%v", err)
		}
		t.Logf("helm3 %s: %v", args[0], time.Since(start).Round(time.Millisecond))
		return out
	}

	// Toggle on.
	helm3(append([]string{"install", rel, gethChart, "-n", ns, "--post-renderer", overlayBin,
		"--set", "debug-overlay.enabled=true", "--wait", "--timeout", "3m"}, values...)...)
	on := getPod(t, ns, pod)
	checkOverlaid(t, on)
	t.Logf("toggle on: %s", podSummary(on))
	t.Logf("toggle on: geth's /keystore:\n%s", execIn(t, ns, pod, "geth", "ls", "-la", "/keystore"))
	got := listAccounts(t, ns, pod)
	t.Logf("toggle on:  geth account list: %v", got)
	if want := []string{a.address + " " + keyURL}; !slices.Equal(got, want) {
		t.Errorf("toggle on: geth lists %v, want %v", got, want)
	}

	t.Run("sidecar sees geth's mounts", func(t *testing.T) {
		sidecarSeesMounts(t, ns, pod, on)
	})
	t.Run("sidecar sees geth's processes", func(t *testing.T) {
		ps := execIn(t, ns, pod, "debug", "ps", "-o", "pid,user,args")
		t.Logf("ps in the debug container:\n%s", ps)
		for _, want := range []string{"geth --keystore=/keystore", "/pause"} {
			if !strings.Contains(ps, want) {
				t.Errorf("ps in the debug container shows no %q: shareProcessNamespace is not in effect", want)
			}
		}
	})

	// Toggle off: the chart's own pod again.
	helm3(append([]string{"upgrade", rel, gethChart, "-n", ns, "--post-renderer", overlayBin,
		"--set", "debug-overlay.enabled=false", "--wait", "--timeout", "3m"}, values...)...)
	off := getPod(t, ns, pod)
	t.Logf("toggle off: %s", podSummary(off))
	if got := names(off.Spec.Containers); !slices.Equal(got, []string{"geth"}) {
		t.Errorf("toggle off: containers %v, want [geth]", got)
	}
	if len(off.Spec.InitContainers) != 0 {
		t.Errorf("toggle off: init containers %v, want none", names(off.Spec.InitContainers))
	}
	if v := volumeAt(t, off.Spec, "geth", "/keystore"); v.Secret == nil {
		t.Errorf("toggle off: geth's /keystore is volume %q, want the chart's Secret volume", v.Name)
	}
	if _, ok := off.Annotations["debug-overlay.dev/status"]; ok {
		t.Errorf("toggle off: the pod still has the debug-overlay.dev/status annotation")
	}
	// The chart's own pod: its volumes and geth's mounts as `helm template`
	// renders them without a post-renderer (the API server adds only the
	// service account token).
	own := chartPodSpec(t, values)
	if got, want := podVolumes(off.Spec), podVolumes(own); !slices.Equal(got, want) {
		t.Errorf("toggle off: pod volumes %v, the chart renders %v", got, want)
	}
	if got, want := mounts(container(t, off.Spec, "geth")), mounts(container(t, own, "geth")); !slices.Equal(got, want) {
		t.Errorf("toggle off: geth mounts %v, the chart renders %v", got, want)
	} else {
		t.Logf("toggle off: geth mounts %v, as the chart renders them", got)
	}
	ls := execIn(t, ns, pod, "geth", "ls", "-la", "/keystore")
	t.Logf("toggle off: geth's /keystore, as kubelet lays out a Secret:\n%s", ls)
	if !strings.Contains(ls, "-> ..data/"+filepath.Base(a.keyFile)) {
		t.Errorf("toggle off: /keystore/%s is not kubelet's symlink into ..data", filepath.Base(a.keyFile))
	}
	got = listAccounts(t, ns, pod)
	t.Logf("toggle off: geth account list: %v", got)
	if len(got) != 0 {
		t.Errorf("toggle off: geth lists %v, want none (it skips the Secret's symlinked key file)", got)
	}

	// Rollback to revision 1: the debug release again.
	helm3("rollback", rel, "1", "-n", ns, "--wait", "--timeout", "3m")
	back := getPod(t, ns, pod)
	t.Logf("rollback: %s", podSummary(back))
	checkOverlaid(t, back)
	got = listAccounts(t, ns, pod)
	t.Logf("rollback:   geth account list: %v", got)
	if want := []string{a.address + " " + keyURL}; !slices.Equal(got, want) {
		t.Errorf("after rollback: geth lists %v, want %v", got, want)
	}
	history := helm3("history", rel, "-n", ns)
	t.Logf("helm3 history:\n%s", history)
}

// chartPodSpec is the geth pod spec as the chart alone renders it.
func chartPodSpec(t *testing.T, values []string) corev1.PodSpec {
	t.Helper()
	out, err := helm(3, append([]string{"template", "geth", gethChart}, values...)...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, doc := range strings.Split(out, "\n---\n") {
		if strings.Contains(doc, "\nkind: StatefulSet\n") {
			var sts appsv1.StatefulSet
			if err := yaml.Unmarshal([]byte(doc), &sts); err != nil {
				t.Fatalf("decoding the chart's StatefulSet: %v", err)
			}
			return sts.Spec.Template.Spec
		}
	}
	t.Fatalf("helm template rendered no StatefulSet:\n%s", out)
	return corev1.PodSpec{}
}

// podVolumes lists a pod's volumes as "name kind", without the service
// account token volume the API server injects.
func podVolumes(spec corev1.PodSpec) []string {
	var out []string
	for _, v := range spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") {
			continue
		}
		kind := "other"
		switch {
		case v.Secret != nil:
			kind = "secret " + v.Secret.SecretName
		case v.EmptyDir != nil:
			kind = "emptyDir"
		case v.ConfigMap != nil:
			kind = "configMap " + v.ConfigMap.Name
		}
		out = append(out, v.Name+" "+kind)
	}
	return out
}

// mounts lists a container's mounts as "volume:path[:ro]", without the
// service account token.
func mounts(c corev1.Container) []string {
	var out []string
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(m.Name, "kube-api-access-") {
			continue
		}
		s := m.Name + ":" + m.MountPath
		if m.ReadOnly {
			s += ":ro"
		}
		out = append(out, s)
	}
	return out
}

// checkOverlaid checks a geth pod the overlay changed: the copy init
// container first, the debug sidecar, geth's /keystore on the copy, the
// process namespace shared, and every container running and ready.
func checkOverlaid(t *testing.T, p corev1.Pod) {
	t.Helper()
	if got := names(p.Spec.InitContainers); !slices.Equal(got, []string{"debug-overlay-copy"}) {
		t.Errorf("init containers %v, want [debug-overlay-copy]", got)
	}
	if got := names(p.Spec.Containers); !slices.Equal(got, []string{"geth", "debug"}) {
		t.Errorf("containers %v, want [geth debug]", got)
	}
	if v := volumeAt(t, p.Spec, "geth", "/keystore"); v.EmptyDir == nil {
		t.Errorf("geth's /keystore is volume %q, want the emptyDir copy", v.Name)
	}
	if sp := p.Spec.ShareProcessNamespace; sp == nil || !*sp {
		t.Errorf("shareProcessNamespace is %v, want true", sp)
	}
	if ok, why := ready(p); !ok {
		t.Errorf("pod not ready: %s", why)
	}
	for _, s := range p.Status.InitContainerStatuses {
		if s.Name == "debug-overlay-copy" && (s.State.Terminated == nil || s.State.Terminated.ExitCode != 0) {
			t.Errorf("the copy init container did not exit 0: %+v", s.State)
		}
	}
}

// volumeAt returns the pod volume a container mounts at path.
func volumeAt(t *testing.T, spec corev1.PodSpec, containerName, path string) corev1.Volume {
	t.Helper()
	c := container(t, spec, containerName)
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			for _, v := range spec.Volumes {
				if v.Name == m.Name {
					return v
				}
			}
			t.Fatalf("container %s mounts volume %q at %s, which the pod does not have", containerName, m.Name, path)
		}
	}
	t.Fatalf("container %s mounts nothing at %s", containerName, path)
	return corev1.Volume{}
}

// listing prints, for each path, every entry below it: symlinks with their
// targets, directories, and regular files with their mode and MD5 sum.
const listing = `for p in "$@"; do find "$p" | sort | while read -r f; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
  elif [ -d "$f" ]; then echo "$f/"
  elif [ -f "$f" ]; then echo "$f $(stat -c %a "$f") $(md5sum < "$f" | cut -d' ' -f1)"
  else echo "$f ?"; fi
done; done`

// sidecarSeesMounts checks, in the running pod, that the debug container
// has every mountPath of the geth container, with the same content: the
// read-only ones (the keystore copy, the service account token) file by
// file; the writable ones (geth's data) by a file written on one side and
// read on the other, since geth keeps writing there.
func sidecarSeesMounts(t *testing.T, ns, pod string, p corev1.Pod) {
	geth := container(t, p.Spec, "geth")
	debug := container(t, p.Spec, "debug")
	var readOnly, writable []string
	for _, m := range geth.VolumeMounts {
		i := slices.IndexFunc(debug.VolumeMounts, func(d corev1.VolumeMount) bool { return d.MountPath == m.MountPath })
		if i < 0 {
			t.Errorf("the debug container does not mount %s (geth mounts volume %q there)", m.MountPath, m.Name)
			continue
		}
		if d := debug.VolumeMounts[i]; d.Name != m.Name || d.SubPath != m.SubPath {
			t.Errorf("at %s the debug container mounts %q (subPath %q), geth %q (subPath %q)", m.MountPath, d.Name, d.SubPath, m.Name, m.SubPath)
		}
		if m.ReadOnly {
			readOnly = append(readOnly, m.MountPath)
		} else {
			writable = append(writable, m.MountPath)
		}
	}
	args := append([]string{"sh", "-c", listing, "sh"}, readOnly...)
	inGeth := execIn(t, ns, pod, "geth", args...)
	inDebug := execIn(t, ns, pod, "debug", args...)
	t.Logf("read-only mounts %v as the debug container sees them:\n%s", readOnly, inDebug)
	if inGeth != inDebug {
		t.Errorf("the read-only mounts differ between geth and the debug container:\ngeth:\n%s\ndebug:\n%s", inGeth, inDebug)
	}
	for _, mp := range writable {
		probe := mp + "/.debug-overlay-probe"
		token := fmt.Sprintf("written by the debug container at %s", time.Now().Format(time.RFC3339Nano))
		execIn(t, ns, pod, "debug", "sh", "-c", `printf %s "$1" > "$2"`, "sh", token, probe)
		if got := execIn(t, ns, pod, "geth", "cat", probe); got != token {
			t.Errorf("%s: geth reads %q, the debug container wrote %q: not the same volume", probe, got, token)
		}
		execIn(t, ns, pod, "geth", "rm", probe)
		top := []string{"sh", "-c", `ls -a "$1"`, "sh", mp}
		g, d := execIn(t, ns, pod, "geth", top...), execIn(t, ns, pod, "debug", top...)
		if g != d {
			t.Errorf("%s lists differently: geth %q, debug %q", mp, g, d)
		}
		t.Logf("writable mount %s: a file written by the debug container is read by geth; both list %q", mp, strings.Fields(d))
	}
}

// TestHelm4Plugin installs the geth chart with the real Helm 4 and the
// debug-overlay post-renderer plugin, installed as `make helm-plugin` does
// into a Helm 4 home of the test's own.
func TestHelm4Plugin(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	ns := newNamespace(t, "geth-helm4", nil)
	ensurePlugin(t)

	const rel = "geth"
	start := time.Now()
	if _, err := helm(4, append([]string{"install", rel, gethChart, "-n", ns, "--post-renderer", "debug-overlay",
		"--set", "debug-overlay.enabled=true", "--wait", "--timeout", "3m"}, gethValues(t, a)...)...); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("helm4 install --wait: %v", time.Since(start).Round(time.Millisecond))
	p := getPod(t, ns, rel+"-0")
	t.Logf("helm4: %s", podSummary(p))
	checkOverlaid(t, p)
	got := listAccounts(t, ns, p.Name)
	t.Logf("helm4: geth account list: %v", got)
	if want := []string{a.address + " keystore:///keystore/" + filepath.Base(a.keyFile)}; !slices.Equal(got, want) {
		t.Errorf("helm4: geth lists %v, want %v", got, want)
	}
	manifest, err := helm(4, "get", "manifest", rel, "-n", ns)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if strings.Contains(manifest, "kind: DebugOverlay") {
		t.Errorf("helm4: the release manifest still holds the DebugOverlay document")
	}
}

// TestKustomizeComponent builds overlays/examples/geth (the base plus the
// Component, an exec KRM function) with the real kustomize and applies it:
// geth lists the account from the copy. The base alone, applied for
// contrast, gives geth the Secret's symlinks, and geth lists nothing.
//
// The example's key file is a stand-in with the zero address, which geth
// skips whatever the file is; in the test's copy of overlays/ it holds the
// real account's key instead, under the same name.
func TestKustomizeComponent(t *testing.T) {
	t.Parallel()
	a := gethAccount(t)
	const standIn = "UTC--2026-11-27T00-00-00.000000000Z--0000000000000000000000000000000000000000"
	key, err := os.ReadFile(a.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(srcDir, "overlays", "examples", "geth", "base", "keystore", standIn), key, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, ns string
		overlaid      bool
	}{
		{"component", filepath.Join(srcDir, "overlays", "examples", "geth"), "geth-kustomize", true},
		{"base alone", filepath.Join(srcDir, "overlays", "examples", "geth", "base"), "geth-kustomize-base", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ns := newNamespace(t, c.ns, nil)
			build := exec.Command(kustomizeBin, "build", "--enable-alpha-plugins", "--enable-exec", c.dir)
			manifest, err := output(build)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if strings.Contains(manifest, "FunctionCheck") || strings.Contains(manifest, "kind: DebugOverlay") {
				t.Errorf("kustomize build left configuration objects in the output:\n%s", manifest)
			}
			kubectl(t, []byte(manifest), "-n", ns, "apply", "-f", "-")
			d := waitPodReady(t, ns, "geth-0", 3*time.Minute)
			p := getPod(t, ns, "geth-0")
			t.Logf("%s: Ready %v after apply: %s", c.name, d.Round(time.Millisecond), podSummary(p))
			got := listAccounts(t, ns, "geth-0")
			t.Logf("%s: geth account list: %v", c.name, got)
			if c.overlaid {
				checkOverlaid(t, p)
				want := []string{a.address + " keystore:///keystore/" + standIn}
				if !slices.Equal(got, want) {
					t.Errorf("geth lists %v, want %v", got, want)
				}
			} else {
				if got := names(p.Spec.Containers); !slices.Equal(got, []string{"geth"}) {
					t.Errorf("base: containers %v, want [geth]", got)
				}
				if len(got) != 0 {
					t.Errorf("base: geth lists %v, want none", got)
				}
			}
		})
	}
}

var (
	pluginOnce sync.Once
	pluginErr  error
)

// ensurePlugin installs, once, the debug-overlay post-renderer plugin into
// the test's Helm 4 home, as `make helm-plugin` does: plugin.yaml with the
// binary under test where it expects it.
func ensurePlugin(t *testing.T) {
	t.Helper()
	pluginOnce.Do(func() {
		pluginDir := filepath.Join(tmpRoot, "helm4-plugin", "debug-overlay")
		binName := fmt.Sprintf("debug-overlay-%s-%s", runtime.GOOS, runtime.GOARCH)
		for src, dst := range map[string]string{
			filepath.Join(repoRoot, "plugin.yaml"): filepath.Join(pluginDir, "plugin.yaml"),
			overlayBin:                             filepath.Join(pluginDir, "bin", binName),
		} {
			if pluginErr = os.MkdirAll(filepath.Dir(dst), 0o755); pluginErr != nil {
				return
			}
			if pluginErr = copyTree(src, dst); pluginErr != nil {
				return
			}
		}
		var out string
		out, pluginErr = helm(4, "plugin", "install", pluginDir)
		fmt.Fprintf(os.Stderr, "nodee2e: helm4 plugin install: %s\n", strings.TrimSpace(out))
	})
	if pluginErr != nil {
		t.Fatalf("installing the Helm 4 plugin: %v", pluginErr)
	}
}
