package stream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/debug-overlay/debug-overlay/hack/bench/streamgen"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
)

func TestDocReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{name: "empty stream", input: "", want: nil},
		{name: "one document without separator", input: "a: 1\n", want: []string{"a: 1\n"}},
		{name: "leading separator", input: "---\na: 1\n", want: []string{"---\na: 1\n"}},
		{
			name:  "comment before the first separator stays a document",
			input: "# top\n---\na: 1\n",
			want:  []string{"# top\n", "---\na: 1\n"},
		},
		{
			name:  "separators with comments, tabs and CRLF",
			input: "--- # one\r\na: 1\r\n---\tb\n---\r\n",
			want:  []string{"--- # one\r\na: 1\r\n", "---\tb\n", "---\r\n"},
		},
		{
			name:  "not separators",
			input: "a: |\n  ---\n----\n---x\n --- \n",
			want:  []string{"a: |\n  ---\n----\n---x\n --- \n"},
		},
		{
			name:  "column-0 marker inside a block scalar still splits",
			input: "a: |\n  x\n---\n  y\n",
			want:  []string{"a: |\n  x\n", "---\n  y\n"},
		},
		{name: "separator without newline at the end", input: "a: 1\n---", want: []string{"a: 1\n", "---"}},
		{name: "empty documents", input: "---\n---\n---\n", want: []string{"---\n", "---\n", "---\n"}},
		{name: "line longer than the buffer", input: strings.Repeat("x", 100<<10) + "\n---\n", want: []string{strings.Repeat("x", 100<<10) + "\n", "---\n"}},
		{
			name:  "document larger than a read block",
			input: "---\na: |\n" + strings.Repeat("  x---\n", ReadBlock/4) + "---\nb: 1\n",
			want:  []string{"---\na: |\n" + strings.Repeat("  x---\n", ReadBlock/4), "---\nb: 1\n"},
		},
		{name: "dashes that are not markers", input: "a: -\n--\n-- -\n----\n- ---\n---", want: []string{"a: -\n--\n-- -\n----\n- ---\n", "---"}},
	}
	readers := []struct {
		name string
		r    func(string) io.Reader
	}{
		{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
		{"a byte at a time", func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }},
		{"with the last bytes", func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) }},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				testDocReader(t, rd.r(tt.input), tt.want)
			})
		}
	}
}

