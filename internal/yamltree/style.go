package yamltree

import (
	"go.yaml.in/yaml/v3"

	"github.com/debug-overlay/debug-overlay/internal/blockyaml"
)

// The tree road writes what the overlay inserts in the style the fast
// road's emitter writes it (blockyaml.StyleOf): one text on both roads.

// nodeStyle is the yaml.v3 node style of a scalar style.
func nodeStyle(s blockyaml.Style) yaml.Style {
	switch s {
	case blockyaml.Single:
		return yaml.SingleQuotedStyle
	case blockyaml.Literal:
		return yaml.LiteralStyle
	case blockyaml.Double:
		return yaml.DoubleQuotedStyle
	}
	return 0
}

// StyleNodes sets on every string scalar of a tree the overlay built (keys
// included) the style blockyaml.StyleOf picks, and drops the flow styles that
// parsing JSON leaves, so the new nodes look like the block YAML around
// them.
func StyleNodes(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		n.Style = nodeStyle(blockyaml.StyleOf(n.Value))
	}
	for i, c := range n.Content {
		StyleNodes(c)
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" {
			c.Style = nodeStyle(blockyaml.KeyStyleOf(c.Value))
		}
	}
}

// SetStyled sets a scalar node the overlay rewrites (a rewired volume
// name) to s, in the style blockyaml.StyleOf picks.
func SetStyled(n *yaml.Node, s string) {
	n.Value, n.Tag, n.Style = s, "!!str", nodeStyle(blockyaml.StyleOf(s))
}
