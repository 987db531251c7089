//go:build linux

package node

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// Options says where things are. The zero value finds everything in the
// usual places.
type Options struct {
	// BinDir holds kubelet, kube-controller-manager, kube-scheduler,
	// kube-apiserver and kubectl; default the repository's bin/.
	BinDir string
	// ImagesDir holds the image tarballs and images.json of hack/images;
	// default BinDir/images.
	ImagesDir string
	// Bridge is the bridge the run creates; default knode0. It must not
	// exist.
	Bridge string
	// Subnet is the pod network on the bridge; the node IP is its first
	// address. Default 10.244.0.0/24.
	Subnet string
	// WorkRoot holds the runs' directories and the lock; default
	// $TMPDIR/debug-overlay-node.
	WorkRoot string
	// StartTimeout bounds each component's start; default two minutes.
	StartTimeout time.Duration
	// Logf receives progress lines; default: none.
	Logf func(format string, args ...any)
}

// Phase is one step of Start and how long it took.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Node is a running single-node cluster. It embeds the test/cluster
// control plane, whose RunKubectl and Kubeconfig reach it as admin.
type Node struct {
	*cluster.Cluster
	// Name is the node's name.
	Name string
	// NodeIP is the node's address on the bridge.
	NodeIP net.IP
	// Dir is the run directory; Stop removes it.
	Dir string
	// ContainerdSocket is the run's containerd.
	ContainerdSocket string
	// Images are the imported images, by tag.
	Images []string
	// Phases are Start's steps with their durations (containerd's and the
	// image import overlap the control plane's); StartTime is Start's wall
	// time.
	Phases    []Phase
	StartTime time.Duration

	opts       Options
	mu         sync.Mutex // guards state and procs: containerd starts beside the control plane
	state      *state
	lock       *lock
	cgroupName string
	clusterCA  string
	procs      []*process
	stopOnce   sync.Once
	stopErr    error
	logf       func(string, ...any)
}

