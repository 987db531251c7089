package apiserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// policyPod is a plain pod; the overlay makes the debug pods of it.
const policyPod = `apiVersion: v1
kind: Pod
metadata:
  name: NAME
spec:
  containers:
    - name: app
      image: registry.k8s.io/pause:3.10
`

// TestPolicy applies `debug-overlay generate policy` to a real
// kube-apiserver (a cluster of its own: the policy binds cluster-wide, and
// the other tests create overlaid pods in namespaces without the label),
// and creates pods against it: it refuses overlaid pods outside labelled
// namespaces, without an expiry, with images or privileges it does not
// allow, and the ephemeral containers that attach adds on the same terms;
// it leaves pods without the overlay alone.
func TestPolicy(t *testing.T) {
	c, err := cluster.Start(cluster.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}()
	for _, ns := range []struct {
		name   string
		labels map[string]string
	}{
		{"allowed", map[string]string{"debug-overlay.dev/allowed": "true"}},
		{"plain", nil},
	} {
		if err := c.CreateNamespace(ns.name, ns.labels); err != nil {
			t.Fatal(err)
		}
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	overlaid := func(name string, args ...string) []byte {
		return runOverlay(t, []byte(strings.ReplaceAll(policyPod, "NAME", name)), append([]string{"--enable"}, args...)...)
	}
	create := func(ns string, manifest []byte) error {
		_, _, err := c.RunKubectl(manifest, "-n", ns, "create", "-f", "-")
		return err
	}

	policy := runOverlay(t, nil, "generate", "policy")
	if _, _, err := c.RunKubectl(policy, "apply", "-f", "-"); err != nil {
		t.Fatalf("applying the policy: %v", err)
	}
	// The API server takes up a new policy within a second or so: wait
	// until it refuses what it must.
	probe := 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		probe++
		err := create("plain", overlaid(fmt.Sprintf("probe-%d", probe), "--expires", future))
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the API server still admits an overlaid pod in a namespace without the label after 30s")
		}
		time.Sleep(500 * time.Millisecond)
	}

	for _, tc := range []struct {
		name     string
		ns       string
		manifest []byte
		refused  string // a part of the refusal; "" admitted
	}{
		{name: "overlaid, labelled namespace", ns: "allowed", manifest: overlaid("ok", "--expires", future)},
		{name: "overlaid, namespace without the label", ns: "plain", manifest: overlaid("no-label", "--expires", future),
			refused: `debug-overlay: debug containers are admitted only in namespaces labelled debug-overlay.dev/allowed="true"`},
		{name: "overlaid, no expiry", ns: "allowed", manifest: overlaid("no-expiry"),
			refused: "needs the debug-overlay.dev/expires annotation"},
		{name: "image not allowed", ns: "allowed", manifest: overlaid("image", "--expires", future, "--image", "evil.example/toolbox:1"),
			refused: "debug container debug runs image evil.example/toolbox:1, which is not allowed"},
		{name: "sysadmin", ns: "allowed", manifest: overlaid("sysadmin", "--expires", future, "--profile", "sysadmin", "--allow-privileged"),
			refused: "debug container debug runs privileged (profile sysadmin), which is not allowed"},
		{name: "netadmin", ns: "allowed", manifest: overlaid("netadmin", "--expires", future, "--profile", "netadmin")},
		{name: "the tools", ns: "allowed", manifest: overlaid("tools", "--expires", future, "--tools")},
		{name: "a tools image not allowed", ns: "allowed", manifest: overlaid("tools-image", "--expires", future, "--tools", "--tools-image", "evil.example/busybox:1"),
			refused: "debug container debug-overlay-tools runs image evil.example/busybox:1, which is not allowed"},
		{name: "a pod without the overlay, privileged, no label", ns: "plain",
			manifest: []byte(strings.ReplaceAll(policyPod, "NAME", "plain") + "      securityContext: {privileged: true}\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admission(t, create(tc.ns, tc.manifest), tc.refused)
		})
	}

	// attach's ephemeral containers, through the subresource.
	for _, ns := range []string{"allowed", "plain"} {
		if err := create(ns, []byte(strings.ReplaceAll(policyPod, "NAME", "live"))); err != nil {
			t.Fatal(err)
		}
	}
	ephemeral := func(ns, name, image, securityContext string) error {
		patch := fmt.Sprintf(`{"spec":{"ephemeralContainers":[{"name":%q,"image":%q,"targetContainerName":"app"%s}]}}`, name, image, securityContext)
		_, _, err := c.RunKubectl(nil, "-n", ns, "patch", "pod", "live", "--subresource", "ephemeralcontainers", "--type", "strategic", "-p", patch)
		return err
	}
	for _, tc := range []struct {
		name, ns, container, image, securityContext string
		refused                                     string
	}{
		{name: "namespace without the label", ns: "plain", container: "debug", image: "alpine:3.20", refused: "admitted only in namespaces labelled"},
		{name: "image not allowed", ns: "allowed", container: "debug", image: "evil.example/toolbox:1", refused: "runs image evil.example/toolbox:1"},
		{name: "capability beyond the profiles", ns: "allowed", container: "debug-2", image: "alpine:3.20",
			securityContext: `,"securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}`, refused: "adds capabilities that no allowed profile adds"},
		{name: "allowed", ns: "allowed", container: "debug-3", image: "alpine:3.20", securityContext: `,"securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}`},
		{name: "not ours: kubectl debug's", ns: "plain", container: "debugger-x7k2p", image: "evil.example/toolbox:1"},
	} {
		t.Run("ephemeral, "+tc.name, func(t *testing.T) {
			admission(t, ephemeral(tc.ns, tc.container, tc.image, tc.securityContext), tc.refused)
		})
	}

	// A policy that allows sysadmin admits it, once the API server has it.
	policy = runOverlay(t, nil, "generate", "policy", "--allowed-profile", "general", "--allowed-profile", "sysadmin")
	if _, _, err := c.RunKubectl(policy, "apply", "-f", "-"); err != nil {
		t.Fatalf("applying the policy that allows sysadmin: %v", err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for try := 0; ; try++ {
		err := create("allowed", overlaid(fmt.Sprintf("sysadmin-%d", try), "--expires", future, "--profile", "sysadmin", "--allow-privileged"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a policy that allows sysadmin still refuses it after 30s: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := create("allowed", overlaid("netadmin-2", "--expires", future, "--profile", "netadmin")); err == nil || !strings.Contains(err.Error(), "adds capabilities that no allowed profile adds (allowed profiles: general, sysadmin)") {
		t.Errorf("netadmin under a policy that allows general and sysadmin: %v, want refused", err)
	}

	// A policy that allows auto admits what auto chooses at every level,
	// and still refuses more (issue 25).
	policy = runOverlay(t, nil, "generate", "policy", "--allowed-profile", "auto")
	if _, _, err := c.RunKubectl(policy, "apply", "-f", "-"); err != nil {
		t.Fatalf("applying the policy that allows auto: %v", err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for try := 0; ; try++ {
		err := create("allowed", overlaid(fmt.Sprintf("auto-netadmin-%d", try), "--expires", future, "--profile", "netadmin"))
		if err != nil && strings.Contains(err.Error(), "adds capabilities that no allowed profile adds (allowed profiles: auto)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a policy that allows auto still admits netadmin after 30s: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, level := range []string{"privileged", "baseline", "restricted"} {
		t.Run("auto for "+level+" under a policy that allows auto", func(t *testing.T) {
			admission(t, create("allowed", overlaid("auto-"+level, "--expires", future, "--profile", "auto", "--pod-security", level)), "")
		})
	}
	admission(t, create("allowed", overlaid("auto-sysadmin", "--expires", future, "--profile", "sysadmin", "--allow-privileged")), "runs privileged (profile sysadmin), which is not allowed (allowed profiles: auto)")
}

// admission checks the API server's answer: admitted when refused is "",
// else refused with a message that holds refused.
func admission(t *testing.T, err error, refused string) {
	t.Helper()
	switch {
	case refused == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case refused != "" && err == nil:
		t.Fatalf("admitted, want refused with %q", refused)
	case refused != "" && !strings.Contains(err.Error(), refused):
		t.Fatalf("refused with %v\nwant %q", err, refused)
	}
}
