package argocd

import (
	"bytes"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// PluginName is the plugin's name: Applications name it in
// spec.source.plugin.name, and the cmp-server listens on PluginName.sock.
const PluginName = "debug-overlay"

// DefaultCommand is where the release image keeps the plugin's binary.
const DefaultCommand = "/usr/local/bin/" + Program

// pluginHeader explains, in the file, what the file is and why it has no
// discover rule.
const pluginHeader = `# The debug-overlay Config Management Plugin for Argo CD, written by
# debug-overlay-argocd plugin (do not edit: a test holds the copy in
# deploy/argocd/ to it). Argo CD's argocd-cmp-server reads it at
# /home/argocd/cmp-server/config/plugin.yaml in the plugin's sidecar.
#
# No discover rule: Argo CD asks every plugin with one about every
# Application without an explicit source type, before it checks for Helm,
# so a rule matching Chart.yaml would take over every Helm application.
# Applications name the plugin instead: spec.source.plugin.name: debug-overlay.
`

// PluginOptions are the options of `debug-overlay-argocd plugin`.
type PluginOptions struct {
	// Command is the path of debug-overlay-argocd in the sidecar's image.
	Command string
}

// AddFlags registers the flags on fs.
func (o *PluginOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Command, "command", DefaultCommand, "The path of "+Program+" in the plugin's image")
}

type pluginConfig struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Generate struct {
			Command []string `yaml:"command"`
		} `yaml:"generate"`
		Parameters struct {
			Static []announcement `yaml:"static"`
		} `yaml:"parameters"`
	} `yaml:"spec"`
}

// announcement is Argo CD's ParameterAnnouncement (reposerver
// repository.proto), as plugin.yaml spells it.
type announcement struct {
	Name           string             `yaml:"name"`
	Title          string             `yaml:"title,omitempty"`
	Tooltip        string             `yaml:"tooltip,omitempty"`
	CollectionType string             `yaml:"collectionType,omitempty"`
	String         *string            `yaml:"string,omitempty"`
	Array          *[]string          `yaml:"array,omitempty"`
	Map            *map[string]string `yaml:"map,omitempty"`
}

// Plugin returns the plugin's configuration, plugin.yaml: a
// ConfigManagementPlugin named PluginName whose generate runs `command
// generate`, announcing Params.
func Plugin(command string) ([]byte, error) {
	var p pluginConfig
	p.APIVersion = "argoproj.io/v1alpha1"
	p.Kind = "ConfigManagementPlugin"
	p.Metadata.Name = PluginName
	p.Spec.Generate.Command = []string{command, "generate"}
	for _, param := range Params {
		a := announcement{Name: param.Name, Title: param.Title, Tooltip: param.Tooltip}
		switch param.collection() {
		case CollectionString:
			s := param.Default
			a.String = &s
		case CollectionArray:
			a.CollectionType = string(CollectionArray)
			a.Array = &[]string{}
		case CollectionMap:
			a.CollectionType = string(CollectionMap)
			a.Map = &map[string]string{}
		}
		p.Spec.Parameters.Static = append(p.Spec.Parameters.Static, a)
	}
	var b bytes.Buffer
	b.WriteString(pluginHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// NewPluginCommand returns `debug-overlay-argocd plugin`.
func NewPluginCommand() *cobra.Command {
	o := &PluginOptions{}
	c := &cobra.Command{
		Use:   "plugin",
		Short: "Print the plugin's configuration (plugin.yaml) for Argo CD's cmp-server",
		Example: `  # The plugin.yaml of deploy/argocd/
  debug-overlay-argocd plugin`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			data, err := Plugin(o.Command)
			if err != nil {
				return err
			}
			_, err = c.OutOrStdout().Write(data)
			return err
		},
	}
	o.AddFlags(c.Flags())
	return c
}
