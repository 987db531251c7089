package apiserver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/test/cluster"
	corev1 "k8s.io/api/core/v1"
)

// appPod is a Pod that Pod Security "restricted" admits on its own: a
// non-root user, seccomp RuntimeDefault, all capabilities dropped, no
// privilege escalation. Its Secret volume is what the copy variant copies.
const appPod = `apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  restartPolicy: %s
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
      volumeMounts:
        - name: config
          mountPath: /etc/app
          readOnly: true
  volumes:
    - name: config
      secret:
        secretName: app-config
`

// podVariant is one way the overlay shapes the pod.
type podVariant struct {
	name          string
	restartPolicy corev1.RestartPolicy
	args          []string
	// added lists the containers the overlay adds, in the order Pod Security
	// visits them (init containers first) and names them in its messages.
	added []string
	// check, when set, checks an admitted pod further.
	check func(t *testing.T, pod corev1.Pod)
}

var podVariants = []podVariant{
	{name: "classic", restartPolicy: corev1.RestartPolicyAlways, added: []string{"debug"}},
	// restartPolicy Never makes the sidecar a native one, an init container.
	{name: "native", restartPolicy: corev1.RestartPolicyNever, added: []string{"debug"}},
	{name: "copy", restartPolicy: corev1.RestartPolicyAlways, args: []string{"--copy-volume", "config"},
		added: []string{overlay.CopyContainerName, "debug"}},
	// The copy container runs as the owner, the app's user, and adds
	// nothing Pod Security minds.
	{name: "copy-owner", restartPolicy: corev1.RestartPolicyAlways, args: []string{"--copy-volume", "config:fileMode=0600,dirMode=0700,owner=app"},
		added: []string{overlay.CopyContainerName, "debug"}, check: runsAsOwner},
	// The tools init container is hardened as the copy container is, no
	// more (issue 26).
	{name: "tools", restartPolicy: corev1.RestartPolicyAlways, args: []string{"--tools"},
		added: []string{overlay.ToolsContainerName, "debug"}},
	{name: "tools-copy", restartPolicy: corev1.RestartPolicyAlways, args: []string{"--tools", "--copy-volume", "config"},
		added: []string{overlay.ToolsContainerName, overlay.CopyContainerName, "debug"}},
}

// runsAsOwner checks that the copy container runs as the owner, the app's
// user 1000, with the modes among its arguments.
func runsAsOwner(t *testing.T, pod corev1.Pod) {
	t.Helper()
	for _, c := range pod.Spec.InitContainers {
		if c.Name != overlay.CopyContainerName {
			continue
		}
		if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1000 {
			t.Errorf("the copy container's securityContext is %+v, want runAsUser 1000, the app's", sc)
		}
		if !slices.Contains(c.Args, "0600") || !slices.Contains(c.Args, "0700") {
			t.Errorf("the copy container's arguments %q lack the modes", c.Args)
		}
		return
	}
	t.Errorf("the admitted pod has no copy container")
}

// TestPodSecurity creates, for real, the overlaid appPod in namespaces that
// enforce Pod Security "restricted" and "baseline", with each profile and
// each pod variant: the profiles meant for a level are admitted, the others
// refused with exactly Pod Security's reasons for the sidecar (and the copy
// init container, which only the restricted profile hardens).
func TestPodSecurity(t *testing.T) {
	for _, level := range []string{"restricted", "baseline"} {
		t.Run(level, func(t *testing.T) {
			ns := namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": level})
			// The control: the input alone is admitted, in every variant.
			for _, v := range podVariants {
				name := "input-" + v.name
				if _, err := kube.CreateForReal(ns, fmt.Appendf(nil, appPod, name, v.restartPolicy)); err != nil {
					t.Fatalf("the input pod itself is refused, so this test proves nothing: %v", err)
				}
			}
			for _, profile := range overlay.ProfileNames() {
				for _, v := range podVariants {
					t.Run(string(profile)+"/"+v.name, func(t *testing.T) {
						t.Parallel()
						podSecurityCase(t, ns, level, profile, v)
					})
				}
			}
		})
	}
}

