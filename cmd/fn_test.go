package cmd

import (
	"strings"
	"testing"
)

// krmInput is a ResourceList as kustomize sends it.
const krmInput = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/annotations-migration-resource-id: '0'
      internal.config.kubernetes.io/id: '1'
      config.k8s.io/id: '1'
  spec:
    template:
      spec:
        shareProcessNamespace: false
        containers:
        - name: api
          image: example/api:1
          volumeMounts:
          - name: creds
            mountPath: /creds
        volumes:
        - name: creds
          secret:
            secretName: api-creds
functionConfig:
  apiVersion: debug-overlay.dev/v1alpha1
  kind: DebugOverlay
  metadata:
    name: debug
    annotations:
      config.kubernetes.io/function: |
        exec:
          path: ./debug-overlay-fn
      config.kubernetes.io/local-config: 'true'
  spec:
    enabled: true
`

func TestFnCommand(t *testing.T) {
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantOut    []string // substrings of stdout
		wantStderr []string // substrings of stderr
		wantErr    bool
	}{
		{
			name: "fn overlays the items", stdin: krmInput, args: []string{"fn"},
			wantOut: []string{"kind: ResourceList", "- name: debug\n", "internal.config.kubernetes.io/id: '1'", "results:", "severity: warning"},
			// kustomize shows a function's stderr, not its results.
			wantStderr: []string{"debug-overlay: warning: document 1 (Deployment api): shareProcessNamespace was false"},
		},
		{
			name: "without a subcommand a ResourceList on stdin runs fn", stdin: krmInput,
			wantOut: []string{"kind: ResourceList", "- name: debug\n", "config.k8s.io/id: '1'"},
		},
		{
			name: "flags are layered above the functionConfig", stdin: krmInput, args: []string{"fn", "--copy-volume=creds"},
			wantOut: []string{"name: creds-debug-copy"},
		},
		{
			name: "root flags reach the function too", stdin: krmInput, args: []string{"--copy-volume=creds"},
			wantOut: []string{"name: creds-debug-copy"},
		},
		{
			name: "errors go to results and stderr, and the exit is non-zero", stdin: krmInput, args: []string{"fn", "--copy-volume=nope"},
			wantOut:    []string{"severity: error", `no selected workload has a volume named "nope"`},
			wantStderr: []string{`debug-overlay: error: spec.copy.volumes[0]: no selected workload has a volume named "nope"`},
			wantErr:    true,
		},
		{
			name: "fn refuses a plain stream", stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
			args:       []string{"fn"},
			wantStderr: []string{"the input is not a single ResourceList object (got a stream of documents)"},
			wantErr:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(t, tt.stdin, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v; stderr:\n%s", err, tt.wantErr, stderr)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestRootStillRendersStreams checks that sniffing for a ResourceList
// leaves plain streams to the post-renderer, byte for byte.
func TestRootStillRendersStreams(t *testing.T) {
	stream := "---\n# Source: a/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
	stdout, stderr, err := run(t, stream, "--enable")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if stdout != stream {
		t.Errorf("stdout = %q, want the stream unchanged", stdout)
	}
}
