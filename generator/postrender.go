package generator

import (
	"bytes"

	"helm.sh/helm/v3/pkg/postrender"
)

var _ postrender.PostRenderer = (*Renderer)(nil)

// Run implements Helm's postrender.PostRenderer, so programs built on the
// Helm SDK can set a Renderer as action.Install.PostRenderer.
func (r *Renderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	var out bytes.Buffer
	if _, err := r.Render(bytes.NewReader(rendered.Bytes()), &out); err != nil {
		return nil, err
	}
	return &out, nil
}
