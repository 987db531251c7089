package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCompanion(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "debug-overlay")
	beside := filepath.Join(dir, Companion)
	onPath := filepath.Join(t.TempDir(), Companion)
	executable := func() (string, error) { return self, nil }
	lookPath := func(name string) (string, error) {
		if _, err := os.Stat(onPath); err == nil && name == Companion {
			return onPath, nil
		}
		return "", errors.New("not found")
	}

	if _, err := findCompanion(executable, lookPath); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("no companion anywhere: err %v, want one saying how to get it", err)
	}
	if err := os.WriteFile(onPath, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findCompanion(executable, lookPath); err != nil || got != onPath {
		t.Errorf("on PATH only: got %q, %v; want %q", got, err, onPath)
	}
	if err := os.WriteFile(beside, []byte("not executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := findCompanion(executable, lookPath); got != onPath {
		t.Errorf("a non-executable file beside: got %q, want the one on PATH", got)
	}
	if err := os.Chmod(beside, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findCompanion(executable, lookPath); err != nil || got != beside {
		t.Errorf("beside and on PATH: got %q, %v; want the one beside, %q", got, err, beside)
	}
}
