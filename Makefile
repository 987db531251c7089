# debug-overlay. Tools are pinned in hack/install-tools.sh and built from the
# Go module proxy into the git-ignored bin/; Debian packages come from
# hack/install-deps.sh.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The commit, its time and the tree's state, for `version` (go build's own
# stamp is missing in a git worktree and under -buildvcs=false).
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
X := -X github.com/debug-overlay/debug-overlay/cmd.
LDFLAGS := -s -w $(X)version=$(VERSION) $(if $(COMMIT),$(X)commit=$(COMMIT) \
  $(X)commitDate=$(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ) \
  $(X)treeState=$(if $(shell git status --porcelain 2>/dev/null | head -1),dirty,clean))
BIN := $(CURDIR)/bin
GO_TEST_FLAGS ?= -count=1
FUZZTIME ?= 20s

# Helm 3 keeps its home directories apart from any Helm on the machine.
export HELM_CACHE_HOME := $(BIN)/.helm3/cache
export HELM_CONFIG_HOME := $(BIN)/.helm3/config
export HELM_DATA_HOME := $(BIN)/.helm3/data

.PHONY: dist sign release-check bench-ab bench-full bench-profile all build tools deps charts geth kube apiserver-test helm-plugin e2e-cluster test unit e2e e2e-geth e2e-keyfiles fuzz lint bench update-golden demo clean flux flux-test package argocd argocd-test

all: build

## build: the post-renderer debug-overlay, its companion for live mode,
## kubectl-debug_overlay (client-go stays out of the post-renderer), and
## the Argo CD plugin debug-overlay-argocd (Helm 4's SDK stays out of both)
build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/debug-overlay ./cmd/debug-overlay
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-debug_overlay ./cmd/kubectl-debug_overlay
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/debug-overlay-argocd ./cmd/debug-overlay-argocd

tools: geth kube flux argocd
	hack/install-tools.sh

KUBE_BINS ?= kube-apiserver kubectl

## kube: build the pinned kube-apiserver and kubectl (hack/tools/kube/go.mod) into bin/
kube:
	hack/build-kube.sh $(KUBE_BINS)

## apiserver-test: overlay outputs against a real kube-apiserver (dry-run apply, Pod Security)
apiserver-test: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 ./test/apiserver/ -v

## helm-plugin: install this directory as the Helm 4 post-renderer plugin
## debug-overlay (Helm 4 symlinks it into bin/.helm4), with the binary where
## plugin.yaml expects it; then: bin/helm4 template ... --post-renderer debug-overlay
helm-plugin: build
	hack/install-tools.sh helm4
	ln -sfn debug-overlay $(BIN)/debug-overlay-$$(go env GOOS)-$$(go env GOARCH)
	. hack/helm-env.sh && helm_env 4 && \
	  { "$$HELM_BIN" plugin uninstall debug-overlay >/dev/null 2>&1 || true; } && \
	  "$$HELM_BIN" plugin install .

# The release image test/nodee2e runs on the node: make dist's, else one
# built the same way from bin/'s binaries (make e2e-cluster alone).
NODE_IMAGE = $(if $(wildcard $(DIST)/image/index.json),\
  DEBUG_OVERLAY_IMAGE_LAYOUT=$(DIST)/image DEBUG_OVERLAY_IMAGE_TAG=$$(sed -n 's/^  version: //p' $(DIST)/krew/debug-overlay.yaml),\
  DEBUG_OVERLAY_IMAGE_LAYOUT=$(BIN)/image DEBUG_OVERLAY_IMAGE_TAG=dev)

