package ociimage

import (
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func spec() Spec {
	return Spec{
		Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
		Files: func(p v1.Platform) (map[string][]byte, error) {
			return map[string][]byte{"usr/local/bin/tool": []byte("tool for " + p.Architecture)}, nil
		},
		Dirs:        map[string]fs.FileMode{"tmp": fs.ModeSticky | 0o777},
		Entrypoint:  []string{"/usr/local/bin/tool"},
		Annotations: map[string]string{AnnotationVersion: "v1.2.3"},
		Created:     time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
	}
}

// TestBuildIsReproducible: the same spec gives the same index digest, and
// through a layout written and read back.
func TestBuildIsReproducible(t *testing.T) {
	a, err := Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("two builds of one spec: %s and %s", da, db)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if err := WriteLayout(dir, a, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLayout(dir, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := back.Digest(); d != da {
		t.Errorf("read back %s, wrote %s", d, da)
	}
	if _, err := ReadLayout(dir, "v9"); err == nil {
		t.Error("ReadLayout found a tag that is not there")
	}
}

func TestBuild(t *testing.T) {
	idx, err := Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex || m.Annotations[AnnotationVersion] != "v1.2.3" || len(m.Manifests) != 2 {
		t.Fatalf("index: %+v", m)
	}
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != d.Platform.Architecture || cf.Config.User != NonRoot || cf.Config.Labels[AnnotationVersion] != "v1.2.3" || !cf.Created.Time.Equal(spec().Created) {
			t.Errorf("%s config: %+v", d.Platform.Architecture, cf)
		}
		mt, _ := img.MediaType()
		layers, _ := img.Layers()
		if mt != types.OCIManifestSchema1 || len(layers) != 1 {
			t.Errorf("%s: media type %s, %d layers", d.Platform.Architecture, mt, len(layers))
		}
	}
	if _, err := Build(Spec{Platforms: []v1.Platform{{OS: "windows", Architecture: "amd64"}}}); err == nil {
		t.Error("Build made a windows image")
	}
}
