package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Output runs cmd and returns its stdout. When cmd fails, the error names
// its command line and holds what it wrote on stderr.
func Output(cmd *exec.Cmd) ([]byte, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return nil, err
	}
	return out, nil
}

// OutputText runs cmd as Output does and returns its stdout without
// leading and trailing white space: a version, a path, a list of names.
func OutputText(cmd *exec.Cmd) (string, error) {
	out, err := Output(cmd)
	return strings.TrimSpace(string(out)), err
}

// Result is what a subprocess did.
type Result struct {
	// Stdout and Stderr are what it wrote.
	Stdout, Stderr []byte
	// Code is its exit code: 0 for success, -1 when a signal killed it.
	Code int
	// Elapsed is how long it ran.
	Elapsed time.Duration
}

// Exec runs cmd to its end, feeding it stdin when that is not nil, and
// returns what it did. A non-zero exit is a Result, not an error: the error
// says that cmd could not run at all.
func Exec(cmd *exec.Cmd, stdin []byte) (Result, error) {
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Elapsed: time.Since(start)}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.Code = exit.ExitCode()
		return r, nil
	}
	return r, err
}

// Runner runs a test's subprocesses and logs each one: its command line,
// exit code, the size of its stdout and how long it took. The zero value
// logs command lines as they are.
type Runner struct {
	// Short replaces the long paths of a test package (the binary under
	// test, the tools, its temporary directory) by short names in the
	// logged command lines; nil: none.
	Short *strings.Replacer
}

// Run runs cmd as Exec does and logs it. A command that cannot run fails
// the test.
func (r Runner) Run(t testing.TB, cmd *exec.Cmd, stdin []byte) Result {
	t.Helper()
	res, err := Exec(cmd, stdin)
	if err != nil {
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	t.Logf("$ %s  # exit %d, %d bytes out, %v", r.CommandLine(cmd), res.Code, len(res.Stdout), res.Elapsed.Round(time.Millisecond))
	return res
}

// MustRun runs cmd as Run does and returns its stdout; a non-zero exit
// fails the test, showing the command's stderr.
func (r Runner) MustRun(t testing.TB, cmd *exec.Cmd, stdin []byte) []byte {
	t.Helper()
	res := r.Run(t, cmd, stdin)
	if res.Code != 0 {
		t.Fatalf("%s failed (exit %d):\n%s", r.CommandLine(cmd), res.Code, res.Stderr)
	}
	return res.Stdout
}

// CommandLine returns cmd's command line for a log, as a shell would take
// it: paths shortened by Short, an argument of several lines shown as
// '<N lines>', an argument with spaces or shell characters quoted.
func (r Runner) CommandLine(cmd *exec.Cmd) string {
	replace := func(s string) string { return s }
	if r.Short != nil {
		replace = r.Short.Replace
	}
	words := []string{replace(cmd.Path)}
	for _, a := range cmd.Args[1:] {
		if n := strings.Count(strings.TrimSuffix(a, "\n"), "\n"); n > 0 {
			words = append(words, fmt.Sprintf("'<%d lines>'", n+1))
			continue
		}
		a = replace(a)
		if a == "" || strings.ContainsAny(a, " \t'\"$*?[]{}()|&;<>\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// SetprivArgs are the arguments of util-linux's setpriv that run the program
// after them (up to and including "--") as user uid, in group gid and in
// exactly the supplementary groups given, as a container runtime runs a
// container's process.
func SetprivArgs(uid, gid int64, groups []int64) []string {
	supplementary := "--clear-groups"
	if len(groups) > 0 {
		gs := make([]string, len(groups))
		for i, g := range groups {
			gs[i] = strconv.FormatInt(g, 10)
		}
		supplementary = "--groups=" + strings.Join(gs, ",")
	}
	return []string{"--reuid=" + strconv.FormatInt(uid, 10), "--regid=" + strconv.FormatInt(gid, 10), supplementary, "--"}
}