## e2e-cluster: a real single-node Kubernetes on this machine (test/node:
## etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd,
## a kubelet) and every overlay feature proved on real pods with the real
## Helm 3, Helm 4 and kustomize (test/nodee2e); needs root. Whatever happens
## to the tests (failure, Ctrl-C, a kill), the trap runs node-cleanup, which
## stops by PID what a run left behind and undoes its host changes.
## NODE_TEST_FLAGS='-run TestName' runs some of the tests.
e2e-cluster: build tools
	hack/node-deps.sh
	hack/build-kube.sh kubelet kube-controller-manager kube-scheduler
	cd hack/images && GOFLAGS= go run . -out $(BIN)/images -geth $(BIN)/geth
	go build -o $(BIN)/node-cleanup ./test/node/cleanup
	$(if $(wildcard $(DIST)/image/index.json),,$(RELEASE) image -out $(BIN)/image -tag dev \
	  -platform linux/$$(go env GOARCH) -entrypoint /usr/local/bin/debug-overlay \
	  -file usr/local/bin/debug-overlay=$(BIN)/debug-overlay -file usr/local/bin/kubectl-debug_overlay=$(BIN)/kubectl-debug_overlay \
	  -file usr/local/bin/debug-overlay-argocd=$(BIN)/debug-overlay-argocd)
	trap 'rc=$$?; $(BIN)/node-cleanup || rc=1; exit $$rc' EXIT; \
	  DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay $(NODE_IMAGE) go test -count=1 -timeout 20m -v $(NODE_TEST_FLAGS) ./test/nodee2e/

# make dist takes VERSION only from the command line or the environment:
# the git describe default above is no release version.
DIST ?= $(CURDIR)/dist
DIST_VERSION := $(if $(filter command line environment,$(origin VERSION)),$(VERSION),)
# Built, not go run: go run adds its own "exit status" line to every failure.
RELEASE := cd hack/release && GOFLAGS= go build -o $(BIN)/release . && $(BIN)/release

## dist: make dist VERSION=vX.Y.Z [BASE_URL=...]: static binaries for
## linux, darwin (amd64, arm64) and windows/amd64, an archive per platform,
## a CycloneDX SBOM per binary, the krew manifest, the Helm 4 plugin
## package, the image as an OCI layout, checksums.txt; the same commit
## gives the same bytes (SOURCE_DATE_EPOCH is the commit's time)
dist:
	$(RELEASE) dist -version '$(DIST_VERSION)' -repo $(CURDIR) -out $(DIST) $(if $(BASE_URL),-base-url '$(BASE_URL)')

## sign: make sign KEY=NAME KEYRING=secring.gpg [PASSPHRASE_FILE=...]: the
## Helm plugin package's .prov (as helm plugin package --sign) and
## checksums.txt.asc; see docs/releasing.md
sign:
	$(RELEASE) sign -dist $(DIST) -key '$(KEY)' -keyring '$(KEYRING)' $(if $(PASSPHRASE_FILE),-passphrase-file '$(PASSPHRASE_FILE)')

## argocd: build Argo CD v3.5.1's argocd-cmp-server and our test client for
## it, argocd-cmp-client, into bin/ from the vendored source archive
## (../shared/vendor, or ARGOCD_VENDOR; hack/build-argocd.sh)
argocd:
	hack/build-argocd.sh

## argocd-test: the Config Management Plugin run by the real cmp-server, and
## the kustomize Component of deploy/argocd built against Argo CD's
## install.yaml and applied to a real kube-apiserver (test/argocd)
argocd-test: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 -v ./test/argocd/

## flux: build the pinned Flux source-controller and helm-controller
## (hack/tools/flux/*/go.mod) into bin/, and their CRDs into bin/flux-crds/
flux:
	hack/build-flux.sh

## flux-test: the generated Flux postRenderers applied by the real
## helm-controller, against a real kube-apiserver (test/flux)
flux-test: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 -v ./test/flux/

## package: package the toggle chart and the examples into dist/charts/ with
## a Helm repository index (serve the directory for a Flux HelmRepository)
package:
	hack/install-tools.sh helm3
	hack/package-charts.sh --out dist/charts

## geth: build the pinned geth (go-ethereum) into bin/geth for e2e-geth; a
## no-op when bin/geth already reports the pinned version.
geth:
	hack/build-geth.sh

deps:
	hack/install-deps.sh

