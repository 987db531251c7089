package overlay

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestProfiles(t *testing.T) {
	tests := []struct {
		profile ProfileName
		want    *corev1.SecurityContext
	}{
		{ProfileGeneral, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}},
		{ProfileBaseline, nil},
		{ProfileNetadmin, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}}}},
		{ProfileSysadmin, &corev1.SecurityContext{Privileged: ptr.To(true)}},
		{ProfileRestricted, &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To(int64(1234)),
			AllowPrivilegeEscalation: ptr.To(false),
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
			p.Apply(&corev1.PodSpec{}, &c, false, 1234)
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

// TestProfileLadder holds the ranks to what they mean: the least capable
// first, and the Pod Security level each needs never less permissive than
// the one before's.
func TestProfileLadder(t *testing.T) {
	got := ProfilesByRank()
	want := []ProfileName{ProfileRestricted, ProfileBaseline, ProfileGeneral, ProfileNetadmin, ProfileSysadmin}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProfilesByRank() (-want +got):\n%s", diff)
	}
	levels := []PodSecurityLevel{LevelRestricted, LevelBaseline, LevelPrivileged}
	last := 0
	for _, name := range got {
		p, _ := LookupProfile(name)
		i := slices.Index(levels, p.Level())
		if i < last {
			t.Errorf("%s needs Pod Security %s, less than the profile ranked below it", name, p.Level())
		}
		last = i
	}
}
