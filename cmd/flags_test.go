package cmd

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func TestOverlayFlagsConfig(t *testing.T) {
	cfgFile := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(cfgFile, []byte(`apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
spec:
  enabled: true
  sidecar:
    preset: busybox
    profile: baseline
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want overlay.Config
	}{
		{
			name: "nothing set leaves every field to the layers below",
			want: overlay.Config{},
		},
		{
			name: "enable and the common flags",
			args: []string{"--enable", "--preset=toolbox", "--image=example/tools:1", "--profile=restricted",
				"--native=always", "--name=dbg", "--include-hooks", "--target=deployment/api", "--target=worker-*",
				"--copy-volume=creds", "--copy-volume=config"},
			want: overlay.Config{
				Enabled:      ptr(true),
				IncludeHooks: ptr(true),
				Targets:      []overlay.Target{{Kind: "deployment", Name: "api"}, {Name: "worker-*"}},
				Sidecar: overlay.Sidecar{Name: "dbg", Preset: overlay.PresetToolbox, Image: "example/tools:1",
					Profile: overlay.ProfileRestricted, Native: overlay.NativeAlways},
				Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "creds"}, {Name: "config"}}},
			},
		},
		{
			name: "copy volumes with their options",
			args: []string{"--copy-volume=keystore:fileMode=0600,owner=app", "--copy-volume=tls:dirMode=750,owner=1000:2000",
				"--copy-volume=cfg:medium=Memory,sizeLimit=1Mi,rewire=false,optional=true", "--copy-volume=plain"},
			want: overlay.Config{Copy: overlay.Copy{Volumes: []overlay.CopyVolume{
				{Name: "keystore", FileMode: ptr(overlay.Perm(0o600)), Owner: overlay.OwnerApp},
				{Name: "tls", DirMode: ptr(overlay.Perm(0o750)), Owner: "1000:2000"},
				{Name: "cfg", Medium: overlay.MediumMemory, SizeLimit: ptr(resource.MustParse("1Mi")), Rewire: ptr(false), Optional: ptr(true)},
				{Name: "plain"},
			}}},
		},
		{
			name: "flags override the config file field by field",
			args: []string{"--config", cfgFile, "--preset=toolbox"},
			want: overlay.Config{
				Enabled: ptr(true),
				Sidecar: overlay.Sidecar{Preset: overlay.PresetToolbox, Profile: overlay.ProfileBaseline},
			},
		},
		{
			name: "--enable=false switches off what the file switched on",
			args: []string{"--config", cfgFile, "--enable=false"},
			want: overlay.Config{
				Enabled: ptr(false),
				Sidecar: overlay.Sidecar{Preset: overlay.PresetBusybox, Profile: overlay.ProfileBaseline},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOverlayFlags()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.Config()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Config() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCopyVolumeRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{in: "", want: `--copy-volume "": want NAME or NAME:KEY=VALUE,...`},
		{in: ":fileMode=0600", want: `want NAME or NAME:KEY=VALUE,...`},
		{in: "keys:", want: `want NAME or NAME:KEY=VALUE,...`},
		{in: "keys:fileMode", want: `--copy-volume "keys:fileMode": "fileMode": want KEY=VALUE`},
		{in: "keys:fileMode=", want: `"fileMode=": want KEY=VALUE`},
		{in: "keys:fileMode=0600,", want: `"": want KEY=VALUE`},
		{in: "keys:mode=0600", want: `unknown key "mode" (valid: fileMode, dirMode, owner, medium, sizeLimit, rewire, optional)`},
		{in: "keys:filemode=0600", want: `unknown key "filemode"`},
		{in: "keys:fileMode=0600,fileMode=0400", want: "fileMode is given twice"},
		{in: "keys:fileMode=0999", want: `--copy-volume "keys:fileMode=0999": fileMode: mode "0999": want octal digits, such as 0600`},
		{in: "keys:dirMode=4755", want: `dirMode: mode "4755": more than 0777`},
		{in: "keys:rewire=maybe", want: `rewire: strconv.ParseBool: parsing "maybe"`},
		{in: "keys:sizeLimit=lots", want: "sizeLimit: quantities must match"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseCopyVolume(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseCopyVolume(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestParseTargetRejectsBadShapes(t *testing.T) {
	for _, s := range []string{"", "deployment/", "a/b/c"} {
		if _, err := parseTarget(s); err == nil {
			t.Errorf("parseTarget(%q): want an error", s)
		}
	}
}
