package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

func TestCheckVersion(t *testing.T) {
	for _, c := range []struct {
		version string
		ok      bool
	}{
		{"v0.2.0", true},
		{"v1.10.100", true},
		{"v1.0.0-rc.1", true},
		{"v1.0.0-alpha.beta+build.5", true},
		{"", false},
		{"0.2.0", false},   // no v
		{"v0.2", false},    // not three numbers
		{"v01.2.3", false}, // leading zero
		{"v1.2.3-", false},
		{"84a5094-dirty", false}, // what git describe gives without a tag
		{"v1.2.3 ", false},
	} {
		t.Run(c.version, func(t *testing.T) {
			err := checkVersion(c.version)
			if (err == nil) != c.ok {
				t.Errorf("checkVersion(%q) = %v, want ok=%v", c.version, err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("the message is more than one line: %q", err)
			}
		})
	}
}

// TestSBOMIsValidCycloneDX checks an SBOM of the test binary itself (which
// has build information like any Go binary) against CycloneDX's own JSON
// schema, shipped in the cyclonedx-go module, and that it is the same
// bytes twice.
func TestSBOMIsValidCycloneDX(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	p := platform{"linux", "amd64"}
	doc, err := sbom(bin, "release.test", "v1.2.3", p, created)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := sbom(bin, "release.test", "v1.2.3", p, created)
	if !bytes.Equal(doc, again) {
		t.Error("two SBOMs of the same binary differ")
	}

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Fatalf("finding the cyclonedx-go module for its schemas: %v", err)
	}
	schemaDir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	c := jsonschema.NewCompiler()
	// The 1.6 schema refers to its neighbours by name; the module ships
	// the signature schema as .schemax.json.
	for f, file := range map[string]string{"spdx.schema.json": "spdx.schema.json", "jsf-0.82.schema.json": "jsf-0.82.schemax.json", "bom-1.6.schema.json": "bom-1.6.schema.json"} {
		data, err := os.ReadFile(filepath.Join(schemaDir, file))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+f, v); err != nil {
			t.Fatal(err)
		}
	}
	schema, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("the SBOM is not valid CycloneDX 1.6: %v", err)
	}

	var bom struct {
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name, Version, Purl string
				Hashes              []struct{ Content string }
			} `json:"component"`
		} `json:"metadata"`
		Components []struct{ Name, Version, Purl string } `json:"components"`
	}
	if err := json.Unmarshal(doc, &bom); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	if bom.SpecVersion != "1.6" || bom.Metadata.Timestamp != "2026-05-01T10:00:00Z" ||
		bom.Metadata.Component.Hashes[0].Content != fmt.Sprintf("%x", sum) ||
		!strings.HasPrefix(bom.Metadata.Component.Purl, "pkg:golang/github.com/debug-overlay/debug-overlay/hack/release@v1.2.3?goarch=amd64&goos=linux") {
		t.Errorf("metadata: %+v", bom)
	}
	names := map[string]string{}
	for _, c := range bom.Components {
		names[c.Name] = c.Version
	}
	if names["std"] == "" || names["github.com/ProtonMail/go-crypto"] != "v1.5.2" {
		t.Errorf("the components miss the standard library or a linked module: %v", names)
	}
}

