package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Process is one running server whose stdout and stderr go to a log file.
// The kernel kills it when the test process dies (Pdeathsig); Kill kills it
// by PID in every other case.
type Process struct {
	// Name names it in messages; Log is its log file.
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, set before done is closed
}

// StartProcess starts bin with args, its output going to logFile, in env
// (nil: the test's environment without what would configure etcd or
// kubectl behind the harness's back).
func StartProcess(name, bin, logFile string, env []string, args ...string) (*Process, error) {
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = env
	if env == nil {
		cmd.Env = childEnv()
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &Process{Name: name, Log: logFile, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// childEnv is the environment without variables that would configure etcd
// or kubectl behind the harness's back.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ETCD_") || strings.HasPrefix(kv, "KUBECONFIG=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// WaitReady polls probe until it succeeds, the process exits or timeout
// passes; errors name the last probe failure and end with the log's tail.
func (p *Process) WaitReady(timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := errors.New("not probed yet")
	for {
		probeCtx, probeCancel := context.WithTimeout(ctx, 5*time.Second)
		err := probe(probeCtx)
		probeCancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s (pid %d) exited: %v; log %s ends:\n%s", p.Name, p.PID(), p.err, p.Log, p.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s (pid %d) not ready after %v: %v; log %s ends:\n%s", p.Name, p.PID(), timeout, last, p.Log, p.Tail(20))
		case <-tick.C:
		}
	}
}

// PID is the process's ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Kill sends SIGKILL to the process by its PID and waits for it to exit.
func (p *Process) Kill() error {
	if done, _ := p.Exited(); done {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s (pid %d): %w", p.Name, p.PID(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) still running 10s after SIGKILL", p.Name, p.PID())
	}
}

func (p *Process) addressInUse() bool {
	data, _ := os.ReadFile(p.Log)
	return bytes.Contains(data, []byte("address already in use"))
}

// Tail returns the last n lines of the log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
