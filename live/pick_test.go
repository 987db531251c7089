package live

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestPickPods(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	pod := func(name string, age time.Duration, phase corev1.PodPhase, ready bool) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(now.Add(-age))}, Status: corev1.PodStatus{Phase: phase}}
		if ready {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		return p
	}
	pods := []corev1.Pod{
		pod("old-ready", time.Hour, corev1.PodRunning, true),
		pod("new-ready", time.Minute, corev1.PodRunning, true),
		pod("newest-unready", time.Second, corev1.PodRunning, false),
		pod("pending", 0, corev1.PodPending, false),
	}
	for _, tc := range []struct {
		name   string
		choice PodChoice
		pods   []corev1.Pod
		want   []string
		why    string
	}{
		{name: "default: the newest Ready", pods: pods, want: []string{"new-ready"},
			why: "4 pods; new-ready, the newest Ready one (created 1m0s ago: the likeliest to run the current template), gets the debug container; 3 others left alone (--all-pods, --pod NAME or --max-pods N"},
		{name: "max 2", choice: PodChoice{Max: 2}, pods: pods, want: []string{"new-ready", "old-ready"}, why: "the 2 newest running, Ready first"},
		{name: "max 10: running ones only", choice: PodChoice{Max: 10}, pods: pods, want: []string{"new-ready", "old-ready", "newest-unready"}, why: "1 other left alone"},
		{name: "none Ready", pods: pods[2:], want: []string{"newest-unready"}, why: "the newest running one; none is Ready"},
		{name: "none running", pods: pods[3:], want: []string{"pending"}, why: "the newest; none is running"},
		{name: "all", choice: PodChoice{All: true}, pods: pods, want: []string{"old-ready", "new-ready", "newest-unready", "pending"}, why: "4 pods, all of them (--all-pods)"},
		{name: "by name", choice: PodChoice{Names: []string{"old-ready", "elsewhere"}}, pods: pods, want: []string{"old-ready"}, why: "4 pods: old-ready (--pod)"},
		{name: "no pods", want: nil, why: "no pods"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := tc.choice.pick(tc.pods, now)
			if !slices.Equal(podNames(got), tc.want) {
				t.Errorf("picked %v, want %v", podNames(got), tc.want)
			}
			if !strings.Contains(why, tc.why) {
				t.Errorf("says %q, want %q", why, tc.why)
			}
		})
	}
}

func TestPodViolates(t *testing.T) {
	refusal := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "web-1",
		errors.New(`violates PodSecurity "restricted:v1.30": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)`))
	err := podViolates(refusal)
	for _, want := range []string{`the pod itself violates Pod Security "restricted:v1.30"`, "checks the whole pod when an ephemeral container is added", `container "app" must set`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\ndoes not say %q", err, want)
		}
	}
	if !refused(err) {
		t.Error("not a refusal")
	}
}