# The example charts take the toggle chart as a file:// dependency.
charts:
	hack/install-tools.sh helm3
	for c in charts/examples/*/; do $(BIN)/helm3 dependency build "$$c" >/dev/null; done

## test: every test: unit and golden tests, the end-to-end tests with the real
## helm 3 and 4, kustomize, busybox and kube-apiserver, a short fuzz run, the
## geth seed scenario and a real single-node Kubernetes (needs root).
test: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v -e '/test/nodee2e$$' -e '/test/release$$')
	$(MAKE) fuzz
	$(MAKE) e2e-geth
	$(MAKE) release-check
	$(MAKE) e2e-cluster

# The version make release-check builds when none is given.
CHECK_VERSION ?= v0.0.0-check

## release-check: make dist (VERSION, default $(CHECK_VERSION)), then every
## install path against it with the real clients in clean homes
## (test/release): archives, checksums and a throw-away key's signatures,
## krew, the Helm 4 plugin from the archive and from a real OCI registry,
## the charts on OCI with Helm 3 and 4, go install; and hack/release's
## own tests. Flux from the registry is in test/flux, the image on a real
## node in test/nodee2e (make e2e-cluster).
release-check: build deps tools
	cd hack/release && GOFLAGS= go vet ./... && GOFLAGS= go test -count=1 ./...
	$(MAKE) dist VERSION=$(or $(DIST_VERSION),$(CHECK_VERSION))
	DIST=$(DIST) go test -count=1 -timeout 20m -v ./test/release/

unit:
	go test ./generator/... ./internal/... ./cmd/ ./test/docs/

fuzz:
	go test ./generator/ -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME)
	go test ./generator/ -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME)
	go test ./internal/blockyaml/ -run '^$$' -fuzz '^FuzzBlockDoc$$' -fuzztime $(FUZZTIME)
	go test ./internal/blockyaml/ -run '^$$' -fuzz '^FuzzEmitYAML$$' -fuzztime $(FUZZTIME)
	go test ./internal/stream/ -run '^$$' -fuzz '^FuzzScanHeader$$' -fuzztime $(FUZZTIME)
	go test ./internal/stream/ -run '^$$' -fuzz '^FuzzSpoolReader$$' -fuzztime $(FUZZTIME)

e2e: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 ./test/e2e/ -v

## e2e-keyfiles: PostgreSQL and ssh-keygen, which refuse key files with loose
## modes, on the copies the rendered init container makes with fileMode and
## owner (busybox, as the owner, on kubelet's volume layout; needs root).
e2e-keyfiles: build deps
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 ./test/keyfiles/ -v

## e2e-geth: the seed scenario end to end: the real geth, Helm 3 and the
## built binary, busybox running the rendered init containers (needs root);
## prints the two `geth account list` results side by side.
e2e-geth: build deps tools
	DEBUG_OVERLAY_BIN=$(BIN)/debug-overlay go test -count=1 ./test/geth/ -v -run TestGethSeesKeystoreOnlyWithOverlay | grep -E '^(toggle (off|on):|--- |ok|FAIL|PASS)'

lint:
	go vet ./...
	cd hack/release && GOFLAGS= go vet ./...
	@test -z "$$(gofmt -l cmd generator internal live test hack/bench hack/release)" || { gofmt -l cmd generator internal live test hack/bench hack/release; exit 1; }

## bench: in-process benchmarks, then the whole-process comparison with cat
## and kustomize (kustomize up to 1,000 documents); results in bin/bench.md
bench: build
	go test ./generator/ -run '^$$' -bench . -benchmem
	hack/install-tools.sh kustomize
	SKIP_BUILD=1 KUSTOMIZE_MAX_DOCS=1000 hack/bench/compare.sh | tee $(BIN)/bench.md

## bench-full: kustomize at 10,000 documents too (stopped after 30 minutes)
bench-full: build
	hack/install-tools.sh kustomize
	SKIP_BUILD=1 hack/bench/compare.sh | tee $(BIN)/bench.md

## bench-ab: two revisions' post-renderers side by side, runs interleaved:
## process start, 100 to 50,000 documents, the CRD-only stream (e.g.
## make bench-ab REVS="main HEAD"; "." is the work tree); bin/bench-ab.md
REVS ?= main .
bench-ab:
	REVS="$(REVS)" hack/bench/compare.sh | tee $(BIN)/bench-ab.md

bench-profile:
	hack/bench/profile.sh $(BIN)/profile

update-golden:
	go test ./generator/ -run TestGolden -update

## demo: render the geth example with the real helm, toggle off and on, and
## show the difference.
demo: build charts
	hack/demo.sh

clean:
	rm -rf $(BIN)
