package flux

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// object is a Kubernetes object as JSON decodes it.
type object = map[string]any

// namespace creates a namespace named after the test (and suffix) and
// returns its name.
func namespace(t *testing.T, suffix string) string {
	t.Helper()
	name := cluster.DNSLabel(t.Name() + "-" + suffix)
	if err := kube.CreateNamespace(name, nil); err != nil {
		t.Fatal(err)
	}
	return name
}

// kubectl runs kubectl against the cluster and fails the test when it
// fails.
func kubectl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	out, _, err := kube.RunKubectl(stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apply applies obj with server-side apply: the test is the one field
// manager of its HelmReleases, so a field left out of obj is removed.
func apply(t *testing.T, obj object) {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	kubectl(t, data, "apply", "--server-side", "--field-manager=debug-overlay-test", "-f", "-")
}

// get returns the object kind (a kubectl resource name such as
// statefulset.apps) namespace/name.
func get(t *testing.T, namespace, kind, name string) object {
	t.Helper()
	var obj object
	if err := json.Unmarshal(kubectl(t, nil, "get", "-n", namespace, kind, name, "-o", "json"), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// helmRelease resource name for kubectl.
const helmRelease = "helmrelease.helm.toolkit.fluxcd.io"

// releaseTimeout bounds the wait for one HelmRelease revision. A release
// here takes seconds; its chart comes from source-controller first.
const releaseTimeout = 2 * time.Minute

// waitRelease waits until helm-controller has reconciled the current
// generation of the HelmRelease namespace/name into Helm release revision
// revision and reports it Ready, and returns the HelmRelease. It fails the
// test when the release fails for good, a controller exits or the time is
// up, showing the HelmRelease's conditions.
func waitRelease(t *testing.T, namespace, name string, revision int) object {
	t.Helper()
	deadline := time.Now().Add(releaseTimeout)
	for {
		hr := get(t, namespace, helmRelease, name)
		st := releaseState(hr)
		if st.observed && st.ready == "True" && st.revision == revision {
			return hr
		}
		if st.observed && st.stalled {
			t.Fatalf("HelmRelease %s/%s failed for good (want revision %d):\n%s", namespace, name, revision, st)
		}
		if err := controllers.Check(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("HelmRelease %s/%s not ready at revision %d after %v:\n%s", namespace, name, revision, releaseTimeout, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitFailure waits until helm-controller has reconciled the current
// generation of namespace/name and reports it not Ready with a message,
// and returns that message.
func waitFailure(t *testing.T, namespace, name string) string {
	t.Helper()
	deadline := time.Now().Add(releaseTimeout)
	for {
		st := releaseState(get(t, namespace, helmRelease, name))
		if st.observed && st.ready == "False" && st.readyReason != "Progressing" {
			return st.readyMessage
		}
		if st.observed && st.ready == "True" {
			t.Fatalf("HelmRelease %s/%s is ready, want it to fail:\n%s", namespace, name, st)
		}
		if err := controllers.Check(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("HelmRelease %s/%s has not failed after %v:\n%s", namespace, name, releaseTimeout, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// state is what waitRelease reads from a HelmRelease's status.
type state struct {
	observed                  bool // status.observedGeneration is metadata.generation
	ready                     string
	readyReason, readyMessage string
	stalled                   bool
	revision                  int // the Helm release revision of status.history[0]
	conditions                []any
}

func (s state) String() string {
	data, _ := yaml.Marshal(s.conditions)
	return fmt.Sprintf("observed %v, latest revision %d, conditions:\n%s", s.observed, s.revision, data)
}

func releaseState(hr object) state {
	var r struct {
		Metadata struct {
			Generation int64 `json:"generation"`
		} `json:"metadata"`
		Status struct {
			ObservedGeneration int64 `json:"observedGeneration"`
			Conditions         []struct {
				Type    string `json:"type"`
				Status  string `json:"status"`
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"conditions"`
			History []struct {
				Version int `json:"version"`
			} `json:"history"`
		} `json:"status"`
	}
	data, _ := json.Marshal(hr)
	_ = json.Unmarshal(data, &r)
	s := state{observed: r.Status.ObservedGeneration == r.Metadata.Generation}
	if st, ok := hr["status"].(object); ok {
		s.conditions, _ = st["conditions"].([]any)
	}
	for _, c := range r.Status.Conditions {
		switch c.Type {
		case "Ready":
			s.ready, s.readyReason, s.readyMessage = c.Status, c.Reason, c.Message
		case "Stalled":
			s.stalled = c.Status == "True"
		}
	}
	if len(r.Status.History) > 0 {
		s.revision = r.Status.History[0].Version
	}
	return s
}

// release returns a HelmRelease of chart (served by the HelmRepository
// repoName) as release name in namespace, without waiting for Helm's
// readiness checks (no pod runs here).
func release(namespace, name, chart string, values object) object {
	spec := object{
		"interval":    "10m",
		"releaseName": name,
		"chart": object{"spec": object{
			"chart":     chart,
			"version":   "0.1.0",
			"sourceRef": object{"kind": "HelmRepository", "name": repoName, "namespace": fluxNamespace},
			"interval":  "10m",
		}},
		"install": object{"disableWait": true},
		"upgrade": object{"disableWait": true},
	}
	if values != nil {
		spec["values"] = values
	}
	return object{
		"apiVersion": "helm.toolkit.fluxcd.io/v2",
		"kind":       "HelmRelease",
		"metadata":   object{"name": name, "namespace": namespace},
		"spec":       spec,
	}
}

// chartPackage returns the packaged chart in chartRepo, as Helm takes it.
func chartPackage(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(chartRepo, name+"-0.1.0.tgz")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("hack/package-charts.sh did not package %s: %v", name, err)
	}
	return path
}

// mustRun runs a command, with stdin, and fails the test when it fails.
func mustRun(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	return runner.MustRun(t, exec.Command(name, args...), stdin)
}

// generate runs `debug-overlay generate` on manifests with args and
// returns spec.postRenderers of the flux-helmrelease.yaml it writes, as
// they are meant to be merged into the HelmRelease.
func generate(t *testing.T, manifests []byte, args ...string) []any {
	prs, _ := generateRelease(t, manifests, args...)
	return prs
}

// generateRelease is generate, and also returns the spec.postRenderStrategy
// the snippet pins ("" none).
func generateRelease(t *testing.T, manifests []byte, args ...string) ([]any, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "generated")
	mustRun(t, manifests, bin, append([]string{"generate", "--out", out}, args...)...)
	data, err := os.ReadFile(filepath.Join(out, "flux-helmrelease.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hr object
	if err := yaml.Unmarshal(data, &hr); err != nil {
		t.Fatalf("flux-helmrelease.yaml: %v", err)
	}
	spec, _ := hr["spec"].(object)
	prs, _ := spec["postRenderers"].([]any)
	if len(prs) == 0 {
		t.Fatalf("flux-helmrelease.yaml has no spec.postRenderers:\n%s", data)
	}
	strategy, _ := spec["postRenderStrategy"].(string)
	if len(spec) != 1 && (len(spec) != 2 || strategy == "") {
		t.Errorf("flux-helmrelease.yaml's spec has more than postRenderers and postRenderStrategy:\n%s", data)
	}
	return prs, strategy
}

// document returns the object kind/name of a rendered stream.
func document(t *testing.T, stream []byte, kind, name string) object {
	t.Helper()
	docs, err := testenv.SplitDocuments(stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		meta, _ := d.Object["metadata"].(object)
		if d.Object["kind"] == kind && meta["name"] == name {
			return d.Object
		}
	}
	t.Fatalf("no %s %s in the stream:\n%s", kind, name, stream)
	return nil
}

// reference returns obj as the API server would store it in namespace:
// created with --dry-run=server, so defaulted and validated, and kept
// nowhere.
func reference(t *testing.T, obj object) object {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out object
	if err := json.Unmarshal(kubectl(t, data, "create", "--dry-run=server", "-n", referenceNamespace, "-o", "json", "-f", "-"), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// comparable returns a copy of obj without what differs between two
// installs of the same manifest: what the API server assigns (uid,
// resourceVersion, timestamps, managedFields, status, a Service's cluster
// IPs, the labels that carry a Job's uid and name), the namespace, and the
// ownership metadata that Helm (meta.helm.sh/*, app.kubernetes.io/managed-by)
// and Flux (helm.toolkit.fluxcd.io/* labels) add.
func comparable(t *testing.T, obj object) object {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var c object
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	delete(c, "status")
	meta, _ := c["metadata"].(object)
	for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "namespace", "selfLink"} {
		delete(meta, k)
	}
	dropKeys(meta, "labels", func(k string) bool {
		return strings.HasPrefix(k, "helm.toolkit.fluxcd.io/") || k == "app.kubernetes.io/managed-by"
	})
	dropKeys(meta, "annotations", func(k string) bool { return strings.HasPrefix(k, "meta.helm.sh/") })
	spec, _ := c["spec"].(object)
	switch c["kind"] {
	case "Service":
		delete(spec, "clusterIP")
		delete(spec, "clusterIPs")
	case "Job":
		// The Job's uid and name, as labels of its selector and pod
		// template; the API server copies the template's labels to a Job
		// that has none of its own (Flux's origin labels make a hook
		// Job have some, when it is post-rendered).
		jobLabel := func(k string) bool {
			switch strings.TrimPrefix(k, "batch.kubernetes.io/") {
			case "controller-uid", "job-name":
				return true
			}
			return false
		}
		selector, _ := spec["selector"].(object)
		dropKeys(selector, "matchLabels", jobLabel)
		if len(selector) == 0 {
			delete(spec, "selector")
		}
		tmpl, _ := spec["template"].(object)
		tmeta, _ := tmpl["metadata"].(object)
		dropKeys(tmeta, "labels", jobLabel)
		dropKeys(meta, "labels", jobLabel)
	}
	return c
}

// dropKeys deletes the keys of the map m[field] that drop selects, and the
// field itself when that leaves it empty.
func dropKeys(m object, field string, drop func(string) bool) {
	sub, ok := m[field].(object)
	if !ok {
		return
	}
	for k := range sub {
		if drop(k) {
			delete(sub, k)
		}
	}
	if len(sub) == 0 {
		delete(m, field)
	}
}

// names returns the names of a list of containers or volumes.
func names(list []any) []string {
	var out []string
	for _, item := range list {
		m, _ := item.(object)
		s, _ := m["name"].(string)
		out = append(out, s)
	}
	return out
}

// podSpec returns the pod spec of a workload object (spec.template.spec).
func podSpec(obj object) object {
	spec, _ := obj["spec"].(object)
	tmpl, _ := spec["template"].(object)
	pod, _ := tmpl["spec"].(object)
	return pod
}

// templateAnnotations returns the annotations of a workload's pod template.
func templateAnnotations(obj object) map[string]any {
	spec, _ := obj["spec"].(object)
	tmpl, _ := spec["template"].(object)
	meta, _ := tmpl["metadata"].(object)
	a, _ := meta["annotations"].(object)
	return a
}

// named returns the item of list whose name is name, or nil.
func named(list any, name string) object {
	items, _ := list.([]any)
	i := slices.IndexFunc(items, func(item any) bool {
		m, _ := item.(object)
		return m["name"] == name
	})
	if i < 0 {
		return nil
	}
	m, _ := items[i].(object)
	return m
}

// statusAnnotation records on a pod template what the overlay added.
const statusAnnotation = "debug-overlay.dev/status"