func podSecurityCase(t *testing.T, ns, level string, profile overlay.ProfileName, v podVariant) {
	name := cluster.DNSLabel(string(profile) + "-" + v.name)
	input := fmt.Appendf(nil, appPod, name, v.restartPolicy)
	args := append([]string{"--enable", "--profile", string(profile), "--allow-privileged"}, v.args...)
	pod := runOverlay(t, input, args...)
	want := violations(level, profile, v)
	// The profile's own Level says where it is admitted: held here to what
	// the API server does.
	p, _ := overlay.LookupProfile(profile)
	if admits := levelAdmits(overlay.PodSecurityLevel(level), p.Level()); admits != (want == nil) {
		t.Errorf("profile %s says its level is %s, so Pod Security %q admits it: %v; the API server: %v", profile, p.Level(), level, admits, want == nil)
	}

	_, err := kube.CreateForReal(ns, pod)
	if want == nil {
		if err != nil {
			t.Fatalf("Pod Security %q refuses profile %s, want it admitted:\n%v\npod:\n%s", level, profile, err, pod)
		}
		got := getPod(t, ns, name)
		for _, c := range v.added {
			if !slices.ContainsFunc(slices.Concat(got.Spec.InitContainers, got.Spec.Containers),
				func(x corev1.Container) bool { return x.Name == c }) {
				t.Errorf("the admitted pod has no container %q: the overlay did not apply", c)
			}
		}
		if v.check != nil {
			v.check(t, got)
		}
		t.Logf("admitted, containers %v, init containers %v", containerNames(got.Spec.Containers), containerNames(got.Spec.InitContainers))
		return
	}
	if err == nil {
		t.Fatalf("Pod Security %q admits profile %s, want it refused for %q\npod:\n%s", level, profile, want, pod)
	}
	msg := kubectlError(t, err)
	m := regexp.MustCompile(`violates PodSecurity "` + level + `:latest": (.*)`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("refused, but not by Pod Security %q:\n%s", level, msg)
	}
	// Each expected reason once, and nothing else (the order is Pod
	// Security's registry order, which this test does not pin).
	rest := m[1]
	for _, w := range want {
		if !strings.Contains(rest, w) {
			t.Errorf("Pod Security's message lacks %q:\n%s", w, msg)
		}
		rest = strings.Replace(rest, w, "", 1)
	}
	if extra := strings.Trim(strings.ReplaceAll(rest, ", ", ""), " ,"); extra != "" {
		t.Errorf("Pod Security gives reasons beyond the expected ones: %q\nfull message:\n%s", extra, msg)
	}
	t.Logf("refused: %s", msg)
}

// levelAdmits reports whether a namespace enforcing level admits what needs
// level need.
func levelAdmits(level, need overlay.PodSecurityLevel) bool {
	order := []overlay.PodSecurityLevel{overlay.LevelRestricted, overlay.LevelBaseline, overlay.LevelPrivileged}
	return slices.Index(order, need) <= slices.Index(order, level)
}

// violations returns Pod Security's reasons to refuse the overlaid appPod,
// nil when it admits it. Only the containers the overlay adds can violate:
// the input satisfies "restricted".
func violations(level string, profile overlay.ProfileName, v podVariant) []string {
	sidecar := []string{"debug"}
	// Pod Security's policy/check_*.go messages.
	privileged := func(cs []string) string {
		return fmt.Sprintf("privileged (%s must not set securityContext.privileged=true)", containers(cs))
	}
	escalation := func(cs []string) string {
		return fmt.Sprintf("allowPrivilegeEscalation != false (%s must set securityContext.allowPrivilegeEscalation=false)", containers(cs))
	}
	capsRestricted := func(cs []string, added ...string) string {
		s := fmt.Sprintf(`unrestricted capabilities (%s must set securityContext.capabilities.drop=["ALL"]`, containers(cs))
		if len(added) > 0 {
			s += fmt.Sprintf("; %s must not include %s in securityContext.capabilities.add", containers(sidecar), quoted(added))
		}
		return s + ")"
	}
	capsBaseline := func(added ...string) string {
		return fmt.Sprintf("non-default capabilities (%s must not include %s in securityContext.capabilities.add)",
			containers(sidecar), quoted(added))
	}
	switch level {
	case "restricted":
		switch profile {
		case overlay.ProfileRestricted:
			return nil
		case overlay.ProfileGeneral:
			return []string{escalation(v.added), capsRestricted(v.added, "SYS_PTRACE")}
		case overlay.ProfileBaseline:
			return []string{escalation(v.added), capsRestricted(v.added)}
		case overlay.ProfileNetadmin:
			return []string{escalation(v.added), capsRestricted(v.added, "NET_ADMIN", "NET_RAW")}
		case overlay.ProfileSysadmin:
			return []string{privileged(sidecar), escalation(v.added), capsRestricted(v.added)}
		}
	case "baseline":
		switch profile {
		case overlay.ProfileRestricted, overlay.ProfileBaseline:
			return nil
		case overlay.ProfileGeneral:
			return []string{capsBaseline("SYS_PTRACE")}
		case overlay.ProfileNetadmin:
			return []string{capsBaseline("NET_ADMIN", "NET_RAW")}
		case overlay.ProfileSysadmin:
			return []string{privileged(sidecar)}
		}
	}
	panic(fmt.Sprintf("no expectation for level %s, profile %s", level, profile))
}

// containers names containers as Pod Security does: `container "a"`,
// `containers "a", "b"`.
func containers(names []string) string {
	if len(names) == 1 {
		return "container " + quoted(names)
	}
	return "containers " + quoted(names)
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}

func getPod(t *testing.T, ns, name string) corev1.Pod {
	t.Helper()
	out, _, err := kube.RunKubectl(nil, "get", "pod", name, "-n", ns, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(out, &pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func containerNames(cs []corev1.Container) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}
