// Package ociimage builds multi-platform OCI images of static binaries
// without Docker, with go-containerregistry (as hack/images builds the test
// node's images): one layer per platform made of the given files, an image
// index over the platforms, written as an OCI image layout and pushed to a
// registry. Everything that goes into the bytes is an input (files,
// modes, the time), so the same inputs give the same digests.
//
// debug-overlay's release image is one Spec; other images of the project
// (the Argo CD plugin sidecar) are other Specs with other binaries.
package ociimage

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/debug-overlay/debug-overlay/hack/release/archive"
)

// OCI annotation keys (image-spec annotations.md).
const (
	AnnotationVersion  = "org.opencontainers.image.version"
	AnnotationRevision = "org.opencontainers.image.revision"
	AnnotationSource   = "org.opencontainers.image.source"
	AnnotationLicenses = "org.opencontainers.image.licenses"
	AnnotationCreated  = "org.opencontainers.image.created"
	AnnotationTitle    = "org.opencontainers.image.title"
	AnnotationRefName  = "org.opencontainers.image.ref.name"
)

// NonRoot is the user the images run as by default: distroless' nonroot.
const NonRoot = "65532:65532"

// Spec is an image to build.
type Spec struct {
	// Platforms are the index's platforms; each must be linux.
	Platforms []v1.Platform
	// Files gives a platform's files: their path in the image (relative,
	// such as usr/local/bin/x) to their content. Executables get 0755.
	Files func(v1.Platform) (map[string][]byte, error)
	// Dirs are extra directories, by path, with their modes (an image of
	// static binaries still needs a /tmp: fs.ModeSticky|0o777).
	Dirs map[string]os.FileMode
	// Entrypoint, Cmd, Env and WorkingDir are the image's configuration.
	Entrypoint, Cmd, Env []string
	WorkingDir           string
	// User is the user the container runs as; default NonRoot.
	User string
	// Annotations go on the index and on each image manifest, and as
	// labels into each image's configuration.
	Annotations map[string]string
	// Created is the time of every file and of the images.
	Created time.Time
}

// Build builds the image index.
func Build(s Spec) (v1.ImageIndex, error) {
	if len(s.Platforms) == 0 {
		return nil, fmt.Errorf("no platforms")
	}
	user := s.User
	if user == "" {
		user = NonRoot
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range s.Platforms {
		if p.OS != "linux" {
			return nil, fmt.Errorf("platform %s: only linux images are built", p)
		}
		files, err := s.Files(p)
		if err != nil {
			return nil, fmt.Errorf("files for %s: %w", p, err)
		}
		var entries []archive.Entry
		for path, data := range files {
			entries = append(entries, archive.File(strings.TrimPrefix(path, "/"), data, true))
		}
		for path, mode := range s.Dirs {
			entries = append(entries, archive.Dir(strings.TrimPrefix(path, "/"), mode))
		}
		layerData, err := archive.TarGz(entries, s.Created)
		if err != nil {
			return nil, fmt.Errorf("layer for %s: %w", p, err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(string(layerData))), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:     layer,
			MediaType: types.OCILayer,
			History:   v1.History{Created: v1.Time{Time: s.Created}, CreatedBy: "debug-overlay hack/release ociimage", Comment: "static binaries"},
		})
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
		cf.Created = v1.Time{Time: s.Created}
		cf.Config = v1.Config{
			Entrypoint: s.Entrypoint,
			Cmd:        s.Cmd,
			Env:        s.Env,
			WorkingDir: s.WorkingDir,
			User:       user,
			Labels:     s.Annotations,
		}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		img = mutate.Annotations(img, s.Annotations).(v1.Image)
		platform := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &platform},
		})
	}
	return mutate.Annotations(idx, s.Annotations).(v1.ImageIndex), nil
}

// WriteLayout writes idx as an OCI image layout into dir, tagged tag
// (the ref.name annotation of index.json), through a temporary directory
// beside it: dir is either complete or as it was.
func WriteLayout(dir string, idx v1.ImageIndex, tag string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{AnnotationRefName: tag})); err != nil {
		return fmt.Errorf("writing the image layout: %w", err)
	}
	// go-containerregistry writes blobs with the modes of where they came
	// from (0600, 0644, 0755) and the temporary directory is 0700.
	err = filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(path, mode)
	})
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// ReadLayout reads the image index tagged tag out of an OCI image layout.
func ReadLayout(dir, tag string) (v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	top, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, d := range m.Manifests {
		t := d.Annotations[AnnotationRefName]
		if t == tag {
			return top.ImageIndex(d.Digest)
		}
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return nil, fmt.Errorf("no image tagged %q in %s (it has %q)", tag, dir, tags)
}

// Push pushes idx to ref (registry/repository:tag); plainHTTP talks HTTP
// to the registry, as to a local one.
func Push(idx v1.ImageIndex, ref string, plainHTTP bool) (v1.Hash, error) {
	var opts []name.Option
	if plainHTTP {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return v1.Hash{}, err
	}
	// The credentials docker login stored, if any.
	if err := remote.WriteIndex(r, idx, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return idx.Digest()
}
