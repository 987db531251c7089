package keyfiles

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dbManifest is PostgreSQL as a chart would install it, with its TLS key
// in a Secret: the pod runs as the postgres user (%[1]d), with an fsGroup.
const dbManifest = `apiVersion: v1
kind: Secret
metadata:
  name: db-tls
type: kubernetes.io/tls
data:
  tls.crt: %[2]s
  tls.key: %[3]s
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      securityContext:
        runAsUser: %[1]d
        fsGroup: 2000
      containers:
        - name: postgres
          image: postgres:15
          args: [-c, ssl=on, -c, ssl_cert_file=/tls/tls.crt, -c, ssl_key_file=/tls/tls.key]
          volumeMounts:
            - name: tls
              mountPath: /tls
              readOnly: true
      volumes:
        - name: tls
          secret:
            secretName: db-tls
`

// TestPostgresTakesTheCopiedKey starts the real PostgreSQL with ssl=on and
// the TLS key its container sees: from the Secret volume it refuses to
// start ("has group or world access": kubelet's file is root's, mode 0644,
// in the fsGroup), and from a copy that keeps kubelet's mode too; from the
// copy made with fileMode 0600 and owner app it starts, and a client gets
// a TLS connection.
func TestPostgresTakesTheCopiedKey(t *testing.T) {
	start := time.Now()
	uid, err := strconv.ParseInt(pgUser.Uid, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	crt, key := selfSigned(t)
	manifest := fmt.Sprintf(dbManifest, uid, base64.StdEncoding.EncodeToString(crt), base64.StdEncoding.EncodeToString(key))
	data := initdb(t)

	for _, tc := range []struct {
		name string
		args []string
		// want is the key file's mode and owner; wantOK whether postgres
		// starts with it.
		want   fileInfo
		wantOK bool
	}{
		{name: "toggle off: the Secret file", want: fileInfo{mode: 0o644, gid: 2000, link: true}},
		{name: "toggle on, a copy as it was: regular files, kubelet's modes", args: []string{"--enable", "--copy-volume", "tls"},
			want: fileInfo{mode: 0o644, uid: uint32(uid), gid: 2000}},
		{name: "toggle on, fileMode 0600 and owner app", args: []string{"--enable", "--copy-volume", "tls:fileMode=0600,owner=app"},
			want: fileInfo{mode: 0o600, uid: uint32(uid), gid: 2000}, wantOK: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPod(t, "pod", manifest, tc.args...)
			c := p.container(t, "postgres")
			tls := p.mountPath(t, c, "/tls")
			keyFile := filepath.Join(tls, "tls.key")
			got := stat(t, keyFile)
			t.Logf("postgres sees %s: %v", keyFile, got)
			if got != tc.want {
				t.Errorf("the key file is %v, want %v", got, tc.want)
			}
			log, ready := runPostgres(t, p.user(t, c, false), data, tls)
			refusal := fmt.Sprintf(`private key file "%s" has group or world access`, keyFile)
			switch {
			case tc.wantOK && !ready:
				t.Fatalf("postgres did not start with the key; log:\n%s", log)
			case !tc.wantOK && (ready || !strings.Contains(log, refusal)):
				t.Fatalf("postgres: ready %v, want it refused with %q; log:\n%s", ready, refusal, log)
			case !tc.wantOK:
				t.Logf("refused, as PostgreSQL refuses such a key: %s", lineWith(log, refusal))
			}
		})
	}
	t.Logf("%v", time.Since(start).Round(time.Millisecond))
}

// selfSigned makes a TLS certificate and its key, PEM-encoded.
func selfSigned(t *testing.T) (crt, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "db"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

// initdb makes a database cluster owned by the postgres user.
func initdb(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(tmpRoot, t.Name(), "pgdata")
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	id := identity{uid: int64(uid), gid: int64(gid)}
	cmd := id.command(filepath.Join(pgBin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "--no-sync")
	cmd.Env = []string{"LANG=C.UTF-8", "PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	runner.MustRun(t, cmd, nil)
	return dir
}

// runPostgres starts PostgreSQL as id on the cluster in data, with ssl on
// and the key and certificate in dir, and reports its log and whether it
// came up; if it did, a client connects with TLS required and checks that
// the connection uses it, then the server is stopped.
func runPostgres(t *testing.T, id identity, data, dir string) (log string, ready bool) {
	t.Helper()
	port := freePort(t)
	cmd := id.command(filepath.Join(pgBin, "postgres"), "-D", data,
		"-c", "ssl=on", "-c", "ssl_cert_file="+filepath.Join(dir, "tls.crt"), "-c", "ssl_key_file="+filepath.Join(dir, "tls.key"),
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port), "-c", "unix_socket_directories=",
		"-c", "logging_collector=off")
	cmd.Env = []string{"LANG=C.UTF-8"}
	cmd.Dir = "/"
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$ %s", runner.CommandLine(cmd))
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			lines <- s.Text()
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var b strings.Builder
	timeout := time.After(time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break wait
			}
			b.WriteString(l + "\n")
			if strings.Contains(l, "database system is ready to accept connections") {
				ready = true
				break wait
			}
		case <-timeout:
			break wait
		}
	}
	if ready {
		t.Logf("postgres ready after %v", time.Since(started).Round(time.Millisecond))
		psql := exec.Command(filepath.Join(pgBin, "psql"), "-X", "-tA",
			fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=require", port),
			"-c", "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
		out := strings.TrimSpace(string(runner.MustRun(t, psql, nil)))
		t.Logf("a client's connection: ssl|version = %s", out)
		if !strings.HasPrefix(out, "t|TLS") {
			t.Errorf("the client's connection is %q, want it over TLS", out)
		}
		_ = cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	} else if cmd.ProcessState == nil {
		_ = cmd.Process.Signal(syscall.SIGINT)
	}
	for l := range lines {
		b.WriteString(l + "\n")
	}
	err = cmd.Wait()
	t.Logf("postgres exited (%v) after %v", err, time.Since(started).Round(time.Millisecond))
	return b.String(), ready
}

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lineWith returns the line of log that holds s.
func lineWith(log, s string) string {
	for l := range strings.Lines(log) {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
