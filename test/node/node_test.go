//go:build linux

package node

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNodeNameFrom(t *testing.T) {
	for _, c := range []struct {
		name, host, hosts, want string
	}{
		{"host on loopback", "VM", "127.0.0.1 localhost\n127.0.0.1 vm\n", "vm"},
		{"host on 127.0.1.1", "box", "127.0.1.1 box.example box # Debian's way\n", "box"},
		{"host elsewhere", "box", "10.0.0.5 box\n", "localhost"},
		{"host commented out", "box", "# 127.0.0.1 box\n", "localhost"},
		{"no host name", "", "127.0.0.1 localhost\n", "localhost"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := nodeNameFrom(c.host, []byte(c.hosts)); got != c.want {
				t.Errorf("nodeNameFrom(%q) = %q, want %q", c.host, got, c.want)
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/a\040b`:  "/tmp/a b",
		`/plain`:       "/plain",
		`/tab\011end`:  "/tab\tend",
		`/trailing\04`: `/trailing\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := &state{Dir: dir, Owner: proc{Name: "owner", PID: 1, Start: 2}, Bridge: "knode0",
		Sysctls: map[string]string{"kernel.panic": "1"}, Outside: map[string][]string{"/run/containerd/s": {}}}
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(stateFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bridge != "knode0" || got.Sysctls["kernel.panic"] != "1" || got.Owner != s.Owner {
		t.Errorf("loaded %+v, saved %+v", got, s)
	}
	// A state file that names another run directory is refused: undo
	// would remove what is not the run's.
	other := filepath.Join(t.TempDir(), "state.json")
	data, _ := os.ReadFile(stateFile(dir))
	if err := os.WriteFile(other, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(other); err == nil {
		t.Errorf("loadState accepted a state file outside its run directory")
	}
}

func TestProcAlive(t *testing.T) {
	start, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !(proc{PID: os.Getpid(), Start: start}).alive() {
		t.Errorf("this process is not alive by its own start time")
	}
	if (proc{PID: os.Getpid(), Start: start + 1}).alive() {
		t.Errorf("a recorded start time that differs (PID reused) counts as alive")
	}
}

func TestKubeconfigCA(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(file, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:1\n    certificate-authority: /x/ca.crt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := kubeconfigCA(file); err != nil || got != "/x/ca.crt" {
		t.Errorf("kubeconfigCA = %q, %v; want /x/ca.crt", got, err)
	}
}
