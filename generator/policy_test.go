package generator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// TestDefaultPolicy: the policy's defaults come from the overlay's own
// tables, so a new preset or profile reaches it without a hand edit.
func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if diff := cmp.Diff([]string{"alpine:3.20", "busybox:1.36", "busybox:1.36-uclibc", "nicolaka/netshoot:v0.13"}, p.Images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	want := []overlay.ProfileName{overlay.ProfileBaseline, overlay.ProfileGeneral, overlay.ProfileNetadmin, overlay.ProfileRestricted}
	if diff := cmp.Diff(want, p.Profiles); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	caps, privileged, err := profileRights(p.Profiles)
	if err != nil || privileged || !cmp.Equal(caps, []string{"NET_ADMIN", "NET_RAW", "SYS_PTRACE"}) {
		t.Errorf("rights of the default profiles: %v, privileged %v, %v", caps, privileged, err)
	}
}

func TestPolicyYAML(t *testing.T) {
	data, err := Policy{Images: []string{`quote"d`}, Profiles: []overlay.ProfileName{overlay.ProfileSysadmin}}.YAML()
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")
	if len(docs) != 3 || !strings.HasPrefix(string(data), GeneratedHeader) {
		t.Fatalf("want the header, the policy and the binding:\n%s", data)
	}
	var policy admissionv1.ValidatingAdmissionPolicy
	if err := sigsyaml.UnmarshalStrict([]byte(docs[1]), &policy); err != nil {
		t.Fatal(err)
	}
	var binding admissionv1.ValidatingAdmissionPolicyBinding
	if err := sigsyaml.UnmarshalStrict([]byte(docs[2]), &binding); err != nil {
		t.Fatal(err)
	}
	if binding.Spec.PolicyName != policy.Name || policy.Name != "debug-overlay" {
		t.Errorf("binding %q binds policy %q", binding.Spec.PolicyName, policy.Name)
	}
	for _, v := range policy.Spec.Variables {
		if v.Name == "images" && v.Expression != `["quote\"d"]` {
			t.Errorf("images = %s", v.Expression)
		}
	}
	for _, v := range policy.Spec.Validations {
		if strings.Contains(v.Expression, "Privileged") {
			t.Errorf("a policy that allows sysadmin refuses privileged containers: %s", v.Expression)
		}
	}
	if _, err := (Policy{Profiles: []overlay.ProfileName{"root"}}).YAML(); err == nil {
		t.Error("an unknown profile made a policy")
	}
}

// TestPolicyAuto: allowing auto allows what auto chooses from (SYS_PTRACE
// of general, nothing privileged), and no more.
func TestPolicyAuto(t *testing.T) {
	caps, privileged, err := profileRights([]overlay.ProfileName{overlay.ProfileAuto})
	if err != nil || privileged || !cmp.Equal(caps, []string{"SYS_PTRACE"}) {
		t.Errorf("rights of auto: %v, privileged %v, %v; want SYS_PTRACE only", caps, privileged, err)
	}
}
