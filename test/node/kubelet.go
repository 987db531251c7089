//go:build linux

package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// startKubelet records what the kubelet changes on the host, starts it and
// waits until the node is Ready.
func (n *Node) startKubelet(pki *nodePKI, token string) error {
	sysctls := map[string]string{}
	for _, k := range kubeletSysctls {
		v, err := readSysctl(k)
		if err != nil {
			return fmt.Errorf("reading sysctl %s: %w", k, err)
		}
		sysctls[k] = v
	}
	if err := n.update(func(s *state) error {
		s.Sysctls = sysctls
		return makeCgroupRoot(s, n.cgroupName)
	}); err != nil {
		return err
	}
	kc := n.path("pki/kubelet.kubeconfig")
	if err := n.writeKubeconfig(kc, "kubelet", token); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	config := n.path("kubelet-config.yaml")
	if err := os.WriteFile(config, []byte(n.kubeletConfig(pki, port)), 0o644); err != nil {
		return err
	}
	p, err := n.startProcess("kubelet", filepath.Join(n.opts.BinDir, "kubelet"),
		"--config="+config,
		"--kubeconfig="+kc,
		"--root-dir="+n.path("kubelet"),
		"--cert-dir="+n.path("pki/kubelet"),
		"--hostname-override="+n.Name,
		"--node-ip="+n.NodeIP.String(),
		"--v=1",
	)
	if err != nil {
		return err
	}
	return n.waitReady(p, func(ctx context.Context) error {
		out, err := n.Kubectl(nil, "get", "node", n.Name, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")
		if err != nil {
			return err
		}
		if out != "True" {
			return fmt.Errorf("node %s Ready=%q", n.Name, out)
		}
		return nil
	})
}
