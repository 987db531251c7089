package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	got, err := OutputText(exec.Command("sh", "-c", "echo '  out  '; echo noise >&2"))
	if err != nil || got != "out" {
		t.Errorf("OutputText = %q, %v; want %q, nil", got, err, "out")
	}
	_, err = Output(exec.Command("sh", "-c", "echo why >&2; exit 3"))
	if err == nil {
		t.Fatal("no error for exit 3")
	}
	for _, want := range []string{"sh -c", "exit status 3", "why"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestExec(t *testing.T) {
	r, err := Exec(exec.Command("sh", "-c", "cat; echo err >&2; exit 3"), []byte("in"))
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Stdout) != "in" || string(r.Stderr) != "err\n" || r.Code != 3 {
		t.Errorf("Exec = stdout %q, stderr %q, code %d; want %q, %q, 3", r.Stdout, r.Stderr, r.Code, "in", "err\n")
	}
	if _, err := Exec(exec.Command("/no/such/program"), nil); err == nil {
		t.Errorf("no error for a program that does not exist")
	}
}

func TestCommandLine(t *testing.T) {
	r := Runner{Short: strings.NewReplacer("/tmp/x/bin/debug-overlay", "BIN", "/tmp/x/", "")}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "plain", args: []string{"/tmp/x/bin/debug-overlay", "render", "--explain"}, want: "BIN render --explain"},
		{name: "path shortened", args: []string{"helm", "template", "/tmp/x/geth"}, want: "helm template geth"},
		{name: "quoted", args: []string{"helm", "--set", "a=b c", "it's"}, want: `helm --set 'a=b c' 'it'\''s'`},
		{name: "empty", args: []string{"helm", ""}, want: "helm ''"},
		{name: "lines", args: []string{"sh", "-c", "a\nb\nc\n"}, want: "sh -c '<3 lines>'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := &exec.Cmd{Path: tt.args[0], Args: tt.args}
			if got := r.CommandLine(cmd); got != tt.want {
				t.Errorf("CommandLine = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSetprivArgs(t *testing.T) {
	for _, tc := range []struct {
		groups []int64
		want   string
	}{
		{groups: nil, want: "--reuid=1000 --regid=2000 --clear-groups --"},
		{groups: []int64{2000, 5}, want: "--reuid=1000 --regid=2000 --groups=2000,5 --"},
	} {
		if got := strings.Join(SetprivArgs(1000, 2000, tc.groups), " "); got != tc.want {
			t.Errorf("SetprivArgs(1000, 2000, %v) = %q, want %q", tc.groups, got, tc.want)
		}
	}
}
