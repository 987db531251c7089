package overlay

import (
	"testing"

	"github.com/debug-overlay/debug-overlay/internal/podcheck"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestMirrorMounts(t *testing.T) {
	bidi := ptr.To(corev1.MountPropagationBidirectional)
	h2c := ptr.To(corev1.MountPropagationHostToContainer)
	mount := func(name, path string) corev1.VolumeMount { return corev1.VolumeMount{Name: name, MountPath: path} }
	tests := []struct {
		name       string
		containers []corev1.Container
		targets    []string
		rename     map[string]string
		privileged bool
		want       []corev1.VolumeMount
		wantNotes  int
	}{
		{
			name: "all containers, shared mounts once",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{mount("data", "/data"), mount("cfg", "/etc/a")}},
				{Name: "b", VolumeMounts: []corev1.VolumeMount{mount("data", "/data/")}},
			},
			want: []corev1.VolumeMount{mount("data", "/data"), mount("cfg", "/etc/a")},
		},
		{
			name: "only the target containers",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{mount("x", "/x")}},
				{Name: "b", VolumeMounts: []corev1.VolumeMount{mount("y", "/y")}},
			},
			targets: []string{"b"},
			want:    []corev1.VolumeMount{mount("y", "/y")},
		},
		{
			name: "renamed to copies",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{mount("keys", "/keys"), mount("other", "/other")}},
			},
			rename: map[string]string{"keys": "keys-debug-copy"},
			want:   []corev1.VolumeMount{mount("keys-debug-copy", "/keys"), mount("other", "/other")},
		},
		{
			name: "conflict moves the later container's mount and the mounts below it",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{mount("a-cfg", "/etc/config")}},
				{Name: "b", VolumeMounts: []corev1.VolumeMount{
					{Name: "b-file", MountPath: "/etc/config/extra.yaml", SubPath: "extra.yaml"},
					mount("b-cfg", "/etc/config"),
					mount("b-other", "/etc/configuration"),
				}},
			},
			want: []corev1.VolumeMount{
				mount("a-cfg", "/etc/config"),
				{Name: "b-file", MountPath: ConflictRoot + "/b/etc/config/extra.yaml", SubPath: "extra.yaml"},
				mount("b-cfg", ConflictRoot+"/b/etc/config"),
				mount("b-other", "/etc/configuration"),
			},
			wantNotes: 1,
		},
		{
			name: "same volume with another subPath is a conflict",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{{Name: "v", MountPath: "/f", SubPath: "one"}}},
				{Name: "b", VolumeMounts: []corev1.VolumeMount{{Name: "v", MountPath: "/f", SubPath: "two"}}},
			},
			want: []corev1.VolumeMount{
				{Name: "v", MountPath: "/f", SubPath: "one"},
				{Name: "v", MountPath: ConflictRoot + "/b/f", SubPath: "two"},
			},
			wantNotes: 1,
		},
		{
			name: "Bidirectional downgraded",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: bidi}}},
			},
			want:      []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: h2c}},
			wantNotes: 1,
		},
		{
			name: "Bidirectional kept when privileged",
			containers: []corev1.Container{
				{Name: "a", VolumeMounts: []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: bidi}}},
			},
			privileged: true,
			want:       []corev1.VolumeMount{{Name: "host", MountPath: "/host", MountPropagation: bidi}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.PodSpec{Containers: tt.containers}
			got, notes := mirrorMounts(pod, tt.targets, tt.rename, tt.privileged)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			if len(notes) != tt.wantNotes {
				t.Errorf("notes = %q, want %d", notes, tt.wantNotes)
			}
			if problems := podcheck.SpecProblems(&corev1.PodSpec{
				Volumes:    volumesFor(got),
				Containers: []corev1.Container{{Name: "debug", VolumeMounts: got, SecurityContext: &corev1.SecurityContext{Privileged: &tt.privileged}}},
			}, nil); len(problems) > 0 {
				t.Errorf("the sidecar would be invalid: %q", problems)
			}
		})
	}
}

func volumesFor(mounts []corev1.VolumeMount) []corev1.Volume {
	var vols []corev1.Volume
	seen := map[string]bool{}
	for _, m := range mounts {
		if !seen[m.Name] {
			seen[m.Name] = true
			vols = append(vols, corev1.Volume{Name: m.Name})
		}
	}
	return vols
}
