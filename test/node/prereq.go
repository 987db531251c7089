//go:build linux

package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// MissingError is a prerequisite that is not installed or built.
type MissingError struct{ What, Fix string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is missing: %s (make e2e-cluster installs and builds everything)", e.What, e.Fix)
}

// imageFile is one entry of hack/images' images.json.
type imageFile struct {
	File string   `json:"file"`
	Tags []string `json:"tags"`
	Role string   `json:"role"`
}

// checkPrerequisites finds every binary and the images, and reports all
// that are missing at once.
func checkPrerequisites(opts Options) ([]imageFile, error) {
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("the test node needs root: it runs containerd and a kubelet, creates a bridge and mounts volumes"))
	}
	for _, b := range []string{"kubelet", "kube-controller-manager", "kube-scheduler", "kube-apiserver", "kubectl"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, b)); err != nil {
			errs = append(errs, &MissingError{filepath.Join(opts.BinDir, b), "build it with hack/build-kube.sh " + b})
		}
	}
	for _, b := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc", "etcd", "ip"} {
		if _, err := exec.LookPath(b); err != nil {
			errs = append(errs, &MissingError{b + " on $PATH", "install it with hack/node-deps.sh"})
		}
	}
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(cniBinDir, p)); err != nil {
			errs = append(errs, &MissingError{"the CNI plugin " + filepath.Join(cniBinDir, p), "install containernetworking-plugins with hack/node-deps.sh"})
		}
	}
	var images []imageFile
	manifest := filepath.Join(opts.ImagesDir, "images.json")
	data, err := os.ReadFile(manifest)
	if err != nil {
		errs = append(errs, &MissingError{manifest, "build the images with (cd hack/images && go run . -out " + opts.ImagesDir + ")"})
	} else {
		var m struct {
			Images []imageFile `json:"images"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", manifest, err))
		}
		images = m.Images
		for _, img := range images {
			if _, err := os.Stat(filepath.Join(opts.ImagesDir, img.File)); err != nil {
				errs = append(errs, &MissingError{filepath.Join(opts.ImagesDir, img.File), "rebuild the images (hack/images)"})
			}
		}
	}
	return images, errors.Join(errs...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
