//go:build linux

package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// startControllers runs kube-controller-manager and kube-scheduler, each
// serving its health endpoint on a free loopback port, and waits for both.
func (n *Node) startControllers(tokens map[string]string) error {
	for _, name := range []string{"kube-controller-manager", "kube-scheduler"} {
		kc := n.path("pki/" + name + ".kubeconfig")
		if err := n.writeKubeconfig(kc, name, tokens[name]); err != nil {
			return err
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		args := []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--leader-elect=false",
		}
		if name == "kube-controller-manager" {
			args = append(args,
				// One ServiceAccount per controller, as kubeadm sets it up:
				// the controller-manager's own identity may do little.
				"--use-service-account-credentials=true",
				// For the kube-root-ca.crt ConfigMap of every namespace.
				"--root-ca-file="+n.clusterCA,
				"--cert-dir="+n.path("pki/"+name),
			)
		}
		p, err := n.startProcess(name, filepath.Join(n.opts.BinDir, name), args...)
		if err != nil {
			return err
		}
		url := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
		if err := n.waitReady(p, func(ctx context.Context) error { return getInsecure(ctx, url) }); err != nil {
			return err
		}
	}
	return nil
}
