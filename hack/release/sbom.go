package main

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// sbomSpec is the CycloneDX version the SBOMs are written in.
const sbomSpec = cdx.SpecVersion1_6

// sbom is the CycloneDX SBOM of one built binary, from the module list Go
// wrote into it (the modules actually linked for that platform, which is
// what a scanner needs; go.mod's graph holds more). Nothing in it is random
// or taken from the clock: the serial number is derived from the binary's
// digest and the timestamp is the commit's time, so a rebuild writes the
// same bytes.
func sbom(binary []byte, name, version string, p platform, created time.Time) ([]byte, error) {
	bi, err := buildinfo.Read(bytes.NewReader(binary))
	if err != nil {
		return nil, fmt.Errorf("reading the build information of %s for %s: %w", name, p, err)
	}
	sum := sha256.Sum256(binary)
	mainRef := purl(bi.Main.Path, version, p)
	var settings []cdx.Property
	for _, s := range bi.Settings {
		settings = append(settings, cdx.Property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	main := cdx.Component{
		BOMRef:     mainRef,
		Type:       cdx.ComponentTypeApplication,
		Name:       name,
		Version:    version,
		PackageURL: mainRef,
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(sum[:])}},
		Licenses:   &cdx.Licenses{{License: &cdx.License{ID: "Apache-2.0"}}},
		ExternalReferences: &[]cdx.ExternalReference{
			{Type: cdx.ERTypeVCS, URL: "https://" + bi.Main.Path},
		},
		Properties: &settings,
	}

	std := purl("std", bi.GoVersion, p)
	components := []cdx.Component{{
		BOMRef: std, Type: cdx.ComponentTypeLibrary, Name: "std", Version: bi.GoVersion, PackageURL: std,
		Description: "The Go standard library and runtime",
	}}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		ref := purl(d.Path, d.Version, platform{})
		c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: d.Path, Version: d.Version, PackageURL: ref}
		if h, ok := moduleHash(d.Sum); ok {
			c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: h}}
		}
		components = append(components, c)
	}
	slices.SortFunc(components, func(a, b cdx.Component) int { return strings.Compare(a.BOMRef, b.BOMRef) })
	refs := make([]string, len(components))
	for i, c := range components {
		refs[i] = c.BOMRef
	}

	bom := cdx.NewBOM()
	bom.SerialNumber = serialNumber(sum)
	bom.Metadata = &cdx.Metadata{
		Timestamp: created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "debug-overlay hack/release", Version: version,
		}}},
		Component: &main,
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{{Ref: mainRef, Dependencies: &refs}}

	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false) // purls hold &
	if err := enc.EncodeVersion(bom, sbomSpec); err != nil {
		return nil, fmt.Errorf("encoding the SBOM of %s for %s: %w", name, p, err)
	}
	return buf.Bytes(), nil
}

// purl is a Go module's package URL; a platform, when given, is added as
// qualifiers (binaries differ per platform, modules do not).
func purl(path, version string, p platform) string {
	q := url.Values{"type": {"module"}}
	if p.OS != "" {
		q.Set("goos", p.OS)
		q.Set("goarch", p.Arch)
	}
	return "pkg:golang/" + path + "@" + version + "?" + q.Encode()
}

// moduleHash turns go.sum's "h1:" hash (base64 of a SHA-256 over the
// module's file list) into the hex SHA-256 CycloneDX wants.
func moduleHash(sum string) (string, bool) {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(raw), true
}

// serialNumber is a URN of a version 8 (custom) UUID made of the binary's
// digest: unique per binary, the same for every rebuild of it.
func serialNumber(sum [sha256.Size]byte) string {
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
