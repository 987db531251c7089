package overlay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

func TestModeAndOwnerFromYAML(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    CopyVolume
		wantErr string
	}{
		{name: "octal number, as defaultMode", yaml: "fileMode: 0600\ndirMode: 0750", want: CopyVolume{FileMode: ptr.To(Perm(0o600)), DirMode: ptr.To(Perm(0o750))}},
		{name: "JSON's decimal number", yaml: `{"fileMode": 384}`, want: CopyVolume{FileMode: ptr.To(Perm(0o600))}},
		{name: "string from Helm's --set, read as octal", yaml: `fileMode: "0600"`, want: CopyVolume{FileMode: ptr.To(Perm(0o600))}},
		{name: "string without the leading zero is octal too", yaml: `dirMode: "700"`, want: CopyVolume{DirMode: ptr.To(Perm(0o700))}},
		{name: "decimal number out of range is kept for Validate", yaml: "fileMode: 600", want: CopyVolume{FileMode: ptr.To(Perm(600))}},
		{name: "string that is not octal", yaml: `fileMode: "0x600"`, wantErr: `mode "0x600": want octal digits, such as 0600`},
		{name: "string with an 8", yaml: `fileMode: "0680"`, wantErr: `mode "0680": want octal digits`},
		{name: "string beyond 0777", yaml: `fileMode: "4755"`, wantErr: `mode "4755": more than 0777`},
		{name: "boolean", yaml: "fileMode: true", wantErr: "mode true: want a number or a string of octal digits"},
		{name: "owner app", yaml: "owner: app", want: CopyVolume{Owner: OwnerApp}},
		{name: "owner as an unquoted number", yaml: "owner: 1000", want: CopyVolume{Owner: "1000"}},
		{name: "owner UID:GID", yaml: `owner: "1000:2000"`, want: CopyVolume{Owner: "1000:2000"}},
		{name: "owner UID:GID unquoted is a string in YAML", yaml: "owner: 1000:2000", want: CopyVolume{Owner: "1000:2000"}},
		{name: "owner boolean", yaml: "owner: true", wantErr: "owner true: want app, a user ID or UID:GID"},
		{name: "owner fraction", yaml: "owner: 1.5", wantErr: "owner 1.5: want app, a user ID or UID:GID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got CopyVolume
			err := yaml.UnmarshalStrict([]byte(tt.yaml), &got)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermString(t *testing.T) {
	for m, want := range map[Perm]string{0: "0000", 0o600: "0600", 0o7: "0007", 0o777: "0777"} {
		if got := m.String(); got != want {
			t.Errorf("Perm(%#o).String() = %q, want %q", int32(m), got, want)
		}
	}
}

func TestOwnerValidate(t *testing.T) {
	tests := []struct {
		owner   Owner
		wantErr string
	}{
		{owner: "app"},
		{owner: "0"},
		{owner: "1000"},
		{owner: "1000:0"},
		{owner: "2147483647:2147483647"},
		{owner: "App", wantErr: `user "App" is not a number`},
		{owner: "postgres", wantErr: `user "postgres" is not a number: names cannot be used`},
		{owner: "1000:postgres", wantErr: `group "postgres" is not a number`},
		{owner: "-1", wantErr: "user ID -1 is out of range: user IDs are 0 to 2147483647"},
		{owner: "1000:-5", wantErr: "group ID -5 is out of range"},
		{owner: "2147483648", wantErr: "user ID 2147483648 is out of range"},
		{owner: "99999999999999999999", wantErr: "user ID 99999999999999999999 is out of range"},
		{owner: "+5", wantErr: `user "+5" is not a number`},
		{owner: ":5", wantErr: `user "" is not a number`},
		{owner: "5:", wantErr: `group "" is not a number`},
		{owner: "1:2:3", wantErr: `group "2:3" is not a number`},
		{owner: " 5", wantErr: `user " 5" is not a number`},
	}
	for _, tt := range tests {
		t.Run(string(tt.owner), func(t *testing.T) {
			err := tt.owner.validate()
			if checkErr(t, err, tt.wantErr) {
				return
			}
			if !strings.HasPrefix(err.Error(), `"`+string(tt.owner)+`": want app, UID or UID:GID: `) {
				t.Errorf("validate() = %v, want it to start with the owner and what is wanted", err)
			}
		})
	}
}

// checkErr fails t unless err contains want, or is nil when want is "",
// and reports whether there is a result to check.
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("error = %v, want none", err)
		}
		return true
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	return false
}

