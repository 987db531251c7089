package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// serviceCIDR is the Service IP range; serviceIP its first address, the
// `kubernetes` Service's, which the serving certificate names too.
const (
	serviceCIDR = "10.0.0.0/24"
	serviceIP   = "10.0.0.1"
)

// Options says where the binaries are and how long to wait. The zero value
// finds everything in the usual places.
type Options struct {
	// BinDir holds kube-apiserver and kubectl; default the bin/ directory of
	// the repository containing the working directory.
	BinDir string
	// Etcd is the etcd binary; default "etcd" from $PATH.
	Etcd string
	// APIServerArgs are flags for kube-apiserver, as "--name=value": each
	// replaces the harness's flag of that name, or is added.
	APIServerArgs []string
	// StartTimeout bounds the start of each component; default one minute.
	StartTimeout time.Duration
	// Logf receives progress lines; default: none.
	Logf func(format string, args ...any)
}

// Cluster is a running etcd and kube-apiserver. Its methods may be called
// from parallel tests.
type Cluster struct {
	// Dir holds the certificates, the kubeconfig, etcd's data and the logs;
	// Stop removes it.
	Dir string
	// Kubeconfig is a kubeconfig file for the admin user (system:masters).
	Kubeconfig string
	// URL is the API server's base URL, https://127.0.0.1:<port>.
	URL string
	// Kubectl is the kubectl binary the helpers run.
	Kubectl string
	// Version is the API server's gitVersion, from /version.
	Version string
	// StartTime is how long Start took, etcd and certificates included.
	StartTime time.Duration

	etcd, apiserver *Process
	client          *http.Client
	stopOnce        sync.Once
	stopErr         error
}

// Start runs etcd and kube-apiserver and waits until the API server is
// ready. On error nothing is left running. Call Stop when done.
func Start(opts Options) (c *Cluster, err error) {
	start := time.Now()
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = time.Minute
	}
	binDir := opts.BinDir
	if binDir == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return nil, err
		}
		binDir = filepath.Join(root, "bin")
	}
	apiserverBin := filepath.Join(binDir, "kube-apiserver")
	kubectl := filepath.Join(binDir, "kubectl")
	for _, b := range []string{apiserverBin, kubectl} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("%s is missing: build it with `make kube` (hack/build-kube.sh): %w", b, err)
		}
	}
	etcdBin := opts.Etcd
	if etcdBin == "" {
		if etcdBin, err = exec.LookPath("etcd"); err != nil {
			return nil, fmt.Errorf("etcd is not on $PATH: install Debian's etcd-server (hack/install-deps.sh): %w", err)
		}
	}

	dir, err := os.MkdirTemp("", "debug-overlay-cluster-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), Kubectl: kubectl}
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	certs, err := writePKI(dir)
	if err != nil {
		return c, fmt.Errorf("writing certificates: %w", err)
	}
	c.client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: certs.tls},
		Timeout:   30 * time.Second,
	}

	etcdURL, err := c.startEtcd(etcdBin, opts.StartTimeout)
	if err != nil {
		return c, err
	}
	logf("cluster: etcd %s ready after %v", etcdURL, time.Since(start).Round(time.Millisecond))
	if err := c.startAPIServer(apiserverBin, etcdURL, certs, opts); err != nil {
		return c, err
	}
	if err := c.writeKubeconfig(certs); err != nil {
		return c, err
	}
	var version struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := c.getJSON("/version", &version); err != nil {
		return c, err
	}
	c.Version = version.GitVersion
	c.StartTime = time.Since(start)
	logf("cluster: kube-apiserver %s at %s ready after %v (dir %s)", c.Version, c.URL, c.StartTime.Round(time.Millisecond), dir)
	return c, nil
}

// Stop kills kube-apiserver and etcd by PID, waits for them and removes Dir.
// It may be called more than once, also on a partly started cluster.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		// SIGKILL, not a graceful shutdown: the data is thrown away anyway,
		// and the API server's graceful shutdown takes seconds.
		var errs []error
		for _, p := range []*Process{c.apiserver, c.etcd} {
			if p != nil {
				errs = append(errs, p.Kill())
			}
		}
		errs = append(errs, os.RemoveAll(c.Dir))
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// LogTail returns the last n lines of the API server's log (or etcd's, when
// the API server never started).
func (c *Cluster) LogTail(n int) string {
	p := c.apiserver
	if p == nil {
		p = c.etcd
	}
	if p == nil {
		return ""
	}
	return p.Tail(n)
}

