package live

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func TestParseWorkload(t *testing.T) {
	c := &Cluster{} // no mapper: the built-in kinds only
	kinds := overlay.NewKindTable(nil)
	for _, tt := range []struct{ arg, apiVersion, kind, name, err string }{
		{arg: "deploy/web", apiVersion: "apps/v1", kind: "Deployment", name: "web"},
		{arg: "StatefulSet/geth", apiVersion: "apps/v1", kind: "StatefulSet", name: "geth"},
		{arg: "cronjobs/nightly", apiVersion: "batch/v1", kind: "CronJob", name: "nightly"},
		{arg: "po/x", apiVersion: "v1", kind: "Pod", name: "x"},
		{arg: "web", err: "want KIND/NAME"},
		{arg: "deploy/", err: "want KIND/NAME"},
		{arg: "rollout/x", err: `unknown kind "rollout" (built in: cronjob, daemonset, deployment, job, pod, podtemplate, replicaset, replicationcontroller, statefulset`},
	} {
		w, err := c.ParseWorkload(tt.arg, "ns", kinds, nil)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.arg, err, tt.err)
			}
			continue
		}
		if err != nil || w.APIVersion != tt.apiVersion || w.Kind.Kind != tt.kind || w.Name != tt.name || w.Namespace != "ns" {
			t.Errorf("%s: %+v, %v; want %s %s %s in ns", tt.arg, w, err, tt.apiVersion, tt.kind, tt.name)
		}
	}
}

func TestSelector(t *testing.T) {
	for _, tt := range []struct {
		name string
		obj  map[string]any
		want string
	}{
		{"label selector", map[string]any{"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "web"},
			"matchExpressions": []any{map[string]any{"key": "tier", "operator": "In", "values": []any{"a"}}}}}}, "app=web,tier in (a)"},
		{"ReplicationController map", map[string]any{"spec": map[string]any{"selector": map[string]any{"app": "old"}}}, "app=old"},
		{"none (CronJob)", map[string]any{"spec": map[string]any{}}, ""},
	} {
		sel, err := selector(&unstructured.Unstructured{Object: tt.obj})
		if err != nil || sel.String() != tt.want {
			t.Errorf("%s: %v, %v; want %q", tt.name, sel, err, tt.want)
		}
	}
}

func TestContainerState(t *testing.T) {
	pod := func(s corev1.ContainerState) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{EphemeralContainerStatuses: []corev1.ContainerStatus{{Name: "debug", State: s}}}}
	}
	for _, tt := range []struct {
		name      string
		pod       *corev1.Pod
		state     string
		done, err bool
	}{
		{"no status yet", &corev1.Pod{}, "waiting for the kubelet", false, false},
		{"creating", pod(corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}), "waiting: ContainerCreating", false, false},
		{"pulling fails for good", pod(corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no registry"}}), "ImagePullBackOff", true, true},
		{"running", pod(corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}), "running", true, false},
		{"exited", pod(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}), "terminated", true, true},
	} {
		state, done, err := containerState(tt.pod, "debug")
		if state != tt.state || done != tt.done || (err != nil) != tt.err {
			t.Errorf("%s: %q %v %v; want %q %v err=%v", tt.name, state, done, err, tt.state, tt.done, tt.err)
		}
	}
}

func TestAPIError(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	rbac := apierrors.NewForbidden(gr, "p", errForbidden(`User "system:serviceaccount:ns:viewer" cannot patch resource "pods/ephemeralcontainers"`))
	err := apiError(rbac, "patch", "pods/ephemeralcontainers", "ns")
	if _, ok := err.(*PermissionError); !ok || !strings.HasPrefix(err.Error(), `missing permission: patch pods/ephemeralcontainers in namespace "ns"; the API server said: pods "p" is forbidden: User`) {
		t.Errorf("RBAC refusal: %T %v", err, err)
	}
	psa := apierrors.NewForbidden(gr, "p", errForbidden(`violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false`))
	if err := apiError(psa, "patch", "pods/ephemeralcontainers", "ns"); !isPodSecurity(err) {
		t.Errorf("Pod Security refusal: %v is not recognised", err)
	} else if _, ok := err.(*PermissionError); ok {
		t.Errorf("Pod Security refusal taken for a missing permission")
	}
}

type errForbidden string

func (e errForbidden) Error() string { return string(e) }
