//go:build linux

package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// startContainerd creates the bridge, writes containerd's and CNI's
// configuration, starts containerd and waits for its socket.
func (n *Node) startContainerd(images []imageFile) error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", n.opts.Bridge)); err == nil {
		return fmt.Errorf("network interface %s exists already: another test node, or something else; remove it (ip link delete %s) if it is a leftover", n.opts.Bridge, n.opts.Bridge)
	}
	if err := n.update(func(s *state) error { s.Bridge = n.opts.Bridge; return nil }); err != nil {
		return err
	}
	ones, _ := n.subnetMask()
	for _, args := range [][]string{
		{"link", "add", "name", n.opts.Bridge, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", n.NodeIP, ones), "dev", n.opts.Bridge},
		{"link", "set", n.opts.Bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}

	if err := writeRegistryConfig(n.path("containerd/certs.d")); err != nil {
		return err
	}
	cni, err := n.cniConfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(n.path("cni/net.d/10-debug-overlay-node.conflist"), cni, 0o644); err != nil {
		return err
	}
	sandbox := ""
	for _, img := range images {
		if img.Role == "sandbox" && len(img.Tags) > 0 {
			sandbox = img.Tags[0]
		}
	}
	if sandbox == "" {
		return fmt.Errorf("%s names no image with role sandbox: rebuild the images (make e2e-cluster)", filepath.Join(n.opts.ImagesDir, "images.json"))
	}
	config := n.path("containerd/config.toml")
	if err := os.WriteFile(config, []byte(n.containerdConfig(sandbox)), 0o644); err != nil {
		return err
	}

	// containerd 1.6 puts shim sockets in /run/containerd/s, and libcni
	// its results in /var/lib/cni, whatever they are told.
	if err := n.update(func(s *state) error {
		s.ContainerdSocket = n.ContainerdSocket
		return s.recordOutside()
	}); err != nil {
		return err
	}
	p, err := n.startProcess("containerd", "containerd", "--config", config)
	if err != nil {
		return err
	}
	return n.waitReady(p, func(ctx context.Context) error {
		_, err := n.ctr(ctx, "version")
		return err
	})
}

func (n *Node) subnetMask() (int, int) {
	_, subnet, _ := net.ParseCIDR(n.opts.Subnet)
	return subnet.Mask.Size()
}

// ctr runs ctr against the run's containerd in the CRI's namespace.
func (n *Node) ctr(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", n.ContainerdSocket, "--namespace", "k8s.io"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// importImages loads the image tarballs into containerd.
func (n *Node) importImages(images []imageFile) error {
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.StartTimeout)
	defer cancel()
	for _, img := range images {
		if _, err := n.ctr(ctx, "images", "import", filepath.Join(n.opts.ImagesDir, img.File)); err != nil {
			return err
		}
	}
	out, err := n.ctr(ctx, "images", "list", "--quiet")
	if err != nil {
		return err
	}
	have := strings.Fields(out)
	for _, img := range images {
		for _, tag := range img.Tags {
			if !slices.Contains(have, tag) {
				return fmt.Errorf("image %s from %s is not in containerd after the import; it has: %v", tag, img.File, have)
			}
			n.Images = append(n.Images, tag)
		}
	}
	return nil
}
