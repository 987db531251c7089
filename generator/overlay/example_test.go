package overlay_test

import (
	"fmt"

	"github.com/debug-overlay/debug-overlay/generator/overlay"
)

func ExampleOverlaid_ExecCommand() {
	for _, w := range []overlay.Overlaid{
		{Kind: "Deployment", Namespace: "shop", Name: "api", Container: "debug", Shell: "ash"},
		{Kind: "StatefulSet", Name: "db", Container: "debug", Shell: "bash"},
		{Kind: "CronJob", Name: "backup", Container: "debug", Shell: "sh"},
	} {
		fmt.Printf("%s/%s: %q\n", w.Kind, w.Name, w.ExecCommand())
	}
	// Output:
	// Deployment/api: "kubectl exec -it -n shop deployment/api -c debug -- ash"
	// StatefulSet/db: "kubectl exec -it statefulset/db -c debug -- bash"
	// CronJob/backup: ""
}
