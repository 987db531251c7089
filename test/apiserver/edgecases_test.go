package apiserver

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestEdgeCasesAccepted holds pod specs that the golden cases do not, each
// valid on its own, chosen where the API server's validation has rules the
// overlay could break (Windows pods, user namespaces, pod-level resources,
// name lengths, image volumes, recursive read-only mounts). The rule under
// test: when the server accepts the input, the overlay either refuses it with
// an error or writes something the server accepts too.
func TestEdgeCasesAccepted(t *testing.T) {
	ns := namespace(t, nil)
	for _, tc := range []struct {
		name string
		args []string
		pod  string // the spec of Pod "app", indented by four spaces
		// mayLeaveAlone: passing the pod through unchanged is a fine answer too.
		mayLeaveAlone bool
	}{
		{
			name:          "windows pod, general profile",
			args:          []string{"--enable"},
			mayLeaveAlone: true,
			pod: `
    os: {name: windows}
    containers:
      - name: app
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022`,
		},
		{
			name:          "windows pod, restricted profile",
			args:          []string{"--enable", "--profile", "restricted"},
			mayLeaveAlone: true,
			pod: `
    os: {name: windows}
    securityContext:
      runAsNonRoot: true
    containers:
      - name: app
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022`,
		},
		{
			name: "user namespace, sysadmin profile",
			args: []string{"--enable", "--profile", "sysadmin", "--allow-privileged"},
			pod: `
    hostUsers: false
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10`,
		},
		{
			name: "pod-level resources",
			args: []string{"--enable"},
			pod: `
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: 100m, memory: 64Mi}
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        resources:
          requests: {cpu: 100m, memory: 64Mi}`,
		},
		{
			name: "pod-level resources, native sidecar",
			args: []string{"--enable", "--native", "always"},
			pod: `
    resources:
      limits: {cpu: 200m, memory: 128Mi}
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10`,
		},
		{
			name: "copy of a volume with a 63-character name",
			args: []string{"--enable", "--copy-volume", strings.Repeat("v", 63)},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - name: ` + strings.Repeat("v", 63) + `
            mountPath: /etc/app
    volumes:
      - name: ` + strings.Repeat("v", 63) + `
        secret: {secretName: app}`,
		},
		{
			name: "mount conflict in a container with a 63-character name",
			args: []string{"--enable"},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: a, mountPath: /data}
      - name: ` + strings.Repeat("c", 63) + `
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: b, mountPath: /data}
    volumes:
      - {name: a, emptyDir: {}}
      - {name: b, emptyDir: {}}`,
		},
		{
			name: "recursive read-only mount, copied",
			args: []string{"--enable", "--copy-volume", "config"},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: config, mountPath: /etc/app, readOnly: true, recursiveReadOnly: Enabled}
    volumes:
      - name: config
        configMap: {name: app}`,
		},
		{
			name: "bidirectional mount in a privileged app, restricted profile",
			args: []string{"--enable", "--profile", "restricted"},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        securityContext: {privileged: true}
        volumeMounts:
          - {name: host, mountPath: /host, mountPropagation: Bidirectional}
    volumes:
      - name: host
        hostPath: {path: /var/lib/app}`,
		},
		{
			name: "image volume",
			args: []string{"--enable"},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: tools, mountPath: /tools, readOnly: true}
    volumes:
      - name: tools
        image: {reference: "busybox:1.36", pullPolicy: IfNotPresent}`,
		},
		{
			name: "one volume at one path in two containers",
			args: []string{"--enable"},
			pod: `
    containers:
      - name: app
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: data, mountPath: /data}
      - name: helper
        image: registry.k8s.io/pause:3.10
        volumeMounts:
          - {name: data, mountPath: /data/, readOnly: true}
    volumes:
      - {name: data, emptyDir: {}}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:" + tc.pod + "\n")
			if _, err := kube.ApplyServerDryRun(ns, input); err != nil {
				t.Fatalf("the input itself is refused, so the case proves nothing: %v\n%s", err, input)
			}
			cmd := exec.Command(bin, tc.args...)
			cmd.Stdin = bytes.NewReader(input)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Logf("the overlay refuses the input, which is fine: %v: %s", err, stderr.Bytes())
				return
			}
			if bytes.Equal(out, input) && tc.mayLeaveAlone {
				t.Logf("the overlay leaves the pod alone, which is fine: %s", stderr.Bytes())
				return
			}
			if !bytes.Contains(out, []byte("name: debug")) {
				t.Fatalf("the overlay left the pod alone:\n%s", out)
			}
			if _, err := kube.ApplyServerDryRun(ns, out); err != nil {
				t.Errorf("the server accepts the input but refuses the overlay's output:\n%v\noutput:\n%s", err, out)
				return
			}
			t.Logf("accepted")
		})
	}
}
