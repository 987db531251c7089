// The two mains here are built inside Argo CD v3.5.1's source tree by
// hack/build-argocd.sh, against its go.mod; this file only keeps them out
// of debug-overlay's module (they import Argo CD, which the module proxy
// cannot build).
module github.com/debug-overlay/debug-overlay/hack/argocd

go 1.26.3
