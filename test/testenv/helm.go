package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Helm returns the real Helm of the given major version, bin/helm<major> in
// the repository, and what `helm version --short` prints, run with env (nil:
// this process's environment). When it is missing, does not run or is
// another version, the error says to run `make tools`.
func Helm(major int, env []string) (path, version string, err error) {
	if path, err = Tool(fmt.Sprintf("helm%d", major), "tools"); err != nil {
		return "", "", err
	}
	cmd := exec.Command(path, "version", "--short")
	cmd.Env = env
	if version, err = OutputText(cmd); err != nil {
		return "", "", fmt.Errorf("the real Helm %d does not run: run `make tools`: %w", major, err)
	}
	if !strings.HasPrefix(version, fmt.Sprintf("v%d.", major)) {
		return "", "", fmt.Errorf("%s is Helm %s, want Helm %d: run `make tools`", path, version, major)
	}
	return path, version, nil
}

// HelmHome returns the environment variables, as "NAME=value", that put
// Helm's home directories (HELM_CACHE_HOME, HELM_CONFIG_HOME and
// HELM_DATA_HOME) into dir.
func HelmHome(dir string) []string {
	return []string{
		"HELM_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"HELM_DATA_HOME=" + filepath.Join(dir, "data"),
	}
}

// ClearHelmEnv unsets every HELM_ variable of this process, so that no Helm
// the tests start finds the state of a Helm on the machine: variables such
// as HELM_PLUGINS and HELM_REPOSITORY_CONFIG would override the paths Helm
// derives from its homes, others (HELM_NAMESPACE, HELM_DEBUG) change what it
// does.
func ClearHelmEnv() {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "HELM_") {
			os.Unsetenv(name)
		}
	}
}

// UseHelmHome clears Helm's variables (see ClearHelmEnv) and puts the home
// directories of every Helm this process starts into dir.
func UseHelmHome(dir string) {
	ClearHelmEnv()
	for _, kv := range HelmHome(dir) {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}
}

// DependencyBuild runs `helm dependency build` on each chart with the Helm
// at path, in env (nil: this process's environment).
func DependencyBuild(helm string, env []string, charts ...string) error {
	for _, c := range charts {
		cmd := exec.Command(helm, "dependency", "build", c)
		cmd.Env = env
		if _, err := Output(cmd); err != nil {
			return err
		}
	}
	return nil
}

// PostRenderer returns the Helm flags that run renderer (a binary's path,
// or under Helm 4 a post-renderer plugin's name) as the post-renderer, with
// args passed to it through --post-renderer-args.
func PostRenderer(renderer string, args ...string) []string {
	out := []string{"--post-renderer", renderer}
	for _, a := range args {
		out = append(out, "--post-renderer-args", a)
	}
	return out
}