// permsPod is a pod whose app containers run as the users asked.
type permsPod struct {
	pod        *corev1.PodSpec
	containers []string // targets[].containers
}

func runAs(uid, gid *int64) *corev1.SecurityContext {
	return &corev1.SecurityContext{RunAsUser: uid, RunAsGroup: gid}
}

func TestPlanCopyUser(t *testing.T) {
	mounts := []corev1.VolumeMount{{Name: "tls", MountPath: "/tls"}}
	app := func(name string, sc *corev1.SecurityContext, mount bool) corev1.Container {
		c := corev1.Container{Name: name, SecurityContext: sc}
		if mount {
			c.VolumeMounts = mounts
		}
		return c
	}
	tls := corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}}
	pod := func(psc *corev1.PodSecurityContext, cs ...corev1.Container) *corev1.PodSpec {
		return &corev1.PodSpec{SecurityContext: psc, Containers: cs, Volumes: []corev1.Volume{tls}}
	}
	tests := []struct {
		name    string
		owner   Owner
		in      permsPod
		want    string // copyUser.String()
		from    string
		wantErr string
	}{
		{
			name: "app: container's user and group", owner: OwnerApp,
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1), FSGroup: ptr.To[int64](2)}, app("db", runAs(ptr.To[int64](999), ptr.To[int64](998)), true))},
			want: "999:998", from: `app: runAsUser of container "db", runAsGroup of container "db"`,
		},
		{
			name: "app: the pod's user, group from fsGroup", owner: OwnerApp,
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), FSGroup: ptr.To[int64](2000)}, app("app", nil, true))},
			want: "1000:2000", from: "app: runAsUser of the pod, fsGroup of the pod",
		},
		{
			name: "app: the pod's runAsGroup before its fsGroup", owner: OwnerApp,
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000), FSGroup: ptr.To[int64](2000)}, app("app", nil, true))},
			want: "1000:3000", from: "app: runAsUser of the pod, runAsGroup of the pod",
		},
		{
			name: "app: no group anywhere", owner: OwnerApp,
			in:   permsPod{pod: pod(nil, app("app", runAs(ptr.To[int64](1000), nil), true))},
			want: "1000", from: `app: runAsUser of container "app"`,
		},
		{
			name: "app: root is a user like any other here", owner: OwnerApp,
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}, app("app", nil, true))},
			want: "0", from: "app: runAsUser of the pod",
		},
		{
			name: "app: only the containers that mount the volume count", owner: OwnerApp,
			in: permsPod{pod: pod(nil,
				app("exporter", runAs(ptr.To[int64](65534), nil), false),
				app("db", runAs(ptr.To[int64](999), nil), true))},
			want: "999", from: `app: runAsUser of container "db"`,
		},
		{
			name: "app: among the target containers", owner: OwnerApp,
			in: permsPod{containers: []string{"db"}, pod: pod(nil,
				app("proxy", runAs(ptr.To[int64](1001), nil), true),
				app("db", runAs(ptr.To[int64](999), nil), true))},
			want: "999", from: `app: runAsUser of container "db"`,
		},
		{
			name: "app: when no target container mounts it, all target containers", owner: OwnerApp,
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](7)}, app("a", nil, false), app("b", nil, false))},
			want: "7", from: "app: runAsUser of the pod",
		},
		{
			name: "app: containers that disagree", owner: OwnerApp,
			in: permsPod{pod: pod(&corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)},
				app("app", nil, true), app("proxy", runAs(nil, ptr.To[int64](5)), true))},
			wantErr: `copy.volumes[0].owner: app, but the app containers run as different users, "app" as 1000 and "proxy" as 1000:5`,
		},
		{
			name: "app: no user anywhere", owner: OwnerApp,
			in:      permsPod{pod: pod(&corev1.PodSecurityContext{FSGroup: ptr.To[int64](2000)}, app("app", nil, true))},
			wantErr: `copy.volumes[0].owner: app, but container "app" has no runAsUser, nor has the pod`,
		},
		{
			name: "numeric user: group from the pod's fsGroup", owner: "1000",
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsGroup: ptr.To[int64](3), FSGroup: ptr.To[int64](2000)}, app("app", nil, true))},
			want: "1000", from: "group 2000: fsGroup of the pod",
		},
		{
			name: "numeric user: group from the pod's runAsGroup", owner: "1000",
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{RunAsGroup: ptr.To[int64](3)}, app("app", nil, true))},
			want: "1000", from: "group 3: runAsGroup of the pod",
		},
		{
			name: "numeric user: group from the image", owner: "1000",
			in:   permsPod{pod: pod(nil, app("app", nil, true))},
			want: "1000", from: "group: the image's for that user",
		},
		{
			name: "numeric user and group", owner: "1000:0",
			in:   permsPod{pod: pod(&corev1.PodSecurityContext{FSGroup: ptr.To[int64](2000)}, app("app", nil, true))},
			want: "1000:0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := []copyJob{{field: "copy.volumes[0]", cv: CopyVolume{Name: "tls", Owner: tt.owner}, volume: "tls"}}
			got, err := planCopyUser(jobs, tt.in.pod, tt.in.containers)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			if got.String() != tt.want || got.from != tt.from || got.field != "copy.volumes[0].owner" {
				t.Errorf("got %s from %q (field %s), want %s from %q", got, got.from, got.field, tt.want, tt.from)
			}
		})
	}
}

