// Command argocd-cmp-client talks to a Config Management Plugin server
// (argocd-cmp-server) over its unix socket as Argo CD's repo-server does,
// for debug-overlay's tests. It is compiled inside the extracted Argo CD
// v3.5.1 source tree by hack/build-argocd.sh, against Argo CD's own client,
// stream and Application types, so that what reaches the plugin is what the
// repo-server would send:
//
//   - the connection: cmpserver/apiclient.NewConnection (the repo-server's
//     util/app/discovery dials the same way);
//   - the files: util/cmp.SendRepoStream, the repository root as a tar with
//     the Application's source path as the app's relative path;
//   - the environment: as reposerver/repository/repository.go builds it,
//     newEnv's ARGOCD_APP_* entries, KUBE_VERSION (parsed as parseKubeVersion
//     does) and KUBE_API_VERSIONS, then getPluginParamEnvs: the plugin's env
//     as ARGOCD_ENV_<NAME> (each value env-substituted from the entries
//     before it) and the parameters through ApplicationSourcePluginParameters
//     .Environ (ARGOCD_APP_PARAMETERS and PARAM_*); for the parameters
//     announcement, populatePluginAppDetails's shorter list;
//   - the application name: Application.InstanceName of Argo CD's own
//     namespace (namespace_name for an Application outside it).
//
// Usage:
//
//	argocd-cmp-client -socket SOCK -repo DIR -app APPLICATION.yaml [-op generate|announce|check]
//	                  [-kube-version v1.37.2] [-api-versions apps/v1,...] [-argocd-namespace argocd]
//	argocd-cmp-client version
//
// It prints the response as JSON on stdout. A failed call prints the gRPC
// status message, the text the repo-server would show, on stderr and exits 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"

	pluginclient "github.com/argoproj/argo-cd/v3/cmpserver/apiclient"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/cmp"
)

