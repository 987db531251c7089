package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/debug-overlay/debug-overlay/hack/release/ociimage"
)

// How Helm 4 pulls a plugin from an OCI registry (helm v4.3.1,
// pkg/registry/plugin.go): the manifest's artifact type, and layers of the
// tar(+gzip) layer media types, found by their titles NAME-VERSION.tgz and
// NAME-VERSION.tgz.prov, where NAME is the repository's last path element.
const (
	helmPluginArtifactType = "application/vnd.helm.plugin.v1+json"
	helmPluginLayerType    = ocispec.MediaTypeImageLayerGzip
)

// pushPluginOptions is the push-plugin command.
type pushPluginOptions struct {
	Dist      string
	Repo      string // registry/path/debug-overlay, without a tag
	PlainHTTP bool
}

// pushPlugin pushes dist's Helm plugin package and its .prov to
// Repo:VERSION as Helm pulls plugins, with ORAS.
func pushPlugin(o pushPluginOptions) error {
	pkgs, err := filepath.Glob(filepath.Join(o.Dist, "helm-plugin", "*.tgz"))
	if err != nil {
		return err
	}
	if len(pkgs) != 1 {
		return fmt.Errorf("want one Helm plugin package in %s, found %d: run make dist", filepath.Join(o.Dist, "helm-plugin"), len(pkgs))
	}
	pkgName := filepath.Base(pkgs[0])
	if last := o.Repo[strings.LastIndex(o.Repo, "/")+1:]; !strings.HasPrefix(pkgName, last+"-") {
		return fmt.Errorf("repository %s: Helm takes the plugin's name from the last path element, which must be %q for %s", o.Repo, project, pkgName)
	}
	version := strings.TrimSuffix(strings.TrimPrefix(pkgName, project+"-"), ".tgz")
	pkg, err := os.ReadFile(pkgs[0])
	if err != nil {
		return err
	}
	prov, err := os.ReadFile(pkgs[0] + ".prov")
	if err != nil {
		return fmt.Errorf("%w: sign the package first (make sign)", err)
	}
	created, err := archiveTime(pkg)
	if err != nil {
		return fmt.Errorf("%s: %w", pkgs[0], err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store := memory.New()
	var layers []ocispec.Descriptor
	for _, l := range []struct {
		title string
		data  []byte
	}{{pkgName, pkg}, {pkgName + ".prov", prov}} {
		desc := content.NewDescriptorFromBytes(helmPluginLayerType, l.data)
		desc.Annotations = map[string]string{ocispec.AnnotationTitle: l.title}
		if err := store.Push(ctx, desc, bytes.NewReader(l.data)); err != nil {
			return err
		}
		layers = append(layers, desc)
	}
	manifest, err := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, helmPluginArtifactType, oras.PackManifestOptions{
		Layers: layers,
		ManifestAnnotations: map[string]string{
			// PackManifest would write the current time.
			ocispec.AnnotationCreated: created.UTC().Format(time.RFC3339),
			ocispec.AnnotationVersion: version,
			ocispec.AnnotationSource:  sourceURL,
			ociimage.AnnotationTitle:  project,
		},
	})
	if err != nil {
		return err
	}
	tag := strings.ReplaceAll(version, "+", "_") // as Helm does: + is not allowed in a tag
	if err := store.Tag(ctx, manifest, tag); err != nil {
		return err
	}
	repo, err := remote.NewRepository(o.Repo)
	if err != nil {
		return fmt.Errorf("repository %q: %w", o.Repo, err)
	}
	repo.PlainHTTP = o.PlainHTTP
	// The credentials docker login (and oras login) stored, if any.
	creds, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return fmt.Errorf("reading the registry credentials: %w", err)
	}
	repo.Client = &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache(), Credential: credentials.Credential(creds)}
	if _, err := oras.Copy(ctx, store, tag, repo, tag, oras.DefaultCopyOptions); err != nil {
		return fmt.Errorf("pushing %s:%s: %w", o.Repo, tag, err)
	}
	fmt.Printf("%s:%s@%s\n", o.Repo, tag, manifest.Digest)
	return nil
}

// archiveTime is the time of the first entry of a tar.gz: the source date
// the package was built with.
func archiveTime(data []byte) (time.Time, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return time.Time{}, err
	}
	hdr, err := tar.NewReader(gz).Next()
	if err != nil {
		return time.Time{}, errors.New("an empty archive")
	}
	return hdr.ModTime, nil
}
