package flux

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// The controllers, by the names of their binaries in bin/ and of their Go
// modules under github.com/fluxcd/.
const (
	SourceController = "source-controller"
	HelmController   = "helm-controller"
)

// startOrder lists the controllers in the order they start.
var startOrder = []string{SourceController, HelmController}

// Options says where the binaries are and what the controllers get. Only
// Kubeconfig is required.
type Options struct {
	// BinDir holds the controllers and flux-crds/; default the bin/
	// directory of the repository containing the working directory.
	BinDir string
	// Kubeconfig is the kubeconfig the controllers use, a cluster admin's.
	Kubeconfig string
	// Namespace is the controllers' own namespace (RUNTIME_NAMESPACE);
	// default "flux-system". They watch every namespace.
	Namespace string
	// Args holds more flags per controller, such as
	// "--feature-gates=UseHelm3Defaults=true".
	Args map[string][]string
	// StartTimeout bounds the start of each controller; default one minute.
	StartTimeout time.Duration
	// Logf receives progress lines; default: none.
	Logf func(format string, args ...any)
}

// Controllers are a running source-controller and helm-controller.
type Controllers struct {
	// Dir holds the logs, source-controller's artifact storage and the
	// controllers' home and temporary directories; Stop removes it.
	Dir string
	// Versions holds each controller's release, as its module version in
	// the binary's build information (v1.6.4).
	Versions map[string]string
	// StartTime is how long Start took.
	StartTime time.Duration

	procs    map[string]*cluster.Process
	stopOnce sync.Once
	stopErr  error
}

// binDir returns opts.BinDir or the repository's bin/.
func binDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin"), nil
}

// Version returns the release of the Flux controller binary at path: the
// version of its module github.com/fluxcd/<name>, which the build
// information records as the main package's module (a tools module,
// hack/tools/flux/<name>, built it from the Go module proxy).
func Version(path string) (string, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the build information of %s: %w", path, err)
	}
	module := "github.com/fluxcd/" + filepath.Base(path)
	if info.Main.Path != module || info.Main.Replace != nil || !strings.HasPrefix(info.Main.Version, "v") {
		return "", fmt.Errorf("%s was not built from a release of %s (its module is %s %s): run `make flux` (hack/build-flux.sh)",
			path, module, info.Main.Path, info.Main.Version)
	}
	return info.Main.Version, nil
}

// CRDFile returns the file that holds controller's CustomResourceDefinitions
// (hack/build-flux.sh writes it) after checking that its header names the
// release version.
func CRDFile(dir, controller, version string) (string, error) {
	file := filepath.Join(dir, "flux-crds", controller+".yaml")
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("the CRDs of %s are missing: run `make flux` (hack/build-flux.sh): %w", controller, err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if want := fmt.Sprintf("# github.com/fluxcd/%s %s\n", controller, version); line != want {
		return "", fmt.Errorf("%s starts %q, want %q: run `make flux` (hack/build-flux.sh)", file, line, want)
	}
	return file, nil
}

// InstallCRDs creates the CustomResourceDefinitions of both controllers in
// the cluster and waits until they are established. It returns the
// versions of the controllers in dir (default: the repository's bin/).
func InstallCRDs(c *cluster.Cluster, dir string) (map[string]string, error) {
	dir, err := binDir(dir)
	if err != nil {
		return nil, err
	}
	versions := map[string]string{}
	for _, name := range startOrder {
		bin := filepath.Join(dir, name)
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("%s is missing: run `make flux` (hack/build-flux.sh): %w", bin, err)
		}
		if versions[name], err = Version(bin); err != nil {
			return nil, err
		}
		file, err := CRDFile(dir, name, versions[name])
		if err != nil {
			return nil, err
		}
		// create, not apply: the last-applied annotation of `kubectl
		// apply` would make the larger CRDs exceed the annotation limit.
		if _, _, err := c.RunKubectl(nil, "create", "-f", file); err != nil {
			return nil, fmt.Errorf("creating the CRDs of %s: %w", name, err)
		}
		if _, _, err := c.RunKubectl(nil, "wait", "--for=condition=Established", "--timeout=60s", "-f", file); err != nil {
			return nil, fmt.Errorf("waiting for the CRDs of %s: %w", name, err)
		}
	}
	return versions, nil
}

