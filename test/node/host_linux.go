//go:build linux

package node

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// undo reverses everything s records, in an order that lets each step
// succeed: servers first (so nothing restarts containers), then the
// containers and their shims, the mounts, the run directory, and the host
// settings. It goes on after a failed step and returns every error.
func undo(s *state, logf func(string, ...any)) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// kubelet first: it would start containers again.
	for _, p := range slices.Backward(s.Processes) {
		add(p.kill())
	}
	add(killCgroupProcs(s.CgroupDirs))
	if s.ContainerdSocket != "" {
		add(killShims(s.ContainerdSocket, logf))
	}
	add(unmountUnder(s.Dir))
	add(removeCgroups(s.CgroupDirs))
	if s.Bridge != "" {
		if _, err := os.Stat(filepath.Join("/sys/class/net", s.Bridge)); err == nil {
			if out, err := exec.Command("ip", "link", "delete", s.Bridge).CombinedOutput(); err != nil {
				add(fmt.Errorf("deleting bridge %s: %v: %s", s.Bridge, err, strings.TrimSpace(string(out))))
			}
		}
	}
	keys := mapsKeys(s.Sysctls)
	slices.Sort(keys)
	for _, k := range keys {
		if got, err := readSysctl(k); err == nil && got == s.Sysctls[k] {
			continue
		}
		if err := writeSysctl(k, s.Sysctls[k]); err != nil {
			add(fmt.Errorf("restoring sysctl %s=%s: %w", k, s.Sysctls[k], err))
		} else {
			logf("node: restored sysctl %s=%s", k, s.Sysctls[k])
		}
	}
	for _, o := range outsideDirs {
		before, ok := s.Outside[o.dir]
		switch {
		case !ok:
		case o.dir == varLogContainers:
			add(removeLogSymlinks(s.Dir))
		default:
			add(removeNewEntries(o.dir, before))
		}
	}
	// Deepest first: /run/containerd/s before /run/containerd.
	made := slices.Clone(s.MadeDirs)
	slices.SortFunc(made, func(a, b string) int { return len(b) - len(a) })
	for _, d := range made {
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			add(fmt.Errorf("removing %s, which the run made: %w", d, err))
		}
	}
	if s.ClusterDir != "" && strings.HasPrefix(filepath.Base(s.ClusterDir), "debug-overlay-cluster-") {
		if err := os.RemoveAll(s.ClusterDir); err != nil {
			add(fmt.Errorf("removing the cluster directory: %w", err))
		}
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		add(fmt.Errorf("removing the run directory: %w", err))
	}
	return errors.Join(errs...)
}

func mapsKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// procStart returns a process's start time in clock ticks after boot.
func procStart(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return strconv.ParseUint(fields[19], 10, 64) // field 22: starttime
}

// alive reports whether the process still runs (and is not a zombie).
func (p proc) alive() bool {
	start, err := procStart(p.PID)
	if err != nil || start != p.Start {
		return false
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
		return s[i+2] != 'Z'
	}
	return true
}

// kill sends SIGKILL to the process if it is still the one recorded, and
// waits up to ten seconds for it to go.
func (p proc) kill() error {
	if !p.alive() {
		return nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", p.Name, p.PID, err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !p.alive() {
			return nil
		}
	}
	return fmt.Errorf("%s (pid %d) still running 10s after SIGKILL", p.Name, p.PID)
}

// cgroupMounts returns the mount points of the cgroup hierarchies.
func cgroupMounts() ([]string, error) {
	mounts, err := mountInfo()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range mounts {
		if m.fstype == "cgroup" || m.fstype == "cgroup2" {
			out = append(out, m.point)
		}
	}
	return out, nil
}

