package overlay

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

func TestConfigMerge(t *testing.T) {
	base := Default().Merge(Config{
		Enabled: ptr.To(true),
		Targets: []Target{{Name: "a"}, {Name: "b"}},
		Sidecar: Sidecar{Preset: PresetBusybox, Env: nil},
		Copy:    Copy{Volumes: []CopyVolume{{Name: "keys"}}},
	})
	tests := []struct {
		name string
		over Config
		want func(c *Config)
	}{
		{name: "empty layer changes nothing", over: Config{}, want: func(*Config) {}},
		{name: "false overrides true", over: Config{Enabled: ptr.To(false)}, want: func(c *Config) { c.Enabled = ptr.To(false) }},
		{name: "lists are replaced, not appended", over: Config{Targets: []Target{{Name: "c"}}}, want: func(c *Config) { c.Targets = []Target{{Name: "c"}} }},
		{name: "an empty list clears", over: Config{Copy: Copy{Volumes: []CopyVolume{}}}, want: func(c *Config) { c.Copy.Volumes = []CopyVolume{} }},
		{
			name: "sidecar fields one by one",
			over: Config{Sidecar: Sidecar{Profile: ProfileRestricted, Native: NativeNever}},
			want: func(c *Config) { c.Sidecar.Profile, c.Sidecar.Native = ProfileRestricted, NativeNever },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := base
			want.Targets = append([]Target(nil), base.Targets...)
			tt.want(&want)
			if diff := cmp.Diff(want, base.Merge(tt.over)); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultIsValidAndDisabled(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	if d.IsEnabled() {
		t.Error("Default() is enabled")
	}
	if (Config{}).IsEnabled() {
		t.Error("the zero Config is enabled")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		layer Config
		want  []string // substrings, each on its own line of the error
	}{
		{name: "valid", layer: Config{Enabled: ptr.To(true)}},
		{
			name: "every problem at once",
			layer: Config{
				Sidecar: Sidecar{Name: "Debug_1", Preset: "fancy", Profile: "root", Native: "sometimes", ImagePullPolicy: "Sometimes", RunAsUser: ptr.To(int64(0))},
				Copy: Copy{Image: "", Volumes: []CopyVolume{{Name: "a"}, {Name: "a", Medium: "SSD"}, {},
					{Name: "b", FileMode: ptr.To(Perm(600)), DirMode: ptr.To(Perm(-1)), Owner: "postgres"}}},
				Targets: []Target{{Name: "[x"}},
				Kinds:   []WorkloadKind{{Group: "x"}},
			},
			want: []string{
				`spec.sidecar.name: "Debug_1" is not a valid container name`,
				`spec.sidecar.preset: unknown preset "fancy" (valid: alpine, busybox, custom, toolbox)`,
				`spec.sidecar.profile: unknown profile "root" (valid: auto, baseline, general, netadmin, restricted, sysadmin)`,
				`spec.sidecar.native: unknown mode "sometimes" (valid: auto, always, never)`,
				`spec.sidecar.imagePullPolicy: unknown policy "Sometimes"`,
				`spec.sidecar.runAsUser: must be a positive user ID, got 0`,
				`spec.copy.volumes[1].name: volume "a" is listed twice`,
				`spec.copy.volumes[1].medium: unknown medium "SSD" (valid: auto, Memory, Disk)`,
				`spec.copy.volumes[2].name: required`,
				`spec.copy.volumes[3].fileMode: 600 is octal 01130, more than 0777: write modes in octal, digits 0 to 7 with a leading zero, as 0600`,
				`spec.copy.volumes[3].dirMode: -1 is not a mode: modes are 0 to 0777`,
				`spec.copy.volumes[3].owner: "postgres": want app, UID or UID:GID: user "postgres" is not a number`,
				`spec.copy.image: required when volumes are copied`,
				`spec.targets[0].name: bad pattern "[x"`,
				`spec.kinds[0].kind: required`,
			},
		},
		{
			name: "modes and owners at their limits",
			layer: Config{Copy: Copy{Image: "busybox", Volumes: []CopyVolume{
				{Name: "a", FileMode: ptr.To(Perm(0)), DirMode: ptr.To(Perm(0o777)), Owner: "0:0"},
				{Name: "b", Owner: "2147483647:2147483647"},
				{Name: "c", Owner: OwnerApp},
			}}},
		},
		{
			name:  "root owner under the restricted profile",
			layer: Config{Sidecar: Sidecar{Profile: ProfileRestricted}, Copy: Copy{Image: "busybox", Volumes: []CopyVolume{{Name: "a", Owner: "0:1000"}}}},
			want:  []string{`spec.copy.volumes[0].owner: "0:1000" is root, and the restricted profile runs the copy init container as non-root`},
		},
		{
			name:  "custom preset needs an image",
			layer: Config{Sidecar: Sidecar{Preset: PresetCustom}},
			want:  []string{"spec.sidecar.image: the custom preset needs an image"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default().Merge(tt.layer)
			if tt.layer.Copy.Volumes != nil {
				cfg.Copy.Image = tt.layer.Copy.Image
			}
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %d problems", len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func ptrQuantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
