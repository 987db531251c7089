package generator

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

const streamDeployment = `---
# Source: app/templates/deployment.yaml
# A comment above the object.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app # the name
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      # head comment of containers
      containers:
        - name: app
          image: app:1.0 # pinned
          volumeMounts:
            - name: creds
              mountPath: /creds
      volumes:
        - name: creds
          secret:
            secretName: creds # the Secret below
`

const streamService = `---
# Source: app/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  ports: [{port: 80}]   # odd spacing, kept
`

const streamSecret = `---
# Source: app/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-but-longer
`

const streamConfig = `---
# Source: app/charts/debug-overlay/templates/debugoverlay.yaml
apiVersion: debug-overlay.dev/v1alpha1
kind: DebugOverlay
metadata:
  name: debug
spec:
  enabled: true
`

func TestRenderStreamInvariants(t *testing.T) {
	tests := []struct {
		name  string
		input string
		cfg   overlay.Config
		// keep lists text that must survive in the output, such as comments
		// of changed documents.
		keep []string
		// want is the sequence of kinds in the output.
		want []string
	}{
		{
			name:  "config document last, as Helm 3 orders it",
			input: streamSecret + streamDeployment + streamService + streamConfig,
			keep: []string{"# Source: app/templates/deployment.yaml\n# A comment above the object.\n",
				"name: app # the name", "# head comment of containers", "image: app:1.0 # pinned", "# the Secret below"},
			want: []string{"Secret", "Deployment", "Service"},
		},
		{
			name:  "config document first",
			input: streamConfig + streamDeployment + streamService,
			want:  []string{"Deployment", "Service"},
		},
		{
			name:  "config document in the middle, with a copy",
			input: streamDeployment + streamConfig + streamSecret + streamService,
			cfg:   overlay.Config{Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "creds"}}}},
			keep:  []string{"# the Secret below", "# head comment of containers"},
			want:  []string{"Deployment", "Secret", "Service"},
		},
		{
			name:  "no config document, enabled by the layer",
			input: streamService + streamDeployment + streamDeployment + streamService,
			cfg:   overlay.Config{Enabled: ptr.To(true)},
			want:  []string{"Service", "Deployment", "Deployment", "Service"},
		},
		{
			name:  "disabled by the layer above the stream's document",
			input: streamDeployment + streamConfig + streamService,
			cfg:   overlay.Config{Enabled: ptr.To(false)},
			want:  []string{"Deployment", "Service"},
		},
		{
			name:  "first document without a separator",
			input: strings.TrimPrefix(streamDeployment, "---\n") + streamService,
			cfg:   overlay.Config{Enabled: ptr.To(true)},
			keep:  []string{"# the Secret below"},
			want:  []string{"Deployment", "Service"},
		},
		{
			name:  "last document without a final newline",
			input: streamService + strings.TrimSuffix(streamDeployment, "\n"),
			cfg:   overlay.Config{Enabled: ptr.To(true)},
			want:  []string{"Service", "Deployment"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, report, err := render(tt.cfg, []byte(tt.input))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, p := range checkInvariants([]byte(tt.input), got, report, nil) {
				t.Error(p)
			}
			for _, k := range tt.keep {
				if !bytes.Contains(got, []byte(k)) {
					t.Errorf("the output lost %q", k)
				}
			}
			objs, err := parseStream(got)
			if err != nil {
				t.Fatalf("the output does not parse: %v", err)
			}
			var kinds []string
			for _, o := range objs {
				m, _ := o.(map[string]any)
				kind, _ := m["kind"].(string)
				kinds = append(kinds, kind)
			}
			if diff := cmp.Diff(tt.want, kinds); diff != "" {
				t.Errorf("kinds in the output (-want +got):\n%s", diff)
			}
		})
	}
}

// secretMarker is a value that must never leave its Secret document.
const secretMarker = "c2VjcmV0LW1hcmtlci0zZjlhNzFkMg=="

