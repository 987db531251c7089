package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/debug-overlay/debug-overlay/hack/release/ociimage"
)

// pushImageOptions is the push-image command.
type pushImageOptions struct {
	Layout    string
	Tag       string
	Ref       string
	PlainHTTP bool
}

// pushImage pushes the index tagged Tag in an OCI layout to Ref.
func pushImage(o pushImageOptions) error {
	if o.Tag == "" || o.Ref == "" {
		return errors.New("-tag and -ref are required")
	}
	idx, err := ociimage.ReadLayout(o.Layout, o.Tag)
	if err != nil {
		return err
	}
	digest, err := ociimage.Push(idx, o.Ref, o.PlainHTTP)
	if err != nil {
		return err
	}
	fmt.Printf("%s@%s\n", o.Ref, digest)
	return nil
}

// imageOptions is the image command: an image of static binaries from
// files on this machine, for images other than the release's own (which
// make dist builds from the binaries it built).
type imageOptions struct {
	Out, Tag    string
	Files       []string // PATH=TEMPLATE
	Platforms   []string
	Entrypoint  []string
	Annotations map[string]string
	User        string
	Push        string
	PlainHTTP   bool
}

func buildImage(o imageOptions) error {
	if o.Out == "" || o.Tag == "" || len(o.Files) == 0 {
		return errors.New("-out, -tag and at least one -file are required")
	}
	if len(o.Platforms) == 0 {
		o.Platforms = []string{"linux/amd64", "linux/arm64"}
	}
	var platforms []v1.Platform
	for _, s := range o.Platforms {
		p, err := v1.ParsePlatform(s)
		if err != nil {
			return err
		}
		platforms = append(platforms, *p)
	}
	created := time.Unix(0, 0).UTC()
	if env := os.Getenv("SOURCE_DATE_EPOCH"); env != "" {
		sec, err := strconv.ParseInt(env, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", env)
		}
		created = time.Unix(sec, 0).UTC()
	}
	spec := ociimage.Spec{
		Platforms: platforms,
		Files: func(p v1.Platform) (map[string][]byte, error) {
			files := map[string][]byte{}
			for _, f := range o.Files {
				path, tmpl, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fmt.Errorf("-file %q: want PATH=TEMPLATE", f)
				}
				src := strings.NewReplacer("{os}", p.OS, "{arch}", p.Architecture).Replace(tmpl)
				data, err := os.ReadFile(src)
				if err != nil {
					return nil, err
				}
				files[path] = data
			}
			return files, nil
		},
		Dirs:        map[string]fs.FileMode{"tmp": fs.ModeSticky | 0o777},
		Entrypoint:  o.Entrypoint,
		Env:         []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		User:        o.User,
		Annotations: o.Annotations,
		Created:     created,
	}
	idx, err := ociimage.Build(spec)
	if err != nil {
		return err
	}
	if err := ociimage.WriteLayout(o.Out, idx, o.Tag); err != nil {
		return err
	}
	if o.Push != "" {
		digest, err := ociimage.Push(idx, o.Push, o.PlainHTTP)
		if err != nil {
			return err
		}
		fmt.Printf("%s@%s\n", o.Push, digest)
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag struct{ list *[]string }

func (f listFlag) String() string {
	if f.list == nil {
		return ""
	}
	return strings.Join(*f.list, ",")
}

func (f listFlag) Set(s string) error { *f.list = append(*f.list, s); return nil }

// mapFlag is a repeatable KEY=VALUE flag.
type mapFlag map[string]string

func (f mapFlag) String() string { return "" }

func (f mapFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q: want KEY=VALUE", s)
	}
	f[k] = v
	return nil
}
