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
	docs, bytes   int64
	tool          string
	wallMS, cpuMS float64
	rssKB         int64
	load1, load15 float64
	timedOut      bool
}

// group is every run of one tool on one size.
type group struct {
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
	find := func(docs int64, tool string) *group {
		for _, g := range groups {
			if g.docs == docs && g.tool == tool {
				return g
			}
		}
		return nil
	}
	for _, r := range rows {
		g := find(r.docs, r.tool)
		if g == nil {
			g = &group{docs: r.docs, bytes: r.bytes, tool: r.tool}
			groups = append(groups, g)
		}
		g.walls = append(g.walls, r.wallMS)
		g.cpus = append(g.cpus, r.cpuMS)
		g.loads = append(g.loads, r.load1)
		g.rssKB = max(g.rssKB, r.rssKB)
		g.timedOut = g.timedOut || r.timedOut
	}

	fmt.Println("| documents | input | tool | runs | median wall | min – max | median CPU | MB/s (wall) | wall per 1,000 docs | peak RSS | × cat | 1-min load |")
	fmt.Println("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range groups {
		m := g.median()
		more := ""
		if g.timedOut {
			more = "> " // stopped: a lower bound
		}
		ratio, rate, perDocs := "–", "–", "–"
		if c := find(g.docs, "cat"); c != nil && g.tool != "cat" {
			ratio = fmt.Sprintf("%s%.0f", more, m/c.median())
		}
		if g.docs > 0 {
			rate = fmt.Sprintf("%.1f", float64(g.bytes)/1e6/(m/1000))
			perDocs = more + dur(m/float64(g.docs)*1000)
		}
		fmt.Printf("| %d | %.1f MB | %s | %d | %s%s | %s – %s | %s%s | %s | %s | %.1f MiB | %s | %.2f – %.2f |\n",
			g.docs, float64(g.bytes)/1e6, g.tool, len(g.walls), more, dur(m), dur(slices.Min(g.walls)), dur(slices.Max(g.walls)),
			more, dur(median(g.cpus)), rate, perDocs, float64(g.rssKB)/1024, ratio, slices.Min(g.loads), slices.Max(g.loads))
	}

	fmt.Println()
	fmt.Println("| documents | kustomize ÷ debug-overlay | kustomize ÷ debug-overlay+copy | debug-overlay ÷ cat |")
	fmt.Println("|---:|---:|---:|---:|")
	for _, g := range groups {
		if g.tool != "cat" || g.docs == 0 {
			continue
		}
		cells := []string{strconv.FormatInt(g.docs, 10)}
		k := find(g.docs, "kustomize")
		for _, tool := range []string{"debug-overlay", "debug-overlay+copy"} {
			d := find(g.docs, tool)
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
		if d := find(g.docs, "debug-overlay"); d != nil {
			cells = append(cells, fmt.Sprintf("%.0f×", d.median()/g.median()))
		} else {
			cells = append(cells, "not run")
		}
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
	return nil
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
		if len(f) != 11 {
			return nil, fmt.Errorf("line %d: want 11 fields, got %d", line+1, len(f))
		}
		var r row
		var errs []error
		parse := func(s string) int64 { v, err := strconv.ParseInt(s, 10, 64); errs = append(errs, err); return v }
		parseF := func(s string) float64 { v, err := strconv.ParseFloat(s, 64); errs = append(errs, err); return v }
		r.docs, r.bytes, r.tool = parse(f[0]), parse(f[1]), f[2]
		r.wallMS, r.cpuMS, r.rssKB = parseF(f[4]), parseF(f[5]), parse(f[6])
		r.load1, r.load15 = parseF(f[7]), parseF(f[9])
		r.timedOut = f[10] == "yes"
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}
