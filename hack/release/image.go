package main

import (
	"fmt"
	"io/fs"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/debug-overlay/debug-overlay/hack/release/ociimage"
)

// imagePlatforms are the platforms of the release image.
var imagePlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// imageBinDir is where the binaries are in the image.
const imageBinDir = "usr/local/bin/"

// imageSpec is the release image: the three static binaries in
// /usr/local/bin (the post-renderer, the companion and the Argo CD plugin,
// which only the image carries) and an empty /tmp (the post-renderer spools
// big streams there), nothing else; the post-renderer is the entrypoint; it
// runs as 65532.
func (r *release) imageSpec() ociimage.Spec {
	return ociimage.Spec{
		Platforms: imagePlatforms,
		Files: func(p v1.Platform) (map[string][]byte, error) {
			files := map[string][]byte{}
			pp := platform{p.OS, p.Architecture}
			for _, b := range binaries {
				data, ok := r.binaries[pp][b.name]
				if !ok {
					return nil, fmt.Errorf("no %s built for the image's %s", b.name, pp)
				}
				files[imageBinDir+b.name] = data
			}
			return files, nil
		},
		Dirs:        map[string]fs.FileMode{"tmp": fs.ModeSticky | 0o777},
		Entrypoint:  []string{"/" + imageBinDir + binRender},
		Env:         []string{"PATH=/" + imageBinDir[:len(imageBinDir)-1]},
		Annotations: r.imageAnnotations(),
		Created:     r.created,
	}
}

// imageAnnotations are the OCI annotations of the release image.
func (r *release) imageAnnotations() map[string]string {
	a := map[string]string{
		ociimage.AnnotationVersion:  r.Version,
		ociimage.AnnotationSource:   sourceURL,
		ociimage.AnnotationLicenses: "Apache-2.0",
		ociimage.AnnotationCreated:  r.created.UTC().Format(time.RFC3339),
		ociimage.AnnotationTitle:    project,
	}
	if r.commit != "" {
		a[ociimage.AnnotationRevision] = r.commit
	}
	return a
}

// image writes the release image as an OCI layout into dir and returns the
// layout's files to list in checksums.txt: index.json, which names every
// other blob by digest.
func (r *release) image(dir string) ([]string, error) {
	idx, err := ociimage.Build(r.imageSpec())
	if err != nil {
		return nil, err
	}
	if err := ociimage.WriteLayout(dir, idx, r.Version); err != nil {
		return nil, err
	}
	return []string{"image/index.json"}, nil
}
