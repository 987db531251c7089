package argocd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func TestReadValues(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    Values
		wantErr string
	}{
		{
			name:    "nothing set",
			environ: []string{"PATH=/bin", "ARGOCD_APP_NAME=geth"},
			want:    Values{},
		},
		{
			name: "ARGOCD_APP_PARAMETERS as Argo CD encodes it",
			environ: []string{
				`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"},{"name":"targets","array":["statefulset/geth","api-*"]},{"name":"set","map":{"image.tag":"v2"}}]`,
				// Argo CD derives these from the same parameters; the JSON wins.
				"PARAM_ENABLED=true", "PARAM_TARGETS_0=statefulset/geth", "PARAM_TARGETS_1=api-*", "PARAM_SET_IMAGE_TAG=v2",
			},
			want: Values{
				"enabled": {String: "true"},
				"targets": {Array: []string{"statefulset/geth", "api-*"}},
				"set":     {Map: map[string]string{"image.tag": "v2"}},
			},
		},
		{
			name:    "PARAM_ without ARGOCD_APP_PARAMETERS",
			environ: []string{"PARAM_ENABLED=true", "PARAM_COPY_VOLUMES_0=keystore:fileMode=0600", "PARAM_COPY_VOLUMES_1=tls", "PARAM_COPY_VOLUMES_3=gap"},
			want: Values{
				"enabled":      {String: "true"},
				"copy-volumes": {Array: []string{"keystore:fileMode=0600", "tls"}},
			},
		},
		{
			name: "the plugin env below the parameters",
			environ: []string{
				"ARGOCD_ENV_ENABLED=true", "ARGOCD_ENV_PRESET=busybox", "ARGOCD_ENV_TARGETS=deployment/a  b",
				"ARGOCD_ENV_SET=a=1 b.c=x=y", `ARGOCD_APP_PARAMETERS=[{"name":"preset","string":"toolbox"}]`,
			},
			want: Values{
				"enabled": {String: "true"},
				"preset":  {String: "toolbox"},
				"targets": {Array: []string{"deployment/a", "b"}},
				"set":     {Map: map[string]string{"a": "1", "b.c": "x=y"}},
			},
		},
		{
			name:    "a parameter named without a value is unset",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"reason"}]`},
			want:    Values{},
		},
		{
			name:    "unknown parameter",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"presets","string":"busybox"}]`},
			wantErr: `parameter "presets": unknown parameter (valid: enabled, mode, preset, profile, targets, copy-volumes, expires, reason, on-expiry, values-files, values, set)`,
		},
		{
			name:    "a string for an array",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"targets","string":"geth"}]`},
			wantErr: "parameter targets: want an array, got a string",
		},
		{
			name:    "unknown plugin env",
			environ: []string{"ARGOCD_ENV_ENABLE=true"},
			wantErr: "ARGOCD_ENV_ENABLE: unknown variable of the Application's plugin env",
		},
		{
			name:    "a map item without =",
			environ: []string{"ARGOCD_ENV_SET=a"},
			wantErr: `ARGOCD_ENV_SET: "a": want KEY=VALUE items separated by spaces`,
		},
		{
			name:    "not JSON",
			environ: []string{"ARGOCD_APP_PARAMETERS=enabled=true"},
			wantErr: "reading ARGOCD_APP_PARAMETERS: invalid character",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadValues(tt.environ)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOverlayConfig(t *testing.T) {
	ptr := func(b bool) *bool { return &b }
	tests := []struct {
		name    string
		values  Values
		want    overlay.Config
		wantErr string
	}{
		{name: "nothing set: every field to the layers below", values: Values{}, want: overlay.Config{}},
		{
			name: "every overlay parameter, through the flags",
			values: Values{
				"enabled": {String: "true"}, "mode": {String: "twin"}, "preset": {String: "busybox"},
				"profile": {String: "restricted"}, "targets": {Array: []string{"statefulset/geth", "api-*"}},
				"copy-volumes": {Array: []string{"keystore:fileMode=0600", "tls"}},
				"expires":      {String: "2030-01-02T03:04:05Z"}, "reason": {String: "INC-1, alice"}, "on-expiry": {String: "strip"},
				// Helm's parameters do not reach the overlay.
				"values-files": {Array: []string{"values-prod.yaml"}}, "values": {String: "a: 1"},
			},
			want: overlay.Config{
				Enabled: ptr(true),
				Mode:    overlay.ModeTwin,
				Targets: []overlay.Target{{Kind: "statefulset", Name: "geth"}, {Name: "api-*"}},
				Sidecar: overlay.Sidecar{Preset: overlay.PresetBusybox, Profile: overlay.ProfileRestricted},
				Copy: overlay.Copy{Volumes: []overlay.CopyVolume{
					{Name: "keystore", FileMode: permPtr(0o600)}, {Name: "tls"},
				}},
				Expires:  "2030-01-02T03:04:05Z",
				Reason:   "INC-1, alice",
				OnExpiry: overlay.ExpiryStrip,
			},
		},
		{name: "enabled false", values: Values{"enabled": {String: "false"}}, want: overlay.Config{Enabled: ptr(false)}},
		{name: "enabled yes", values: Values{"enabled": {String: "yes"}}, wantErr: `parameter enabled: "yes" is not one of true, false`},
		{name: "unknown preset", values: Values{"preset": {String: "ubuntu"}}, wantErr: `parameter preset: "ubuntu" is not one of alpine, busybox, custom, toolbox`},
		{name: "unknown profile", values: Values{"profile": {String: "root"}}, wantErr: `parameter profile: "root" is not one of baseline, general, netadmin, restricted, sysadmin`},
		{name: "unknown mode", values: Values{"mode": {String: "copy"}}, wantErr: `parameter mode: "copy" is not one of inplace, twin`},
		{name: "relative expiry", values: Values{"expires": {String: "2h"}}, wantErr: `parameter expires: "2h" is not an RFC 3339 time`},
		{name: "bad target", values: Values{"targets": {Array: []string{"a/b/c"}}}, wantErr: `parameter targets: --target "a/b/c": want KIND/NAME or NAME`},
		{name: "bad copy volume", values: Values{"copy-volumes": {Array: []string{"keystore:mode=0600"}}}, wantErr: `parameter copy-volumes: --copy-volume "keystore:mode=0600": unknown key "mode"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.values.OverlayConfig()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func permPtr(p overlay.Perm) *overlay.Perm { return &p }

