// Package registry runs a real OCI registry for tests: the reference
// registry of github.com/distribution/distribution/v3 (cmd/registry, built
// from the Go module proxy by hack/install-tools.sh into bin/registry), on
// a free loopback port, plain HTTP, its storage in a temporary directory.
// Start it with Start, stop it with Stop, which kills it by PID and
// removes its directory; the kernel kills it when the test process dies
// (Pdeathsig, through test/cluster's process machinery).
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/debug-overlay/debug-overlay/test/cluster"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// Options says which binary to run and how.
type Options struct {
	// Bin is the registry binary; default the repository's bin/registry.
	Bin string
	// ReadOnly starts it in read-only maintenance mode: every push is
	// refused.
	ReadOnly bool
	// StartTimeout bounds the start; default 30 seconds.
	StartTimeout time.Duration
}

// Registry is a running registry.
type Registry struct {
	// Host is its host:port (127.0.0.1:PORT), for references such as
	// Host/charts/x:1.0.0 and oci://Host/charts.
	Host string
	// Dir holds its configuration, storage and log; Stop removes it.
	Dir  string
	proc *cluster.Process
}

// Start starts a registry.
func Start(opts Options) (*Registry, error) {
	if opts.Bin == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return nil, err
		}
		opts.Bin = filepath.Join(root, "bin", "registry")
	}
	if _, err := os.Stat(opts.Bin); err != nil {
		return nil, fmt.Errorf("the registry is missing (hack/install-tools.sh registry): %w", err)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 30 * time.Second
	}
	dir, err := os.MkdirTemp("", "debug-overlay-registry-")
	if err != nil {
		return nil, err
	}
	ports, err := cluster.FreePorts(1)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", ports[0]), Dir: dir}
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: %t
http:
  addr: %s
`, filepath.Join(dir, "storage"), opts.ReadOnly, r.Host)
	configFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// The registry reads REGISTRY_* variables as configuration: keep the
	// test's environment out.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	r.proc, err = cluster.StartProcess("registry", opts.Bin, filepath.Join(dir, "registry.log"), env, "serve", configFile)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := r.proc.WaitReady(opts.StartTimeout, r.ping); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// ping is the readiness probe: GET /v2/ answers 200.
func (r *Registry) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.Host+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	return nil
}

// PID is the registry's process ID.
func (r *Registry) PID() int { return r.proc.PID() }

// LogTail is the end of its log.
func (r *Registry) LogTail(n int) string { return r.proc.Tail(n) }

// Stop kills the registry by PID and removes its directory.
func (r *Registry) Stop() error {
	err := r.proc.Kill()
	return errors.Join(err, os.RemoveAll(r.Dir))
}
