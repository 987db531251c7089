package docs

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// TestLinks: every relative link and every #anchor in the repository's
// Markdown files (README.md, BENCHMARKS.md, docs/ and any other) points at
// a file that exists and at a heading it has.
func TestLinks(t *testing.T) {
	root := repoRoot(t)
	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{"README.md", "BENCHMARKS.md", "docs/README.md"} {
		if !slices.Contains(files, must) {
			t.Errorf("the link check did not find %s among %v", must, files)
		}
	}
	problems, err := checkLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("checked the links of %d files", len(files))
}

// markdownFiles lists the Markdown files under root, slash-separated and
// relative to it, leaving out hidden directories and the git-ignored bin/
// and dist/, which hold built tools and artefacts.
func markdownFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "bin" || rel == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".md") {
			files = append(files, rel)
		}
		return nil
	})
	return files, err
}

var (
	// A heading: up to three spaces, one to six #, the text, optional
	// closing #s.
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	// An inline link or image: [text](target) or [text](target "title").
	linkRE = regexp.MustCompile(`!?\[([^\]]*)\]\(<?([^)\s>]*)>?(?:\s+"[^"]*")?\)`)
	// A link reference definition: [label]: target.
	refDefRE = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$`)
	// An HTML anchor: <a name="x"> or id="x".
	htmlAnchorRE = regexp.MustCompile(`<a\s[^>]*(?:name|id)="([^"]+)"`)
	// A URL scheme (https:, mailto:): a link that leaves the repository.
	schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
)

// mdLine is one line of a Markdown file outside fenced code blocks.
type mdLine struct {
	n    int // 1-based
	text string
}

// proseLines returns the lines of a Markdown file that are not inside a
// fenced code block (``` or ~~~, indented or not, as in list items).
func proseLines(text string) []mdLine {
	var out []mdLine
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]+" \t") == "" {
				fence = ""
			}
			continue
		}
		if f := fenceOpening(trimmed); f != "" {
			fence = f
			continue
		}
		out = append(out, mdLine{i + 1, line})
	}
	return out
}

