package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
)

// KubectlError is a kubectl run that exited non-zero; Stderr holds what the
// server said (Pod Security's refusal, a validation error).
type KubectlError struct {
	Args     []string
	ExitCode int
	Stderr   string
}

func (e *KubectlError) Error() string {
	return fmt.Sprintf("kubectl %s: exit %d: %s", strings.Join(e.Args, " "), e.ExitCode, strings.TrimSpace(e.Stderr))
}

// RunKubectl runs kubectl against the cluster with stdin (nil: none) and
// returns its stdout and stderr; a non-zero exit is a *KubectlError.
func (c *Cluster) RunKubectl(stdin []byte, args ...string) (stdout, stderr []byte, err error) {
	full := append([]string{"--kubeconfig=" + c.Kubeconfig, "--cache-dir=" + filepath.Join(c.Dir, "kubectl-cache")}, args...)
	cmd := exec.Command(c.Kubectl, full...)
	cmd.Env = childEnv()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		err = &KubectlError{Args: args, ExitCode: exit.ExitCode(), Stderr: errOut.String()}
	}
	return out.Bytes(), errOut.Bytes(), err
}

// ApplyServerDryRun sends manifest (a YAML or JSON stream) through
// `kubectl apply --dry-run=server --validate=strict -n namespace`: the API
// server decodes, defaults, validates and admits every object and stores
// none. Objects naming another namespace are an error (kubectl's -n rule).
// It returns the server's warnings (kubectl's `Warning: ` lines); the error
// carries kubectl's stderr.
func (c *Cluster) ApplyServerDryRun(namespace string, manifest []byte) ([]string, error) {
	return c.apply(manifest, "apply", "--dry-run=server", "--validate=strict", "-n", namespace, "-f", "-")
}

// CreateForReal creates the objects of manifest in namespace with
// `kubectl create --validate=strict`, so that admission that acts only on
// real writes of Pods (Pod Security) runs. It returns the server's warnings.
func (c *Cluster) CreateForReal(namespace string, manifest []byte) ([]string, error) {
	return c.apply(manifest, "create", "--validate=strict", "-n", namespace, "-f", "-")
}

func (c *Cluster) apply(manifest []byte, args ...string) ([]string, error) {
	_, stderr, err := c.RunKubectl(manifest, args...)
	return warnings(stderr), err
}

// warnings picks the server's warnings out of kubectl's stderr.
func warnings(stderr []byte) []string {
	var out []string
	for _, line := range strings.Split(string(stderr), "\n") {
		if w, ok := strings.CutPrefix(line, "Warning: "); ok {
			out = append(out, w)
		}
	}
	return out
}

// CreateNamespace creates a namespace with labels (such as
// pod-security.kubernetes.io/enforce) and its default ServiceAccount. An
// existing namespace is an error.
func (c *Cluster) CreateNamespace(name string, labels map[string]string) error {
	ns := map[string]any{
		"apiVersion": "v1",
		"kind":       "Namespace",
		"metadata":   map[string]any{"name": name, "labels": labels},
	}
	if err := c.create("/api/v1/namespaces", ns); err != nil {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return c.EnsureDefaultServiceAccount(name)
}

// EnsureDefaultServiceAccount creates the `default` ServiceAccount of
// namespace unless it exists. The controller manager would; without it the
// ServiceAccount admission plugin refuses every Pod that names no account.
func (c *Cluster) EnsureDefaultServiceAccount(namespace string) error {
	sa := map[string]any{
		"apiVersion": "v1",
		"kind":       "ServiceAccount",
		"metadata":   map[string]any{"name": "default"},
	}
	err := c.create("/api/v1/namespaces/"+namespace+"/serviceaccounts", sa)
	if err != nil && !errors.Is(err, ErrAlreadyExists) {
		return fmt.Errorf("creating the default ServiceAccount of namespace %s: %w", namespace, err)
	}
	return nil
}

// ErrAlreadyExists is wrapped by CreateNamespace's error when the namespace
// exists.
var ErrAlreadyExists = errors.New("already exists")

// Serves reports whether the API server serves kind in apiVersion (false for
// custom resources whose CRD is not installed), from discovery.
func (c *Cluster) Serves(apiVersion, kind string) (bool, error) {
	path := "/apis/" + apiVersion
	if apiVersion == "v1" {
		path = "/api/v1"
	}
	status, body, err := c.do(context.Background(), http.MethodGet, path, nil)
	switch {
	case err != nil:
		return false, err
	case status == http.StatusNotFound:
		return false, nil
	case status != http.StatusOK:
		return false, fmt.Errorf("GET %s: %d: %s", path, status, lastLine(body))
	}
	var list struct {
		Resources []struct {
			Name string `json:"name"`
			Kind string `json:"kind"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return false, fmt.Errorf("GET %s: %w", path, err)
	}
	for _, r := range list.Resources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") { // not a subresource
			return true, nil
		}
	}
	return false, nil
}

func (c *Cluster) create(path string, obj any) error {
	status, body, err := c.do(context.Background(), http.MethodPost, path, obj)
	switch {
	case err != nil:
		return err
	case status == http.StatusConflict:
		return fmt.Errorf("%w: %s", ErrAlreadyExists, lastLine(body))
	case status != http.StatusCreated:
		return fmt.Errorf("POST %s: %d: %s", path, status, lastLine(body))
	}
	return nil
}

// DNSLabel turns a test's name into a valid, unique-enough namespace name:
// lower case, runs of other characters as one '-', its last 63 characters.
func DNSLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 63 {
		name = strings.Trim(name[len(name)-63:], "-")
	}
	return name
}
