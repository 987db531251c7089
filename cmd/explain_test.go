package cmd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExplainCommand: explain prints on stdout what each workload gets,
// and no YAML; the overlay flags configure it as they do the render.
func TestExplainCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "the defaults",
			args: []string{"explain", "--enable"},
			want: `Deployment api (app/templates/deployment.yaml)
  debug container "debug": sidecar container, profile general
  runs as: the image's user (the pod spec names none)
  mirrored mounts: /creds
  shell: kubectl exec -it deployment/api -c debug -- ash
`,
		},
		{
			name: "flags",
			args: []string{"explain", "--enable", "--preset", "busybox", "--name", "dbg", "--profile", "restricted"},
			want: `Deployment api (app/templates/deployment.yaml)
  debug container "dbg": sidecar container, profile restricted
  costs: no SYS_PTRACE (no strace, no gdb attach), and it runs as a non-root user with every capability dropped: it reads only what that user may
  runs as: 65532 (sidecar.runAsUser: the profile runs it as non-root, and the target's user is root or not known)
  mirrored mounts: /creds
  shell: kubectl exec -it deployment/api -c dbg -- sh
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(t, deployment, tt.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if diff := cmp.Diff(tt.want, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}
