package argocd

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/debug-overlay/debug-overlay/cmd"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

// Collection is a parameter's collectionType in Argo CD's
// ParameterAnnouncement: a string (Argo CD's default when unset), an array or
// a map.
type Collection string

// The collection types Argo CD knows.
const (
	CollectionString Collection = "string"
	CollectionArray  Collection = "array"
	CollectionMap    Collection = "map"
)

// Param is one parameter of the plugin: announced to Argo CD's UI (the
// plugin's parameters.static) and read from the environment by generate.
type Param struct {
	// Name is the parameter's name in the Application
	// (spec.source.plugin.parameters[].name).
	Name string
	// Title and Tooltip are what Argo CD's UI shows.
	Title, Tooltip string
	// Collection says whether the value is a string, an array or a map.
	Collection Collection
	// Default is the announced default of a string parameter: the value in
	// effect when the Application sets none (Argo CD sends only the values
	// an Application sets). For the overlay's parameters it is the
	// overlay's own default (a test holds them equal), so an unset
	// parameter leaves the field to the chart's DebugOverlay document.
	Default string
	// Flag is the debug-overlay flag the value becomes, as if given on the
	// command line (so the values are read exactly as the flags are); empty
	// for the parameters that go to Helm.
	Flag string
	// Enum lists the valid values of a string parameter, when they are few.
	Enum []string
}

// Params are the plugin's parameters, in the order Argo CD's UI shows them.
var Params = []Param{
	{Name: "enabled", Title: "Debug overlay on", Default: "false", Flag: "enable", Enum: []string{"true", "false"},
		Tooltip: "true adds the debug sidecar (and the copies) to the selected workloads; false renders the chart as Argo CD's Helm source does"},
	{Name: "mode", Title: "Mode", Default: string(overlay.ModeInPlace), Flag: "mode", Enum: names(overlay.Modes),
		Tooltip: "inplace overlays the workloads themselves; twin leaves them alone and adds a traffic-free debug copy of each"},
	{Name: "preset", Title: "Sidecar preset", Default: string(overlay.PresetAlpine), Flag: "preset", Enum: names(overlay.PresetNames()),
		Tooltip: "The debug sidecar's image and shell"},
	{Name: "profile", Title: "Security profile", Default: string(overlay.ProfileGeneral), Flag: "profile", Enum: names(overlay.ProfileNames()),
		Tooltip: "The sidecar's security context, with kubectl debug's meanings (sysadmin needs allowPrivileged in a DebugOverlay)"},
	{Name: "targets", Title: "Targets", Collection: CollectionArray, Flag: "target",
		Tooltip: "Overlay only these workloads, as KIND/NAME or NAME (NAME may be a pattern such as api-*); empty: every pod-bearing workload"},
	{Name: "copy-volumes", Title: "Copy volumes", Collection: CollectionArray, Flag: "copy-volume",
		Tooltip: "Copy these Secret/ConfigMap volumes into emptyDirs as regular files: NAME, or NAME:KEY=VALUE,... as debug-overlay --copy-volume"},
	{Name: "expires", Title: "Expires", Flag: "expires",
		Tooltip: "When the overlay ends, as an RFC 3339 time such as 2026-12-31T18:00:00Z"},
	{Name: "reason", Title: "Reason", Flag: "reason",
		Tooltip: "Why the overlay exists (who asked, the ticket), stamped on each overlaid pod template"},
	{Name: "on-expiry", Title: "On expiry", Default: string(overlay.ExpiryFail), Flag: "on-expiry", Enum: names(overlay.ExpiryActions),
		Tooltip: "After expires: fail the render, strip the overlay, or warn"},
	{Name: "values-files", Title: "Helm values files", Collection: CollectionArray,
		Tooltip: "Values files of the chart, relative to the application's path (helm template --values), in order"},
	{Name: "values", Title: "Helm values",
		Tooltip: "Values as a YAML document, applied after the values files (as the Helm source's values)"},
	{Name: "set", Title: "Helm parameters", Collection: CollectionMap,
		Tooltip: "Values as KEY: VALUE pairs, applied last (helm template --set KEY=VALUE)"},
}

