package testenv

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteAtomicLayout(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 27, 7, 8, 9, 0, time.UTC)
	payload := map[string]FileProjection{
		"key":        {Data: []byte("one"), Mode: 0o644},
		"nested/a/b": {Data: []byte("two"), Mode: 0o400},
	}
	if err := WriteAtomic(dir, payload, now); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	var tsDirs []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			links[e.Name()] = target
		} else {
			tsDirs = append(tsDirs, e.Name())
		}
	}
	if len(tsDirs) != 1 || !strings.HasPrefix(tsDirs[0], "..2026_11_27_07_08_09.") {
		t.Fatalf("want one ..2026_11_27_07_08_09.<random> directory, got %v", tsDirs)
	}
	want := map[string]string{"..data": tsDirs[0], "key": "..data/key", "nested": "..data/nested"}
	if !maps.Equal(links, want) {
		t.Errorf("symlinks: got %v, want %v", links, want)
	}
	for p, f := range payload {
		fi, err := os.Lstat(filepath.Join(dir, tsDirs[0], p))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != f.Mode {
			t.Errorf("%s: mode %v, want a regular file with %v", p, fi.Mode(), f.Mode)
		}
		data, err := os.ReadFile(filepath.Join(dir, p)) // through the symlinks
		if err != nil || string(data) != string(f.Data) {
			t.Errorf("%s through the symlinks: %q, %v; want %q", p, data, err, f.Data)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, tsDirs[0])); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("timestamped directory: %v, %v; want mode 0755", fi.Mode(), err)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "EMPTY": ""}
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "defined", in: "$(A)/b", want: "x/b"},
		{name: "defined empty", in: "<$(EMPTY)>", want: "<>"},
		{name: "undefined stays", in: "$(B)", want: "$(B)"},
		{name: "escaped", in: "$$(A) $$", want: "$(A) $"},
		{name: "shell arithmetic", in: "n=$((n + 1))", want: "n=$((n + 1))"},
		{name: "shell parameters", in: `"$#" "$1" $dst/*`, want: `"$#" "$1" $dst/*`},
		{name: "unclosed", in: "$(A", want: "$(A"},
		{name: "trailing dollar", in: "a$", want: "a$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Expand(tc.in, env); got != tc.want {
				t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestVolumeOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test must run as root: it gives files a group as kubelet does")
	}
	dir := t.TempDir()
	if err := EmptyDir(filepath.Join(dir, "empty"), false); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.Mkdir(secret, 0o755); err != nil {
		t.Fatal(err)
	}
	payload := map[string]FileProjection{"key": {Data: []byte("k"), Mode: 0o400}, "conf": {Data: []byte("c"), Mode: 0o644}, "d/f": {Data: []byte("f"), Mode: 0o600}}
	if err := WriteAtomic(secret, payload, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := VolumeOwnership(filepath.Join(dir, "empty"), 2000, false); err != nil {
		t.Fatal(err)
	}
	if err := VolumeOwnership(secret, 2000, true); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		"empty":              os.ModeDir | os.ModeSetgid | 0o777,
		"secret/..data/key":  0o440,
		"secret/..data/conf": 0o644,
		"secret/..data/d":    os.ModeDir | os.ModeSetgid | 0o755,
		"secret/..data/d/f":  0o640,
	} {
		info, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode(), want)
		}
		if gid := info.Sys().(*syscall.Stat_t).Gid; gid != 2000 {
			t.Errorf("%s: group %d, want the fsGroup 2000", p, gid)
		}
	}
	link, err := os.Lstat(filepath.Join(secret, "key"))
	if err != nil || link.Mode()&os.ModeSymlink == 0 || link.Sys().(*syscall.Stat_t).Gid != 2000 {
		t.Errorf("the key's symlink: %v, %v; want a symlink in group 2000", link, err)
	}
}
