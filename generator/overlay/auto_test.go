package overlay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestAutoLadder(t *testing.T) {
	want := []ProfileName{ProfileRestricted, ProfileBaseline, ProfileGeneral}
	if diff := cmp.Diff(want, AutoLadder()); diff != "" {
		t.Errorf("AutoLadder() (-want +got):\n%s", diff)
	}
	if got := JoinNames(ProfileChoices()); got != "auto, baseline, general, netadmin, restricted, sysadmin" {
		t.Errorf("ProfileChoices() = %s", got)
	}
}

// TestNamespacePodSecurity reads the labels as Pod Security does
// (api.PolicyToEvaluate): an invalid level is restricted, an invalid
// version latest, a missing version latest, no label unknown.
func TestNamespacePodSecurity(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   string // PodSecurity.String()
		note   string
	}{
		{name: "no label", labels: map[string]string{"team": "a"}, want: "unknown"},
		{name: "restricted", labels: map[string]string{EnforceLabel: "restricted"}, want: "restricted:latest"},
		{name: "pinned version", labels: map[string]string{EnforceLabel: "baseline", EnforceVersionLabel: "v1.30"}, want: "baseline:v1.30"},
		{name: "version 0", labels: map[string]string{EnforceLabel: "baseline", EnforceVersionLabel: "v1.0"}, want: "baseline:v1.0"},
		{name: "latest", labels: map[string]string{EnforceLabel: "privileged", EnforceVersionLabel: "latest"}, want: "privileged:latest"},
		{name: "invalid level", labels: map[string]string{EnforceLabel: "strict"}, want: "restricted:latest", note: `"strict" of Namespace ns is not a level`},
		{name: "invalid version", labels: map[string]string{EnforceLabel: "baseline", EnforceVersionLabel: "1.30"}, want: "baseline:latest", note: `"1.30" of Namespace ns is not "latest" or "v1.N"`},
		{name: "leading zero", labels: map[string]string{EnforceLabel: "baseline", EnforceVersionLabel: "v1.030"}, want: "baseline:latest", note: "enforces the latest version"},
		{name: "only a version", labels: map[string]string{EnforceVersionLabel: "v1.30"}, want: "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NamespacePodSecurity("ns", tc.labels)
			if got.String() != tc.want {
				t.Errorf("level %s, want %s", got, tc.want)
			}
			if notes := strings.Join(got.Notes, "\n"); tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", notes, tc.note)
			}
			if got.Known() && got.From != "label pod-security.kubernetes.io/enforce of Namespace ns" {
				t.Errorf("from %q", got.From)
			}
		})
	}
}

// hardened is a pod written for Pod Security restricted.
func hardened() *corev1.PodSpec {
	return &corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
}

