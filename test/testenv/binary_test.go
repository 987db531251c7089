package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBinary writes a shell script that stands in for debug-overlay.
func fakeBinary(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "debug-overlay")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBinaryFromEnv(t *testing.T) {
	fake := fakeBinary(t, `[ "$1" = version ] && echo "  v1.2.3 "`)
	t.Chdir(filepath.Dir(fake))
	t.Setenv(BinEnv, "debug-overlay")
	path, version, err := Binary(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if path != fake {
		t.Errorf("path %s, want %s ($%s made absolute)", path, fake, BinEnv)
	}
	if version != "v1.2.3" {
		t.Errorf("version %q, want %q", version, "v1.2.3")
	}
}

func TestBinaryBroken(t *testing.T) {
	t.Setenv(BinEnv, fakeBinary(t, "echo broken >&2; exit 2"))
	_, _, err := Binary(t.TempDir())
	if err == nil {
		t.Fatal("no error for a binary whose version command fails")
	}
	for _, want := range []string{BinEnv, "broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
