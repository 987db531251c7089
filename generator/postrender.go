package generator

import "bytes"

// Run has the method set of Helm's post-renderer interface
// (helm.sh/helm/v4/pkg/postrenderer.PostRenderer, and v3's
// pkg/postrender.PostRenderer before it), so programs built on the Helm SDK
// can set a Renderer as action.Install.PostRenderer. This package imports
// no Helm: Helm 4's interface package brings its plugin runtime and
// client-go, which the post-renderer's binary must not link
// (cmd/argocd's tests assert the interface).
func (r *Renderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	var out bytes.Buffer
	if _, err := r.Render(bytes.NewReader(rendered.Bytes()), &out); err != nil {
		return nil, err
	}
	return &out, nil
}
