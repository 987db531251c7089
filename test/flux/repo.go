package flux

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Repository is a Helm chart repository served over HTTP on a loopback
// port: a directory holding packaged charts and their index.yaml (what
// hack/package-charts.sh writes), served as any static web server would.
type Repository struct {
	// URL is the repository's URL, http://127.0.0.1:<port>/, for a Flux
	// HelmRepository's spec.url.
	URL string

	server *http.Server
	mu     sync.Mutex
	served []string
}

// ServeRepository serves dir, which must hold an index.yaml, until Close.
func ServeRepository(dir string) (*Repository, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.yaml")); err != nil {
		return nil, fmt.Errorf("%s is no chart repository: %w", dir, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Repository{URL: "http://" + l.Addr().String() + "/"}
	files := http.FileServer(http.Dir(dir))
	r.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			r.mu.Lock()
			r.served = append(r.served, req.URL.Path)
			r.mu.Unlock()
			files.ServeHTTP(w, req)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go r.server.Serve(l)
	return r, nil
}

// Served reports whether path (such as "/index.yaml") was requested.
func (r *Repository) Served(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.served, path)
}

// Close stops the server.
func (r *Repository) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
