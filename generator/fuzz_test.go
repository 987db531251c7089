package generator

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/stream"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

// addGoldenSeeds seeds a fuzz target with every golden input.
func addGoldenSeeds(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*", "input.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden inputs to seed from (%v)", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzRender feeds arbitrary streams to Render, enabled and with a copy
// (plain, and with modes and an owner):
// it must not panic, and must either fail without output or give a stream
// that keeps every document, re-parses, renders again to itself and strips
// back to the input.
func FuzzRender(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a}], volumes: [{name: config, secret: {secretName: s}}]}\n"))
	configs := []overlay.Config{
		{Enabled: ptr.To(true)},
		{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "config"}}}},
		{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{
			{Name: "config", FileMode: ptr.To(overlay.Perm(0o600)), DirMode: ptr.To(overlay.Perm(0o700)), Owner: overlay.OwnerApp}}}},
		{Enabled: ptr.To(true), Copy: overlay.Copy{Volumes: []overlay.CopyVolume{{Name: "config", FileMode: ptr.To(overlay.Perm(0o400)), Owner: "1000:2000"}}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, cfg := range configs {
			out, report, err := render(cfg, data)
			if err != nil {
				if len(out) > 0 {
					t.Fatalf("Render failed (%v) but wrote %d bytes", err, len(out))
				}
				continue
			}
			if report == nil {
				t.Fatal("Render succeeded without a report")
			}
			for _, p := range checkInvariants(data, out, report, nil) {
				t.Error(p)
			}
		}
	})
}

// FuzzSplit checks that docReader gives back its input exactly, split where
// splitRaw splits, however the reader delivers the bytes, and that
// splitPreamble cuts each document into two parts that add up to it.
func FuzzSplit(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte("---"))
	f.Add([]byte("a: 1\n---\n---\n"))
	f.Add([]byte("--- # c\r\n---\tx\n----\n --- \n---a\n"))
	f.Add([]byte(strings.Repeat("x", 70<<10) + "\n---\n" + strings.Repeat("y", 140<<10)))
	f.Fuzz(func(t *testing.T, data []byte) {
		want := splitRaw(data)
		for _, r := range []struct {
			name string
			r    io.Reader
		}{
			{"whole", bytes.NewReader(data)},
			{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data))},
		} {
			var got [][]byte
			dr := stream.NewReader(r.r)
			for {
				doc, err := dr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				if len(doc) == 0 {
					t.Fatalf("%s: empty document", r.name)
				}
				got = append(got, bytes.Clone(doc))
			}
			if joined := bytes.Join(got, nil); !bytes.Equal(joined, data) {
				t.Fatalf("%s: the documents do not add up to the input (-want +got):\n%s", r.name, cmp.Diff(string(data), string(joined)))
			}
			if diff := cmp.Diff(toStrings(want), toStrings(got)); diff != "" {
				t.Fatalf("%s: documents (-splitRaw +docReader):\n%s", r.name, diff)
			}
		}
		for _, doc := range want {
			preamble, body := stream.SplitPreamble(doc)
			if !bytes.Equal(append(bytes.Clone(preamble), body...), doc) {
				t.Fatalf("stream.SplitPreamble(%q) = %q + %q", doc, preamble, body)
			}
		}
	})
}

func toStrings(docs [][]byte) []string {
	s := make([]string, len(docs))
	for i, d := range docs {
		s[i] = string(d)
	}
	return s
}
