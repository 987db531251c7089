package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"sigs.k8s.io/yaml"
)

// signOptions is the sign command, with `helm plugin package --sign`'s
// inputs: the name of the key, a keyring holding its secret key, and a
// file holding its passphrase.
type signOptions struct {
	Dist           string
	Key            string
	Keyring        string
	PassphraseFile string
}

// pgpConfig is Helm's: SHA-512 signatures.
var pgpConfig = &packet.Config{DefaultHash: crypto.SHA512}

// sign writes, for each Helm plugin package in dist/helm-plugin, the .prov
// Helm verifies, and checksums.txt.asc, a detached signature of
// checksums.txt. Everything is signed in memory first; files are written
// (each through a temporary name) only when every signature was made.
func sign(o signOptions) error {
	switch {
	case o.Key == "":
		return errors.New("no signing key: set KEY to the name (or part of it) of a key in KEYRING")
	case o.Keyring == "":
		return errors.New("no keyring: set KEYRING to a file holding the secret key (gpg --export-secret-keys KEY > secring.gpg)")
	}
	signer, err := loadSigner(o.Keyring, o.Key, o.PassphraseFile)
	if err != nil {
		return err
	}
	pkgs, err := filepath.Glob(filepath.Join(o.Dist, "helm-plugin", "*.tgz"))
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		return fmt.Errorf("no Helm plugin package in %s: run make dist first", filepath.Join(o.Dist, "helm-plugin"))
	}
	sums, err := os.ReadFile(filepath.Join(o.Dist, "checksums.txt"))
	if err != nil {
		return fmt.Errorf("%w: run make dist first", err)
	}
	out := map[string][]byte{}
	for _, p := range pkgs {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if out[p+".prov"], err = provenance(signer, data, filepath.Base(p)); err != nil {
			return fmt.Errorf("signing %s: %w", p, err)
		}
	}
	var asc bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&asc, signer, bytes.NewReader(sums), pgpConfig); err != nil {
		return fmt.Errorf("signing checksums.txt: %w", err)
	}
	out[filepath.Join(o.Dist, "checksums.txt.asc")] = asc.Bytes()
	for name, data := range out {
		if err := writeFile(name, data); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "sign: %s\n", name)
	}
	return nil
}

// loadSigner finds the key as Helm does (a name equal to id, else the one
// name containing it) in a keyring, binary or armored, and decrypts it.
func loadSigner(keyring, id, passphraseFile string) (*openpgp.Entity, error) {
	data, err := os.ReadFile(keyring)
	if err != nil {
		return nil, fmt.Errorf("reading the keyring: %w", err)
	}
	var ring openpgp.EntityList
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		ring, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("reading the keyring %s: %w", keyring, err)
	}
	e, err := findKey(ring, id)
	if err != nil {
		return nil, fmt.Errorf("%w in %s", err, keyring)
	}
	if e.PrivateKey == nil {
		return nil, fmt.Errorf("the key %q in %s has no secret key: export it with gpg --export-secret-keys", id, keyring)
	}
	if e.PrivateKey.Encrypted {
		if passphraseFile == "" {
			return nil, fmt.Errorf("the key %q is protected by a passphrase: set PASSPHRASE_FILE", id)
		}
		pass, err := os.ReadFile(passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase: %w", err)
		}
		if err := e.PrivateKey.Decrypt(bytes.TrimRight(pass, "\r\n")); err != nil {
			return nil, fmt.Errorf("decrypting the key %q with the passphrase in %s: %w", id, passphraseFile, err)
		}
	}
	return e, nil
}

// findKey is Helm's lookup: the key with a name equal to id, else the one
// key with a name containing it.
func findKey(ring openpgp.EntityList, id string) (*openpgp.Entity, error) {
	var candidates []*openpgp.Entity
	for _, e := range ring {
		for name := range e.Identities {
			if name == id {
				return e, nil
			}
		}
		for name := range e.Identities {
			if strings.Contains(name, id) {
				candidates = append(candidates, e)
				break
			}
		}
	}
	switch len(candidates) {
	case 0:
		return nil, fmt.Errorf("no key named %q", id)
	case 1:
		return candidates[0], nil
	}
	return nil, fmt.Errorf("more than one key contains %q: give its whole name", id)
}

