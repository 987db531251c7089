package release

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// ociDescriptor is a descriptor of the OCI image spec.
type ociDescriptor struct {
	MediaType   string
	Digest      string
	Annotations map[string]string
	Platform    *struct{ OS, Architecture string }
}

// blob reads a blob of the image layout by digest.
func blob(t *testing.T, digest string) []byte {
	t.Helper()
	algo, hex, _ := strings.Cut(digest, ":")
	data, err := os.ReadFile(filepath.Join(distDir, "image", "blobs", algo, hex))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// TestImage: dist/image is an OCI layout whose index, tagged with the
// version, holds an image for linux/amd64 and linux/arm64, each one layer
// with the three static binaries of the release (the post-renderer and
// the companion those of the archives; the Argo CD plugin, which only the
// image has, static, for the platform, and printing its version) and an
// empty /tmp, running as 65532, with the OCI annotations; pushed to the
// registry, the registry serves the same index.
func TestImage(t *testing.T) {
	var top struct{ Manifests []ociDescriptor }
	data, err := os.ReadFile(filepath.Join(distDir, "image", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	decode(t, data, &top)
	if len(top.Manifests) != 1 || top.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != version {
		t.Fatalf("index.json: %+v, want one index tagged %s", top.Manifests, version)
	}
	indexDigest := top.Manifests[0].Digest
	var idx struct {
		MediaType   string
		Manifests   []ociDescriptor
		Annotations map[string]string
	}
	decode(t, blob(t, indexDigest), &idx)
	date, _ := time.Parse(time.RFC3339, gitText(t, "log", "-1", "--format=%cI"))
	wantAnnotations := map[string]string{
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": gitText(t, "rev-parse", "HEAD"),
		"org.opencontainers.image.source":   "https://github.com/debug-overlay/debug-overlay",
		"org.opencontainers.image.licenses": "Apache-2.0",
		"org.opencontainers.image.created":  date.UTC().Format(time.RFC3339),
	}
	checkAnnotations := func(what string, got map[string]string) {
		for k, v := range wantAnnotations {
			if got[k] != v {
				t.Errorf("%s: annotation %s = %q, want %q", what, k, got[k], v)
			}
		}
	}
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index media type %s", idx.MediaType)
	}
	checkAnnotations("index", idx.Annotations)
	var platforms []string
	for _, m := range idx.Manifests {
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
		var img struct {
			MediaType   string
			Config      ociDescriptor
			Layers      []ociDescriptor
			Annotations map[string]string
		}
		decode(t, blob(t, m.Digest), &img)
		checkAnnotations(m.Platform.Architecture+" image", img.Annotations)
		var config struct {
			OS, Architecture string
			Config           struct {
				User       string
				Entrypoint []string
				Labels     map[string]string
			}
		}
		decode(t, blob(t, img.Config.Digest), &config)
		if config.Config.User != "65532:65532" || !slices.Equal(config.Config.Entrypoint, []string{"/usr/local/bin/debug-overlay"}) ||
			config.OS != "linux" || config.Architecture != m.Platform.Architecture {
			t.Errorf("%s config: %+v", m.Platform.Architecture, config)
		}
		if len(img.Layers) != 1 || img.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Fatalf("%s layers: %+v", m.Platform.Architecture, img.Layers)
		}
		files := layerFiles(t, blob(t, img.Layers[0].Digest))
		var names []string
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		want := []string{"tmp/", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/" + binRender, "usr/local/bin/" + binArgoCD, "usr/local/bin/" + binCompanion}
		if !slices.Equal(names, want) {
			t.Errorf("%s layer holds %q, want %q", m.Platform.Architecture, names, want)
		}
		entries := readArchive(t, filepath.Join(distDir, archiveName("linux", m.Platform.Architecture)))
		for _, b := range released("linux") {
			f := files["usr/local/bin/"+b.name]
			i := slices.IndexFunc(entries, func(e archived) bool { return e.Name == b.name })
			switch {
			case b.archived && (i < 0 || !bytes.Equal(f, entries[i].Data)):
				t.Errorf("%s: the image's %s is not the archive's", m.Platform.Architecture, b.name)
			case !b.archived:
				checkBinary(t, "linux", m.Platform.Architecture, archived{Name: b.name, Data: f})
			}
		}
	}
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %q", platforms)
	}

	ref := reg.Host + "/debug-overlay:" + version
	pushed := strings.TrimSpace(string(mustRun(t, exec.Command(releaseBin, "push-image", "-layout", filepath.Join(distDir, "image"), "-tag", version, "-ref", ref, "-plain-http"), nil)))
	if pushed != ref+"@"+indexDigest {
		t.Errorf("push-image printed %q, want %s@%s", pushed, ref, indexDigest)
	}
	var served struct{ Manifests []ociDescriptor }
	getJSON(t, "http://"+reg.Host+"/v2/debug-overlay/manifests/"+version, &served)
	if len(served.Manifests) != 2 {
		t.Errorf("the registry serves %+v", served)
	}
}

// imageBinaries are the binaries in the image of dist/image, by platform
// (linux/amd64) and name.
func imageBinaries(t *testing.T) map[string]map[string][]byte {
	t.Helper()
	var top struct{ Manifests []ociDescriptor }
	data, err := os.ReadFile(filepath.Join(distDir, "image", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	decode(t, data, &top)
	var idx struct{ Manifests []ociDescriptor }
	decode(t, blob(t, top.Manifests[0].Digest), &idx)
	out := map[string]map[string][]byte{}
	for _, m := range idx.Manifests {
		var img struct{ Layers []ociDescriptor }
		decode(t, blob(t, m.Digest), &img)
		bins := map[string][]byte{}
		for _, l := range img.Layers {
			for name, data := range layerFiles(t, blob(t, l.Digest)) {
				if b, ok := strings.CutPrefix(name, "usr/local/bin/"); ok && b != "" {
					bins[b] = data
				}
			}
		}
		out[m.Platform.OS+"/"+m.Platform.Architecture] = bins
	}
	return out
}

// layerFiles lists a gzipped tar layer: name to content; checks that
// every entry is root's and /tmp is sticky.
func layerFiles(t *testing.T, layer []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, e := range readTarGz(t, layer) {
		if e.Uid != 0 || e.Gid != 0 {
			t.Errorf("%s is owned by %d:%d", e.Name, e.Uid, e.Gid)
		}
		if e.Name == "tmp/" && e.Mode != 0o1777 {
			t.Errorf("tmp/ has mode %o, want 1777", e.Mode)
		}
		files[e.Name] = e.Data
	}
	return files
}
