package main

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"sigs.k8s.io/yaml"
)

// The krew Plugin manifest (krew.googlecontainertools.github.com/v1alpha2),
// the fields krew v0.4.3 reads.
type krewPlugin struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       krewSpec       `json:"spec"`
}

type krewSpec struct {
	Version          string         `json:"version"`
	Homepage         string         `json:"homepage"`
	ShortDescription string         `json:"shortDescription"`
	Description      string         `json:"description"`
	Platforms        []krewPlatform `json:"platforms"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string     `json:"uri"`
	Sha256 string     `json:"sha256"`
	Files  []krewFile `json:"files"`
	Bin    string     `json:"bin"`
}

type krewFile struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// krewManifest is dist/krew/debug-overlay.yaml, ready for a krew-index pull
// request: one platform per archive, its sha256 from the archive's bytes.
// krew links the plugin as kubectl-debug_overlay (its name with - as _),
// which kubectl finds for `kubectl debug-overlay`.
func (r *release) krewManifest(out map[string][]byte) ([]byte, error) {
	m := krewPlugin{
		APIVersion: "krew.googlecontainertools.github.com/v1alpha2",
		Kind:       "Plugin",
		Metadata:   map[string]any{"name": project},
		Spec: krewSpec{
			Version:          r.Version,
			Homepage:         sourceURL,
			ShortDescription: "Attach a debug container with the app's mounts",
			Description: strings.TrimSpace(`
Adds debug-overlay's debug container to the running pods of a workload
as an ephemeral container, without a restart: the preset image and
security profile of the overlay, aimed at the app container (its
processes are visible) and with the app's volume mounts at the same
paths. The workloads come from a Helm release, rendered manifests or
KIND/NAME arguments. The declarative overlay (a Helm post-renderer,
a kustomize function) is the debug-overlay binary of the same release.`) + "\n",
		},
	}
	base := strings.TrimSuffix(r.BaseURL, "/")
	for _, p := range platforms {
		name := r.archiveName(p)
		sum := sha256.Sum256(out[name])
		kp := krewPlatform{
			URI:    base + "/" + name,
			Sha256: hex.EncodeToString(sum[:]),
			Files: []krewFile{
				{From: binCompanion + p.exe(), To: "."},
				{From: "LICENSE", To: "."},
			},
			Bin: binCompanion + p.exe(),
		}
		kp.Selector.MatchLabels = map[string]string{"os": p.OS, "arch": p.Arch}
		m.Spec.Platforms = append(m.Spec.Platforms, kp)
	}
	return yaml.Marshal(m)
}
