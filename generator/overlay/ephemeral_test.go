package overlay

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/debug-overlay/debug-overlay/internal/podcheck"
)

func liveOverlay(t *testing.T, over Config) *Overlay {
	t.Helper()
	if over.Sidecar.Profile == ProfileSysadmin {
		over.AllowPrivileged = ptr.To(true) // the guard rail, satisfied
	}
	cfg := Default().Merge(over)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestEphemeralMounts maps each shape of mount to what an ephemeral
// container may have.
func TestEphemeralMounts(t *testing.T) {
	m := func(name, at string) corev1.VolumeMount { return corev1.VolumeMount{Name: name, MountPath: at} }
	vol := func(name string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	}
	secret := func(name string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}}
	}
	tests := []struct {
		name      string
		cfg       Config
		pod       corev1.PodSpec
		want      []corev1.VolumeMount
		wantNotes []string // substrings, one per note, in order
	}{
		{
			name: "plain and read-only mounts at the same paths",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("data"), secret("keys")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{m("data", "/data"), {Name: "keys", MountPath: "/keys", ReadOnly: true}}}}},
			want: []corev1.VolumeMount{m("data", "/data"), {Name: "keys", MountPath: "/keys", ReadOnly: true}},
		},
		{
			name: "subPath: the whole volume under VolumeRoot",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("cfg")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/app/app.conf", SubPath: "app.conf", ReadOnly: true}}}}},
			want:      []corev1.VolumeMount{{Name: "cfg", MountPath: "/debug-overlay/volumes/cfg", ReadOnly: true}},
			wantNotes: []string{`container "app" mounts subPath "app.conf" of volume "cfg" at /etc/app/app.conf; ephemeral containers cannot use subPath: the debug container has the whole volume at /debug-overlay/volumes/cfg, the app's /etc/app/app.conf is /debug-overlay/volumes/cfg/app.conf`},
		},
		{
			name: "two subPaths of one volume, one writable: one mount, writable",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("data")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{
					{Name: "data", MountPath: "/a", SubPath: "a", ReadOnly: true},
					{Name: "data", MountPath: "/b", SubPath: "b"},
				}}}},
			want:      []corev1.VolumeMount{{Name: "data", MountPath: "/debug-overlay/volumes/data"}},
			wantNotes: []string{`subPath "a"`, `subPath "b"`},
		},
		{
			name: "subPathExpr: the whole volume, the note says so",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("logs")}, Containers: []corev1.Container{{Name: "app",
				Env:          []corev1.EnvVar{{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "logs", MountPath: "/logs", SubPathExpr: "$(POD)"}}}}},
			want:      []corev1.VolumeMount{{Name: "logs", MountPath: "/debug-overlay/volumes/logs"}},
			wantNotes: []string{`subPathExpr "$(POD)" of volume "logs" at /logs`},
		},
		{
			name: "a whole mount and a subPath of the same volume",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("data")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{m("data", "/data"), {Name: "data", MountPath: "/etc/x", SubPath: "x"}}}}},
			want:      []corev1.VolumeMount{m("data", "/data"), {Name: "data", MountPath: "/debug-overlay/volumes/data"}},
			wantNotes: []string{`subPath "x"`},
		},
		{
			name: "Bidirectional becomes HostToContainer unless privileged",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("mnt")}, Containers: []corev1.Container{{Name: "app",
				SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "mnt", MountPath: "/mnt", MountPropagation: ptr.To(corev1.MountPropagationBidirectional)}}}}},
			want:      []corev1.VolumeMount{{Name: "mnt", MountPath: "/mnt", MountPropagation: ptr.To(corev1.MountPropagationHostToContainer)}},
			wantNotes: []string{"Bidirectional propagation, which needs a privileged container"},
		},
		{
			name: "Bidirectional kept for the sysadmin profile",
			cfg:  Config{Sidecar: Sidecar{Profile: ProfileSysadmin}},
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("mnt")}, Containers: []corev1.Container{{Name: "app",
				SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
				VolumeMounts:    []corev1.VolumeMount{{Name: "mnt", MountPath: "/mnt", MountPropagation: ptr.To(corev1.MountPropagationBidirectional)}}}}},
			want: []corev1.VolumeMount{{Name: "mnt", MountPath: "/mnt", MountPropagation: ptr.To(corev1.MountPropagationBidirectional)}},
		},
		{
			name: "recursiveReadOnly kept",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("ro")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{{Name: "ro", MountPath: "/ro", ReadOnly: true, RecursiveReadOnly: ptr.To(corev1.RecursiveReadOnlyIfPossible)}}}}},
			want: []corev1.VolumeMount{{Name: "ro", MountPath: "/ro", ReadOnly: true, RecursiveReadOnly: ptr.To(corev1.RecursiveReadOnlyIfPossible)}},
		},
		{
			name: "two containers at one path: the later one under ConflictRoot",
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("a"), vol("b")}, Containers: []corev1.Container{
				{Name: "one", VolumeMounts: []corev1.VolumeMount{m("a", "/etc/config")}},
				{Name: "two", VolumeMounts: []corev1.VolumeMount{m("b", "/etc/config")}},
			}},
			want:      []corev1.VolumeMount{m("a", "/etc/config"), m("b", "/debug-overlay/containers/two/etc/config")},
			wantNotes: []string{`container "two" mounts volume "b" at /etc/config`},
		},
		{
			name: "a copy volume of a pod without the declarative overlay: the volume itself, and a note",
			cfg:  Config{Copy: Copy{Volumes: []CopyVolume{{Name: "keys"}}}},
			pod: corev1.PodSpec{Volumes: []corev1.Volume{secret("keys")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{{Name: "keys", MountPath: "/keys", ReadOnly: true}}}}},
			want:      []corev1.VolumeMount{{Name: "keys", MountPath: "/keys", ReadOnly: true}},
			wantNotes: []string{`volume "keys" is not copied: a running pod's volumes cannot change`},
		},
		{
			name: "a copy volume of a pod with the declarative overlay, not rewired: the copy",
			cfg:  Config{Copy: Copy{Volumes: []CopyVolume{{Name: "keys"}}}},
			pod: corev1.PodSpec{Volumes: []corev1.Volume{secret("keys"), vol("keys-debug-copy")}, Containers: []corev1.Container{{Name: "app",
				VolumeMounts: []corev1.VolumeMount{{Name: "keys", MountPath: "/keys", ReadOnly: true}}}}},
			want: []corev1.VolumeMount{{Name: "keys-debug-copy", MountPath: "/keys", ReadOnly: true}},
		},
		{
			name: "only the target containers' mounts",
			cfg:  Config{Targets: []Target{{Containers: []string{"two"}}}},
			pod: corev1.PodSpec{Volumes: []corev1.Volume{vol("a"), vol("b")}, Containers: []corev1.Container{
				{Name: "one", VolumeMounts: []corev1.VolumeMount{m("a", "/a")}},
				{Name: "two", VolumeMounts: []corev1.VolumeMount{m("b", "/b")}},
			}},
			want: []corev1.VolumeMount{m("b", "/b")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := liveOverlay(t, tt.cfg)
			pod := &corev1.Pod{Spec: tt.pod}
			for i := range pod.Spec.Containers {
				pod.Spec.Containers[i].Image = "app:1"
			}
			live, err := o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Deployment", Name: "app"}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, live.Container.VolumeMounts); diff != "" {
				t.Errorf("volumeMounts (-want +got):\n%s", diff)
			}
			if len(live.Notes) != len(tt.wantNotes) {
				t.Fatalf("notes %q, want %d like %q", live.Notes, len(tt.wantNotes), tt.wantNotes)
			}
			for i, want := range tt.wantNotes {
				if !strings.Contains(live.Notes[i], want) {
					t.Errorf("note %d is %q, want it to say %q", i, live.Notes[i], want)
				}
			}
			checkEphemeral(t, pod, live)
		})
	}
}