func names[T ~string](ns []T) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	sort.Strings(out)
	return out
}

// paramNames lists the parameters' names for messages.
func paramNames() string {
	ns := make([]string, len(Params))
	for i, p := range Params {
		ns[i] = p.Name
	}
	return strings.Join(ns, ", ")
}

func findParam(name string) (Param, bool) {
	i := slices.IndexFunc(Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return Params[i], true
}

var invalidEnvChar = regexp.MustCompile(`[^A-Z0-9_]`)

// EnvName is the name of a parameter's environment variables without their
// prefix, as Argo CD escapes it for PARAM_<NAME> (upper case, every
// character outside A-Z, 0-9 and _ becomes _): copy-volumes is
// COPY_VOLUMES, read from PARAM_COPY_VOLUMES_0... and ARGOCD_ENV_COPY_VOLUMES.
func (p Param) EnvName() string {
	return invalidEnvChar.ReplaceAllString(strings.ToUpper(p.Name), "_")
}

// Value is what the environment gave one parameter.
type Value struct {
	String string
	Array  []string
	Map    map[string]string
}

// Values are the parameters the environment set, by name.
type Values map[string]Value

// Argo CD's environment of a plugin's generate command.
const (
	// ParametersEnv holds the Application's plugin parameters as JSON:
	// [{"name": ..., "string": ...}, {"name": ..., "array": [...]},
	// {"name": ..., "map": {...}}] (ApplicationSourcePluginParameters).
	ParametersEnv = "ARGOCD_APP_PARAMETERS"
	// ParamPrefix starts the variables Argo CD derives from each parameter:
	// PARAM_<NAME>, PARAM_<NAME>_<INDEX>, PARAM_<NAME>_<KEY>.
	ParamPrefix = "PARAM_"
	// EnvPrefix starts the Application's plugin env (spec.source.plugin.env),
	// which Argo CD prefixes so that it cannot set any other variable.
	EnvPrefix = "ARGOCD_ENV_"
)

// ReadValues reads the parameters from the environment, lowest first: the
// Application's plugin env (ARGOCD_ENV_<NAME>; arrays and maps as
// whitespace-separated items, maps' items as KEY=VALUE), then its
// parameters (ARGOCD_APP_PARAMETERS, or without it PARAM_* for string and
// array parameters). An unknown name, a value of the wrong collection type
// or a malformed item is an error naming the parameter.
func ReadValues(environ []string) (Values, error) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	vals := Values{}
	if err := vals.readPluginEnv(env); err != nil {
		return nil, err
	}
	if js, ok := env[ParametersEnv]; ok {
		return vals, vals.readParameters(js)
	}
	vals.readParamEnv(env)
	return vals, nil
}

// readPluginEnv reads the Application's plugin env, ARGOCD_ENV_<NAME>.
func (vals Values) readPluginEnv(env map[string]string) error {
	byEnv := map[string]Param{}
	for _, p := range Params {
		byEnv[p.EnvName()] = p
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		name, ok := strings.CutPrefix(k, EnvPrefix)
		if !ok {
			continue
		}
		p, ok := byEnv[name]
		if !ok {
			return fmt.Errorf("%s: unknown variable of the Application's plugin env (spec.source.plugin.env %s; valid: %s)", k, name, envNames())
		}
		v, err := envValue(p, env[k])
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		vals[p.Name] = v
	}
	return nil
}

