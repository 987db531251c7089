package flux

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/test/registry"
)

// TestFluxGethFromOCI: the charts pushed to a real OCI registry by
// hack/push-charts.sh (the geth example depending on the toggle chart on
// oci://), pulled by the real source-controller through a HelmRepository
// of type oci (plain HTTP: insecure), and installed by helm-controller
// with the postRenderers that `debug-overlay generate --flux-release`
// writes: the live StatefulSet has the overlay.
func TestFluxGethFromOCI(t *testing.T) {
	reg, err := registry.Start(registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Stop()
	registryPath := reg.Host + "/charts"
	pushed := filepath.Join(t.TempDir(), "pushed")
	cmd := exec.Command(filepath.Join(repoRoot, "hack", "push-charts.sh"), "--registry", registryPath, "--plain-http", "--out", pushed)
	cmd.Env = append(os.Environ(), "HELM="+helm3)
	push := runner.MustRun(t, cmd, nil)
	if !strings.Contains(string(push), "Pushed: "+registryPath+"/geth:0.1.0") {
		t.Fatalf("push-charts.sh did not push geth:\n%s", push)
	}

	ns := namespace(t, "flux-oci")
	apply(t, object{
		"apiVersion": "source.toolkit.fluxcd.io/v1",
		"kind":       "HelmRepository",
		"metadata":   object{"name": "charts-oci", "namespace": ns},
		"spec":       object{"type": "oci", "url": "oci://" + registryPath, "insecure": true, "interval": "10m"},
	})
	keyPath := filepath.Join(repoRoot, "overlays", "examples", "geth", "base", "keystore", keyFile)
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	hr := release(ns, "geth", "geth", object{"keystore": object{"files": object{keyFile: string(key)}}})
	spec := hr["spec"].(object)
	spec["chart"].(object)["spec"].(object)["sourceRef"] = object{"kind": "HelmRepository", "name": "charts-oci", "namespace": ns}
	// As README's Flux section: render the chart (here the one pulled from
	// the registry), generate the postRenderers, merge them.
	setKey := []string{"--set-file", "keystore.files." + strings.ReplaceAll(keyFile, ".", `\.`) + "=" + keyPath}
	manifests := mustRun(t, nil, helm3, append([]string{"template", "geth", filepath.Join(pushed, "geth-0.1.0.tgz"), "--namespace", ns}, setKey...)...)
	spec["postRenderers"] = generate(t, manifests,
		"--config", filepath.Join(repoRoot, "overlays", "examples", "geth", "debugoverlay.yaml"),
		"--flux-release", ns+"/geth")
	apply(t, hr)
	waitRelease(t, ns, "geth", 1)
	checkGethOverlay(t, "helm-controller from oci://", liveGeth(t, ns)["statefulset.apps/geth"])
}
