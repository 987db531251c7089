package apiserver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"github.com/debug-overlay/debug-overlay/internal/testcorpus"
	"github.com/debug-overlay/debug-overlay/test/testenv"
)

// TestRandomStreamsAccepted samples streams from the generator the
// generator's own tests use (internal/testcorpus), in the form the API
// server accepts as it is: every built-in workload kind, with init
// containers, existing native sidecars, volumes of every type, mounts of
// them, hooks and inject annotations, Secrets, ConfigMaps, Services and
// empty documents. The overlay's output for each must be accepted too, by
// server-side dry-run apply with strict field validation, without a
// warning the input does not draw. The binary reads each sample's
// configuration, in turn, from a --config file, from a DebugOverlay
// document at the end of the stream (as a chart carries it), or from flags
// (with what no flag says in a --config file).
func TestRandomStreamsAccepted(t *testing.T) {
	// Some samples overlay nothing (the overlay switched off, or only hooks
	// and opted-out workloads): 45 overlay more workloads in all (the test
	// logs how many) than 30 did whose every workload was overlaid.
	const samples = 45
	ns := namespace(t, nil)
	g := testcorpus.NewAcceptedStreams(20261127)
	var overlaid, workloads, copied int
	for i := range samples {
		s := g.Sample()
		if s.Selected > 0 {
			overlaid++
		}
		workloads += s.Selected
		if len(s.Copies) > 0 {
			copied++
		}
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			t.Parallel()
			checkAccepted(t, ns, s, configRoads[i%len(configRoads)])
		})
	}
	if overlaid < samples*2/3 {
		t.Errorf("only %d of %d samples overlay a workload", overlaid, samples)
	}
	if copied < samples/3 {
		t.Errorf("only %d of %d samples copy a volume", copied, samples)
	}
	t.Logf("%d of %d samples overlay %d workloads in all; %d copy volumes", overlaid, samples, workloads, copied)
}

// The ways a sample's configuration reaches the binary.
const (
	configFile   = "a --config file"
	configStream = "the stream"
	configFlags  = "flags"
)

// configRoads are the samples' ways, taken in turn.
var configRoads = []string{configFile, configStream, configFlags}

// checkAccepted renders s through the binary, with its configuration on
// the road given, and dry-run applies the output.
func checkAccepted(t *testing.T, ns string, s testcorpus.Sample, road string) {
	config := testcorpus.ConfigDocument(t, s.Config)
	stdin, args := s.In, []string{}
	rest := s.Config
	switch road {
	case configStream:
		stdin = slices.Concat(s.In, []byte("---\n"), config)
	case configFlags:
		args, rest = configFlagArgs(t, s.Config)
		fallthrough
	default:
		file := filepath.Join(t.TempDir(), "debugoverlay.yaml")
		if err := os.WriteFile(file, testcorpus.ConfigDocument(t, rest), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", file)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("debug-overlay %s: %v\nconfiguration:\n%s\ninput:\n%s", strings.Join(args, " "), err, config, stdin)
	}
	if got := bytes.Count(out, []byte(overlay.StatusAnnotation+":")); got != s.Selected {
		t.Fatalf("%d documents carry the status annotation, want %d\nconfiguration:\n%s\noutput:\n%s", got, s.Selected, config, out)
	}
	for _, v := range s.Copies {
		if !bytes.Contains(out, []byte("name: "+v+"-debug-copy")) {
			t.Fatalf("the configuration copies %s but the output has no copy of it:\n%s", v, out)
		}
	}
	warnings, err := kube.ApplyServerDryRun(ns, out)
	if err == nil && len(warnings) == 0 {
		t.Logf("accepted: %d workloads overlaid, copies %q, configuration from %s", s.Selected, s.Copies, road)
		return
	}
	inWarnings, inErr := kube.ApplyServerDryRun(ns, s.In)
	if inErr != nil {
		t.Fatalf("the input itself is refused, so the sample proves nothing: %v\ninput:\n%s", inErr, s.In)
	}
	if err != nil {
		t.Fatalf("the server accepts the input but refuses the output:\n%v\nconfiguration:\n%s\ninput:\n%s\noutput:\n%s", err, config, s.In, out)
	}
	for _, w := range warnings {
		if !slices.Contains(inWarnings, w) {
			t.Errorf("the server warns about the output but not the input: %s\noutput:\n%s", w, out)
		}
	}
}

// configFlagArgs returns the flags that say what flags can of cfg, and
// the rest of cfg. It fails the test for a target or copy volume with
// more than the flags below say, which testcorpus does not write.
func configFlagArgs(t *testing.T, cfg overlay.Config) ([]string, overlay.Config) {
	var args []string
	for _, b := range []struct {
		flag string
		v    **bool
	}{{"enable", &cfg.Enabled}, {"include-hooks", &cfg.IncludeHooks}, {"allow-privileged", &cfg.AllowPrivileged}} {
		if *b.v != nil {
			args = append(args, fmt.Sprintf("--%s=%t", b.flag, **b.v))
			*b.v = nil
		}
	}
	for _, f := range []struct {
		flag string
		v    string
	}{
		{"preset", string(cfg.Sidecar.Preset)}, {"image", cfg.Sidecar.Image},
		{"profile", string(cfg.Sidecar.Profile)}, {"native", string(cfg.Sidecar.Native)},
	} {
		if f.v != "" {
			args = append(args, "--"+f.flag, f.v)
		}
	}
	cfg.Sidecar.Preset, cfg.Sidecar.Image, cfg.Sidecar.Profile, cfg.Sidecar.Native = "", "", "", ""
	for _, tg := range cfg.Targets {
		if !reflect.DeepEqual(tg, overlay.Target{Kind: tg.Kind, Name: tg.Name}) {
			t.Fatalf("configFlagArgs writes no --target for %+v", tg)
		}
		args = append(args, "--target", tg.Kind+"/"+tg.Name)
	}
	cfg.Targets = nil
	for _, cv := range cfg.Copy.Volumes {
		if !reflect.DeepEqual(cv, overlay.CopyVolume{Name: cv.Name, Rewire: cv.Rewire, Medium: cv.Medium}) {
			t.Fatalf("configFlagArgs writes no --copy-volume for %+v", cv)
		}
		var opts []string
		if cv.Rewire != nil {
			opts = append(opts, fmt.Sprintf("rewire=%t", *cv.Rewire))
		}
		if cv.Medium != "" {
			opts = append(opts, "medium="+string(cv.Medium))
		}
		arg := cv.Name
		if len(opts) > 0 {
			arg += ":" + strings.Join(opts, ",")
		}
		args = append(args, "--copy-volume", arg)
	}
	cfg.Copy.Volumes = nil
	return args, cfg
}