// killCgroupProcs kills every process in the cgroup trees dirs (the pods'
// containers), until they are empty.
func killCgroupProcs(dirs []string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		pids := map[int]bool{}
		for _, d := range dirs {
			filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
				if err != nil || !e.IsDir() {
					return nil
				}
				data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
				if err != nil {
					return nil
				}
				for _, f := range strings.Fields(string(data)) {
					if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
						pids[pid] = true
					}
				}
				return nil
			})
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes still in the run's cgroups after SIGKILL: %v", sortedInts(pids))
		}
		for pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sortedInts(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// killShims kills the containerd shims serving socket: containerd starts
// them detached (they outlive it), and each names its containerd in
// `-address SOCKET`.
func killShims(socket string, logf func(string, ...any)) error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	var shims []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		if i := slices.Index(args, "-address"); i >= 0 && i+1 < len(args) && args[i+1] == socket {
			start, err := procStart(pid)
			if err == nil {
				shims = append(shims, proc{Name: "containerd-shim", PID: pid, Start: start})
			}
		}
	}
	var errs []error
	for _, s := range shims {
		errs = append(errs, s.kill())
	}
	if len(shims) > 0 {
		logf("node: killed %d containerd shim(s)", len(shims))
	}
	return errors.Join(errs...)
}

type mount struct{ point, fstype string }

// mountInfo reads /proc/self/mountinfo.
func mountInfo() ([]mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - fstype source super
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 {
			continue
		}
		sep := slices.Index(fields, "-")
		if sep < 0 || sep+1 >= len(fields) {
			continue
		}
		out = append(out, mount{point: unescapeMount(fields[4]), fstype: fields[sep+1]})
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder detaches every mount at or below dir, deepest first, until
// none is left (a mount may be stacked several times).
func unmountUnder(dir string) error {
	if dir == "" || dir == "/" {
		return fmt.Errorf("refusing to unmount under %q", dir)
	}
	for round := 0; ; round++ {
		mounts, err := mountInfo()
		if err != nil {
			return err
		}
		var points []string
		for _, m := range mounts {
			if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
				points = append(points, m.point)
			}
		}
		if len(points) == 0 {
			return nil
		}
		if round == 10 {
			return fmt.Errorf("mounts left under %s: %v", dir, points)
		}
		slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
		for _, p := range points {
			syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
}

// removeCgroups removes the cgroup trees dirs, deepest first; a cgroup
// directory goes with rmdir once its processes are gone.
func removeCgroups(dirs []string) error {
	var errs []error
	for _, d := range dirs {
		var all []string
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
		for _, p := range all {
			var err error
			for try := 0; try < 50; try++ {
				if err = syscall.Rmdir(p); err == nil || errors.Is(err, syscall.ENOENT) {
					err = nil
					break
				}
				time.Sleep(20 * time.Millisecond) // EBUSY while exiting processes leave
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", p, err))
			}
		}
	}
	return errors.Join(errs...)
}

// makeCgroupRoot creates name in every cgroup hierarchy, recording each
// directory in s before creating it. In the cpuset hierarchy a new cgroup
// has no CPUs and memory nodes until given its parent's.
func makeCgroupRoot(s *state, name string) error {
	points, err := cgroupMounts()
	if err != nil {
		return err
	}
	if len(points) == 0 {
		return errors.New("no cgroup hierarchy is mounted")
	}
	for _, p := range points {
		s.CgroupDirs = append(s.CgroupDirs, filepath.Join(p, name))
	}
	if err := s.save(); err != nil {
		return err
	}
	for _, p := range points {
		d := filepath.Join(p, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", d, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(p, f)); err == nil {
				if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
					return fmt.Errorf("setting %s/%s: %w", d, f, err)
				}
			}
		}
	}
	return nil
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

func readSysctl(name string) (string, error) {
	data, err := os.ReadFile(sysctlPath(name))
	return strings.TrimSpace(string(data)), err
}

func writeSysctl(name, value string) error {
	return os.WriteFile(sysctlPath(name), []byte(value), 0o644)
}

// removeLogSymlinks removes the symlinks in /var/log/containers that point
// into dir (the kubelet makes one per container, whatever podLogsDir says).
func removeLogSymlinks(dir string) error {
	entries, err := os.ReadDir(varLogContainers)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		p := filepath.Join(varLogContainers, e.Name())
		target, err := os.Readlink(p)
		if err != nil {
			continue
		}
		if strings.HasPrefix(target, dir+"/") {
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// removeNewEntries removes the entries of dir not listed in before.
func removeNewEntries(dir string, before []string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !slices.Contains(before, e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// listDir returns the names in dir (none when it does not exist).
func listDir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// sysProcAttr makes the kernel kill a server when the test process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
