package generator_test

import (
	"bytes"
	"fmt"
	"github.com/debug-overlay/debug-overlay/generator/overlay"
	"os"
	"strings"

	"github.com/debug-overlay/debug-overlay/generator"
)

const exampleDeployment = `---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
        - name: shop
          image: ghcr.io/example/shop:1.0
          volumeMounts:
            - name: config
              mountPath: /etc/shop
      volumes:
        - name: config
          configMap:
            name: shop
`

func ExampleRenderer_Render() {
	enabled := true
	r := generator.Renderer{Config: overlay.Config{Enabled: &enabled}}
	report, err := r.Render(strings.NewReader(exampleDeployment), os.Stdout)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	for _, w := range report.Workloads {
		fmt.Printf("# overlaid %s %s, debug container %q mirroring %v\n", w.Kind, w.Name, w.Container, w.Mounts)
	}
	// Output:
	// ---
	// # Source: shop/templates/deployment.yaml
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   name: shop
	// spec:
	//   selector:
	//     matchLabels:
	//       app: shop
	//   template:
	//     metadata:
	//       labels:
	//         app: shop
	//       annotations:
	//         debug-overlay.dev/status: '{"version":1,"containers":["debug"],"shareProcessNamespace":"unset","created":["metadata.annotations"]}'
	//     spec:
	//       containers:
	//         - name: shop
	//           image: ghcr.io/example/shop:1.0
	//           volumeMounts:
	//             - name: config
	//               mountPath: /etc/shop
	//         - name: debug
	//           image: alpine:3.20
	//           command:
	//             - sh
	//             - -c
	//             - trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done
	//           resources:
	//             limits:
	//               cpu: 500m
	//               memory: 256Mi
	//             requests:
	//               cpu: 10m
	//               memory: 16Mi
	//           volumeMounts:
	//             - name: config
	//               mountPath: /etc/shop
	//           imagePullPolicy: IfNotPresent
	//           securityContext:
	//             capabilities:
	//               add:
	//                 - SYS_PTRACE
	//       volumes:
	//         - name: config
	//           configMap:
	//             name: shop
	//       shareProcessNamespace: true
	// # overlaid Deployment shop, debug container "debug" mirroring [/etc/shop]
}

func ExampleStripper_Strip() {
	enabled := true
	r := generator.Renderer{Config: overlay.Config{Enabled: &enabled}}
	var overlaid bytes.Buffer
	if _, err := r.Render(strings.NewReader(exampleDeployment), &overlaid); err != nil {
		fmt.Println("error:", err)
		return
	}

	var s generator.Stripper
	var stripped bytes.Buffer
	n, err := s.Strip(&overlaid, &stripped)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("stripped %d pod template(s)\n", n)
	fmt.Print(stripped.String())
	// Output:
	// stripped 1 pod template(s)
	// ---
	// # Source: shop/templates/deployment.yaml
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   name: shop
	// spec:
	//   selector:
	//     matchLabels:
	//       app: shop
	//   template:
	//     metadata:
	//       labels:
	//         app: shop
	//     spec:
	//       containers:
	//         - name: shop
	//           image: ghcr.io/example/shop:1.0
	//           volumeMounts:
	//             - name: config
	//               mountPath: /etc/shop
	//       volumes:
	//         - name: config
	//           configMap:
	//             name: shop
}