func TestNotWrittenForRestricted(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*corev1.PodSpec)
		want string
	}{
		{name: "hardened", edit: func(*corev1.PodSpec) {}},
		{name: "Localhost seccomp on the container", edit: func(p *corev1.PodSpec) {
			p.SecurityContext.SeccompProfile = nil
			p.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}
		}},
		{name: "container says runAsNonRoot false", edit: func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.RunAsNonRoot = ptr.To(false) },
			want: `container "app" may run as root`},
		{name: "capabilities kept", edit: func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.Capabilities = nil },
			want: `container "app" does not drop ALL capabilities`},
		{name: "escalation", edit: func(p *corev1.PodSpec) { p.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil },
			want: "allowPrivilegeEscalation: false"},
		{name: "unconfined seccomp", edit: func(p *corev1.PodSpec) {
			p.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, want: "seccomp"},
		{name: "an init container too", edit: func(p *corev1.PodSpec) { p.InitContainers = []corev1.Container{{Name: "init"}} },
			want: `container "init"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := hardened()
			tc.edit(pod)
			got := notWrittenForRestricted(pod)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("notWrittenForRestricted = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestChooseAuto: the most capable rung the level admits, the level from
// a namespace the overlay knows, else spec.podSecurity, else the pod.
func TestChooseAuto(t *testing.T) {
	levels := map[string]PodSecurity{
		"locked": NamespacePodSecurity("locked", map[string]string{EnforceLabel: "restricted"}),
		"base":   NamespacePodSecurity("base", map[string]string{EnforceLabel: "baseline", EnforceVersionLabel: "v1.30"}),
		"open":   NamespacePodSecurity("open", map[string]string{EnforceLabel: "privileged"}),
	}
	plain := &corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}
	for _, tc := range []struct {
		name        string
		podSecurity PodSecurityLevel
		namespace   string
		pod         *corev1.PodSpec
		want        ProfileName
		from        string
	}{
		{name: "restricted namespace", namespace: "locked", pod: plain, want: ProfileRestricted, from: "Namespace locked"},
		{name: "baseline namespace", namespace: "base", pod: hardened(), want: ProfileBaseline, from: "Namespace base"},
		{name: "privileged namespace", namespace: "open", pod: hardened(), want: ProfileGeneral, from: "Namespace open"},
		{name: "the namespace wins over spec.podSecurity", podSecurity: LevelRestricted, namespace: "open", pod: plain, want: ProfileGeneral, from: "Namespace open"},
		{name: "spec.podSecurity", podSecurity: LevelBaseline, namespace: "elsewhere", pod: hardened(), want: ProfileBaseline, from: "spec.podSecurity"},
		{name: "inferred: written for restricted", pod: hardened(), want: ProfileRestricted, from: "written for restricted"},
		{name: "inferred: not written for restricted", pod: plain, want: ProfileGeneral, from: "not written for restricted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := liveOverlay(t, Config{PodSecurity: tc.podSecurity, Sidecar: Sidecar{Profile: ProfileAuto}})
			o.SetNamespaces(levels)
			p, ch, notes := o.choose(tc.namespace, tc.pod)
			if ch.Profile != tc.want || p.Rank() != profiles[tc.want].Rank() || !ch.Auto {
				t.Errorf("chose %s (auto %v), want %s", ch.Profile, ch.Auto, tc.want)
			}
			if !strings.Contains(ch.Security.From, tc.from) || !strings.Contains(ch.String(), tc.from) {
				t.Errorf("from %q (%s), want it to say %q", ch.Security.From, ch, tc.from)
			}
			if len(notes) > 0 {
				t.Errorf("notes %q", notes)
			}
			if want := profiles[tc.want].(profile).cost; ch.Cost() != want {
				t.Errorf("cost %q, want %q", ch.Cost(), want)
			}
		})
	}
	t.Run("a named profile the level refuses: a note", func(t *testing.T) {
		o := liveOverlay(t, Config{Sidecar: Sidecar{Profile: ProfileGeneral}})
		o.SetNamespaces(levels)
		_, ch, notes := o.choose("base", plain)
		if ch.Profile != ProfileGeneral || ch.Auto || len(notes) != 1 || !strings.Contains(notes[0], "profile general needs Pod Security privileged, but the pod is to meet baseline:v1.30") {
			t.Errorf("chose %s, notes %q", ch, notes)
		}
		if _, _, notes := o.choose("open", plain); len(notes) != 0 {
			t.Errorf("privileged namespace: notes %q", notes)
		}
	})
	if got := (Choice{Profile: ProfileGeneral}).Cost(); got != "" {
		t.Errorf("general costs %q, want nothing", got)
	}
}

// TestDebugUser: the debug container runs as the target container's user
// and group, else the pod's, for every profile; root only where the
// profile allows it; sidecar.runAsUser where it must not be root and no
// user is known.
func TestDebugUser(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	type ids struct{ uid, gid *int64 }
	for _, tc := range []struct {
		name    string
		pod     *corev1.PodSecurityContext
		app     *corev1.SecurityContext
		profile ProfileName
		want    ids    // the debug container's own runAsUser and runAsGroup
		user    string // Choice.User
	}{
		{name: "container user over the pod's, general", pod: &corev1.PodSecurityContext{RunAsUser: i(1000), FSGroup: i(2000)},
			app: &corev1.SecurityContext{RunAsUser: i(1001)}, profile: ProfileGeneral,
			want: ids{uid: i(1001)}, user: `1001 (runAsUser of container "app"), in the pod's groups fsGroup 2000`},
		{name: "container user over the pod's, restricted", pod: &corev1.PodSecurityContext{RunAsUser: i(1000)},
			app: &corev1.SecurityContext{RunAsUser: i(1001), RunAsGroup: i(3000)}, profile: ProfileRestricted,
			want: ids{uid: i(1001), gid: i(3000)}, user: `1001:3000 (runAsUser of container "app", runAsGroup of container "app")`},
		{name: "the pod's user is inherited", pod: &corev1.PodSecurityContext{RunAsUser: i(1000), RunAsGroup: i(3000), SupplementalGroups: []int64{4000}},
			profile: ProfileBaseline, want: ids{}, user: "1000:3000 (runAsUser of the pod, runAsGroup of the pod), in the pod's groups 4000"},
		{name: "the container repeats the pod's user", pod: &corev1.PodSecurityContext{RunAsUser: i(1000)},
			app: &corev1.SecurityContext{RunAsUser: i(1000)}, profile: ProfileGeneral, want: ids{}, user: `1000 (runAsUser of container "app")`},
		{name: "root where the profile allows it", pod: &corev1.PodSecurityContext{RunAsUser: i(1000)},
			app: &corev1.SecurityContext{RunAsUser: i(0)}, profile: ProfileBaseline, want: ids{uid: i(0)}, user: `0 (runAsUser of container "app")`},
		{name: "root target, restricted: sidecar.runAsUser", pod: &corev1.PodSecurityContext{RunAsUser: i(1000)},
			app: &corev1.SecurityContext{RunAsUser: i(0)}, profile: ProfileRestricted, want: ids{uid: i(65532)}, user: "65532 (sidecar.runAsUser"},
		{name: "no user, restricted: sidecar.runAsUser", profile: ProfileRestricted, want: ids{uid: i(65532)}, user: "65532 (sidecar.runAsUser"},
		{name: "no user, general: the image's", profile: ProfileGeneral, want: ids{}, user: "the image's user"},
		{name: "runAsNonRoot pod, container user", pod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: i(1000)},
			app: &corev1.SecurityContext{RunAsUser: i(1001)}, profile: ProfileGeneral, want: ids{uid: i(1001)}, user: `1001 (runAsUser of container "app")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.PodSpec{SecurityContext: tc.pod, Containers: []corev1.Container{{Name: "app", SecurityContext: tc.app}, {Name: "other"}}}
			o := liveOverlay(t, Config{Sidecar: Sidecar{Profile: tc.profile}})
			c, user, _ := o.debugContainer(o.profile, pod, nil, nil, false)
			sc := ptr.Deref(c.SecurityContext, corev1.SecurityContext{})
			if !ptr.Equal(sc.RunAsUser, tc.want.uid) || !ptr.Equal(sc.RunAsGroup, tc.want.gid) {
				t.Errorf("runAsUser %v, runAsGroup %v; want %v, %v", ptrText(sc.RunAsUser), ptrText(sc.RunAsGroup), ptrText(tc.want.uid), ptrText(tc.want.gid))
			}
			if !strings.HasPrefix(user, tc.user) {
				t.Errorf("user %q, want %q", user, tc.user)
			}
		})
	}
}

func ptrText(p *int64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// TestEphemeralAuto: attach's container is chosen as Apply's is, by the
// level of the pod's namespace the overlay was told.
func TestEphemeralAuto(t *testing.T) {
	o := liveOverlay(t, Config{Sidecar: Sidecar{Profile: ProfileAuto}})
	o.SetNamespaces(map[string]PodSecurity{"base": NamespacePodSecurity("base", map[string]string{EnforceLabel: "baseline"})})
	pod := &corev1.Pod{Spec: *hardened()}
	pod.Namespace = "base"
	live, err := o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
	if err != nil {
		t.Fatal(err)
	}
	if live.Choice.Profile != ProfileBaseline || !strings.Contains(live.Choice.String(), "Namespace base") {
		t.Errorf("choice %s, want baseline for Namespace base", live.Choice)
	}
	if sc := live.Container.SecurityContext; sc == nil || !ptr.Deref(sc.RunAsNonRoot, false) || sc.Capabilities != nil {
		t.Errorf("securityContext %+v: want runAsNonRoot (the pod's) and no capability added", sc)
	}
	pod.Namespace = "elsewhere" // inferred from the pod: written for restricted
	if live, err = o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Pod", Name: "p"})); err != nil || live.Choice.Profile != ProfileRestricted {
		t.Errorf("choice %s, %v; want restricted, inferred", live.Choice, err)
	}
}
