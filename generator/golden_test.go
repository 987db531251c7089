package generator

import (
	"bytes"
	"errors"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

// goldenDir holds one folder per case: input.yaml, an optional config.yaml
// (a DebugOverlay object layered above the stream; absent means --enable),
// and either expected.yaml or error.txt (substrings the error must contain,
// one per line); warnings.txt lists the findings, one per line.
const goldenDir = "testdata/golden"

type goldenCase struct {
	name string
	dir  string
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatalf("reading golden cases: %v", err)
	}
	var cases []goldenCase
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, goldenCase{name: e.Name(), dir: filepath.Join(goldenDir, e.Name())})
		}
	}
	if len(cases) == 0 {
		t.Fatalf("no golden cases in %s", goldenDir)
	}
	return cases
}

// goldenConfig reads a case's config.yaml, or returns the --enable layer.
func goldenConfig(t *testing.T, dir string) overlay.Config {
	t.Helper()
	file := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return overlay.Config{Enabled: ptr.To(true)}
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := ParseDebugOverlay(data, file)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Spec
}

// readLines reads a file of lines; a missing file is no lines.
func readLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

func writeOrRemove(t *testing.T, file string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input, err := os.ReadFile(filepath.Join(tc.dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			cfg := goldenConfig(t, tc.dir)
			expectedFile := filepath.Join(tc.dir, "expected.yaml")
			errorFile := filepath.Join(tc.dir, "error.txt")
			warningsFile := filepath.Join(tc.dir, "warnings.txt")

			got, report, err := render(cfg, input)

			if exists(errorFile) || err != nil && updating() && !exists(expectedFile) {
				if err == nil {
					t.Fatalf("Render succeeded, want an error (see error.txt); output:\n%s", got)
				}
				if len(got) > 0 {
					t.Errorf("Render failed but wrote %d bytes:\n%s", len(got), got)
				}
				if report != nil {
					t.Errorf("Render failed but returned a report: %+v", report)
				}
				if updating() && !exists(errorFile) {
					writeOrRemove(t, errorFile, []byte(err.Error()+"\n"))
				}
				for _, want := range readLines(t, errorFile) {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not contain %q:\n%v", want, err)
					}
				}
				for _, v := range secretValues(parseEach(t, input)) {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error shows secret value %q: %v", v, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}

			var findings []string
			for _, f := range report.Findings {
				findings = append(findings, f.String())
			}
			if updating() {
				writeOrRemove(t, expectedFile, got)
				if !exists(expectedFile) {
					// An empty expected output still needs its file.
					if err := os.WriteFile(expectedFile, nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				var w []byte
				if len(findings) > 0 {
					w = []byte(strings.Join(findings, "\n") + "\n")
				}
				writeOrRemove(t, warningsFile, w)
			}
			want, err := os.ReadFile(expectedFile)
			if err != nil {
				t.Fatalf("%v (run go test ./generator -run TestGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Render output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(readLines(t, warningsFile), findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if !report.Config.IsEnabled() {
				if want := bytes.Join(rawWithoutConfigs(t, input), nil); !bytes.Equal(got, want) {
					t.Errorf("the overlay is disabled but the output is not the input (without configuration) byte for byte")
				}
			}
			for _, p := range checkInvariants(input, got, report, report.Config.Kinds) {
				t.Error(p)
			}
		})
	}
}

// parseEach parses each raw document of a stream that may not be valid YAML
// as a whole, and returns the documents that parse.
func parseEach(t *testing.T, data []byte) []any {
	t.Helper()
	var objs []any
	for _, raw := range splitRaw(data) {
		if o, err := parseStream(raw); err == nil {
			objs = append(objs, o...)
		}
	}
	return objs
}