// testKey makes a throw-away OpenPGP key protected by passphrase and
// writes its secret and public keyrings.
func testKey(t *testing.T, dir, name, passphrase string) (secring, pubring string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@example.invalid", nil)
	if err != nil {
		t.Fatal(err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	// Encrypt after serialising the self-signatures.
	if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
		t.Fatal(err)
	}
	sec.Reset()
	if err := e.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	secring, pubring = filepath.Join(dir, name+".sec"), filepath.Join(dir, name+".pub")
	os.WriteFile(secring, sec.Bytes(), 0o600)
	os.WriteFile(pubring, pub.Bytes(), 0o644)
	return secring, pubring
}

func TestSignErrors(t *testing.T) {
	dir := t.TempDir()
	secring, pubring := testKey(t, dir, "alice", "right")
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("wrong\n"), 0o600)
	for _, c := range []struct {
		name string
		o    signOptions
		want string
	}{
		{"no key", signOptions{Dist: dir, Keyring: secring}, "no signing key"},
		{"no keyring", signOptions{Dist: dir, Key: "alice"}, "no keyring"},
		{"unknown key", signOptions{Dist: dir, Key: "bob", Keyring: secring}, `no key named "bob"`},
		{"public keyring", signOptions{Dist: dir, Key: "alice", Keyring: pubring}, "has no secret key"},
		{"no passphrase", signOptions{Dist: dir, Key: "alice", Keyring: secring}, "set PASSPHRASE_FILE"},
		{"wrong passphrase", signOptions{Dist: dir, Key: "alice", Keyring: secring, PassphraseFile: pass}, "decrypting the key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := sign(c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("sign: %v, want an error containing %q", err, c.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("failed signing wrote files: %v", entries)
	}
}

// TestProvenance: the .prov is a clear-signed message that the public key
// verifies, holding the package's metadata and its sha256 under its name.
func TestProvenance(t *testing.T) {
	dir := t.TempDir()
	secring, pubring := testKey(t, dir, "alice", "right")
	pass := filepath.Join(dir, "pass")
	os.WriteFile(pass, []byte("right\n"), 0o600)
	r := &release{distOptions: distOptions{Version: "v1.2.3"}, binaries: map[platform]map[string][]byte{}}
	for _, p := range platforms {
		r.binaries[p] = map[string][]byte{binRender: []byte("binary for " + p.String())}
	}
	name, pkg, err := r.helmPlugin([]byte("license"), []byte("readme"))
	if err != nil {
		t.Fatal(err)
	}
	if name != "debug-overlay-1.2.3.tgz" {
		t.Errorf("package name %q", name)
	}
	signer, err := loadSigner(secring, "alice", pass)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provenance(signer, pkg, name)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := clearsign.Decode(prov)
	if block == nil {
		t.Fatalf("no clear-signed block:\n%s", prov)
	}
	pubData, _ := os.ReadFile(pubring)
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(pubData))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openpgp.CheckDetachedSignature(ring, bytes.NewReader(block.Bytes), block.ArmoredSignature.Body, pgpConfig); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	meta, sums, ok := bytes.Cut(block.Plaintext, []byte("\n...\n"))
	if !ok {
		t.Fatalf("no ... between metadata and sums:\n%s", block.Plaintext)
	}
	var files struct{ Files map[string]string }
	if err := yaml.Unmarshal(sums, &files); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sha256:%x", sha256.Sum256(pkg)); files.Files[name] != want {
		t.Errorf("files: %v, want %s: %s", files.Files, name, want)
	}
	for _, want := range []string{"Name: debug-overlay\n", "Version: 1.2.3\n", "Type: postrenderer/v1\n", "OperatingSystem: windows\n"} {
		if !bytes.Contains(meta, []byte(want)) {
			t.Errorf("metadata lacks %q:\n%s", want, meta)
		}
	}
}

// TestHelmPluginLayout: the package holds debug-overlay/plugin.yaml and a
// binary for each platformCommand entry.
func TestHelmPluginLayout(t *testing.T) {
	r := &release{distOptions: distOptions{Version: "v1.2.3"}, binaries: map[platform]map[string][]byte{}}
	for _, p := range platforms {
		r.binaries[p] = map[string][]byte{binRender: []byte(p.String())}
	}
	plugin := string(r.helmPluginYAML())
	var m pluginYAML
	if err := yaml.UnmarshalStrict([]byte(plugin), &m); err != nil {
		t.Fatalf("plugin.yaml:\n%s\n%v", plugin, err)
	}
	if m.Version != "1.2.3" || m.Name != project || len(m.RuntimeConfig.PlatformCommand) != len(platforms) || m.RuntimeConfig.PlatformHooks != nil {
		t.Errorf("plugin.yaml: %+v", m)
	}
	for _, c := range m.RuntimeConfig.PlatformCommand {
		want := "${HELM_PLUGIN_DIR}/bin/" + helmPluginBinary(platform{c.OS, c.Arch})
		if c.Command != want {
			t.Errorf("%s/%s runs %q, want %q", c.OS, c.Arch, c.Command, want)
		}
	}
}