// fenceOpening returns the run of three or more backquotes or tildes a
// line opens a code block with, or "".
func fenceOpening(trimmed string) string {
	for _, c := range []string{"`", "~"} {
		n := len(trimmed) - len(strings.TrimLeft(trimmed, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// anchors returns the anchors of a Markdown file: the ids GitHub gives its
// headings, and explicit HTML anchors.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	occurrences := map[string]int{}
	for _, l := range proseLines(text) {
		for _, m := range htmlAnchorRE.FindAllStringSubmatch(l.text, -1) {
			out[m[1]] = true
		}
		m := headingRE.FindStringSubmatch(l.text)
		if m == nil {
			continue
		}
		out[uniqueSlug(occurrences, slug(m[2]))] = true
	}
	return out
}

// uniqueSlug gives a repeated heading slug GitHub's suffix: the second
// "a" is "a-1", the third "a-2", skipping a suffix another heading already
// has as its own slug.
func uniqueSlug(occurrences map[string]int, base string) string {
	s := base
	for {
		if _, taken := occurrences[s]; !taken {
			break
		}
		occurrences[base]++
		s = fmt.Sprintf("%s-%d", base, occurrences[base])
	}
	occurrences[s] = 0
	return s
}

// slug is the anchor GitHub gives a heading: its text as rendered (a
// link's text, not its target; code spans without the backquotes),
// lowercased, every character dropped but letters, digits, marks, '-',
// '_' and spaces, and each space turned into '-'.
func slug(heading string) string {
	text := linkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// links returns the link targets of a Markdown file's prose, with their
// line numbers: inline links, images and reference definitions, not what
// code spans or code blocks show.
func links(text string) []mdLine {
	var out []mdLine
	for _, l := range proseLines(text) {
		if m := refDefRE.FindStringSubmatch(l.text); m != nil {
			out = append(out, mdLine{l.n, m[1]})
			continue
		}
		prose := withoutCodeSpans(l.text)
		for _, m := range linkRE.FindAllStringSubmatch(prose, -1) {
			out = append(out, mdLine{l.n, m[2]})
		}
	}
	return out
}

// checkLinks checks the relative links of the Markdown files (relative to
// root): the file a link names exists inside root, and the anchor it names
// is a heading or HTML anchor of that file. It returns one line per broken
// link, "file:line: target: why".
func checkLinks(root string, files []string) ([]string, error) {
	cache := map[string]map[string]bool{} // anchors by file, relative to root
	anchorsOf := func(rel string) (map[string]bool, error) {
		if a, ok := cache[rel]; ok {
			return a, nil
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		cache[rel] = anchors(string(data))
		return cache[rel], nil
	}

	var problems []string
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			return nil, err
		}
		for _, l := range links(string(data)) {
			if why := checkLink(root, file, l.text, anchorsOf); why != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", file, l.n, l.text, why))
			}
		}
	}
	return problems, nil
}

// checkLink checks one link target of file, both relative to root, and
// says what is wrong with it ("" when nothing is).
func checkLink(root, file, target string, anchorsOf func(string) (map[string]bool, error)) string {
	if target == "" {
		return "empty link"
	}
	if schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // leaves the repository: not checked here
	}
	pathPart, fragment, _ := strings.Cut(target, "#")
	p, err := url.PathUnescape(pathPart)
	if err != nil {
		return "bad escape in the path"
	}
	rel := file
	if p != "" {
		if strings.HasPrefix(p, "/") {
			rel = strings.TrimPrefix(p, "/") // GitHub reads /x as the repository's root
		} else {
			rel = filepath.ToSlash(filepath.Join(filepath.Dir(file), p))
		}
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return "points outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			return "no such file"
		}
	}
	if fragment == "" {
		return ""
	}
	if !strings.HasSuffix(rel, ".md") {
		return "an anchor into a file that is not Markdown"
	}
	anchor, err := url.PathUnescape(fragment)
	if err != nil {
		return "bad escape in the anchor"
	}
	a, err := anchorsOf(rel)
	if err != nil {
		return err.Error()
	}
	if !a[anchor] {
		return fmt.Sprintf("%s has no heading with the anchor #%s", rel, anchor)
	}
	return ""
}

// withoutCodeSpans replaces each code span of a line (a run of backquotes,
// its text, and a run of as many) with "code": what it shows is not a link.
func withoutCodeSpans(line string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		n := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
		run := line[i : i+n]
		rest := line[i+n:]
		end := -1
		for off := 0; ; {
			j := strings.Index(rest[off:], run)
			if j < 0 {
				break
			}
			j += off
			k := j + n
			if (j == 0 || rest[j-1] != '`') && (k == len(rest) || rest[k] != '`') {
				end = j
				break
			}
			off = k
			for off < len(rest) && rest[off] == '`' {
				off++
			}
		}
		if end < 0 { // no closing run: the backquotes are text
			b.WriteString(line[:i+n])
			line = rest
			continue
		}
		b.WriteString(line[:i])
		b.WriteString("code")
		line = rest[end+n:]
	}
}

