package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// run executes the root command with args and stdin, as main does, and
// returns the streams.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := NewRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = Execute(cmd)
	return out.String(), errOut.String(), err
}

// TestUsageErrors: an error in how a command was called (a flag or an
// argument that does not parse, or that Validate refuses) prints that
// command's usage, then the error, on stderr; a runtime failure prints the
// error alone. Either way stdout stays empty and the exit status is 1.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantUsage string // the usage line of the command; "" wants none
		wantErr   string
	}{
		{name: "unknown flag", args: []string{"--bogus"}, wantUsage: "debug-overlay [flags]", wantErr: "unknown flag: --bogus"},
		{name: "a value that does not parse", args: []string{"--enable", "--target", "a/b/c"}, wantUsage: "debug-overlay [flags]", wantErr: `--target "a/b/c": want KIND/NAME or NAME`},
		{name: "a copy volume that does not parse", args: []string{"explain", "--copy-volume", "creds:mode=1"}, wantUsage: "debug-overlay explain [flags]", wantErr: `unknown key "mode"`},
		{name: "unknown flag of a subcommand", args: []string{"strip", "--bogus"}, wantUsage: "debug-overlay strip [flags]", wantErr: "unknown flag: --bogus"},
		{name: "an argument where none is taken", args: []string{"fn", "x"}, wantUsage: "debug-overlay fn [flags]", wantErr: `unknown command "x" for "debug-overlay fn"`},
		{name: "two streams", args: []string{"check", "a", "b"}, wantUsage: "debug-overlay check [FILE|-] [flags]", wantErr: "check reads one stream"},
		{name: "a required flag", args: []string{"generate", "--enable"}, wantUsage: "debug-overlay generate [flags]", wantErr: "--out is required"},
		{name: "a value Validate refuses", args: []string{"generate", "policy", "--allowed-profile", "nope"}, wantUsage: "debug-overlay generate policy [flags]", wantErr: `unknown profile "nope"`},
		{name: "a --config that cannot be read", args: []string{"--config", "/nonexistent/overlay.yaml"}, wantErr: "reading --config: open /nonexistent/overlay.yaml"},
		{name: "an invalid configuration", args: []string{"--enable", "--preset", "nope"}, wantErr: `unknown preset "nope"`},
		{name: "a stream that is not YAML", args: []string{"strip"}, wantErr: "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(t, deployment+"  bad: [\n# debug-overlay.dev/status\n", tt.args...)
			if code := ExitCode(err); code != 1 {
				t.Errorf("exit %d (%v), want 1", code, err)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			before, msg, found := strings.Cut(stderr, "debug-overlay: error: ")
			if !found || !strings.Contains(msg, tt.wantErr) || strings.Contains(msg, "Usage:") {
				t.Errorf("stderr does not end with the error %q:\n%s", tt.wantErr, stderr)
			}
			switch {
			case tt.wantUsage == "" && before != "":
				t.Errorf("a runtime failure printed more than its error:\n%s", stderr)
			case tt.wantUsage != "" && !strings.HasPrefix(before, "Usage:\n  "+tt.wantUsage+"\n"):
				t.Errorf("the error does not follow the usage of %q:\n%s", tt.wantUsage, stderr)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "no error", err: nil, want: 0},
		{name: "an error", err: errors.New("boom"), want: 1},
		{name: "a status", err: &StatusError{Code: 3, Err: errors.New("partly")}, want: 3},
		{name: "a wrapped status", err: fmt.Errorf("attach: %w", &StatusError{Code: 4, Err: errors.New("refused")}), want: 4},
		{name: "a usage error", err: usage(errors.New("bad flag")), want: 1},
		{name: "a companion's status", err: &StatusError{Code: 5}, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// TestExecuteLeavesACompanionsStatusAlone: a status passed on from the
// companion binary, which has said what it had to say, adds no message.
func TestExecuteLeavesACompanionsStatusAlone(t *testing.T) {
	root := NewRootCommand()
	root.RunE = func(*cobra.Command, []string) error { return &StatusError{Code: 3} }
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(nil)
	if err := Execute(root); ExitCode(err) != 3 {
		t.Errorf("exit %d, want 3", ExitCode(err))
	}
	if out.Len()+errOut.Len() > 0 {
		t.Errorf("stdout %q, stderr %q; want nothing", out.String(), errOut.String())
	}
}