// readParameters reads ARGOCD_APP_PARAMETERS, the parameters the
// Application sets, as JSON.
func (vals Values) readParameters(js string) error {
	var list []struct {
		Name   string             `json:"name"`
		String *string            `json:"string"`
		Array  *[]string          `json:"array"`
		Map    *map[string]string `json:"map"`
	}
	if err := json.Unmarshal([]byte(js), &list); err != nil {
		return fmt.Errorf("reading %s: %w", ParametersEnv, err)
	}
	for _, item := range list {
		p, ok := findParam(item.Name)
		if !ok {
			return fmt.Errorf("parameter %q: unknown parameter (valid: %s)", item.Name, paramNames())
		}
		var v Value
		var got Collection
		switch {
		case item.String != nil:
			got, v.String = CollectionString, *item.String
		case item.Array != nil:
			got, v.Array = CollectionArray, *item.Array
		case item.Map != nil:
			got, v.Map = CollectionMap, *item.Map
		default:
			continue // named, no value: as if unset
		}
		if want := p.collection(); got != want {
			return fmt.Errorf("parameter %s: want %s, got %s", p.Name, want.article(), got.article())
		}
		vals[p.Name] = v
	}
	return nil
}

// readParamEnv reads PARAM_<NAME> (strings) and PARAM_<NAME>_<i> (arrays),
// which the cmp-server sets when ARGOCD_APP_PARAMETERS is not there; maps
// cannot be read back from them (Argo CD upper-cases their keys).
func (vals Values) readParamEnv(env map[string]string) {
	for _, p := range Params {
		base := ParamPrefix + p.EnvName()
		switch p.collection() {
		case CollectionString:
			if s, ok := env[base]; ok {
				vals[p.Name] = Value{String: s}
			}
		case CollectionArray:
			var arr []string
			for i := 0; ; i++ {
				s, ok := env[base+"_"+strconv.Itoa(i)]
				if !ok {
					break
				}
				arr = append(arr, s)
			}
			if arr != nil {
				vals[p.Name] = Value{Array: arr}
			}
		}
	}
}

// article names the collection type with its article: "an array".
func (c Collection) article() string {
	if c == CollectionArray {
		return "an array"
	}
	return "a " + string(c)
}

func (p Param) collection() Collection {
	if p.Collection == "" {
		return CollectionString
	}
	return p.Collection
}

func envNames() string {
	ns := make([]string, len(Params))
	for i, p := range Params {
		ns[i] = p.EnvName()
	}
	return strings.Join(ns, ", ")
}

func envValue(p Param, s string) (Value, error) {
	switch p.collection() {
	case CollectionArray:
		return Value{Array: strings.Fields(s)}, nil
	case CollectionMap:
		m := map[string]string{}
		for _, item := range strings.Fields(s) {
			k, v, ok := strings.Cut(item, "=")
			if !ok || k == "" {
				return Value{}, fmt.Errorf("%q: want KEY=VALUE items separated by spaces", item)
			}
			m[k] = v
		}
		return Value{Map: m}, nil
	}
	return Value{String: s}, nil
}

// OverlayConfig turns the overlay's parameters into one configuration
// layer, through debug-overlay's own flags: each value is given to its flag
// as on the command line. Values of parameters with a fixed set of values
// are checked here, so that the message names the parameter; the rest is
// checked with the whole configuration.
func (v Values) OverlayConfig() (overlay.Config, error) {
	var cfg overlay.Config
	for _, p := range Params {
		val, ok := v[p.Name]
		if !ok || p.Flag == "" {
			continue
		}
		var args []string
		switch p.collection() {
		case CollectionString:
			if err := p.check(val.String); err != nil {
				return cfg, err
			}
			args = []string{"--" + p.Flag + "=" + val.String}
		case CollectionArray:
			for _, item := range val.Array {
				args = append(args, "--"+p.Flag+"="+item)
			}
		}
		fs := pflag.NewFlagSet("debug-overlay", pflag.ContinueOnError)
		fs.SetOutput(discard{})
		flags := cmd.NewOverlayFlags()
		flags.AddFlags(fs)
		if err := fs.Parse(args); err != nil {
			return cfg, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		layer, err := flags.Config()
		if err != nil {
			return cfg, fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		cfg = cfg.Merge(layer)
	}
	return cfg, nil
}

func (p Param) check(s string) error {
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
		return fmt.Errorf("parameter %s: %q is not one of %s", p.Name, s, strings.Join(p.Enum, ", "))
	}
	if p.Name == "expires" && s != "" {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("parameter expires: %q is not an RFC 3339 time such as 2026-12-31T18:00:00Z", s)
		}
	}
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