// stamp is set by hack/build-argocd.sh: a digest of this file, so that the
// cache notices an edit.
var stamp = "dev"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println(common.GetVersion().Version + " " + stamp)
		return
	}
	socket := flag.String("socket", "", "The plugin's unix socket")
	repo := flag.String("repo", "", "The repository root (sent whole, as the repo-server sends it)")
	appFile := flag.String("app", "", "An Argo CD Application manifest whose spec.source names the plugin")
	op := flag.String("op", "generate", "generate, announce or check")
	kubeVersion := flag.String("kube-version", "v1.37.2", "The cluster's version, as the controller reports it")
	apiVersions := flag.String("api-versions", "", "The cluster's API versions, comma-separated")
	argoNamespace := flag.String("argocd-namespace", "argocd", "The namespace Argo CD runs in")
	timeout := flag.Duration("timeout", 2*time.Minute, "How long one call may take")
	flag.Parse()
	if *socket == "" || (*op != "check" && (*repo == "" || *appFile == "")) {
		fmt.Fprintln(os.Stderr, "argocd-cmp-client: -socket, -repo and -app are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out, err := run(ctx, *op, *socket, *repo, *appFile, *kubeVersion, *apiVersions, *argoNamespace)
	if err != nil {
		if s, ok := status.FromError(err); ok {
			fmt.Fprintln(os.Stderr, s.Message())
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(data))
}

func run(ctx context.Context, op, socket, repo, appFile, kubeVersion, apiVersions, argoNamespace string) (any, error) {
	conn, err := pluginclient.NewConnection(socket)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	client := pluginclient.NewConfigManagementPluginServiceClient(conn)
	if op == "check" {
		return client.CheckPluginConfiguration(ctx, &emptypb.Empty{})
	}

	app, err := readApplication(appFile)
	if err != nil {
		return nil, err
	}
	src := app.Spec.GetSource()
	repoRoot, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	appPath := filepath.Join(repoRoot, src.Path)
	appName := app.InstanceName(argoNamespace)

	switch op {
	case "announce":
		env, err := paramEnvs([]string{
			"ARGOCD_APP_NAME=" + appName,
			"ARGOCD_APP_SOURCE_REPO_URL=" + src.RepoURL,
			"ARGOCD_APP_SOURCE_PATH=" + src.Path,
			"ARGOCD_APP_SOURCE_TARGET_REVISION=" + src.TargetRevision,
		}, src.Plugin)
		if err != nil {
			return nil, err
		}
		stream, err := client.GetParametersAnnouncement(ctx)
		if err != nil {
			return nil, err
		}
		if err := cmp.SendRepoStream(ctx, appPath, repoRoot, stream, env, nil); err != nil {
			return nil, err
		}
		return stream.CloseAndRecv()
	case "generate":
		const revision = "0123456789abcdef0123456789abcdef01234567"
		base := v1alpha1.Env{
			{Name: "ARGOCD_APP_NAME", Value: appName},
			{Name: "ARGOCD_APP_NAMESPACE", Value: app.Spec.Destination.Namespace},
			{Name: "ARGOCD_APP_PROJECT_NAME", Value: app.Spec.GetProject()},
			{Name: "ARGOCD_APP_REVISION", Value: revision},
			{Name: "ARGOCD_APP_REVISION_SHORT", Value: revision[:7]},
			{Name: "ARGOCD_APP_REVISION_SHORT_8", Value: revision[:8]},
			{Name: "ARGOCD_APP_SOURCE_REPO_URL", Value: src.RepoURL},
			{Name: "ARGOCD_APP_SOURCE_PATH", Value: src.Path},
			{Name: "ARGOCD_APP_SOURCE_TARGET_REVISION", Value: src.TargetRevision},
		}
		parsed, err := k8sversion.ParseGeneric(kubeVersion)
		if err != nil {
			return nil, fmt.Errorf("could not parse kubernetes version %s: %w", kubeVersion, err)
		}
		var apis []string
		if apiVersions != "" {
			apis = strings.Split(apiVersions, ",")
		}
		envVars := append(base.Environ(), "KUBE_VERSION="+parsed.String(), "KUBE_API_VERSIONS="+strings.Join(apis, ","))
		env, err := paramEnvs(envVars, src.Plugin)
		if err != nil {
			return nil, err
		}
		stream, err := client.GenerateManifest(ctx)
		if err != nil {
			return nil, err
		}
		if err := cmp.SendRepoStream(ctx, appPath, repoRoot, stream, env, nil); err != nil {
			return nil, err
		}
		return stream.CloseAndRecv()
	default:
		return nil, fmt.Errorf("unknown -op %q: want generate, announce or check", op)
	}
}

func readApplication(file string) (*v1alpha1.Application, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var app v1alpha1.Application
	if err := yaml.UnmarshalStrict(data, &app); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if app.Kind != "Application" {
		return nil, fmt.Errorf("%s: kind %q, want Application", file, app.Kind)
	}
	return &app, nil
}

// paramEnvs is the repo-server's getPluginParamEnvs: the plugin's env
// entries, each substituted from envVars, as ARGOCD_ENV_<NAME>, then the
// parameters as Argo CD encodes them.
func paramEnvs(envVars []string, plugin *v1alpha1.ApplicationSourcePlugin) ([]string, error) {
	env := envVars
	parsed := make(v1alpha1.Env, len(env))
	for i, v := range env {
		e, err := v1alpha1.NewEnvEntry(v)
		if err != nil {
			return nil, err
		}
		parsed[i] = e
	}
	if plugin == nil {
		return env, nil
	}
	for _, entry := range plugin.Env {
		env = append(env, fmt.Sprintf("ARGOCD_ENV_%s=%s", entry.Name, parsed.Envsubst(entry.Value)))
	}
	params, err := plugin.Parameters.Environ()
	if err != nil {
		return nil, err
	}
	return append(env, params...), nil
}