func (c *Cluster) startEtcd(bin string, timeout time.Duration) (string, error) {
	var lastErr error
	// Free ports are picked by listening and closing again; another process
	// may take one in between, so a start that fails that way is retried.
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := FreePorts(2)
		if err != nil {
			return "", err
		}
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		p, err := StartProcess("etcd", bin, filepath.Join(c.Dir, "etcd.log"), nil,
			"--name=default",
			"--data-dir="+filepath.Join(c.Dir, "etcd"),
			"--listen-client-urls="+client,
			"--advertise-client-urls="+client,
			"--listen-peer-urls="+peer,
			"--initial-advertise-peer-urls="+peer,
			"--initial-cluster=default="+peer,
			"--logger=zap",
			"--log-outputs=stderr",
			// A single member elects itself after one election timeout
			// (default 1s); a short one makes the start faster.
			"--heartbeat-interval=10",
			"--election-timeout=100",
		)
		if err != nil {
			return "", err
		}
		c.etcd = p
		err = p.WaitReady(timeout, func(ctx context.Context) error {
			var health struct {
				Health string `json:"health"`
			}
			if err := getJSON(ctx, http.DefaultClient, client+"/health", &health); err != nil {
				return err
			}
			if health.Health != "true" {
				return fmt.Errorf("health %q", health.Health)
			}
			return nil
		})
		if err == nil {
			return client, nil
		}
		lastErr = fmt.Errorf("starting etcd: %w", err)
		if !p.addressInUse() {
			return "", lastErr
		}
		p.Kill()
		c.etcd = nil
		os.RemoveAll(filepath.Join(c.Dir, "etcd"))
	}
	return "", lastErr
}

func (c *Cluster) startAPIServer(bin, etcdURL string, certs *pki, opts Options) error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := FreePorts(1)
		if err != nil {
			return err
		}
		c.URL = "https://127.0.0.1:" + strconv.Itoa(ports[0])
		args := []string{
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(ports[0]),
			// The default reconciler refuses a loopback advertise address;
			// with none, the `kubernetes` Service simply has no endpoints.
			"--endpoint-reconciler-type=none",
			"--tls-cert-file=" + certs.servingCert,
			"--tls-private-key-file=" + certs.servingKey,
			"--client-ca-file=" + certs.caCert,
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + certs.saPublic,
			"--service-account-signing-key-file=" + certs.saPrivate,
			"--service-cluster-ip-range=" + serviceCIDR,
			"--authorization-mode=Node,RBAC",
			// The default is false, which refuses privileged containers in
			// validation, before Pod Security is asked; clusters set it true.
			"--allow-privileged=true",
			"--profiling=false",
			"--cert-dir=" + filepath.Join(c.Dir, "apiserver-certs"),
		}
		p, err := StartProcess("kube-apiserver", bin, filepath.Join(c.Dir, "kube-apiserver.log"), nil, overrideFlags(args, opts.APIServerArgs)...)
		if err != nil {
			return err
		}
		c.apiserver = p
		err = p.WaitReady(opts.StartTimeout, func(ctx context.Context) error {
			status, body, err := c.do(ctx, http.MethodGet, "/readyz", nil)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("/readyz: %d: %s", status, lastLine(body))
			}
			return nil
		})
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("starting kube-apiserver: %w", err)
		if !p.addressInUse() {
			return lastErr
		}
		p.Kill()
		c.apiserver = nil
	}
	return lastErr
}

// writeKubeconfig writes a kubeconfig for the admin user. Its context has
// no namespace: the helpers always pass one.
func (c *Cluster) writeKubeconfig(certs *pki) error {
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: test
  context:
    cluster: test
    user: admin
current-context: test
`, c.URL, certs.caCert, certs.clientCert, certs.clientKey)
	return os.WriteFile(c.Kubeconfig, []byte(kubeconfig), 0o600)
}

// do sends one request to the API server as the admin user.
func (c *Cluster) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var in io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		in = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, in)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (c *Cluster) getJSON(path string, v any) error {
	return getJSON(context.Background(), c.client, c.URL+path, v)
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, lastLine(data))
	}
	return json.Unmarshal(data, v)
}

// overrideFlags returns flags with each of over ("--name=value") replacing
// the flag of the same name, or appended.
func overrideFlags(flags, over []string) []string {
	out := slices.Clone(flags)
	for _, o := range over {
		name, _, _ := strings.Cut(o, "=")
		i := slices.IndexFunc(out, func(f string) bool { return strings.HasPrefix(f, name+"=") || f == name })
		if i >= 0 {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}

// FreePorts returns n distinct loopback ports that were free a moment ago.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// RepoRoot walks up from the working directory to the go.mod of
// github.com/debug-overlay/debug-overlay; it is testenv.RepoRoot.
func RepoRoot() (string, error) {
	return testenv.RepoRoot()
}

// StartAlongside starts the cluster while setup runs (a binary builds,
// charts are packaged), and returns it once both are done. When either
// fails nothing is left running, and the error says which.
func StartAlongside(opts Options, setup func() error) (*Cluster, error) {
	type started struct {
		c   *Cluster
		err error
	}
	ch := make(chan started, 1)
	go func() {
		c, err := Start(opts)
		ch <- started{c, err}
	}()
	setupErr := setup()
	s := <-ch
	switch {
	case s.err != nil:
		return nil, fmt.Errorf("starting the cluster: %w", s.err)
	case setupErr != nil:
		s.c.Stop()
		return nil, fmt.Errorf("setup: %w", setupErr)
	}
	return s.c, nil
}
