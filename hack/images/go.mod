// Builds the container images of the test node (test/node, `make
// e2e-cluster`) as docker-archive tarballs, from local binaries only: no
// registry is involved. A module of its own so that go-containerregistry
// stays out of the main module.
module github.com/debug-overlay/debug-overlay/hack/images

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
