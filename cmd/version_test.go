package cmd

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildVersion(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-05-01T10:00:00Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	for _, c := range []struct {
		name     string
		stamped  string    // the -X version
		xCommit  [3]string // the -X commit, commitDate and treeState
		info     *debug.BuildInfo
		want     VersionInfo
		wantLine string
	}{
		{
			name:    "make dist of a clean tree",
			stamped: "v1.2.3",
			info:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")},
			want: VersionInfo{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-05-01T10:00:00Z",
				TreeState: TreeClean, GoVersion: "go1.26.8"},
			wantLine: "prog v1.2.3 commit 0123456789abcdef0123456789abcdef01234567 (2026-05-01T10:00:00Z) go1.26.8",
		},
		{
			name:    "a dirty tree says so",
			stamped: "v1.2.3-4-g0123456-dirty",
			info:    &debug.BuildInfo{GoVersion: "go1.26.8", Settings: vcs("true")},
			want: VersionInfo{Version: "v1.2.3-4-g0123456-dirty", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-05-01T10:00:00Z",
				TreeState: TreeDirty, GoVersion: "go1.26.8"},
			wantLine: "prog v1.2.3-4-g0123456-dirty commit 0123456789abcdef0123456789abcdef01234567 (2026-05-01T10:00:00Z, dirty tree) go1.26.8",
		},
		{
			name:     "go install module@version: the module version, the commit unknown",
			stamped:  "dev",
			info:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/debug-overlay/debug-overlay", Version: "v1.2.3"}},
			want:     VersionInfo{Version: "v1.2.3", Commit: "unknown", TreeState: TreeUnknown, GoVersion: "go1.26.8"},
			wantLine: "prog v1.2.3 commit unknown go1.26.8",
		},
		{
			name:    "make dist in a git worktree: commit, date and tree from -X",
			stamped: "v1.2.3",
			xCommit: [3]string{"0123456789abcdef0123456789abcdef01234567", "2026-05-01T10:00:00Z", TreeClean},
			info:    &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: VersionInfo{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", CommitDate: "2026-05-01T10:00:00Z",
				TreeState: TreeClean, GoVersion: "go1.26.8"},
			wantLine: "prog v1.2.3 commit 0123456789abcdef0123456789abcdef01234567 (2026-05-01T10:00:00Z) go1.26.8",
		},
		{
			name:     "go build outside a checkout",
			stamped:  "dev",
			info:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want:     VersionInfo{Version: "dev", Commit: "unknown", TreeState: TreeUnknown, GoVersion: "go1.26.8"},
			wantLine: "prog dev commit unknown go1.26.8",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			stubVersion(t, c.stamped, c.info)
			commit, commitDate, treeState = c.xCommit[0], c.xCommit[1], c.xCommit[2]
			got := BuildVersion()
			c.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("BuildVersion() (-want +got):\n%s", diff)
			}
			if line, want := got.Line("prog"), c.wantLine+" "+c.want.Platform; line != want {
				t.Errorf("Line:\n got %q\nwant %q", line, want)
			}
		})
	}
}

func stubVersion(t *testing.T, stamped string, info *debug.BuildInfo) {
	t.Helper()
	oldVersion, oldRead, old := version, readBuildInfo, [3]string{commit, commitDate, treeState}
	t.Cleanup(func() {
		version, readBuildInfo, commit, commitDate, treeState = oldVersion, oldRead, old[0], old[1], old[2]
	})
	version = stamped
	readBuildInfo = func() (*debug.BuildInfo, bool) { return info, info != nil }
}

func TestVersionCommand(t *testing.T) {
	stubVersion(t, "v1.2.3", &debug.BuildInfo{GoVersion: "go1.26.8"})
	run := func(args ...string) (string, string, error) {
		root := NewRootCommand()
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(append([]string{"version"}, args...))
		err := root.Execute()
		return out.String(), errOut.String(), err
	}
	out, _, err := run()
	if err != nil || !strings.HasPrefix(out, "debug-overlay v1.2.3 commit unknown go1.26.8 ") || strings.Count(out, "\n") != 1 {
		t.Errorf("version: %v, %q", err, out)
	}
	out, _, err = run("-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got VersionInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("version -o json printed %q: %v", out, err)
	}
	if got.Version != "v1.2.3" || got.Commit != "unknown" || got.TreeState != TreeUnknown || got.GoVersion != "go1.26.8" || got.Platform == "" {
		t.Errorf("version -o json: %+v", got)
	}
	out, _, err = run("-o", "yaml")
	if err == nil || out != "" || !strings.Contains(err.Error(), `unknown --output "yaml"`) {
		t.Errorf("version -o yaml: err %v, stdout %q; want an error naming the format and nothing on stdout", err, out)
	}
}
