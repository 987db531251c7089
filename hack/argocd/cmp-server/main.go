// Command argocd-cmp-server is Argo CD v3.5.1's Config Management Plugin
// server, alone: cmd/main.go of Argo CD picks the same command when its
// binary is called argocd-cmp-server, and this main runs only that command,
// so the build needs none of Argo CD's other servers. hack/build-argocd.sh
// copies it into the extracted source tree and builds it there.
//
// `argocd-cmp-server version` prints the version the build stamped and a
// digest of this file, which the build script compares with its pin.
package main

import (
	"fmt"
	"os"

	"k8s.io/klog/v2"

	cmpserver "github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/log"
)

// stamp is set by hack/build-argocd.sh: a digest of this file.
var stamp = "dev"

func init() {
	// As Argo CD's cmd/main.go: klog logs through the configured logger.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println(common.GetVersion().Version + " " + stamp)
		return
	}
	command := cmpserver.NewCommand()
	// As cmd/main.go does for the cmp-server: errors are printed once, here.
	command.SilenceErrors = true
	command.SilenceUsage = true
	if err := command.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