func TestPlanCopyUserAcrossVolumes(t *testing.T) {
	pod := &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), FSGroup: ptr.To[int64](2000)},
		Containers: []corev1.Container{{Name: "app"}}}
	volumes := []string{"a", "b", "c"}
	tests := []struct {
		name    string
		owners  [3]Owner
		want    string
		wantErr string
	}{
		{name: "none asks", want: "<nil>"},
		{name: "one asks, for all", owners: [3]Owner{"", "1000:2000", ""}, want: "1000:2000"},
		{name: "the same owner written two ways", owners: [3]Owner{"app", "1000:2000", ""}, want: "1000:2000"},
		{
			name: "different users", owners: [3]Owner{"app", "", "1001:2000"},
			wantErr: `copy.volumes[2].owner: volume "a" would belong to 1000:2000 and volume "c" to 1001:2000, but one init container copies both, as one user`,
		},
		{
			name: "a group and none", owners: [3]Owner{"1000", "1000:2000", ""},
			wantErr: `copy.volumes[1].owner: volume "a" would belong to 1000 and volume "b" to 1000:2000`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var jobs []copyJob
			for i, o := range tt.owners {
				jobs = append(jobs, copyJob{field: fmt.Sprintf("copy.volumes[%d]", i), cv: CopyVolume{Name: volumes[i], Owner: o}, volume: volumes[i]})
			}
			got, err := planCopyUser(jobs, pod, nil)
			if !checkErr(t, err, tt.wantErr) {
				return
			}
			s := "<nil>"
			if got != nil {
				s = got.String()
			}
			if s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestCheckReadable(t *testing.T) {
	mode := func(m int32) *int32 { return &m }
	secret := func(def *int32, items ...corev1.KeyToPath) corev1.Volume {
		return corev1.Volume{Name: "keys", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "k", DefaultMode: def, Items: items}}}
	}
	user := func(uid int64, gid *int64) *copyUser {
		return &copyUser{uid: uid, gid: gid, field: "copy.volumes[0].owner"}
	}
	noGroup := &corev1.PodSecurityContext{}
	tests := []struct {
		name    string
		user    *copyUser
		vol     corev1.Volume
		psc     *corev1.PodSecurityContext
		wantErr string
	}{
		{name: "the API's default mode 0644", user: user(1000, ptr.To[int64](1000)), vol: secret(nil), psc: noGroup},
		{name: "0400 as root", user: user(0, nil), vol: secret(mode(0o400)), psc: noGroup},
		{name: "0400 with an fsGroup: kubelet adds group read", user: user(1000, ptr.To[int64](1000)), vol: secret(mode(0o400)), psc: &corev1.PodSecurityContext{FSGroup: ptr.To[int64](2000)}},
		{
			name: "0400 without an fsGroup", user: user(1000, ptr.To[int64](1000)), vol: secret(mode(0o400)), psc: noGroup,
			wantErr: `copy.volumes[0].owner: the copy runs as user 1000, which cannot read volume "keys": kubelet writes its files as root with mode 0400 (secret.defaultMode), and the pod has no fsGroup`,
		},
		{
			name: "an item's own mode", user: user(1000, ptr.To[int64](1000)), psc: noGroup,
			vol:     secret(mode(0o444), corev1.KeyToPath{Key: "a", Path: "a"}, corev1.KeyToPath{Key: "b", Path: "b", Mode: mode(0o600)}),
			wantErr: "mode 0600 (secret.items[1].mode)",
		},
		{name: "0440 in group root", user: user(1000, ptr.To[int64](0)), vol: secret(mode(0o440)), psc: noGroup},
		{name: "0440 with a supplemental group root", user: user(1000, ptr.To[int64](5)), vol: secret(mode(0o440)), psc: &corev1.PodSecurityContext{SupplementalGroups: []int64{0}}},
		{name: "0440 in the image's group, which may be root", user: user(1000, nil), vol: secret(mode(0o440)), psc: noGroup},
		{
			name: "0440 in the pod's runAsGroup", user: user(1000, nil), vol: secret(mode(0o440)), psc: &corev1.PodSecurityContext{RunAsGroup: ptr.To[int64](5)},
			wantErr: "mode 0440 (secret.defaultMode)",
		},
		{
			name: "projected: a secret source without items", user: user(1000, ptr.To[int64](1000)), psc: noGroup,
			vol: corev1.Volume{Name: "keys", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: mode(0o400),
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}, {Secret: &corev1.SecretProjection{}}}}}},
			wantErr: "mode 0400 (projected.defaultMode)",
		},
		{
			name: "projected: a service account token is not judged", user: user(1000, ptr.To[int64](1000)), psc: noGroup,
			vol: corev1.Volume{Name: "keys", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: mode(0o400),
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}},
		},
		{
			name: "downwardAPI item", user: user(1000, ptr.To[int64](1000)), psc: noGroup,
			vol: corev1.Volume{Name: "keys", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
				Items: []corev1.DownwardAPIVolumeFile{{Path: "labels"}, {Path: "name", Mode: mode(0o400)}}}}},
			wantErr: "mode 0400 (downwardAPI.items[1].mode)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, checkReadable(tt.user, tt.vol, &corev1.PodSpec{SecurityContext: tt.psc}), tt.wantErr)
		})
	}
}

