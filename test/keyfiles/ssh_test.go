package keyfiles

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitSyncManifest is a program that reads an SSH key from a Secret, running
// as root, as git-sync's and many charts' sidecars do.
const gitSyncManifest = `apiVersion: v1
kind: Secret
metadata:
  name: git-ssh
data:
  id_ed25519: %s
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sync
spec:
  selector:
    matchLabels: {app: sync}
  template:
    metadata:
      labels: {app: sync}
    spec:
      securityContext:
        runAsUser: 0
      containers:
        - name: sync
          image: ghcr.io/example/sync:1.0
          volumeMounts:
            - name: ssh
              mountPath: /etc/git-secret
              readOnly: true
      volumes:
        - name: ssh
          secret:
            secretName: git-ssh
`

// TestSSHKeygenTakesTheCopiedKey runs the real `ssh-keygen -y -f KEY`,
// which loads a private key and prints its public key, as the app's user
// (root) on the key its container sees. OpenSSH checks the mode of a key
// that belongs to the user running it: kubelet's file is root's with mode
// 0644, "too open", and so is a copy that keeps that mode; the copy made
// with fileMode 0600 and owner app is root's with mode 0600, and gives the
// public key of the key pair.
func TestSSHKeygenTakesTheCopiedKey(t *testing.T) {
	dir := filepath.Join(tmpRoot, t.Name())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id_ed25519")
	runner.MustRun(t, exec.Command(sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "debug-overlay-test", "-f", key), nil)
	private, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	public, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf(gitSyncManifest, base64.StdEncoding.EncodeToString(private))
	wantPublic := strings.Join(strings.Fields(string(public))[:2], " ")

	for _, tc := range []struct {
		name   string
		args   []string
		want   fileInfo
		wantOK bool
	}{
		{name: "toggle off: the Secret file", want: fileInfo{mode: 0o644, link: true}},
		{name: "toggle on, a copy as it was: a regular file, kubelet's mode", args: []string{"--enable", "--copy-volume", "ssh"},
			want: fileInfo{mode: 0o644}},
		{name: "toggle on, fileMode 0600 and owner app", args: []string{"--enable", "--copy-volume", "ssh:fileMode=0600,owner=app"},
			want: fileInfo{mode: 0o600}, wantOK: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPod(t, "pod", manifest, tc.args...)
			c := p.container(t, "sync")
			file := filepath.Join(p.mountPath(t, c, "/etc/git-secret"), "id_ed25519")
			got := stat(t, file)
			t.Logf("the app sees %s: %v", file, got)
			if got != tc.want {
				t.Errorf("the key file is %v, want %v", got, tc.want)
			}
			res := runner.Run(t, p.user(t, c, false).command(sshKeygen, "-y", "-f", file), nil)
			if !tc.wantOK {
				want := fmt.Sprintf("Permissions 0644 for '%s' are too open.", file)
				if res.Code == 0 || !strings.Contains(string(res.Stderr), want) {
					t.Fatalf("ssh-keygen: exit %d, want it refused with %q; stderr:\n%s", res.Code, want, res.Stderr)
				}
				t.Logf("refused, as OpenSSH refuses such a key: %s", lineWith(string(res.Stderr), "too open"))
				return
			}
			if res.Code != 0 {
				t.Fatalf("ssh-keygen: exit %d; stderr:\n%s", res.Code, res.Stderr)
			}
			if got := strings.Join(strings.Fields(string(res.Stdout)), " "); !strings.HasPrefix(got, wantPublic) {
				t.Errorf("ssh-keygen -y printed %q, want the key pair's public key %q", got, wantPublic)
			}
			t.Logf("ssh-keygen -y: %s", strings.TrimSpace(string(res.Stdout)))
		})
	}
}
