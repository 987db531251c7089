// Command release builds and publishes debug-overlay's release artefacts
// (make dist, make sign, make release-check). Every command prints one
// line naming what failed and exits non-zero on error, and writes each
// artefact through a temporary name: nothing half-written looks finished.
//
//	release dist -version vX.Y.Z -repo ROOT -out DIST [-base-url URL]
//	    binaries for every platform (the Argo CD plugin's for the image's
//	    only), an archive per platform (LICENSE and README inside), a
//	    CycloneDX SBOM per binary, the krew manifest, the Helm 4 plugin
//	    package, the image as an OCI layout (all three binaries),
//	    checksums.txt; the same commit gives the same bytes
//	release sign -dist DIST -key NAME -keyring FILE [-passphrase-file FILE]
//	    the Helm plugin package's .prov and checksums.txt.asc
//	release push-plugin -dist DIST -repo HOST/PATH/debug-overlay [-plain-http]
//	    the plugin package and its .prov, as Helm 4 pulls plugins
//	release push-image -layout DIR -tag TAG -ref HOST/PATH:TAG [-plain-http]
//	    an image index out of an OCI layout
//	release image -out DIR -tag TAG -file PATH=TEMPLATE... [-push REF]
//	    any image of static binaries (TEMPLATE may hold {os} and {arch})
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: release dist|sign|push-plugin|push-image|image [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var run func() error
	switch cmd {
	case "dist":
		var o distOptions
		fs.StringVar(&o.Version, "version", "", "The release, vMAJOR.MINOR.PATCH[-PRERELEASE]")
		fs.StringVar(&o.Repo, "repo", ".", "The repository to build")
		fs.StringVar(&o.Out, "out", "dist", "The dist directory")
		fs.StringVar(&o.BaseURL, "base-url", "", "Where the archives are downloaded from, for the krew manifest (default the GitHub release)")
		run = func() error { return dist(o) }
	case "sign":
		var o signOptions
		fs.StringVar(&o.Dist, "dist", "dist", "The dist directory")
		fs.StringVar(&o.Key, "key", "", "Name of the signing key (or a part of it that only it has)")
		fs.StringVar(&o.Keyring, "keyring", "", "Keyring holding the secret key")
		fs.StringVar(&o.PassphraseFile, "passphrase-file", "", "File holding the key's passphrase")
		run = func() error { return sign(o) }
	case "push-plugin":
		var o pushPluginOptions
		fs.StringVar(&o.Dist, "dist", "dist", "The dist directory")
		fs.StringVar(&o.Repo, "repo", "", "The repository, ending in /debug-overlay (the tag is the plugin's version)")
		fs.BoolVar(&o.PlainHTTP, "plain-http", false, "Talk plain HTTP to the registry")
		run = func() error { return pushPlugin(o) }
	case "push-image":
		var o pushImageOptions
		fs.StringVar(&o.Layout, "layout", "dist/image", "The OCI image layout")
		fs.StringVar(&o.Tag, "tag", "", "The image's tag in the layout")
		fs.StringVar(&o.Ref, "ref", "", "Where to push it: registry/repository:tag")
		fs.BoolVar(&o.PlainHTTP, "plain-http", false, "Talk plain HTTP to the registry")
		run = func() error { return pushImage(o) }
	case "image":
		o := imageOptions{Annotations: map[string]string{}}
		fs.StringVar(&o.Out, "out", "", "Write the image as an OCI layout into this directory")
		fs.StringVar(&o.Tag, "tag", "", "The image's tag (the layout's ref.name)")
		fs.Var(listFlag{&o.Files}, "file", "PATH=TEMPLATE: a file of the image and where it comes from; {os} and {arch} in TEMPLATE are the platform's (repeatable)")
		fs.Var(listFlag{&o.Platforms}, "platform", "A platform, os/arch (repeatable; default linux/amd64 and linux/arm64)")
		fs.Var(listFlag{&o.Entrypoint}, "entrypoint", "An entrypoint word (repeatable)")
		fs.Var(mapFlag(o.Annotations), "annotation", "KEY=VALUE, an OCI annotation (repeatable)")
		fs.StringVar(&o.User, "user", "", "The user (default 65532:65532)")
		fs.StringVar(&o.Push, "push", "", "Also push it to this reference")
		fs.BoolVar(&o.PlainHTTP, "plain-http", false, "Talk plain HTTP to the registry")
		run = func() error { return buildImage(o) }
	default:
		fmt.Fprintf(os.Stderr, "release: unknown command %q: want dist, sign, push-plugin, push-image or image\n", cmd)
		os.Exit(2)
	}
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "release %s: unexpected arguments %q\n", cmd, fs.Args())
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "release %s: %v\n", cmd, err)
		os.Exit(1)
	}
}