// testDocReader reads every document of r and compares them with want.
func testDocReader(t *testing.T, r io.Reader, want []string) {
	t.Helper()
	dr := NewReader(r)
	var got []string
	for {
		doc, err := dr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(scanHeaderLines(doc), dr.Header()); diff != "" {
			t.Fatalf("document %d %q: Header (-line scan +Reader):\n%s", len(got), doc, diff)
		}
		got = append(got, string(doc))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

func TestSplitPreamble(t *testing.T) {
	tests := []struct {
		name         string
		raw          string
		wantPreamble string
	}{
		{name: "Helm 3 source comment", raw: "---\n# Source: a/b.yaml\napiVersion: v1\n", wantPreamble: "---\n# Source: a/b.yaml\n"},
		{name: "no separator", raw: "apiVersion: v1\n", wantPreamble: ""},
		{name: "blank lines and indented comments", raw: "---\n\n  # x\n\napiVersion: v1\n", wantPreamble: "---\n\n  # x\n\n"},
		{name: "separator with a comment", raw: "--- # c\napiVersion: v1\n", wantPreamble: "--- # c\n"},
		{name: "separator with content", raw: "--- {a: 1}\n", wantPreamble: ""},
		{name: "only comments", raw: "---\n# nothing\n", wantPreamble: "---\n# nothing\n"},
		{name: "byte order mark", raw: "\ufeff---\n# Source: x\na: 1\n", wantPreamble: "\ufeff---\n# Source: x\n"},
		{name: "byte order mark before content", raw: "\ufeffa: 1\n", wantPreamble: "\ufeff"},
		{name: "CRLF", raw: "---\r\n# Source: x\r\na: 1\r\n", wantPreamble: "---\r\n# Source: x\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			preamble, body := SplitPreamble([]byte(tt.raw))
			if got := string(preamble); got != tt.wantPreamble {
				t.Errorf("preamble = %q, want %q", got, tt.wantPreamble)
			}
			if got := string(preamble) + string(body); got != tt.raw {
				t.Errorf("preamble + body = %q, want the document %q", got, tt.raw)
			}
		})
	}
}

// TestDocReaderError: a read error ends the stream with that error, after
// the documents known to be complete before it.
func TestDocReaderError(t *testing.T) {
	boom := errors.New("boom")
	dr := NewReader(io.MultiReader(strings.NewReader("a: 1\n---\nb: 2\n"), iotest.ErrReader(boom)))
	doc, err := dr.Next()
	if err != nil || string(doc) != "a: 1\n" {
		t.Fatalf("first document: %q, %v", doc, err)
	}
	if doc, err := dr.Next(); !errors.Is(err, boom) {
		t.Fatalf("second document: %q, %v; want the read error", doc, err)
	}
}

// TestSpoolReader: a spooling Reader gives the documents a plain one gives,
// and leaves the whole stream in its Spool, each document at its Offset,
// whether the Spool keeps it all in memory, goes to a file on the way or
// holds nothing in memory at all.
func TestSpoolReader(t *testing.T) {
	streams := map[string][]byte{
		"CRDs":          streamgen.Generate(streamgen.Options{Docs: 3, Seed: 1, CRDs: true}),
		"release":       streamgen.Generate(streamgen.Options{Docs: 700, Seed: 1}),
		"one document":  []byte("a:\n" + strings.Repeat("  b: c\n", (spoolBuffer+ReadBlock)/7)),
		"empty":         nil,
		"markers only":  []byte("---\n---\n---"),
		"golden inputs": bytes.Join(testcorpus.GoldenInputs(t), nil),
		"Helm 4":        helm4Stream(streamgen.Generate(streamgen.Options{Docs: 300, Seed: 2})),
		"byte order mark": append([]byte("\ufeff---\n# Source: a.yaml\n"),
			helm4Stream(streamgen.Generate(streamgen.Options{Docs: 1, Seed: 3, CRDs: true}))...),
	}
	for name, data := range streams {
		for _, limit := range []int64{1 << 30, int64(len(data)) / 2, 0} {
			t.Run(fmt.Sprintf("%s/limit=%d", name, limit), func(t *testing.T) {
				testSpoolReader(t, data, limit, bytes.NewReader(data))
			})
		}
		t.Run(name+"/in pieces", func(t *testing.T) {
			testSpoolReader(t, data, 1<<30, &piecesReader{r: bytes.NewReader(data)})
		})
		if len(data) < 300<<10 {
			t.Run(name+"/a byte at a time", func(t *testing.T) {
				testSpoolReader(t, data, 1<<30, iotest.OneByteReader(bytes.NewReader(data)))
			})
		}
	}
}

// FuzzSpoolReader: on any input, a spooling Reader splits where the
// reference splitter does and leaves the input in its Spool.
func FuzzSpoolReader(f *testing.F) {
	for _, in := range testcorpus.GoldenInputs(f) {
		f.Add(in, uint16(0))
	}
	f.Add([]byte("a: 1\n---\n---\n"), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		testSpoolReader(t, data, int64(limit), bytes.NewReader(data))
	})
}

func testSpoolReader(t *testing.T, data []byte, limit int64, r io.Reader) {
	t.Helper()
	s := NewSpool(t.TempDir(), limit)
	defer s.Close()
	dr := NewSpoolReader(r, s)
	var docs [][]byte
	var offs []int64
	for {
		doc, err := dr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(scanHeaderLines(doc), dr.Header()); diff != "" {
			t.Fatalf("document %d %q: Header (-line scan +Reader):\n%s", len(docs), doc, diff)
		}
		docs = append(docs, bytes.Clone(doc))
		offs = append(offs, dr.Offset())
	}
	if diff := cmp.Diff(toStrings(testcorpus.SplitRaw(data)), toStrings(docs)); diff != "" {
		t.Fatalf("documents (-reference +spooling Reader):\n%s", diff)
	}
	if s.Size() != int64(len(data)) {
		t.Fatalf("the Spool holds %d bytes, want %d", s.Size(), len(data))
	}
	for i, doc := range docs {
		got := make([]byte, len(doc))
		if _, err := s.ReadAt(got, offs[i]); err != nil || !bytes.Equal(got, doc) {
			t.Fatalf("document %d at %d: %q, %v; want %q", i, offs[i], got, err, doc)
		}
	}
	var all bytes.Buffer
	if _, err := s.WriteTo(&all); err != nil || !bytes.Equal(all.Bytes(), data) {
		t.Fatalf("WriteTo: %v, or the bytes differ", err)
	}
}

// piecesReader reads r in pieces of 1 to 97 bytes, so that lines, markers
// and annotations end up split across reads in every way.
type piecesReader struct {
	r io.Reader
	n int
}

func (p *piecesReader) Read(b []byte) (int, error) {
	p.n = p.n%97 + 1
	return p.r.Read(b[:min(len(b), p.n)])
}

// helm4Stream is a Helm 3 stream as Helm 4 sends it: no source comments,
// the templates' names in annotations.
func helm4Stream(data []byte) []byte {
	var out []byte
	for _, d := range testcorpus.SplitRaw(data) {
		out = append(out, helm4Document(d)...)
	}
	return out
}

func toStrings(docs [][]byte) []string {
	s := make([]string, len(docs))
	for i, d := range docs {
		s[i] = string(d)
	}
	return s
}
