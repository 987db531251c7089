package attach_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/debug-overlay/debug-overlay/cmd"
	"github.com/debug-overlay/debug-overlay/cmd/argocd"
	"github.com/debug-overlay/debug-overlay/cmd/attach"
)

// flagName is lowercase words joined by hyphens.
var flagName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// TestHelpStyle holds every command of the three binaries to the style of its
// help (STYLE.md, "Commands"): flags lowercase-with-hyphens; the short
// description and each flag's help start upper-case and end without a
// period; every example line has a # comment above it. Cobra's --help
// and kubectl's connection flags (attach) keep their own wording. It lives
// here, where client-go is linked anyway, rather than in cmd, whose test
// binary would triple in size.
func TestHelpStyle(t *testing.T) {
	theirs := pflag.NewFlagSet("theirs", pflag.ContinueOnError)
	theirs.Bool("help", false, "")
	genericclioptions.NewConfigFlags(true).AddFlags(theirs)

	for _, root := range []*cobra.Command{cmd.NewRootCommand(), attach.NewRootCommand(), argocd.NewRootCommand()} {
		walk(root, func(c *cobra.Command) {
			path := c.CommandPath()
			if err := oneLine(c.Short); err != nil {
				t.Errorf("%s: Short %q %v", path, c.Short, err)
			}
			if err := examples(c.Example); err != nil {
				t.Errorf("%s: Example %v", path, err)
			}
			c.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if g := theirs.Lookup(f.Name); g != nil && g.Usage == f.Usage {
					return
				}
				if !flagName.MatchString(f.Name) {
					t.Errorf("%s --%s: want lowercase words joined by hyphens", path, f.Name)
				}
				if err := oneLine(f.Usage); err != nil {
					t.Errorf("%s --%s: help %q %v", path, f.Name, f.Usage, err)
				}
			})
		})
	}
}

func walk(c *cobra.Command, visit func(*cobra.Command)) {
	visit(c)
	for _, sub := range c.Commands() {
		walk(sub, visit)
	}
}

// oneLine checks a one-line help text.
func oneLine(s string) error {
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case s == "":
		return errors.New("is empty")
	case !unicode.IsUpper(r):
		return errors.New("does not start upper-case")
	case strings.HasSuffix(s, "."):
		return errors.New("ends with a period")
	}
	return nil
}

// examples checks that every line of an Example that is not a comment
// follows a comment line.
func examples(s string) error {
	prev := ""
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(prev, "#") {
			return fmt.Errorf("line %d, %q, has no # comment above it", i+1, line)
		}
		prev = line
	}
	return nil
}
