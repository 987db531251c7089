package apiserver

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestExpiryUnderHelm: the geth example installed by the real Helm 3 with
// the overlay, an expiry a few seconds ahead and onExpiry strip: the
// StatefulSet the API server holds has the sidecar; a `helm upgrade` with
// the same values after the deadline takes it out (the render dropped the
// overlay by itself); with onExpiry fail, the upgrade after
// the deadline fails, says how to switch the overlay off or extend it, and
// the release keeps its last revision.
func TestExpiryUnderHelm(t *testing.T) {
	ns := namespace(t, nil)
	chart := ""
	for _, c := range examples {
		if filepath.Base(c) == "geth" {
			chart = c
		}
	}
	if chart == "" {
		t.Fatalf("no geth example among %v", examples)
	}
	deadline := time.Now().Add(8 * time.Second).Truncate(time.Second).Add(time.Second)
	helm := func(verb, release, onExpiry string) testenv.Result {
		cmd := exec.Command(helm3, verb, release, chart, "--namespace", ns, "--kubeconfig", kube.Kubeconfig,
			"--post-renderer", bin,
			"--set", "debug-overlay.enabled=true",
			"--set", "debug-overlay.expires="+deadline.UTC().Format(time.RFC3339),
			"--set", "debug-overlay.reason=INC-4711",
			"--set", "debug-overlay.onExpiry="+onExpiry)
		return testenv.Runner{}.Run(t, cmd, nil)
	}
	containers := func(release string) []string {
		out, _, err := kube.RunKubectl(nil, "-n", ns, "get", "statefulset", release, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var sts appsv1.StatefulSet
		if err := json.Unmarshal(out, &sts); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range append(sts.Spec.Template.Spec.InitContainers, sts.Spec.Template.Spec.Containers...) {
			names = append(names, c.Name)
		}
		if a := sts.Spec.Template.Annotations; a["debug-overlay.dev/expires"] != "" || slices.Contains(names, "debug") {
			t.Logf("%s: containers %v, expires %q, reason %q", release, names, a["debug-overlay.dev/expires"], a["debug-overlay.dev/reason"])
		}
		return names
	}
	for _, rel := range []struct{ name, onExpiry string }{{"strip", "strip"}, {"fail", "fail"}} {
		if r := helm("install", rel.name, rel.onExpiry); r.Code != 0 {
			t.Fatalf("helm install %s: exit %d\n%s", rel.name, r.Code, r.Stderr)
		}
		if !slices.Contains(containers(rel.name), "debug") {
			t.Fatalf("%s: installed before the deadline without the sidecar", rel.name)
		}
	}
	time.Sleep(time.Until(deadline) + time.Second)

	r := helm("upgrade", "strip", "strip")
	if r.Code != 0 {
		t.Fatalf("helm upgrade after the deadline, onExpiry strip: exit %d\n%s", r.Code, r.Stderr)
	}
	if names := containers("strip"); slices.Contains(names, "debug") {
		t.Errorf("onExpiry strip: the StatefulSet still has the sidecar after the deadline: %v", names)
	}

	r = helm("upgrade", "fail", "fail")
	if r.Code == 0 {
		t.Fatal("onExpiry fail: helm upgrade after the deadline succeeded")
	}
	for _, want := range []string{"the debug overlay expired at " + deadline.UTC().Format(time.RFC3339), "reason: INC-4711", "switch it off", "or extend it"} {
		if !strings.Contains(string(r.Stderr), want) {
			t.Errorf("onExpiry fail: helm says nothing of %q:\n%s", want, r.Stderr)
		}
	}
	if names := containers("fail"); !slices.Contains(names, "debug") {
		t.Errorf("onExpiry fail: the failed upgrade changed the StatefulSet: %v", names)
	}
}
