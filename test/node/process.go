//go:build linux

package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// process is a server started by the run, logging into a file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProcess starts a server with its output in logs/<name>.log and
// records it in the state before anything can go wrong with it.
func (n *Node) startProcess(name, bin string, args ...string) (*process, error) {
	logFile := n.path("logs/" + name + ".log")
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = n.Dir
	cmd.SysProcAttr = sysProcAttr()
	cmd.Env = childEnv()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	n.mu.Lock()
	n.procs = append(n.procs, p)
	n.mu.Unlock()
	start, err := procStart(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s exited at once: %w", name, err)
	}
	if err := n.update(func(s *state) error {
		s.Processes = append(s.Processes, proc{Name: name, PID: cmd.Process.Pid, Start: start})
		return nil
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// childEnv keeps variables that would point the servers elsewhere away
// from them.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "KUBECONFIG=") || strings.HasPrefix(kv, "CONTAINERD_") || strings.HasPrefix(kv, "ETCD_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// waitReady polls probe until it succeeds, the process exits or the start
// timeout passes; errors end with the log's tail.
func (n *Node) waitReady(p *process, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
		err := probe(pctx)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s (pid %d) exited: %v; log %s ends:\n%s", p.name, p.cmd.Process.Pid, p.err, p.log, n.LogTail(p.name, 30))
		case <-ctx.Done():
			return fmt.Errorf("%s (pid %d) not ready after %v: %v; log %s ends:\n%s", p.name, p.cmd.Process.Pid, n.opts.StartTimeout, err, p.log, n.LogTail(p.name, 30))
		case <-tick.C:
		}
	}
}
