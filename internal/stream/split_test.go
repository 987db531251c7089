package stream

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
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
		doc, err := dr.Next(nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
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
	doc, err := dr.Next(nil)
	if err != nil || string(doc) != "a: 1\n" {
		t.Fatalf("first document: %q, %v", doc, err)
	}
	if doc, err := dr.Next(nil); !errors.Is(err, boom) {
		t.Fatalf("second document: %q, %v; want the read error", doc, err)
	}
}