// TestSlug: heading anchors as GitHub makes them, on headings of this
// repository's documentation.
func TestSlug(t *testing.T) {
	for _, c := range []struct{ heading, want string }{
		{"Live mode: running pods, no restart", "live-mode-running-pods-no-restart"},
		{"Dependencies, and why", "dependencies-and-why"},
		{"Live mode (`attach`), issue 14", "live-mode-attach-issue-14"},
		{"Summary: every target met at `31e6685`", "summary-every-target-met-at-31e6685"},
		{"1. Truncate yaml.v3's emitter queue: −20% at 10,000 documents (measured)",
			"1-truncate-yamlv3s-emitter-queue-20-at-10000-documents-measured"},
		{"`check` and the strategy", "check-and-the-strategy"},
		{"kubectl-debug_overlay and [its flags](flags.md)", "kubectl-debug_overlay-and-its-flags"},
		{"Ünïcode  two  spaces", "ünïcode--two--spaces"},
	} {
		if got := slug(c.heading); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
}

// TestLinkChecker runs the checker on a small tree in a temporary
// directory whose broken links are known: it must report exactly those.
func TestLinkChecker(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Title\n"+
		"\n"+
		"[ok](docs/a.md) [ok](docs/a.md#one-two) [ok](#repeated-1) [ok](#title)\n"+
		"[ok](./docs/) ![ok](img.png) [ok](https://example.com/nowhere.md#x)\n"+
		"[ok](docs/a.md#explicit) [ok](/docs/a.md#repeated) `[not a link](gone.md)`\n"+
		"\n"+
		"## Repeated\n"+
		"## Repeated\n"+
		"\n"+
		"```sh\n"+
		"[not a link](gone.md)\n"+
		"# not a heading\n"+
		"```\n"+
		"\n"+
		"[broken](docs/missing.md) [broken](#not-a-heading) [broken](#repeated-2)\n"+
		"[broken](docs/a.md#one) [broken](img.png#x) [broken](../outside.md)\n"+
		"\n"+
		"[ref]: docs/gone.md\n")
	write("img.png", "")
	write("docs/a.md", "# One, two!\n"+
		"\n"+
		"<a id=\"explicit\"></a>\n"+
		"\n"+
		"  ~~~\n"+
		"  ## Repeated\n"+
		"  ~~~\n"+
		"\n"+
		"## Repeated\n"+
		"\n"+
		"[ok](../README.md#repeated) [broken](../README.md#one-two)\n")

	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"README.md", "docs/a.md"}; !slices.Equal(files, want) {
		t.Fatalf("markdownFiles = %v, want %v", files, want)
	}
	got, err := checkLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md:15: docs/missing.md: no such file",
		"README.md:15: #not-a-heading: README.md has no heading with the anchor #not-a-heading",
		"README.md:15: #repeated-2: README.md has no heading with the anchor #repeated-2",
		"README.md:16: docs/a.md#one: docs/a.md has no heading with the anchor #one",
		"README.md:16: img.png#x: an anchor into a file that is not Markdown",
		"README.md:16: ../outside.md: points outside the repository",
		"README.md:18: docs/gone.md: no such file",
		"docs/a.md:11: ../README.md#one-two: README.md has no heading with the anchor #one-two",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkLinks (-want +got):\n%s", diff)
	}
}

// TestLinkCheckerOnBrokenDocs breaks a copy of the real documentation, a
// page gone and a heading renamed, and checks that the checker reports
// every link to them and nothing else.
func TestLinkCheckerOnBrokenDocs(t *testing.T) {
	repo := repoRoot(t)
	root := t.TempDir()
	files, err := markdownFiles(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Links into the rest of the repository (source files, charts) were
	// not copied: what the intact copy reports is the baseline.
	before, err := checkLinks(root, files)
	if err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(filepath.Join(root, "docs", "errors.md")); err != nil {
		t.Fatal(err)
	}
	limits := filepath.Join(root, "docs", "limits.md")
	data, err := os.ReadFile(limits)
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.Replace(string(data), "\n## Copies\n", "\n## Copied volumes\n", 1)
	if renamed == string(data) {
		t.Fatal("docs/limits.md has no heading \"## Copies\" to rename")
	}
	if err := os.WriteFile(limits, []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := checkLinks(root, slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "docs/errors.md" }))
	if err != nil {
		t.Fatal(err)
	}

	var toErrors, toCopies int
	for _, p := range after {
		if slices.Contains(before, p) {
			continue
		}
		switch {
		case strings.Contains(p, "errors.md: no such file"):
			toErrors++
		case strings.Contains(p, "limits.md#copies: docs/limits.md has no heading with the anchor #copies"):
			toCopies++
		default:
			t.Errorf("unexpected problem after breaking the copy: %s", p)
		}
	}
	if toErrors == 0 || toCopies == 0 {
		t.Errorf("after deleting docs/errors.md and renaming limits.md's \"Copies\", the checker reported %d broken links to the one and %d to the other, want some of each; all it reported:\n%s",
			toErrors, toCopies, strings.Join(after, "\n"))
	}
	t.Logf("%d links to docs/errors.md and %d to docs/limits.md#copies reported broken", toErrors, toCopies)
}
