package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// row is one measured run from compare.sh's results.tsv.
type row struct {
	stream        string // the number of documents, or crds
	docs, bytes   int64
	tool          string
	wallMS, cpuMS float64
	rssKB         int64
	load1, load15 float64
	timedOut      bool
}

// group is every run of one tool on one stream.
type group struct {
	stream      string
	docs, bytes int64
	tool        string
	walls, cpus []float64
	loads       []float64
	rssKB       int64
	timedOut    bool // a run was stopped: the times are lower bounds
}

func (g *group) median() float64 { return median(g.walls) }

func median(xs []float64) float64 {
	w := slices.Clone(xs)
	slices.Sort(w)
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

// table prints compare.sh's results as Markdown: one row per tool and size,
// then the ratios to kustomize.
func table(args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	in := fs.String("in", "results.tsv", "Results written by compare.sh")
	instr := fs.String("instructions", "", "Instruction counts written by compare.sh (CALLGRIND=1), if any")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := readRows(f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *in, err)
	}
	var groups []*group
	find := func(stream, tool string) *group {
		for _, g := range groups {
			if g.stream == stream && g.tool == tool {
				return g
			}
		}
		return nil
	}
	for _, r := range rows {
		g := find(r.stream, r.tool)
		if g == nil {
			g = &group{stream: r.stream, docs: r.docs, bytes: r.bytes, tool: r.tool}
			groups = append(groups, g)
		}
		g.walls = append(g.walls, r.wallMS)
		g.cpus = append(g.cpus, r.cpuMS)
		g.loads = append(g.loads, r.load1)
		g.rssKB = max(g.rssKB, r.rssKB)
		g.timedOut = g.timedOut || r.timedOut
	}

	fmt.Println("| stream | input | tool | runs | median wall | min – max | median CPU | MB/s (wall) | wall per 1,000 docs | peak RSS | × cat | 1-min load |")
	fmt.Println("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range groups {
		m := g.median()
		more := ""
		if g.timedOut {
			more = "> " // stopped: a lower bound
		}
		ratio, rate, perDocs := "–", "–", "–"
		if c := find(g.stream, "cat"); c != nil && g.tool != "cat" {
			ratio = fmt.Sprintf("%s%.0f", more, m/c.median())
		}
		if g.docs > 0 {
			rate = fmt.Sprintf("%.1f", float64(g.bytes)/1e6/(m/1000))
			perDocs = more + dur(m/float64(g.docs)*1000)
		}
		fmt.Printf("| %s | %.1f MB | %s | %d | %s%s | %s – %s | %s%s | %s | %s | %.1f MiB | %s | %.2f – %.2f |\n",
			streamName(g), float64(g.bytes)/1e6, g.tool, len(g.walls), more, dur(m), dur(slices.Min(g.walls)), dur(slices.Max(g.walls)),
			more, dur(median(g.cpus)), rate, perDocs, float64(g.rssKB)/1024, ratio, slices.Min(g.loads), slices.Max(g.loads))
	}

	if find("100", "kustomize") != nil || find("1000", "kustomize") != nil || find("10000", "kustomize") != nil {
		fmt.Println()
		fmt.Println("| documents | kustomize ÷ debug-overlay | kustomize ÷ debug-overlay+copy | debug-overlay ÷ cat |")
		fmt.Println("|---:|---:|---:|---:|")
		for _, g := range groups {
			if g.tool != "cat" || g.docs == 0 || g.stream == "crds" {
				continue
			}
			cells := []string{g.stream}
			k := find(g.stream, "kustomize")
			for _, tool := range []string{"debug-overlay", "debug-overlay+copy"} {
				d := find(g.stream, tool)
				if k == nil || d == nil {
					cells = append(cells, "not run")
					continue
				}
				more := ""
				if k.timedOut {
					more = "> "
				}
				cells = append(cells, fmt.Sprintf("%s%.1f×", more, k.median()/d.median()))
			}
			if d := find(g.stream, "debug-overlay"); d != nil {
				cells = append(cells, fmt.Sprintf("%.0f×", d.median()/g.median()))
			} else {
				cells = append(cells, "not run")
			}
			fmt.Printf("| %s |\n", strings.Join(cells, " | "))
		}
	}
	revisions(groups, find)
	crdGoal(groups, find)
	if *instr != "" {
		return instructions(*instr)
	}
	return nil
}

// instructions prints the instruction counts of compare.sh's CALLGRIND=1
// runs, each TOOL@REV beside the first revision's.
func instructions(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	type count struct {
		stream, tool string
		n            float64
	}
	var counts []count
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		if line == 0 {
			continue
		}
		if len(fields) != 3 {
			return fmt.Errorf("%s: line %d: want 3 fields, got %d", path, line+1, len(fields))
		}
		n, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", path, line+1, err)
		}
		counts = append(counts, count{fields[0], fields[1], n})
	}
	if err := sc.Err(); err != nil || len(counts) == 0 {
		return err
	}
	fmt.Println()
	fmt.Println("Instructions (user space, counted by callgrind, one run each):")
	fmt.Println()
	fmt.Println("| stream | tool | instructions | ÷ first revision |")
	fmt.Println("|---|---|---:|---:|")
	for _, c := range counts {
		ratio := "–"
		if tool, _, ok := strings.Cut(c.tool, "@"); ok {
			for _, first := range counts {
				if first.stream == c.stream && strings.HasPrefix(first.tool, tool+"@") {
					ratio = fmt.Sprintf("%.2f", c.n/first.n)
					break
				}
			}
		}
		name := c.stream
		if name == "crds" {
			name = "CRDs only"
		}
		fmt.Printf("| %s | %s | %.1f M | %s |\n", name, c.tool, c.n/1e6, ratio)
	}
	return nil
}

