package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyCharts copies the repository's charts/ to dst (see CopyTree) and
// returns the example charts of the copy, the directories dst/examples/*.
// Tests render the copy, so that nothing in the repository is written
// (others build there in parallel) and the toggle chart is packaged from
// its current sources rather than from a stale charts/*.tgz.
func CopyCharts(dst string) (examples []string, err error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	src := filepath.Join(root, "charts")
	if err := CopyTree(src, dst); err != nil {
		return nil, fmt.Errorf("copying charts: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dst, "examples", "*", "Chart.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no example charts in %s", filepath.Join(src, "examples"))
	}
	for _, f := range files {
		examples = append(examples, filepath.Dir(f))
	}
	return examples, nil
}

// CopyTree copies the directory src to dst, keeping each file's executable
// bits, and leaving out what `helm dependency build` makes in a chart (the
// charts/ directory and Chart.lock next to a Chart.yaml) so that it is made
// again from the sources. A symbolic link is copied as the file it points
// to.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "Chart.yaml")); err == nil && rel != "." {
			if d.IsDir() && d.Name() == "charts" {
				return filepath.SkipDir
			}
			if d.Name() == "Chart.lock" {
				return nil
			}
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		return CopyFile(path, target, info.Mode().Perm()|0o644)
	})
}

// CopyFile copies the file src to dst with the permissions perm, making
// dst's directory when needed.
func CopyFile(src, dst string, perm os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, perm)
}
