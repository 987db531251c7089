package generator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestProfiles(t *testing.T) {
	tests := []struct {
		profile ProfileName
		want    *corev1.SecurityContext
	}{
		{ProfileGeneral, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}},
		{ProfileBaseline, nil},
		{ProfileNetadmin, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}}}},
		{ProfileSysadmin, &corev1.SecurityContext{Privileged: ptr(true)}},
		{ProfileRestricted, &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			RunAsUser:                ptr(int64(1234)),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.profile), func(t *testing.T) {
			p, err := LookupProfile(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			var c corev1.Container
			p.Apply(&c, 1234)
			if diff := cmp.Diff(tt.want, c.SecurityContext); diff != "" {
				t.Errorf("securityContext (-want +got):\n%s", diff)
			}
		})
	}
	if got := len(ProfileNames()); got != len(tests) {
		t.Errorf("%d profiles, the table tests %d", got, len(tests))
	}
}

func TestLookupProfileListsValidNames(t *testing.T) {
	_, err := LookupProfile("root")
	if err == nil || !strings.Contains(err.Error(), "valid: baseline, general, netadmin, restricted, sysadmin") {
		t.Errorf("error = %v, want the valid names", err)
	}
}

// TestRestrictedProfileRender checks every container the overlay adds under
// the restricted profile against Pod Security "restricted", and the user it
// picks: the pod's, a target container's, or the configured default.
func TestRestrictedProfileRender(t *testing.T) {
	pod := func(podSC, containerSC string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n" + podSC +
			"  containers:\n    - name: app\n      image: app\n" + containerSC +
			"      volumeMounts:\n        - {name: keys, mountPath: /keys}\n" +
			"  volumes:\n    - {name: keys, secret: {secretName: keys}}\n"
	}
	tests := []struct {
		name    string
		input   string
		wantUID int64
	}{
		{name: "default user", input: pod("", ""), wantUID: 65532},
		{name: "pod user", input: pod("  securityContext:\n    runAsUser: 1000\n", ""), wantUID: 1000},
		{name: "container user", input: pod("", "      securityContext:\n        runAsUser: 2000\n"), wantUID: 2000},
		{name: "root pod user is not used", input: pod("  securityContext:\n    runAsUser: 0\n", ""), wantUID: 65532},
	}
	cfg := Config{Enabled: ptr(true), Sidecar: Sidecar{Profile: ProfileRestricted}, Copy: Copy{Volumes: []CopyVolume{{Name: "keys"}}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := render(cfg, []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			pods := overlaidPodSpecs(out, nil)
			if len(pods) != 1 || pods[0].err != nil {
				t.Fatalf("want one overlaid pod, got %+v", pods)
			}
			added := 0
			for _, c := range append(pods[0].spec.InitContainers, pods[0].spec.Containers...) {
				if c.Name == "app" {
					continue
				}
				added++
				if p := restrictedProblems(c); len(p) > 0 {
					t.Errorf("container %q: %s", c.Name, strings.Join(p, ", "))
				}
				if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil && *sc.RunAsUser != tt.wantUID {
					t.Errorf("container %q runs as %d, want %d", c.Name, *sc.RunAsUser, tt.wantUID)
				}
			}
			if added != 2 {
				t.Errorf("%d containers added, want the sidecar and the copy container", added)
			}
		})
	}
}