// TestEphemeralContainer: the sidecar of the configuration, less what an
// ephemeral container cannot have, aimed at the first target container.
func TestEphemeralContainer(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(int64(1000))},
		Containers:      []corev1.Container{{Name: "sidecar", Image: "s:1"}, {Name: "app", Image: "app:1"}},
	}}
	limits := &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}

	t.Run("restricted profile, target container", func(t *testing.T) {
		o := liveOverlay(t, Config{Targets: []Target{{Containers: []string{"app"}}}, Sidecar: Sidecar{Profile: ProfileRestricted, Preset: PresetBusybox}})
		live, err := o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		ec := live.Container
		if ec.Name != "debug" || ec.TargetContainerName != "app" || ec.Image != "busybox:1.36" || live.Shell != "sh" {
			t.Errorf("name %q, target %q, image %q, shell %q; want debug, app, busybox:1.36, sh", ec.Name, ec.TargetContainerName, ec.Image, live.Shell)
		}
		if !slices.Equal(ec.Command, IdleCommand("sh")) {
			t.Errorf("command %q, want the idle loop", ec.Command)
		}
		if p := podcheck.RestrictedProblems(corev1.Container(ec.EphemeralContainerCommon)); len(p) > 0 {
			t.Errorf("restricted profile: %v", p)
		}
		if u := ec.SecurityContext.RunAsUser; u == nil || *u != 1000 {
			t.Errorf("runAsUser %v, want the pod's 1000", u)
		}
		if len(live.Notes) != 0 {
			t.Errorf("notes %q, want none: the default resources are not worth one", live.Notes)
		}
		checkEphemeral(t, pod, live)
	})
	t.Run("resources set by the configuration: left out, with a note", func(t *testing.T) {
		o := liveOverlay(t, Config{Sidecar: Sidecar{Resources: limits}})
		live, err := o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		if live.Container.TargetContainerName != "sidecar" {
			t.Errorf("target %q, want the first container", live.Container.TargetContainerName)
		}
		if want := []string{"sidecar.resources is left out: ephemeral containers cannot have it"}; !slices.Equal(live.Notes, want) {
			t.Errorf("notes %q, want %q", live.Notes, want)
		}
		checkEphemeral(t, pod, live)
	})
	t.Run("a name taken: made unique; a second attach finds the first", func(t *testing.T) {
		o := liveOverlay(t, Config{})
		p := pod.DeepCopy()
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "debug", Image: "d:1"})
		first, err := o.Ephemeral(p, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		if first.Container.Name != "debug-2" || len(first.Same) != 0 {
			t.Errorf("name %q, same %q; want debug-2 and none", first.Container.Name, first.Same)
		}
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, first.Container,
			corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-x", Image: "alpine:3.20"}})
		second, err := o.Ephemeral(p, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(second.Same, []string{"debug-2"}) || second.Container.Name != "debug-3" {
			t.Errorf("same %q, name %q; want [debug-2] and debug-3", second.Same, second.Container.Name)
		}
		for _, over := range []Config{{Sidecar: Sidecar{Preset: PresetBusybox}}, {Sidecar: Sidecar{Name: "dbg"}}} {
			other := liveOverlay(t, over)
			third, err := other.Ephemeral(p, other.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
			if err != nil {
				t.Fatal(err)
			}
			if len(third.Same) != 0 {
				t.Errorf("another configuration (%+v) found %q as its own", over.Sidecar, third.Same)
			}
		}
	})
	t.Run("a target container that does not run: no targeting, its status, the tools left out", func(t *testing.T) {
		o := liveOverlay(t, Config{Targets: []Target{{Containers: []string{"app"}}}, Tools: Tools{Inject: ptr.To(true)}})
		p := pod.DeepCopy()
		crash := corev1.ContainerStatus{Name: "app", RestartCount: 7,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "sidecar", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, crash}
		live, err := o.Ephemeral(p, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		if live.Container.TargetContainerName != "" || live.Down == nil || live.Down.Name != "app" {
			t.Errorf("target %q, down %+v; want no target and app's status", live.Container.TargetContainerName, live.Down)
		}
		if got, want := DownState(live.Down), "waiting: CrashLoopBackOff, 7 restarts"; got != want {
			t.Errorf("DownState = %q, want %q", got, want)
		}
		if lt := LastTermination(live.Down); lt == nil || lt.ExitCode != 2 {
			t.Errorf("LastTermination = %+v, want exit code 2", lt)
		}
		if !slices.ContainsFunc(live.Notes, func(n string) bool { return strings.HasPrefix(n, "tools.inject is left out") }) {
			t.Errorf("notes %q say nothing of the tools", live.Notes)
		}
		checkEphemeral(t, p, live)
		// Running again: targeted, and another container than the untargeted one.
		p.Status.ContainerStatuses[1].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
		up, err := o.Ephemeral(p, o.cfg.Select(Meta{Kind: "Pod", Name: "p"}))
		if err != nil {
			t.Fatal(err)
		}
		if up.Container.TargetContainerName != "app" || up.Down != nil {
			t.Errorf("running: target %q, down %+v; want app and nil", up.Container.TargetContainerName, up.Down)
		}
	})
	t.Run("errors", func(t *testing.T) {
		o := liveOverlay(t, Config{Targets: []Target{{Containers: []string{"nope"}}}})
		if _, err := o.Ephemeral(pod, o.cfg.Select(Meta{Kind: "Pod"})); err == nil || !strings.Contains(err.Error(), `target container "nope" does not exist (containers: sidecar, app)`) {
			t.Errorf("missing target container: err %v", err)
		}
		win := pod.DeepCopy()
		win.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
		o = liveOverlay(t, Config{})
		if _, err := o.Ephemeral(win, o.cfg.Select(Meta{Kind: "Pod"})); err == nil || !strings.Contains(err.Error(), "Windows") {
			t.Errorf("windows pod: err %v", err)
		}
	})
}

// TestClearDisallowed sets every field of a container and keeps what the
// API server's allow-list lets an ephemeral container have.
func TestClearDisallowed(t *testing.T) {
	var full corev1.EphemeralContainerCommon
	data := `{"name":"d","image":"i","command":["c"],"args":["a"],"workingDir":"/w","ports":[{"containerPort":1}],
"envFrom":[{"prefix":"P"}],"env":[{"name":"E"}],"resources":{"limits":{"cpu":"1"}},"resizePolicy":[{"resourceName":"cpu","restartPolicy":"NotRequired"}],
"restartPolicy":"Always","restartPolicyRules":[{"action":"Restart"}],"volumeMounts":[{"name":"v","mountPath":"/v"}],"volumeDevices":[{"name":"b","devicePath":"/dev/b"}],
"livenessProbe":{"periodSeconds":1},"readinessProbe":{"periodSeconds":1},"startupProbe":{"periodSeconds":1},"lifecycle":{"stopSignal":"SIGTERM"},
"terminationMessagePath":"/t","terminationMessagePolicy":"File","imagePullPolicy":"Always","securityContext":{"privileged":true},"stdin":true,"stdinOnce":true,"tty":true}`
	if err := json.Unmarshal([]byte(data), &full); err != nil {
		t.Fatal(err)
	}
	if err := everyFieldSet(full); err != nil {
		t.Fatalf("the test container misses a field (a new one in k8s.io/api?): %v", err)
	}
	cleared := clearDisallowed(&full)
	want := []string{"ports", "resources", "resizePolicy", "restartPolicy", "restartPolicyRules", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"}
	if diff := cmp.Diff(want, cleared); diff != "" {
		t.Errorf("cleared fields (-want +got):\n%s", diff)
	}
	kept, _ := json.Marshal(full)
	for _, f := range []string{"command", "workingDir", "envFrom", "volumeDevices", "terminationMessagePath", "securityContext", "stdinOnce", "tty"} {
		if !strings.Contains(string(kept), `"`+f+`"`) {
			t.Errorf("field %s was cleared: %s", f, kept)
		}
	}
}

func everyFieldSet(c corev1.EphemeralContainerCommon) error {
	data, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	var missing []string
	for _, f := range []string{"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy", "restartPolicy", "restartPolicyRules",
		"volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath", "terminationMessagePolicy",
		"imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty"} {
		if _, ok := m[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(m) != 25 || len(missing) > 0 {
		return fmt.Errorf("%d fields set, missing %v", len(m), missing)
	}
	return nil
}

// TestEphemeralGoldenMounts maps every workload of the golden cases, as a
// typed pod, to an ephemeral container under each profile: what it gets
// is what the API server allows, and every mount of the target containers
// is there, at its path or whole under VolumeRoot.
func TestEphemeralGoldenMounts(t *testing.T) {
	kinds := NewKindTable(nil)
	pods := 0
	for i, tmpl := range podcheck.GoldenTemplates(t, func(apiVersion, kind string) ([]string, bool) {
		wk, ok := kinds.Lookup(apiVersion, kind)
		return wk.Path(), ok
	}) {
		pod := corev1.Pod{Spec: tmpl.Pod}
		kind := tmpl.Kind
		if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
			continue
		}
		if podcheck.SpecProblems(&pod.Spec, nil) != nil {
			continue // an input the API server refuses: nothing runs to attach to
		}
		pods++
		for _, profile := range ProfileNames() {
			t.Run(fmt.Sprintf("doc %d %s %s", i, kind, profile), func(t *testing.T) {
				o := liveOverlay(t, Config{Sidecar: Sidecar{Profile: profile}})
				live, err := o.Ephemeral(&pod, o.cfg.Select(Meta{Kind: kind}))
				if err != nil {
					t.Fatal(err)
				}
				checkEphemeral(t, &pod, live)
				covered(t, &pod, live)
			})
		}
	}
	if pods < 20 {
		t.Fatalf("only %d golden pod templates read; the corpus or this reader broke", pods)
	}
}

// covered checks that every mount of every container is in the ephemeral
// container: at its path (or under ConflictRoot) with the same volume, or
// the volume whole under VolumeRoot with a note.
func covered(t *testing.T, pod *corev1.Pod, live *Live) {
	t.Helper()
	ec := live.Container
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			at := slices.IndexFunc(ec.VolumeMounts, func(e corev1.VolumeMount) bool {
				return e.Name == m.Name && (path.Clean(e.MountPath) == path.Clean(m.MountPath) ||
					path.Clean(e.MountPath) == path.Join(ConflictRoot, c.Name, m.MountPath) ||
					strings.HasPrefix(e.MountPath, ConflictRoot+"/"))
			})
			whole := slices.ContainsFunc(ec.VolumeMounts, func(e corev1.VolumeMount) bool {
				return e.Name == m.Name && e.MountPath == path.Join(VolumeRoot, m.Name)
			})
			switch {
			case m.SubPath != "" || m.SubPathExpr != "":
				if !whole || !slices.ContainsFunc(live.Notes, func(n string) bool { return strings.Contains(n, m.MountPath) }) {
					t.Errorf("container %q mounts %s with a subPath: not whole under %s with a note (mounts %v, notes %q)", c.Name, m.MountPath, VolumeRoot, ec.VolumeMounts, live.Notes)
				}
			case at < 0:
				t.Errorf("container %q mounts volume %q at %s; the ephemeral container does not (mounts %v)", c.Name, m.Name, m.MountPath, ec.VolumeMounts)
			}
		}
	}
}

// checkEphemeral checks an ephemeral container against the API server's
// rules for one: only allowed fields, no subPath, mounts of the pod's
// volumes at distinct paths, Bidirectional only when privileged, a unique
// name, an existing target.
func checkEphemeral(t *testing.T, pod *corev1.Pod, live *Live) {
	t.Helper()
	ec := live.Container
	as := corev1.Container(ec.EphemeralContainerCommon)
	if ec.Ports != nil || ec.LivenessProbe != nil || ec.ReadinessProbe != nil || ec.StartupProbe != nil || ec.Lifecycle != nil ||
		ec.RestartPolicy != nil || ec.ResizePolicy != nil || ec.RestartPolicyRules != nil ||
		len(ec.Resources.Limits) > 0 || len(ec.Resources.Requests) > 0 || len(ec.Resources.Claims) > 0 {
		t.Errorf("a field ephemeral containers cannot have is set: %+v", ec)
	}
	for _, m := range ec.VolumeMounts {
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Errorf("mount %s has subPath %q / subPathExpr %q", m.MountPath, m.SubPath, m.SubPathExpr)
		}
		if m.RecursiveReadOnly != nil && *m.RecursiveReadOnly != corev1.RecursiveReadOnlyDisabled &&
			(!m.ReadOnly || (m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone)) {
			t.Errorf("mount %s: recursiveReadOnly on a writable or propagating mount", m.MountPath)
		}
	}
	spec := pod.Spec.DeepCopy()
	spec.Containers = append(spec.Containers, as) // SpecProblems checks names, volumes, paths, propagation
	if p := podcheck.SpecProblems(spec, nil); len(p) > 0 {
		t.Errorf("the pod with the ephemeral container: %v", p)
	}
	if (live.Down == nil || ec.TargetContainerName != "") && !slices.ContainsFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == ec.TargetContainerName }) {
		t.Errorf("targetContainerName %q is no container of the pod", ec.TargetContainerName)
	}
	if !slices.ContainsFunc(ec.Env, func(e corev1.EnvVar) bool { return e.Name == AttachEnv && len(e.Value) == 16 }) {
		t.Errorf("no %s marker: %v", AttachEnv, ec.Env)
	}
}
