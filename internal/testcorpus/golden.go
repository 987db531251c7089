package testcorpus

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
)

// GoldenDir returns the folder of the golden cases, generator/testdata/golden.
func GoldenDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "generator", "testdata", "golden")
}

// GoldenInputs returns every golden case's input stream.
func GoldenInputs(tb testing.TB) [][]byte {
	tb.Helper()
	inputs, err := filepath.Glob(filepath.Join(GoldenDir(), "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		tb.Fatalf("no golden inputs: %v", err)
	}
	var streams [][]byte
	for _, path := range inputs {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		streams = append(streams, data)
	}
	return streams
}

// GoldenDocs returns the raw documents of every golden case's input.
func GoldenDocs(tb testing.TB) [][]byte {
	tb.Helper()
	var docs [][]byte
	for _, s := range GoldenInputs(tb) {
		docs = append(docs, SplitRaw(s)...)
	}
	return docs
}

// separatorLine finds the lines that start a document: `---` at column 0,
// alone or followed by a blank or a comment. It is written independently of
// the stream package's reader, so tests can check one against the other.
var separatorLine = regexp.MustCompile(`(?m)^---(?:[ \t\r]|$)`)

// SplitRaw splits a stream into raw documents the way the renderer
// promises to keep them: each one from its separator line up to the next.
func SplitRaw(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for _, loc := range separatorLine.FindAllIndex(data, -1) {
		if loc[0] > start {
			docs = append(docs, data[start:loc[0]])
		}
		start = loc[0]
	}
	if start < len(data) {
		docs = append(docs, data[start:])
	}
	return docs
}