func TestSidecarReadNote(t *testing.T) {
	mode := func(m Perm) *Perm { return &m }
	jobs := func(m *Perm) []copyJob { return []copyJob{{volume: "tls", fileMode: m}, {volume: "conf"}} }
	owner := &copyUser{uid: 1001, gid: ptr.To[int64](3000)}
	psc := &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), FSGroup: ptr.To[int64](2000)}
	restricted := &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	tests := []struct {
		name    string
		owner   *copyUser
		jobs    []copyJob
		psc     *corev1.PodSecurityContext
		sidecar *corev1.SecurityContext
		want    string
	}{
		{name: "no owner", jobs: jobs(mode(0o600)), psc: psc},
		{name: "the sidecar is the owner", owner: &copyUser{uid: 1000}, jobs: jobs(mode(0o600)), psc: psc},
		{name: "the sidecar's user is the image's", owner: owner, jobs: jobs(mode(0o600)), psc: &corev1.PodSecurityContext{}},
		{name: "root with its capabilities", owner: owner, jobs: jobs(mode(0o600)), psc: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}},
		{name: "readable by others", owner: owner, jobs: jobs(mode(0o644)), psc: psc},
		{name: "kubelet's modes", owner: owner, jobs: jobs(nil), psc: psc},
		{
			name: "the pod's user", owner: owner, jobs: jobs(mode(0o600)), psc: psc,
			want: `the debug sidecar runs as user 1000 and cannot read the copies of "tls" (files 0600), which belong to 1001:3000`,
		},
		{
			name: "the restricted profile's user, group read for another group", owner: owner, jobs: jobs(mode(0o640)), psc: &corev1.PodSecurityContext{}, sidecar: restricted,
			want: `the debug sidecar runs as user 1000 and cannot read the copies of "tls" (files 0640)`,
		},
		{name: "group read in the fsGroup, the copies' group", owner: &copyUser{uid: 1001}, jobs: jobs(mode(0o640)), psc: psc},
		{name: "group read in a supplemental group", owner: owner, jobs: jobs(mode(0o640)), psc: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), SupplementalGroups: []int64{3000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sidecarReadNote(tt.owner, tt.jobs, &corev1.PodSpec{SecurityContext: tt.psc}, &corev1.Container{SecurityContext: tt.sidecar})
			if !strings.Contains(got, tt.want) || (tt.want == "") != (got == "") {
				t.Errorf("note = %q, want %q", got, tt.want)
			}
		})
	}
}
