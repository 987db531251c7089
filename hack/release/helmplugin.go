package main

import (
	"fmt"
	"strings"

	"github.com/debug-overlay/debug-overlay/hack/release/archive"
)

// helmPluginYAML is the plugin.yaml of the Helm 4 plugin package: the
// repository's plugin.yaml without its install hook, which builds the
// binary with Go when it is missing; here every platform's binary is in the
// package and platformCommand picks the one for Helm's own GOOS/GOARCH.
func (r *release) helmPluginYAML() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# debug-overlay %s as a Helm 4 post-renderer plugin (postrenderer/v1):
#   helm template REL CHART --post-renderer debug-overlay
# Every platform's binary is in bin/; Helm runs the one for its own OS and
# architecture. Built from %s by make dist.
apiVersion: v1
name: %s
version: %s
type: postrenderer/v1
runtime: subprocess
sourceURL: %s
runtimeConfig:
  platformCommand:
`, r.Version, sourceURL, project, r.semverNoV(), sourceURL)
	for _, p := range platforms {
		fmt.Fprintf(&b, "    - {os: %s, arch: %s, command: \"${HELM_PLUGIN_DIR}/bin/%s\"}\n", p.OS, p.Arch, helmPluginBinary(p))
	}
	return []byte(b.String())
}

// helmPluginBinary is the name of a platform's binary in the plugin's bin/.
func helmPluginBinary(p platform) string {
	return fmt.Sprintf("%s-%s-%s%s", binRender, p.OS, p.Arch, p.exe())
}

// helmPlugin is the Helm 4 plugin package, as Helm's installer wants it: a
// .tgz named NAME-VERSION.tgz holding the directory NAME/ with plugin.yaml
// in it (Helm looks for the directory named after the archive without
// -VERSION.tgz).
func (r *release) helmPlugin(license, readme []byte) (string, []byte, error) {
	dir := project + "/"
	entries := []archive.Entry{
		archive.File(dir+"plugin.yaml", r.helmPluginYAML(), false),
		archive.File(dir+"LICENSE", license, false),
		archive.File(dir+"README.md", readme, false),
	}
	for _, p := range platforms {
		entries = append(entries, archive.File(dir+"bin/"+helmPluginBinary(p), r.binaries[p][binRender], true))
	}
	data, err := archive.TarGz(entries, r.created)
	if err != nil {
		return "", nil, fmt.Errorf("the Helm plugin package: %w", err)
	}
	return fmt.Sprintf("%s-%s.tgz", project, r.semverNoV()), data, nil
}