func TestRenderKeepsSecretDataInItsDocument(t *testing.T) {
	secret := `---
# Source: app/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  password: ` + secretMarker + `
`
	jsonSecret := `---
{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "data": {"password": "` + secretMarker + `"}}
`
	deployment := func(extra string) string {
		return `---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
        - name: app
          image: app:1.0
          envFrom:
            - secretRef:
                name: creds
          env:
            - name: PASSWORD
              valueFrom:
                secretKeyRef:
                  name: creds
                  key: password
          volumeMounts:
            - name: creds
              mountPath: /creds
            - name: cache
              mountPath: /cache
` + extra + `
      volumes:
        - name: creds
          secret:
            secretName: creds
        - name: cache
          emptyDir: {}
`
	}
	copyCreds := overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "creds"}}}}
	tests := []struct {
		name    string
		input   string
		cfg     overlay.Config
		wantErr bool
	}{
		{name: "secret first, copied", input: secret + deployment(""), cfg: copyCreds},
		{name: "secret last, copied", input: deployment("") + secret, cfg: copyCreds},
		{name: "JSON secret, copied", input: jsonSecret + deployment(""), cfg: copyCreds},
		{name: "secret, with a warning", input: secret + deployment(`          mountPropagation: Bidirectional`), cfg: copyCreds},
		{name: "overlay disabled", input: secret + deployment(""), cfg: overlay.Config{Enabled: ptr.To(false)}},
		{
			name:  "target that matches nothing",
			input: secret + deployment(""),
			cfg:   overlay.Config{Enabled: ptr.To(true), Targets: []overlay.Target{{Name: "creds"}}}, wantErr: true,
		},
		{
			name:  "copy of an emptyDir",
			input: secret + deployment(""),
			cfg:   overlay.Config{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "cache"}}}}, wantErr: true,
		},
		{
			name:    "broken workload after the secret",
			input:   secret + deployment("        - {broken"),
			cfg:     copyCreds,
			wantErr: true,
		},
		{
			name:    "broken JSON secret",
			input:   strings.TrimSuffix(jsonSecret, "}\n") + "\n" + deployment(""),
			cfg:     copyCreds,
			wantErr: true,
		},
		{
			name:    "secret with a value of the wrong type",
			input:   strings.Replace(secret, secretMarker, "["+secretMarker+"]", 1) + deployment(""),
			cfg:     copyCreds,
			wantErr: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, report, err := render(tt.cfg, []byte(tt.input))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Render succeeded, want an error")
				}
				if strings.Contains(err.Error(), secretMarker) {
					t.Errorf("the error shows the secret: %v", err)
				}
				if len(got) > 0 {
					t.Errorf("Render failed but wrote %d bytes", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if n := bytes.Count(got, []byte(secretMarker)); n != 1 {
				t.Errorf("the secret appears %d times in the output, want 1", n)
			}
			for _, doc := range splitRaw(got) {
				if bytes.Contains(doc, []byte(secretMarker)) && !bytes.Contains(doc, []byte(`"kind": "Secret"`)) && !bytes.Contains(doc, []byte("kind: Secret")) {
					t.Errorf("the secret appears outside its Secret document:\n%s", doc)
				}
			}
			var explained strings.Builder
			if err := report.Explain(&explained); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(explained.String(), secretMarker) {
				t.Errorf("Explain shows the secret:\n%s", explained.String())
			}
			for _, f := range report.Findings {
				if strings.Contains(f.String(), secretMarker) {
					t.Errorf("finding shows the secret: %s", f)
				}
			}
			stripped, _, err := strip(nil, got)
			if err != nil {
				t.Fatalf("Strip: %v", err)
			}
			if n := bytes.Count(stripped, []byte(secretMarker)); n != 1 {
				t.Errorf("the secret appears %d times after Strip, want 1", n)
			}
		})
	}
}

// TestCheckInvariantsCatchesBrokenOutput makes sure the invariants the
// golden, random and fuzz tests rely on can fail: each case breaks a good
// output in one way.
func TestCheckInvariantsCatchesBrokenOutput(t *testing.T) {
	input := []byte(streamSecret + streamDeployment + streamService + streamConfig)
	good, report, err := render(overlay.Config{}, input)
	if err != nil {
		t.Fatal(err)
	}
	if p := checkInvariants(input, good, report, nil); len(p) > 0 {
		t.Fatalf("the good output fails: %q", p)
	}
	tests := []struct {
		name   string
		mutate func(out string) string
		want   string
	}{
		{
			name:   "document lost",
			mutate: func(out string) string { return strings.Replace(out, streamService, "", 1) },
			want:   "documents in (without configuration)",
		},
		{
			name: "untouched document changed",
			mutate: func(out string) string {
				return strings.Replace(out, "ports: [{port: 80}]   #", "ports: [{port: 80}] #", 1)
			},
			want: "is not overlaid but changed",
		},
		{
			name:   "source comment lost",
			mutate: func(out string) string { return strings.Replace(out, "# A comment above the object.\n", "", 1) },
			want:   "lost its preamble",
		},
		{
			name: "sidecar mounts a missing volume",
			mutate: func(out string) string {
				return strings.Replace(out, "- name: creds\n              mountPath: /creds\n          imagePullPolicy", "- name: gone\n              mountPath: /creds\n          imagePullPolicy", 1)
			},
			want: `the overlay made the pod invalid: container "debug" mounts volume "gone", which does not exist`,
		},
		{
			name:   "secret copied",
			mutate: func(out string) string { return out + "---\n# hunter2-but-longer\n" },
			want:   `secret value "hunter2-but-longer" appears 2 times`,
		},
		{
			name:   "not idempotent",
			mutate: func(out string) string { return strings.Replace(out, "image: alpine:3.20", "image: alpine:3.19", 1) },
			want:   "rendering the output again changes it",
		},
		{
			name:   "strip does not give the input back",
			mutate: func(out string) string { return strings.Replace(out, "image: app:1.0", "image: app:2.0", 1) },
			want:   "strip(render(in)) differs from in",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := tt.mutate(string(good))
			if broken == string(good) {
				t.Fatal("the case did not change the output")
			}
			problems := checkInvariants(input, []byte(broken), report, nil)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("no problem mentions %q; got %q", tt.want, problems)
			}
		})
	}
}
