package flux

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestComparable: comparable drops only what differs between installs of
// one manifest, so that the comparisons built on it can still fail.
func TestComparable(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{
			name: "server fields, ownership metadata, status",
			in: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: geth
  namespace: a
  uid: 1
  resourceVersion: "2"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
  managedFields: [{manager: helm-controller}]
  labels: {app: geth, app.kubernetes.io/managed-by: Helm, helm.toolkit.fluxcd.io/name: geth, helm.toolkit.fluxcd.io/namespace: a}
  annotations: {meta.helm.sh/release-name: geth, meta.helm.sh/release-namespace: a, keep: "yes"}
spec:
  template:
    metadata:
      labels: {helm.toolkit.fluxcd.io/name: kept-in-templates}
status: {replicas: 1}
`,
			want: `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: geth
  labels: {app: geth}
  annotations: {keep: "yes"}
spec:
  template:
    metadata:
      labels: {helm.toolkit.fluxcd.io/name: kept-in-templates}
`,
		},
		{
			name: "Service cluster IPs",
			in:   `{kind: Service, metadata: {name: s}, spec: {clusterIP: 10.0.0.9, clusterIPs: [10.0.0.9], ports: [{port: 80}]}}`,
			want: `{kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}`,
		},
		{
			name: "Job uid and name labels",
			in: `{kind: Job, metadata: {name: j, labels: {job-name: j, batch.kubernetes.io/job-name: j, team: x}},
  spec: {selector: {matchLabels: {batch.kubernetes.io/controller-uid: u}},
    template: {metadata: {labels: {controller-uid: u, batch.kubernetes.io/controller-uid: u, job-name: j, app: m}}}}}`,
			want: `{kind: Job, metadata: {name: j, labels: {team: x}}, spec: {template: {metadata: {labels: {app: m}}}}}`,
		},
		{
			name: "a Deployment's labels named like a Job's stay",
			in:   `{kind: Deployment, metadata: {name: d, labels: {job-name: j}}, spec: {template: {metadata: {labels: {controller-uid: u}}}}}`,
			want: `{kind: Deployment, metadata: {name: d, labels: {job-name: j}}, spec: {template: {metadata: {labels: {controller-uid: u}}}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in, want object
			if err := yaml.Unmarshal([]byte(strings.TrimSpace(tt.in)), &in); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(strings.TrimSpace(tt.want)), &want); err != nil {
				t.Fatal(err)
			}
			twice := comparable(t, comparable(t, in))
			var orig object
			_ = yaml.Unmarshal([]byte(strings.TrimSpace(tt.in)), &orig)
			got := comparable(t, in)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("comparable (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(orig, in); diff != "" {
				t.Errorf("comparable changed its argument (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(twice, got); diff != "" {
				t.Errorf("comparable is not idempotent (-twice +once):\n%s", diff)
			}
		})
	}
}

// TestVersionRefusesOtherBinaries: a binary that is not a Flux controller
// release is refused, naming the make target that builds the real one.
func TestVersionRefusesOtherBinaries(t *testing.T) {
	_, err := Version(bin)
	if err == nil || !strings.Contains(err.Error(), "make flux") {
		t.Errorf("Version(debug-overlay) = %v, want an error that says to run make flux", err)
	}
	for name, want := range controllers.Versions {
		if !strings.HasPrefix(want, "v") {
			t.Errorf("%s version %q is not a release", name, want)
		}
	}
}