// Start runs source-controller and helm-controller against the cluster of
// opts.Kubeconfig, whose Flux CRDs must be installed (InstallCRDs), and
// waits until both report ready. On error nothing is left running. Call
// Stop when done.
func Start(opts Options) (c *Controllers, err error) {
	start := time.Now()
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Kubeconfig == "" {
		return nil, errors.New("flux: Options.Kubeconfig is required")
	}
	if opts.Namespace == "" {
		opts.Namespace = "flux-system"
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = time.Minute
	}
	dir, err := binDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "debug-overlay-flux-")
	if err != nil {
		return nil, err
	}
	c = &Controllers{Dir: tmp, Versions: map[string]string{}, procs: map[string]*cluster.Process{}}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	for _, sub := range []string{"home", "tmp", "storage"} {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			return c, err
		}
	}
	env := controllerEnv(tmp, opts)
	for _, name := range startOrder {
		bin := filepath.Join(dir, name)
		if c.Versions[name], err = Version(bin); err != nil {
			return c, err
		}
		if err := c.start(name, bin, env, opts); err != nil {
			return c, err
		}
		logf("flux: %s %s (pid %d) ready after %v", name, c.Versions[name], c.procs[name].PID(), time.Since(start).Round(time.Millisecond))
	}
	c.StartTime = time.Since(start)
	return c, nil
}

// controllerEnv is the controllers' environment: this process's, without
// what would point them at the machine's Kubernetes, Helm or home, plus
// their kubeconfig, namespace, home and temporary directory.
func controllerEnv(dir string, opts Options) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "KUBECONFIG", name == "HOME", name == "TMPDIR", name == "RUNTIME_NAMESPACE",
			strings.HasPrefix(name, "HELM_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"KUBECONFIG="+opts.Kubeconfig,
		"RUNTIME_NAMESPACE="+opts.Namespace,
		"HOME="+filepath.Join(dir, "home"),
		"TMPDIR="+filepath.Join(dir, "tmp"),
	)
}

// start starts one controller on free loopback ports and waits for its
// readiness probe. A port taken by another process between the choice and
// the start makes it exit; that is retried.
func (c *Controllers) start(name, bin string, env []string, opts Options) error {
	var lastErr error
	for attempt := range 3 {
		ports, err := cluster.FreePorts(2)
		if err != nil {
			return err
		}
		health := "127.0.0.1:" + strconv.Itoa(ports[0])
		args := []string{
			"--health-addr=" + health,
			"--metrics-addr=0", // no metrics server
			"--enable-leader-election=false",
			"--log-encoding=console",
		}
		if name == SourceController {
			storage := "127.0.0.1:" + strconv.Itoa(ports[1])
			// helm-controller fetches chart artifacts from the advertised
			// address, which is a Service in a real cluster.
			args = append(args,
				"--storage-path="+filepath.Join(c.Dir, "storage"),
				"--storage-addr="+storage,
				"--storage-adv-addr="+storage,
			)
		}
		args = append(args, opts.Args[name]...)
		log := filepath.Join(c.Dir, fmt.Sprintf("%s.%d.log", name, attempt))
		p, err := cluster.StartProcess(name, bin, log, env, args...)
		if err != nil {
			return err
		}
		c.procs[name] = p
		err = p.WaitReady(opts.StartTimeout, httpReady("http://"+health+"/readyz"))
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("starting %s: %w", name, err)
		data, _ := os.ReadFile(log)
		if !bytes.Contains(data, []byte("address already in use")) {
			return lastErr
		}
		p.Kill()
		delete(c.procs, name)
	}
	return lastErr
}

// Check returns an error naming each controller that has exited, with the
// end of its log: a crashed controller explains a release that never
// becomes ready.
func (c *Controllers) Check() error {
	var errs []error
	for _, name := range startOrder {
		if p := c.procs[name]; p != nil {
			if done, err := p.Exited(); done {
				errs = append(errs, fmt.Errorf("%s (pid %d) exited: %v; log %s ends:\n%s", name, p.PID(), err, p.Log, p.Tail(20)))
			}
		}
	}
	return errors.Join(errs...)
}

// LogTail returns the last n lines of a controller's log.
func (c *Controllers) LogTail(name string, n int) string {
	p := c.procs[name]
	if p == nil {
		return ""
	}
	return p.Tail(n)
}

// Stop kills the controllers by PID, waits for them and removes Dir. It may
// be called more than once, also on partly started controllers.
func (c *Controllers) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(startOrder) - 1; i >= 0; i-- {
			if p := c.procs[startOrder[i]]; p != nil {
				errs = append(errs, p.Kill())
			}
		}
		errs = append(errs, os.RemoveAll(c.Dir))
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}
