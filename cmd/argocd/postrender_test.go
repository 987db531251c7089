package argocd

import (
	"helm.sh/helm/v4/pkg/postrenderer"

	"github.com/debug-overlay/debug-overlay/generator"
)

// generator.Renderer is a Helm 4 post-renderer: programs on Helm 4's SDK can
// set it as action.Install.PostRenderer. The generator package itself
// imports no Helm (Helm 4's interface package would bring client-go into the
// post-renderer's binary), so the assertion lives here, where Helm 4's SDK
// is linked anyway.
var _ postrenderer.PostRenderer = (*generator.Renderer)(nil)