// TestAnnouncedDefaultsAreTheOverlayDefaults: the defaults the plugin
// announces are those the overlay applies when a parameter is unset, so
// leaving a parameter unset (the program's default) and the UI's default
// mean the same.
func TestAnnouncedDefaultsAreTheOverlayDefaults(t *testing.T) {
	d := overlay.Default()
	want := map[string]string{
		"enabled":   "false",
		"mode":      string(d.Mode),
		"preset":    string(d.Sidecar.Preset),
		"profile":   string(d.Sidecar.Profile),
		"on-expiry": string(d.OnExpiry),
		"expires":   d.Expires,
		"reason":    d.Reason,
		"values":    "",
	}
	if d.Enabled == nil || *d.Enabled {
		t.Fatalf("the overlay's default enabled is %v, want false", d.Enabled)
	}
	for _, p := range Params {
		if p.collection() != CollectionString {
			continue
		}
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("parameter %s: no default to compare with", p.Name)
			continue
		}
		if p.Default != w {
			t.Errorf("parameter %s announces %q, the overlay's default is %q", p.Name, p.Default, w)
		}
		if len(p.Enum) > 0 && !contains(p.Enum, p.Default) {
			t.Errorf("parameter %s: default %q is not among %v", p.Name, p.Default, p.Enum)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestEnvName(t *testing.T) {
	for name, want := range map[string]string{"enabled": "ENABLED", "copy-volumes": "COPY_VOLUMES", "on-expiry": "ON_EXPIRY", "values-files": "VALUES_FILES"} {
		p, ok := findParam(name)
		if !ok {
			t.Fatalf("no parameter %s", name)
		}
		if got := p.EnvName(); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}
