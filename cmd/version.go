package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Tree states of VersionInfo.TreeState.
const (
	TreeClean   = "clean"
	TreeDirty   = "dirty"
	TreeUnknown = "unknown"
)

// unknownCommit stands for a commit the build did not record: a `go
// install module@version` build, or a build outside a git checkout.
const unknownCommit = "unknown"

// VersionInfo is what `version` prints: the release (set with -ldflags -X
// by make build and make dist, else the module version Go recorded, as for
// `go install ...@vX.Y.Z`), and the commit, its time and whether the tree
// had changes, from the VCS stamp Go writes into binaries built in a git
// checkout.
type VersionInfo struct {
	Version    string `json:"version"`
	Commit     string `json:"commit"`
	CommitDate string `json:"commitDate,omitempty"`
	TreeState  string `json:"treeState"`
	GoVersion  string `json:"goVersion"`
	Platform   string `json:"platform"`
}

// commit, commitDate and treeState are set by make dist with -ldflags -X,
// from git. Without them the VCS stamp Go writes into a binary built in a
// git checkout gives them (go build stamps nothing in a git worktree, or
// under -buildvcs=false).
var commit, commitDate, treeState string

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// BuildVersion describes the running binary.
func BuildVersion() VersionInfo {
	v := VersionInfo{
		Version:   version,
		Commit:    unknownCommit,
		TreeState: TreeUnknown,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := readBuildInfo(); ok {
		if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.CommitDate = s.Value
			case "vcs.modified":
				v.TreeState = map[bool]string{true: TreeDirty, false: TreeClean}[s.Value == "true"]
			}
		}
	}
	for _, x := range []struct {
		field   *string
		stamped string
	}{
		{&v.Commit, commit}, {&v.CommitDate, commitDate}, {&v.TreeState, treeState},
	} {
		if x.stamped != "" {
			*x.field = x.stamped
		}
	}
	return v
}

// Line is the one-line form: program, version, commit (with its date and
// the tree's state when known), Go version and platform.
func (v VersionInfo) Line(program string) string {
	commit := "commit " + v.Commit
	if v.Commit != unknownCommit {
		var notes []string
		if v.CommitDate != "" {
			notes = append(notes, v.CommitDate)
		}
		if v.TreeState == TreeDirty {
			notes = append(notes, "dirty tree")
		}
		if len(notes) > 0 {
			commit += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	return fmt.Sprintf("%s %s %s %s %s", program, v.Version, commit, v.GoVersion, v.Platform)
}

// Output formats of `version -o`.
const (
	versionText = ""
	versionJSON = "json"
)

// VersionOptions is `version`.
type VersionOptions struct {
	Output string

	program string
}

// NewVersionOptions returns the defaults: the one-line text.
func NewVersionOptions() *VersionOptions { return &VersionOptions{} }

// AddFlags registers the version flags.
func (o *VersionOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Output, "output", "o", versionText, `Output format: "json", or empty for one line`)
}

// Complete takes the program's name from the root command, so that the
// companion binary names itself.
func (o *VersionOptions) Complete(cmd *cobra.Command) {
	o.program = cmd.Root().Name()
}

// Validate rejects an unknown output format.
func (o *VersionOptions) Validate() error {
	if o.Output != versionText && o.Output != versionJSON {
		return fmt.Errorf("unknown --output %q: want %q or none", o.Output, versionJSON)
	}
	return nil
}

// Run prints the version.
func (o *VersionOptions) Run(out io.Writer) error {
	v := BuildVersion()
	if o.Output == versionJSON {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", data)
		return err
	}
	_, err := fmt.Fprintln(out, v.Line(o.program))
	return err
}

// NewVersionCommand returns `version`, for debug-overlay and for the
// companion kubectl-debug_overlay.
func NewVersionCommand() *cobra.Command {
	o := NewVersionOptions()
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and platform",
		Example: `  # One line
  debug-overlay version

  # As JSON
  debug-overlay version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Complete(cmd)
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.OutOrStdout())
		},
	}
	o.AddFlags(cmd)
	return cmd
}
