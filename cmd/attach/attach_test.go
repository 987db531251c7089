package attach

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/cmd"
	"github.com/debug-overlay/debug-overlay/live"
)

// nowhereKubeconfig is a kubeconfig whose server nothing listens on.
const nowhereKubeconfig = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
	"contexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t}}]\n"

// TestUsageErrors runs the command with flags that are refused before any
// cluster is reached: exit status 2 and a message naming the flag.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no workloads", args: nil, want: "say which workloads"},
		{name: "two sources", args: []string{"--release", "r", "deploy/x"}, want: "one of them"},
		{name: "bad dry-run", args: []string{"deploy/x", "--dry-run=maybe"}, want: `--dry-run "maybe": want none, client, server`},
		{name: "bad output", args: []string{"deploy/x", "-o", "wide"}, want: `--output "wide"`},
		{name: "exec with dry run", args: []string{"deploy/x", "--exec", "--dry-run"}, want: "not with --dry-run"},
		{name: "command without exec", args: []string{"deploy/x", "--", "ls"}, want: "runs with --exec only"},
		{name: "bad timeout", args: []string{"deploy/x", "--timeout", "0s"}, want: "--timeout 0s"},
		{name: "bad target", args: []string{"deploy/x", "--target", "a/b/c"}, want: `--target "a/b/c"`},
		{name: "unknown flag", args: []string{"deploy/x", "--enable"}, want: "unknown flag: --enable"},
		{name: "all pods and named pods", args: []string{"deploy/x", "--all-pods", "--pod", "x-1"}, want: "--all-pods, --pod and --max-pods say which pods: give one of them"},
		{name: "named pods and a maximum", args: []string{"deploy/x", "--pod", "x-1", "--max-pods", "3"}, want: "give one of them"},
		{name: "no pods at most", args: []string{"deploy/x", "--max-pods", "0"}, want: "--max-pods 0: want 1 or more"},
		// Refused before the cluster is asked anything: the kubeconfig
		// points nowhere.
		{name: "unknown Pod Security level", args: []string{"deploy/x", "--kubeconfig", "NOWHERE", "--pod-security", "strict"},
			want: `spec.podSecurity: unknown Pod Security level "strict" (valid: restricted, baseline, privileged)`},
		{name: "unknown profile", args: []string{"deploy/x", "--kubeconfig", "NOWHERE", "--profile", "root"},
			want: `spec.sidecar.profile: unknown profile "root" (valid: auto, baseline, general, netadmin, restricted, sysadmin)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := NewRootCommand()
			var out, errOut bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errOut)
			nowhere := filepath.Join(t.TempDir(), "kubeconfig")
			if err := os.WriteFile(nowhere, []byte(nowhereKubeconfig), 0o600); err != nil {
				t.Fatal(err)
			}
			args := slices.Clone(tt.args)
			if i := slices.Index(args, "NOWHERE"); i >= 0 {
				args[i] = nowhere
			}
			root.SetArgs(append([]string{"attach"}, args...))
			code := Execute(root)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (usage); stderr:\n%s", code, ExitUsage, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", errOut.String(), tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
		})
	}
}

// TestSummarize: the exit status scripts get for each mix of outcomes.
func TestSummarize(t *testing.T) {
	r := func(o live.Outcome) live.PodResult {
		return live.PodResult{Namespace: "ns", Pod: "p-" + string(o), Outcome: o, Err: errors.New(string(o))}
	}
	tests := []struct {
		name    string
		results []live.PodResult
		want    int
	}{
		{name: "all attached or reused", results: []live.PodResult{r(live.Attached), r(live.Reused)}, want: ExitOK},
		{name: "dry run", results: []live.PodResult{r(live.Planned)}, want: ExitOK},
		{name: "no pods", results: nil, want: ExitFailed},
		{name: "one skipped, one attached", results: []live.PodResult{r(live.Attached), r(live.Skipped)}, want: ExitPartial},
		{name: "all refused", results: []live.PodResult{r(live.Refused), r(live.Refused)}, want: ExitRefused},
		{name: "all timed out", results: []live.PodResult{r(live.TimedOut)}, want: ExitTimedOut},
		{name: "refused and timed out", results: []live.PodResult{r(live.Refused), r(live.TimedOut)}, want: ExitFailed},
		{name: "all skipped", results: []live.PodResult{r(live.Skipped)}, want: ExitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := summarize(tt.results)
			if got := cmd.ExitCode(err); got != tt.want {
				t.Errorf("exit %d, want %d (err %v)", got, tt.want, err)
			}
		})
	}
}

// TestRefused: a missing permission exits ExitRefused, unless a status of
// its own already says how it went.
func TestRefused(t *testing.T) {
	denied := &live.PermissionError{Verb: "list", Resource: "secrets", Namespace: "x", Err: errors.New("no")}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "none", err: nil, want: ExitOK},
		{name: "a permission error", err: denied, want: ExitRefused},
		{name: "wrapped", err: fmt.Errorf("reading release: %w", denied), want: ExitRefused},
		{name: "with a status of its own", err: usage(denied), want: ExitUsage},
		{name: "any other error", err: errors.New("boom"), want: ExitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cmd.ExitCode(refused(tt.err)); got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
		})
	}
}

// TestAttachFlags: the flags reach AttachOptions through AddFlags, and
// Complete splits the workloads from the command after --.
func TestAttachFlags(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantDryRun  string
		wantExec    bool
		wantArgs    []string
		wantCommand []string
	}{
		{name: "defaults", args: []string{"deploy/x"}, wantDryRun: "none", wantArgs: []string{"deploy/x"}},
		{name: "--dry-run alone is client", args: []string{"deploy/x", "--dry-run"}, wantDryRun: "client", wantArgs: []string{"deploy/x"}},
		{name: "--dry-run=server", args: []string{"--dry-run=server", "deploy/x"}, wantDryRun: "server", wantArgs: []string{"deploy/x"}},
		{name: "-it is --exec", args: []string{"-it", "deploy/x"}, wantDryRun: "none", wantExec: true, wantArgs: []string{"deploy/x"}},
		{
			name: "a command after --", args: []string{"deploy/x", "sts/y", "--exec", "--", "ls", "-l"},
			wantDryRun: "none", wantExec: true, wantArgs: []string{"deploy/x", "sts/y"}, wantCommand: []string{"ls", "-l"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewAttachOptions()
			fs := pflag.NewFlagSet("attach", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := o.Complete(fs.Args(), fs.ArgsLenAtDash()); err != nil {
				t.Fatal(err)
			}
			if o.DryRun != tt.wantDryRun || o.Exec != tt.wantExec || !slices.Equal(o.args, tt.wantArgs) || !slices.Equal(o.command, tt.wantCommand) {
				t.Errorf("dry run %q, exec %v, workloads %q, command %q; want %q, %v, %q, %q",
					o.DryRun, o.Exec, o.args, o.command, tt.wantDryRun, tt.wantExec, tt.wantArgs, tt.wantCommand)
			}
		})
	}
}
