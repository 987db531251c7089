package docs

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/cmd"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md's generated flag block")

// Where the generated and the checked blocks live, relative to the
// repository root.
const (
	flagsFile    = "docs/configuration.md"
	packagesFile = "docs/architecture.md"
)

// repoRoot is the repository's root directory: two levels above this
// package, where go.mod is.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// block returns the text of a file between the start and end markers, and
// the offsets of that text in the file.
func block(t *testing.T, text, file, start, end string) (inner string, from, to int) {
	t.Helper()
	i := strings.Index(text, start)
	j := strings.Index(text, end)
	if i < 0 || j < i+len(start) {
		t.Fatalf("%s has no %q ... %q block", file, start, end)
	}
	return text[i+len(start) : j], i + len(start), j
}

// TestFlagTable keeps the flag block of docs/configuration.md generated
// from the real flags: run with -update to rewrite it.
func TestFlagTable(t *testing.T) {
	const start, end = "<!-- flags:start -->\n```\n", "```\n<!-- flags:end -->"
	path := filepath.Join(repoRoot(t), flagsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	got, i, j := block(t, text, flagsFile, start, end)
	want := cmd.NewRootCommand().Flags().FlagUsages()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(text[:i]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's flag block is stale; run go test ./test/docs -run TestFlagTable -update (-want +got):\n%s",
		flagsFile, cmp.Diff(want, got))
}

// TestPackageMap keeps the package map of docs/architecture.md true to
// `go list ./...`: every package is named in it (a row may name several,
// and a path ending in /... names a folder of them), and it names none
// that is gone.
func TestPackageMap(t *testing.T) {
	const start, end = "<!-- packages:start -->\n", "<!-- packages:end -->"
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, packagesFile))
	if err != nil {
		t.Fatal(err)
	}
	table, _, _ := block(t, string(data), packagesFile, start, end)
	named := mapNames(table)
	if len(named) == 0 {
		t.Fatalf("%s's package map names no package", packagesFile)
	}

	list := exec.Command("go", "list", "./...")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/debug-overlay/debug-overlay/"
	used := map[string]bool{}
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(pkg, module)
		found := false
		for _, n := range named {
			if n == rel || strings.HasSuffix(n, "/...") && strings.HasPrefix(rel, strings.TrimSuffix(n, "...")) {
				found, used[n] = true, true
			}
		}
		if !found {
			t.Errorf("%s's package map does not name %s", packagesFile, rel)
		}
	}
	for _, n := range named {
		if !used[n] {
			t.Errorf("%s's package map names %s, which go list does not list", packagesFile, n)
		}
	}
}

// mapNames returns the packages a package map table names: the
// backquoted, comma-separated names of each row's first cell.
func mapNames(table string) []string {
	var named []string
	for _, line := range strings.Split(table, "\n") {
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, name := range strings.Split(cell, ", ") {
			if strings.HasPrefix(name, "`") {
				named = append(named, strings.Trim(name, "`"))
			}
		}
	}
	return named
}