// streamName labels a stream for tables.
func streamName(g *group) string {
	if g.stream == "crds" {
		return fmt.Sprintf("CRDs only (%d)", g.docs)
	}
	return g.stream
}

// revisions prints, when compare.sh compared revisions (tools named
// TOOL@REV), each revision's medians beside the first one's.
func revisions(groups []*group, find func(stream, tool string) *group) {
	var revs, tools []string
	for _, g := range groups {
		tool, rev, ok := strings.Cut(g.tool, "@")
		if !ok {
			continue
		}
		if !slices.Contains(revs, rev) {
			revs = append(revs, rev)
		}
		if !slices.Contains(tools, tool) {
			tools = append(tools, tool)
		}
	}
	if len(revs) < 2 {
		return
	}
	fmt.Println()
	fmt.Printf("Revisions side by side, median wall (min – max), median CPU, peak RSS; the ratio is to %s.\n\n", revs[0])
	head, line := "| stream | tool | runs |", "|---|---|---:|"
	for i, r := range revs {
		head += fmt.Sprintf(" %s wall | %s CPU | %s RSS |", r, r, r)
		line += "---:|---:|---:|"
		if i > 0 {
			head += fmt.Sprintf(" %s ÷ %s wall | CPU |", r, revs[0])
			line += "---:|---:|"
		}
	}
	fmt.Println(head)
	fmt.Println(line)
	for _, g := range groups {
		tool, rev, ok := strings.Cut(g.tool, "@")
		if !ok || rev != revs[0] || !slices.Contains(tools, tool) {
			continue
		}
		cells := []string{streamName(g), tool, strconv.Itoa(len(g.walls))}
		for i, r := range revs {
			o := find(g.stream, tool+"@"+r)
			if o == nil {
				cells = append(cells, "not run", "", "")
				continue
			}
			cells = append(cells, fmt.Sprintf("%s (%s – %s)", dur(o.median()), dur(slices.Min(o.walls)), dur(slices.Max(o.walls))),
				dur(median(o.cpus)), fmt.Sprintf("%.1f MiB", float64(o.rssKB)/1024))
			if i > 0 {
				cells = append(cells, fmt.Sprintf("%.2f", o.median()/g.median()), fmt.Sprintf("%.2f", median(o.cpus)/median(g.cpus)))
			}
		}
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
}

// crdGoal prints, for the CRD-only stream, how each debug-overlay compares
// with issue 22's goal: within 2 × cat plus its own process start (its
// median on the empty stream).
func crdGoal(groups []*group, find func(stream, tool string) *group) {
	c := find("crds", "cat")
	if c == nil {
		return
	}
	fmt.Println()
	fmt.Println("| CRD-only stream | median wall | cat | process start | goal: 2 × cat + start | ÷ goal | median CPU | goal in CPU |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range groups {
		if g.stream != "crds" || g.tool == "cat" {
			continue
		}
		startTool := "debug-overlay"
		if _, rev, ok := strings.Cut(g.tool, "@"); ok {
			startTool += "@" + rev
		}
		s := find("0", startTool)
		if s == nil {
			continue
		}
		goal := 2*c.median() + s.median()
		cpuGoal := 2*median(c.cpus) + median(s.cpus)
		fmt.Printf("| %s | %s | %s | %s | %s | %.2f | %s | %s |\n", g.tool, dur(g.median()), dur(c.median()), dur(s.median()),
			dur(goal), g.median()/goal, dur(median(g.cpus)), dur(cpuGoal))
	}
}

// dur formats milliseconds for people.
func dur(ms float64) string {
	switch {
	case ms >= 10000:
		return fmt.Sprintf("%.0f s", ms/1000)
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

func readRows(r io.Reader) ([]row, error) {
	var rows []row
	sc := bufio.NewScanner(r)
	for line := 0; sc.Scan(); line++ {
		f := strings.Split(sc.Text(), "\t")
		if line == 0 {
			continue // header
		}
		if len(f) != 12 {
			return nil, fmt.Errorf("line %d: want 12 fields, got %d", line+1, len(f))
		}
		var r row
		var errs []error
		parse := func(s string) int64 { v, err := strconv.ParseInt(s, 10, 64); errs = append(errs, err); return v }
		parseF := func(s string) float64 { v, err := strconv.ParseFloat(s, 64); errs = append(errs, err); return v }
		r.stream, r.docs, r.bytes, r.tool = f[0], parse(f[1]), parse(f[2]), f[3]
		r.wallMS, r.cpuMS, r.rssKB = parseF(f[5]), parseF(f[6]), parse(f[7])
		r.load1, r.load15 = parseF(f[8]), parseF(f[10])
		r.timedOut = f[11] == "yes"
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}