// provenance is the .prov of a plugin package, as `helm plugin package
// --sign` writes it: a clear-signed message of the package's plugin.yaml
// (as Helm's Metadata, marshalled through JSON), the YAML end marker "..."
// (a "---" line is not allowed in a clear-signed text) and the sha256 of
// the archive under its file name, which Helm's verification looks up by
// the name of the archive it installs.
func provenance(signer *openpgp.Entity, archive []byte, filename string) ([]byte, error) {
	meta, err := pluginMetadata(archive)
	if err != nil {
		return nil, err
	}
	sums, err := yaml.Marshal(map[string]map[string]string{
		"files": {filename: fmt.Sprintf("sha256:%x", sha256.Sum256(archive))},
	})
	if err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	msg.Write(meta)
	msg.WriteString("\n...\n")
	msg.Write(sums)

	var out bytes.Buffer
	w, err := clearsign.Encode(&out, signer.PrivateKey, pgpConfig)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(msg.Bytes()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// helmMetadata mirrors the fields of Helm's internal plugin.Metadata for a
// subprocess plugin: Helm marshals that struct, which has no JSON tags,
// into the .prov, so the keys are Go's field names, sorted.
type helmMetadata struct {
	APIVersion    string
	Name          string
	Type          string
	Runtime       string
	Version       string
	SourceURL     string
	Config        map[string]any
	RuntimeConfig struct {
		PlatformCommand  []helmPlatformCommand
		PlatformHooks    map[string][]helmPlatformCommand
		ProtocolCommands []any
	}
}

type helmPlatformCommand struct {
	OperatingSystem string
	Architecture    string
	Command         string
	Args            []string
}

// pluginYAML is the part of plugin.yaml (apiVersion v1, subprocess
// runtime) that the metadata holds.
type pluginYAML struct {
	APIVersion    string         `json:"apiVersion"`
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	Runtime       string         `json:"runtime"`
	Version       string         `json:"version"`
	SourceURL     string         `json:"sourceURL"`
	Config        map[string]any `json:"config"`
	RuntimeConfig struct {
		PlatformCommand []struct {
			OS      string   `json:"os"`
			Arch    string   `json:"arch"`
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"platformCommand"`
		PlatformHooks map[string][]struct {
			OS      string   `json:"os"`
			Arch    string   `json:"arch"`
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"platformHooks"`
	} `json:"runtimeConfig"`
}

// pluginMetadata reads plugin.yaml out of a plugin package (the first
// entry named plugin.yaml, as Helm takes it) and writes it as Helm's
// metadata.
func pluginMetadata(archive []byte) ([]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("plugin.yaml not found in the package")
		}
		if err != nil {
			return nil, err
		}
		if path.Base(hdr.Name) != "plugin.yaml" {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		var p pluginYAML
		if err := yaml.UnmarshalStrict(data, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		if p.APIVersion != "v1" || p.Runtime != "subprocess" {
			return nil, fmt.Errorf("%s: apiVersion %q, runtime %q: only v1 subprocess plugins are signed here", hdr.Name, p.APIVersion, p.Runtime)
		}
		m := helmMetadata{APIVersion: p.APIVersion, Name: p.Name, Type: p.Type, Runtime: p.Runtime,
			Version: p.Version, SourceURL: p.SourceURL, Config: map[string]any{}}
		for _, c := range p.RuntimeConfig.PlatformCommand {
			m.RuntimeConfig.PlatformCommand = append(m.RuntimeConfig.PlatformCommand,
				helmPlatformCommand{OperatingSystem: c.OS, Architecture: c.Arch, Command: c.Command, Args: c.Args})
		}
		for event, cmds := range p.RuntimeConfig.PlatformHooks {
			if m.RuntimeConfig.PlatformHooks == nil {
				m.RuntimeConfig.PlatformHooks = map[string][]helmPlatformCommand{}
			}
			for _, c := range cmds {
				m.RuntimeConfig.PlatformHooks[event] = append(m.RuntimeConfig.PlatformHooks[event],
					helmPlatformCommand{OperatingSystem: c.OS, Architecture: c.Arch, Command: c.Command, Args: c.Args})
			}
		}
		return yaml.Marshal(m)
	}
}