// Start runs the whole node and waits until it is Ready with the images
// imported. On error everything started is stopped again and the host
// changes are undone.
func Start(opts Options) (n *Node, err error) {
	begin := time.Now()
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Bridge == "" {
		opts.Bridge = "knode0"
	}
	if opts.Subnet == "" {
		opts.Subnet = "10.244.0.0/24"
	}
	if opts.WorkRoot == "" {
		opts.WorkRoot = defaultWorkRoot()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	if opts.BinDir == "" {
		root, err := cluster.RepoRoot()
		if err != nil {
			return nil, err
		}
		opts.BinDir = filepath.Join(root, "bin")
	}
	if opts.ImagesDir == "" {
		opts.ImagesDir = filepath.Join(opts.BinDir, "images")
	}
	images, err := checkPrerequisites(opts)
	if err != nil {
		return nil, err
	}
	ip, subnet, err := net.ParseCIDR(opts.Subnet)
	if err != nil || ip.To4() == nil {
		return nil, fmt.Errorf("subnet %q: want an IPv4 CIDR such as 10.244.0.0/24", opts.Subnet)
	}
	nodeIP := subnet.IP.To4()
	nodeIP = net.IPv4(nodeIP[0], nodeIP[1], nodeIP[2], nodeIP[3]+1).To4()

	l, err := takeLock(opts.WorkRoot)
	if err != nil {
		return nil, err
	}
	// A test process killed outright (SIGKILL, a go test -timeout panic)
	// could not stop its node: its state says what to undo.
	if err := cleanupStaleLocked(opts.WorkRoot, opts.Logf); err != nil {
		l.release()
		return nil, fmt.Errorf("cleaning up a stale run: %w", err)
	}
	dir, err := os.MkdirTemp(opts.WorkRoot, "r")
	if err != nil {
		l.release()
		return nil, err
	}
	ownerStart, _ := procStart(os.Getpid())
	n = &Node{
		Name:             nodeName(),
		NodeIP:           nodeIP,
		Dir:              dir,
		ContainerdSocket: filepath.Join(dir, "containerd", "containerd.sock"),
		opts:             opts,
		lock:             l,
		cgroupName:       "debug-overlay-node-" + filepath.Base(dir),
		logf:             opts.Logf,
		state:            &state{Dir: dir, Owner: proc{Name: "owner", PID: os.Getpid(), Start: ownerStart}},
	}
	defer func() {
		if err != nil {
			if serr := n.Stop(); serr != nil {
				err = errors.Join(err, fmt.Errorf("stopping the partly started node: %w", serr))
			}
			n = nil
		}
	}()
	if err := n.state.save(); err != nil {
		return n, err
	}
	phase := func(name string, start time.Time) {
		d := time.Since(start)
		n.Phases = append(n.Phases, Phase{name, d})
		n.logf("node: %-28s %v", name, d.Round(time.Millisecond))
	}

	t := time.Now()
	for _, d := range []string{"pki", "containerd/root", "containerd/state", "cni/net.d", "cni/ipam", "runc", "kubelet", "pod-logs", "logs"} {
		if err := os.MkdirAll(n.path(d), 0o700); err != nil {
			return n, err
		}
	}
	pki, err := writeNodePKI(n.path("pki"), n.Name, []net.IP{net.IPv4(127, 0, 0, 1), nodeIP})
	if err != nil {
		return n, fmt.Errorf("writing the node's certificates: %w", err)
	}
	tokens, err := n.writeTokens()
	if err != nil {
		return n, err
	}
	phase("certificates", t)

	// containerd and the image import need nothing from the control
	// plane: they run beside its start.
	var (
		wg        sync.WaitGroup
		ctrdErr   error
		ctrdPhase []Phase
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.Now()
		if ctrdErr = n.startContainerd(images); ctrdErr != nil {
			return
		}
		ctrdPhase = append(ctrdPhase, Phase{"bridge + containerd", time.Since(t)})
		t = time.Now()
		if ctrdErr = n.importImages(images); ctrdErr != nil {
			return
		}
		ctrdPhase = append(ctrdPhase, Phase{"image import", time.Since(t)})
	}()
	// Runs before the deferred Stop: nothing may be undone while it works.
	defer wg.Wait()

	t = time.Now()
	c, err := cluster.Start(cluster.Options{BinDir: opts.BinDir,
		StartTimeout: opts.StartTimeout,
		Logf:         opts.Logf,
		APIServerArgs: []string{
			"--token-auth-file=" + n.path("pki/tokens.csv"),
			"--kubelet-client-certificate=" + pki.clientCert,
			"--kubelet-client-key=" + pki.clientKey,
			"--kubelet-certificate-authority=" + pki.caCert,
			// The kubelet serves on loopback; the node's Hostname address
			// (its name) resolves there, its InternalIP is the bridge's.
			"--kubelet-preferred-address-types=Hostname",
		},
	})
	if err != nil {
		return n, err
	}
	n.Cluster = c
	if err := n.update(func(s *state) error { s.ClusterDir = c.Dir; return nil }); err != nil {
		return n, err
	}
	if n.clusterCA, err = kubeconfigCA(c.Kubeconfig); err != nil {
		return n, err
	}
	phase("etcd + kube-apiserver", t)

	t = time.Now()
	if err := n.startControllers(tokens); err != nil {
		return n, err
	}
	phase("controller-manager, scheduler", t)

	wg.Wait()
	if ctrdErr != nil {
		return n, ctrdErr
	}
	for _, p := range ctrdPhase {
		n.Phases = append(n.Phases, p)
		n.logf("node: %-28s %v (beside the control plane)", p.Name, p.Duration.Round(time.Millisecond))
	}

	t = time.Now()
	if err := n.startKubelet(pki, tokens["kubelet"]); err != nil {
		return n, err
	}
	phase("kubelet until node Ready", t)

	n.StartTime = time.Since(begin)
	n.logf("node: %s Ready at %s, kubelet %s; started in %v (run %s)", n.Name, nodeIP, c.Version, n.StartTime.Round(time.Millisecond), dir)
	return n, nil
}

// Stop kills every server by PID, then the containers and their shims,
// unmounts everything under the run directory, removes it, and undoes the
// host changes (bridge, sysctls, cgroups, log symlinks, shim sockets). It
// may be called more than once, also on a partly started node.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		// The control plane first: with it gone nothing can ask the kubelet
		// for new pods while the node is taken apart.
		if n.Cluster != nil {
			errs = append(errs, n.Cluster.Stop())
		}
		errs = append(errs, undo(n.state, n.logf))
		for _, p := range n.procs {
			<-p.done // reaped by the waiting goroutine
		}
		n.lock.release()
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}

// LogTail returns the last lines of a server's log: kubelet, containerd,
// kube-controller-manager, kube-scheduler, or kube-apiserver.
func (n *Node) LogTail(name string, lines int) string {
	if name == "kube-apiserver" {
		if n.Cluster == nil {
			return ""
		}
		return n.Cluster.LogTail(lines)
	}
	data, err := os.ReadFile(n.path("logs/" + name + ".log"))
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Kubectl runs kubectl as admin and returns its stdout; the error carries
// stderr.
func (n *Node) Kubectl(stdin []byte, args ...string) (string, error) {
	out, _, err := n.RunKubectl(stdin, args...)
	return string(out), err
}

func (n *Node) path(rel string) string { return filepath.Join(n.Dir, rel) }

// update changes the state and saves it, before the change it records is
// made on the host.
func (n *Node) update(change func(s *state) error) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := change(n.state); err != nil {
		return err
	}
	return n.state.save()
}

// writeTokens writes kube-apiserver's static token file: one identity per
// component, each in the user and groups that the Node authorizer and
// RBAC's bootstrap policy give exactly that component's permissions.
func (n *Node) writeTokens() (map[string]string, error) {
	ids := []struct{ key, user, groups string }{
		{"kubelet", "system:node:" + n.Name, "system:nodes"},
		{"kube-controller-manager", "system:kube-controller-manager", ""},
		{"kube-scheduler", "system:kube-scheduler", ""},
	}
	tokens := map[string]string{}
	var lines []string
	for i, id := range ids {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		tok := hex.EncodeToString(b)
		tokens[id.key] = tok
		lines = append(lines, fmt.Sprintf("%s,%s,uid-%d,%q", tok, id.user, i, id.groups))
	}
	err := os.WriteFile(n.path("pki/tokens.csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	return tokens, err
}
