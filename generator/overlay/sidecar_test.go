package overlay

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestUseNative(t *testing.T) {
	deployment, _ := Builtin("Deployment")
	job, _ := Builtin("Job")
	cronJob, _ := Builtin("CronJob")
	pod, _ := Builtin("Pod")
	tests := []struct {
		name    string
		mode    NativeMode
		kind    WorkloadKind
		hook    bool
		restart corev1.RestartPolicy
		want    bool
	}{
		{name: "auto, Deployment", mode: NativeAuto, kind: deployment, want: false},
		{name: "auto, Job", mode: NativeAuto, kind: job, restart: corev1.RestartPolicyNever, want: true},
		{name: "auto, CronJob", mode: NativeAuto, kind: cronJob, want: true},
		{name: "auto, hook Deployment", mode: NativeAuto, kind: deployment, hook: true, want: true},
		{name: "auto, Pod restartPolicy Never", mode: NativeAuto, kind: pod, restart: corev1.RestartPolicyNever, want: true},
		{name: "auto, Pod restartPolicy OnFailure", mode: NativeAuto, kind: pod, restart: corev1.RestartPolicyOnFailure, want: true},
		{name: "auto, Pod restartPolicy Always", mode: NativeAuto, kind: pod, restart: corev1.RestartPolicyAlways, want: false},
		{name: "auto, Pod without restartPolicy", mode: NativeAuto, kind: pod, want: false},
		{name: "always, Deployment", mode: NativeAlways, kind: deployment, want: true},
		{name: "never, Job", mode: NativeNever, kind: job, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := useNative(tt.mode, tt.kind, tt.hook, tt.restart); got != tt.want {
				t.Errorf("useNative = %v, want %v", got, tt.want)
			}
		})
	}
}
