//go:build linux

package node

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"path/filepath"

	"github.com/debug-overlay/debug-overlay/test/cluster"
)

// nodePKI is the kubelet's side of TLS, apart from the cluster's CA (whose
// key test/cluster keeps in memory): a CA that signs the kubelet's serving
// certificate and the client certificate kube-apiserver presents to the
// kubelet for exec, logs and port-forward.
type nodePKI struct {
	caCert, servingCert, servingKey, clientCert, clientKey string
}

// writeNodePKI writes the node's CA and certificates into dir; the serving
// certificate names hostname and the IPs.
func writeNodePKI(dir, hostname string, ips []net.IP) (*nodePKI, error) {
	p := &nodePKI{
		caCert:      filepath.Join(dir, "node-ca.crt"),
		servingCert: filepath.Join(dir, "kubelet.crt"),
		servingKey:  filepath.Join(dir, "kubelet.key"),
		clientCert:  filepath.Join(dir, "apiserver-kubelet-client.crt"),
		clientKey:   filepath.Join(dir, "apiserver-kubelet-client.key"),
	}
	ca, err := cluster.NewCA("debug-overlay-node-ca", p.caCert)
	if err != nil {
		return nil, err
	}
	if err := ca.Issue(2, pkix.Name{CommonName: "kubelet " + hostname}, x509.ExtKeyUsageServerAuth,
		ips, []string{hostname, "localhost"}, p.servingCert, p.servingKey); err != nil {
		return nil, err
	}
	if err := ca.Issue(3, pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil, p.clientCert, p.clientKey); err != nil {
		return nil, err
	}
	return p, nil
}
