//go:build linux

package node

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// unreachableRegistry is where every registry host points: nothing
// listens on the discard port of loopback, so a pull of an image that was
// not imported fails at once, without leaving the machine.
const unreachableRegistry = "http://127.0.0.1:9"

// registryHosts get a hosts.toml each, besides _default: containerd 1.6
// reads the directory named after the host first.
var registryHosts = []string{"_default", "docker.io", "registry-1.docker.io", "registry.k8s.io", "quay.io", "ghcr.io", "gcr.io", "debug-overlay.test"}

// writeRegistryConfig writes containerd's hosts directory. containerd 1.6
// ignores a hosts.toml without a [host] table: the server line alone would
// still send pulls to the real registry.
func writeRegistryConfig(dir string) error {
	hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", unreachableRegistry, unreachableRegistry)
	for _, h := range registryHosts {
		d := filepath.Join(dir, h)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "hosts.toml"), []byte(hosts), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig is containerd's config.toml for the run: root, state,
// socket and runc's root inside the run directory, the sandbox image from
// hack/images, the registry configuration above, and the CNI configuration
// of the run.
func (n *Node) containerdConfig(sandboxImage string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // TOML basic strings are JSON strings
	return fmt.Sprintf(`version = 2
root = %s
state = %s
oom_score = 0
# Plugins that would look at, or create, paths outside the run directory.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.internal.v1.opt",
]

[grpc]
  address = %s

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %s
  # Without CAP_SYS_RESOURCE nobody may lower an oom_score_adj; containerd
  # then keeps containers at or above its own instead of failing them.
  restrict_oom_score_adj = true
  # Network namespaces under the state directory, not /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %s
    conf_dir = %s
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = %s
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %s
`, q(n.path("containerd/root")), q(n.path("containerd/state")), q(n.ContainerdSocket),
		q(sandboxImage), q(cniBinDir), q(n.path("cni/net.d")), q(n.path("runc")), q(n.path("containerd/certs.d")))
}

// cniBinDir is where Debian's containernetworking-plugins installs.
const cniBinDir = "/usr/lib/cni"

// cniConfig is the pod network: the run's bridge, addresses from
// host-local with its state in the run directory. isGateway is off: pods
// need no route off the bridge, and with it on the bridge plugin would
// switch on the host's net.ipv4.ip_forward.
func (n *Node) cniConfig() ([]byte, error) {
	_, subnet, err := net.ParseCIDR(n.opts.Subnet)
	if err != nil {
		return nil, err
	}
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "debug-overlay-node",
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      n.opts.Bridge,
			"isGateway":   false,
			"ipMasq":      false,
			"hairpinMode": false,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": subnet.String(), "gateway": n.NodeIP.String()}}},
				"dataDir": n.path("cni/ipam"),
			},
		}},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// kubeletConfig is the KubeletConfiguration of the run.
func (n *Node) kubeletConfig(pki *nodePKI, port int) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Serving on loopback only; kube-apiserver reaches it through the node's
# Hostname address, which resolves to loopback (see nodeName).
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzPort: 0
tlsCertFile: %s
tlsPrivateKeyFile: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %s}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: %s
imageServiceEndpoint: %s
cgroupDriver: cgroupfs
cgroupRoot: %s
# cgroup v1 on these machines; kubelet refuses it unless told.
failCgroupV1: false
failSwapOn: false
# The default, -999, needs CAP_SYS_RESOURCE.
oomScoreAdj: 0
# No iptables changes on the host.
makeIPTablesUtilChains: false
podLogsDir: %s
# Pods get no DNS configuration: there is no DNS and no route off the node.
resolvConf: ""
# The images are imported, never pulled: keep them, and evict nothing.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
  imagefs.inodesFree: 1%%
serializeImagePulls: false
shutdownGracePeriod: 0s
`, port, q(pki.servingCert), q(pki.servingKey), q(pki.caCert),
		q("unix://"+n.ContainerdSocket), q("unix://"+n.ContainerdSocket),
		q("/"+n.cgroupName), q(n.path("pod-logs")))
}

// writeKubeconfig writes a kubeconfig for a component that authenticates
// with a token of the static token file.
func (n *Node) writeKubeconfig(file, user, token string) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: test
  context: {cluster: test, user: %s}
current-context: test
`, n.Cluster.URL, n.clusterCA, user, token, user)
	return os.WriteFile(file, []byte(kc), 0o600)
}

// kubeconfigCA returns the certificate-authority file of a kubeconfig
// (test/cluster's CA, whose path it does not export otherwise).
func kubeconfigCA(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				CertificateAuthority string `json:"certificate-authority"`
			} `json:"cluster"`
		} `json:"clusters"`
	}
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return "", fmt.Errorf("reading %s: %w", file, err)
	}
	if len(kc.Clusters) == 0 || kc.Clusters[0].Cluster.CertificateAuthority == "" {
		return "", fmt.Errorf("%s names no certificate-authority file", file)
	}
	return kc.Clusters[0].Cluster.CertificateAuthority, nil
}

// nodeName is the name the node registers under: this machine's host name
// when /etc/hosts maps it to a loopback address (kube-apiserver reaches the
// kubelet through it, and the kubelet serves on loopback only), else
// localhost. Only /etc/hosts is read: a DNS query would leave the machine.
func nodeName() string {
	host, _ := os.Hostname()
	hosts, _ := os.ReadFile("/etc/hosts")
	return nodeNameFrom(host, hosts)
}

// nodeNameFrom picks the node name from a host name and an /etc/hosts.
func nodeNameFrom(host string, hosts []byte) string {
	if host == "" {
		return "localhost"
	}
	for _, line := range strings.Split(string(hosts), "\n") {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		ip := net.ParseIP(fields[0])
		if ip == nil || !ip.IsLoopback() {
			continue
		}
		for _, name := range fields[1:] {
			if strings.EqualFold(name, host) {
				return strings.ToLower(host)
			}
		}
	}
	return "localhost"
}

// TrustRegistry lets containerd pull from a plain-HTTP registry at host
// (127.0.0.1:PORT), and from nowhere else than before: a hosts.toml for
// that host alone in containerd's hosts directory, which containerd reads
// at every pull. The file lives in the run directory that Stop removes.
func (n *Node) TrustRegistry(host string) error {
	if _, _, err := net.SplitHostPort(host); err != nil {
		return fmt.Errorf("registry host %q: %w", host, err)
	}
	server := "http://" + host
	hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", server, server)
	d := filepath.Join(n.path("containerd/certs.d"), host)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, "hosts.toml"), []byte(hosts), 0o644)
}
