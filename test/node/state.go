//go:build linux

package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// state is a run's state.json: every host change the run made or is about
// to make, written before the change, so that undo can reverse it even
// after the process that made it died.
type state struct {
	// Dir is the run directory; everything under it is the run's.
	Dir string `json:"dir"`
	// Owner is the process that started the run.
	Owner proc `json:"owner"`
	// Processes are the servers the run started.
	Processes []proc `json:"processes,omitempty"`
	// ClusterDir is test/cluster's directory (certificates, etcd data,
	// logs); its etcd and kube-apiserver die with the test process
	// (Pdeathsig), the directory stays unless removed.
	ClusterDir string `json:"clusterDir,omitempty"`
	// ContainerdSocket is the run's containerd; its shims name it.
	ContainerdSocket string `json:"containerdSocket,omitempty"`
	// Bridge is the bridge the run created.
	Bridge string `json:"bridge,omitempty"`
	// Sysctls holds the values of the kubelet's sysctls before it started.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// CgroupDirs are the cgroup directories the run created, one per
	// hierarchy (the kubelet's cgroupRoot).
	CgroupDirs []string `json:"cgroupDirs,omitempty"`
	// MadeDirs are directories outside Dir that did not exist before the
	// run (see outsideDirs and their parents): removed when empty.
	MadeDirs []string `json:"madeDirs,omitempty"`
	// Outside lists, for each of outsideDirs, its entries before the run;
	// any other entry is the run's.
	Outside map[string][]string `json:"outside,omitempty"`
}

// outsideDirs are the directories outside the run directory that kubelet,
// containerd 1.6 and the CNI library use whatever they are told, with their
// parents that may not exist: kubelet's container log symlinks and device
// plugin socket, containerd's shim sockets, libcni's result cache. Each
// entry a run adds there is removed again (a symlink in
// /var/log/containers only if it points into the run directory), and so is
// each directory it had to make.
var outsideDirs = []struct{ dir, parent string }{
	{"/var/log/containers", ""},
	{"/var/lib/kubelet/device-plugins", "/var/lib/kubelet"},
	{"/run/containerd/s", "/run/containerd"},
	{"/var/lib/cni/results", "/var/lib/cni"},
}

// recordOutside notes, before containerd and the kubelet start, what each of
// outsideDirs holds and which of them and their parents do not exist.
func (s *state) recordOutside() error {
	s.Outside = map[string][]string{}
	for _, o := range outsideDirs {
		for _, d := range []string{o.parent, o.dir} {
			if _, err := os.Stat(d); d != "" && errors.Is(err, os.ErrNotExist) {
				s.MadeDirs = append(s.MadeDirs, d)
			}
		}
		s.Outside[o.dir] = listDir(o.dir)
	}
	return s.save()
}

// proc identifies a process across PID reuse: its PID and its start time
// in clock ticks after boot (/proc/<pid>/stat field 22).
type proc struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// varLogContainers is where the kubelet links every container's log.
const varLogContainers = "/var/log/containers"

// The sysctls the kubelet's container manager sets (setupKernelTunables).
var kubeletSysctls = []string{
	"vm.overcommit_memory",
	"vm.panic_on_oom",
	"kernel.panic",
	"kernel.panic_on_oops",
	"kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes",
}

func stateFile(dir string) string { return filepath.Join(dir, "state.json") }

// save writes the state atomically.
func (s *state) save() error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := stateFile(s.Dir) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing the state file: %w", err)
	}
	return os.Rename(tmp, stateFile(s.Dir))
}

func loadState(file string) (*state, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if s.Dir == "" || filepath.Dir(file) != s.Dir {
		return nil, fmt.Errorf("%s: names run directory %q, not its own", file, s.Dir)
	}
	return &s, nil
}

// lock is an exclusive flock on <workRoot>/lock: one node at a time, since
// the bridge and its subnet are fixed. The kernel drops it when the holder
// dies.
type lock struct{ f *os.File }

func takeLock(workRoot string) (*lock, error) {
	if err := os.MkdirAll(workRoot, 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(workRoot, "lock")
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(file)
		f.Close()
		return nil, fmt.Errorf("another test node is running (%s holds %s): wait for it, or stop it: %w",
			strings.TrimSpace(string(owner)), file, err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "pid %d\n", os.Getpid())
	return &lock{f: f}, nil
}

func (l *lock) release() {
	if l != nil && l.f != nil {
		l.f.Truncate(0)
		l.f.Close() // closing the last descriptor drops the flock
		l.f = nil
	}
}

// CleanupStale undoes every run under workRoot (default
// $TMPDIR/debug-overlay-node) whose owner is gone: what a test process left
// behind when it was killed before it could stop its node. It takes the
// lock, so a running node is left alone (and is an error).
func CleanupStale(workRoot string, logf func(string, ...any)) error {
	if workRoot == "" {
		workRoot = defaultWorkRoot()
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if _, err := os.Stat(workRoot); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	l, err := takeLock(workRoot)
	if err != nil {
		return err
	}
	defer l.release()
	return cleanupStaleLocked(workRoot, logf)
}

func cleanupStaleLocked(workRoot string, logf func(string, ...any)) error {
	files, err := filepath.Glob(filepath.Join(workRoot, "*", "state.json"))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		s, err := loadState(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s.Owner.alive() && s.Owner.PID != os.Getpid() {
			errs = append(errs, fmt.Errorf("run %s: its owner, pid %d, is alive but does not hold the lock", s.Dir, s.Owner.PID))
			continue
		}
		logf("node: cleaning up run %s left by pid %d", s.Dir, s.Owner.PID)
		if err := undo(s, logf); err != nil {
			errs = append(errs, fmt.Errorf("cleaning up %s: %w", s.Dir, err))
		}
	}
	return errors.Join(errs...)
}

func defaultWorkRoot() string { return filepath.Join(os.TempDir(), "debug-overlay-node") }