// TestDistFailureKeepsOldDist: a dist that fails (here the build) leaves
// the dist directory as it was: the previous checksums.txt, no staging
// directory, nothing new.
func TestDistFailureKeepsOldDist(t *testing.T) {
	repo := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":                    "module " + modulePath + "\n\ngo 1.26\n",
		"cmd/debug-overlay/main.go": "package main\n\nfunc main() { not go }\n",
		"LICENSE":                   "license\n",
		"README.md":                 "readme\n",
	} {
		os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644)
	}
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "checksums.txt"), []byte("old\n"), 0o644)
	t.Setenv("SOURCE_DATE_EPOCH", "1777629600")
	err := dist(distOptions{Version: "v1.2.3", Repo: repo, Out: out})
	if err == nil || !strings.Contains(err.Error(), "building debug-overlay for linux/amd64") {
		t.Fatalf("dist of a broken tree: %v", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("the failed dist left %v", entries)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "checksums.txt")); string(data) != "old\n" {
		t.Errorf("checksums.txt is now %q", data)
	}
}

// TestBinariesPerPlatform: the post-renderer and the companion are built
// for every platform and archived; the Argo CD plugin is built for the
// image's platforms only and is in the image, with an SBOM, and in no
// archive.
func TestBinariesPerPlatform(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self) // any Go binary: the SBOMs read its build information
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, "LICENSE"), []byte("license\n"), 0o644)
	os.WriteFile(filepath.Join(repo, "README.md"), []byte("readme\n"), 0o644)
	r := &release{distOptions: distOptions{Version: "v1.2.3", Repo: repo, BaseURL: "https://example.com"}, binaries: map[platform]map[string][]byte{}}
	built := map[string][]string{}
	for _, p := range platforms {
		r.binaries[p] = map[string][]byte{}
		for _, b := range binaries {
			if b.builtFor(p) {
				r.binaries[p][b.name] = bin
				built[p.String()] = append(built[p.String()], b.name)
			}
		}
	}
	all, archived := []string{binRender, binCompanion, binArgoCD}, []string{binRender, binCompanion}
	want := map[string][]string{"linux/amd64": all, "linux/arm64": all, "darwin/amd64": archived, "darwin/arm64": archived, "windows/amd64": archived}
	if diff := cmp.Diff(want, built); diff != "" {
		t.Errorf("binaries built per platform (-want +got):\n%s", diff)
	}

	out, err := r.artefacts()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		names := archiveEntries(t, r.archiveName(p), out[r.archiveName(p)])
		wantNames := []string{"LICENSE", "README.md"}
		for _, b := range archived {
			wantNames = append(wantNames, b+p.exe())
		}
		slices.Sort(wantNames)
		if diff := cmp.Diff(wantNames, names); diff != "" {
			t.Errorf("%s archive (-want +got):\n%s", p, diff)
		}
		for _, b := range all {
			name := fmt.Sprintf("sbom/%s_v1.2.3_%s_%s.cdx.json", b, p.OS, p.Arch)
			if _, ok := out[name]; ok != slices.Contains(want[p.String()], b) {
				t.Errorf("%s: SBOM %v, want one for each binary built", name, ok)
			}
		}
	}

	spec := r.imageSpec()
	for _, ip := range spec.Platforms {
		files, err := spec.Files(ip)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		if w := []string{"usr/local/bin/" + binRender, "usr/local/bin/" + binArgoCD, "usr/local/bin/" + binCompanion}; !slices.Equal(names, w) {
			t.Errorf("the %s image holds %q, want %q", ip.OS+"/"+ip.Architecture, names, w)
		}
	}
}

// archiveEntries lists the file names of a tar.gz or zip archive, sorted.
func archiveEntries(t *testing.T, name string, data []byte) []string {
	t.Helper()
	var names []string
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
	} else {
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				names = append(names, h.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}
