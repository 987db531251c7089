package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestReportExplain(t *testing.T) {
	enabled := overlay.Default().Merge(overlay.Config{Enabled: ptr.To(true)})
	tests := []struct {
		name   string
		report Report
		want   string
	}{
		{
			name:   "disabled",
			report: Report{Config: overlay.Default()},
			want:   "The overlay is disabled: the stream passes through unchanged.\n",
		},
		{
			name: "expires and reason, with the time left",
			report: Report{
				Config: enabled.Merge(overlay.Config{Expires: "2026-12-01T15:30:00Z", Reason: "INC-4711, alice", OnExpiry: overlay.ExpiryStrip}),
				Now:    time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
			},
			want: "Expires 2026-12-01T15:30:00Z (in 3h30m0s), then onExpiry strip\nReason: INC-4711, alice\n",
		},
		{
			name: "workloads and a warning",
			report: Report{
				Config: enabled,
				Workloads: []overlay.Overlaid{
					{
						Kind: "Deployment", Namespace: "shop", Name: "api", Source: "shop/templates/api.yaml",
						Container: "debug", Shell: "ash", Mounts: []string{"/etc/api", "/keys"},
						Copies: []overlay.Copied{{Volume: "keys", Into: "keys-debug-copy", Medium: corev1.StorageMediumMemory, Rewire: true}},
					},
					{
						Kind: "CronJob", Name: "backup", Container: "debug", Shell: "sh", Native: true,
						Copies: []overlay.Copied{{Volume: "cfg", Into: "cfg-debug-copy"}},
					},
					{
						Kind: "StatefulSet", Name: "db", Container: "debug", Shell: "ash",
						Copies: []overlay.Copied{
							{Volume: "tls", Into: "tls-debug-copy", Medium: corev1.StorageMediumMemory, Rewire: true, FileMode: ptr.To(overlay.Perm(0o600)),
								DirMode: ptr.To(overlay.Perm(0o700)), Owner: "999:2000", OwnerFrom: "app: runAsUser of the pod, fsGroup of the pod"},
							{Volume: "conf", Into: "conf-debug-copy", Rewire: true, Owner: "999:2000"},
						},
					},
				},
				Findings: []Finding{{Document: "document 1 (Deployment shop/api)", Message: "something to know"}},
			},
			want: `Deployment shop/api (shop/templates/api.yaml)
  debug container "debug": sidecar container, profile general
  mirrored mounts: /etc/api, /keys
  volume "keys" copied as regular files into emptyDir "keys-debug-copy" (memory); the app mounts the copy instead of the volume
  shell: kubectl exec -it -n shop deployment/api -c debug -- ash
CronJob backup
  debug container "debug": native sidecar (init container, restartPolicy: Always), profile general
  volume "cfg" copied as regular files into emptyDir "cfg-debug-copy" (disk); the app still mounts the original volume
  shell: kubectl exec -it <pod> -c debug -- sh (find the pod of this CronJob first)
StatefulSet db
  debug container "debug": sidecar container, profile general
  volume "tls" copied as regular files into emptyDir "tls-debug-copy" (memory); the app mounts the copy instead of the volume
    copies: files 0600, directories 0700, owner 999:2000 (app: runAsUser of the pod, fsGroup of the pod)
  volume "conf" copied as regular files into emptyDir "conf-debug-copy" (disk); the app mounts the copy instead of the volume
    copies: owner 999:2000
  shell: kubectl exec -it statefulset/db -c debug -- ash
warning: document 1 (Deployment shop/api): something to know
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := tt.report.Explain(&b); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("Explain (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExplainToolsAndHolds: what explain says of the tools and of a twin
// that holds an init container, from a real render of the golden case
// twin-hold-init: the shell in each container through the tools, the held
// program as a shell line, and how to release the pod.
func TestExplainToolsAndHolds(t *testing.T) {
	dir := filepath.Join(goldenDir, "twin-hold-init")
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, report, err := render(goldenConfig(t, dir), input)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := report.Explain(&b); err != nil {
		t.Fatal(err)
	}
	want := `Deployment api-debug (h/templates/api.yaml)
  twin of Deployment/api, one pod, the original untouched; its pods are labelled debug-overlay.dev/twin=api-debug, which its selector selects
  label app=api dropped: Deployment api (owns)
  probes off, so debugging does not restart or unready it (twin.probes: true keeps them)
  debug container "debug": native sidecar (init container, restartPolicy: Always), profile general
  runs as: the image's user (the pod spec names none)
  tools: a static busybox (busybox:1.36-uclibc) read only at /debug-overlay/bin of api, migrate, with its applets; PATH is the app's: the shell below puts them first for itself only
  shell in api itself: kubectl exec -it deployment/api-debug -c api -- /debug-overlay/bin/shell
  held init container migrate: its program does not run, the container idles (no probes, no lifecycle hooks); the pod stays in its Init phase until it is released, and the debug container is a native sidecar, which runs then
    shell: kubectl exec -it deployment/api-debug -c migrate -- /debug-overlay/bin/shell
    run it by hand there: eval "$DEBUG_OVERLAY_HELD_COMMAND", which is: '/api' 'migrate'
    release it, so the pod goes on: kubectl exec deployment/api-debug -c migrate -- /debug-overlay/bin/touch /debug-overlay/hold/migrate
  shell: kubectl exec -it deployment/api-debug -c debug -- ash
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Explain (-want +got):\n%s", diff)
	}
}
