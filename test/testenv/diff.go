package testenv

import (
	"fmt"
	"strings"
)

// LineDiff returns a line diff of want and got for a test failure or log:
// "- " marks a line only in want, "+ " one only in got, "  " a line of
// context, of which it shows up to context lines around each change, and
// "  ..." stands for lines left out. It returns "" when want and got are
// equal.
func LineDiff(want, got string, context int) string {
	if want == got {
		return ""
	}
	a, b := lines(want), lines(got)
	// Longest common subsequence, by dynamic programming: the texts here
	// are a few hundred lines.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var edits []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			edits = append(edits, line{' ', a[i]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			edits = append(edits, line{'+', b[j]})
			j++
		default:
			edits = append(edits, line{'-', a[i]})
			i++
		}
	}
	var out strings.Builder
	last := -1
	for k, l := range edits {
		near := false
		for d := max(0, k-context); d <= min(len(edits)-1, k+context); d++ {
			if edits[d].op != ' ' {
				near = true
				break
			}
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			out.WriteString("  ...\n")
		}
		last = k
		text := strings.TrimSuffix(l.text, "\n")
		if !strings.HasSuffix(l.text, "\n") && l.op != ' ' {
			text += " (no newline at end)"
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, text)
	}
	return out.String()
}

// lines splits s after each newline; a final newline ends the last line
// rather than starting an empty one.
func lines(s string) []string {
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
