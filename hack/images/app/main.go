// Command app is the program of the test node's shell-less image
// (debug-overlay.test/app, a single static binary and its own files, no
// shell): what a distroless application is to the tools and holds of
// issue 26.
//
//	app serve [--config FILE]   read the configuration, then listen on :8080 until SIGTERM
//	app migrate --db HOST       fail as a migration does whose database is down
//
// With a --config that cannot be read, serve fails at start, as a program
// with a broken configuration does, so a Deployment of it crash-loops.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: app serve [--config FILE] | app migrate --db HOST")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("app "+os.Args[1], flag.ExitOnError)
	switch os.Args[1] {
	case "serve":
		config := fs.String("config", "/etc/app/app.conf", "The configuration file")
		fs.Parse(os.Args[2:])
		data, err := os.ReadFile(*config)
		if err != nil {
			fmt.Fprintf(os.Stderr, "app: reading the configuration: %v\n", err)
			os.Exit(1)
		}
		l, err := net.Listen("tcp", ":8080")
		if err != nil {
			fmt.Fprintf(os.Stderr, "app: %v\n", err)
			os.Exit(1)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		fmt.Printf("app: serving with %s (%d bytes)\n", *config, len(data))
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
		fmt.Println("app: stopping")
	case "migrate":
		db := fs.String("db", "", "The database host")
		fs.Parse(os.Args[2:])
		fmt.Fprintf(os.Stderr, "app migrate: cannot reach the database at %q: connection refused\n", *db)
		os.Exit(3)
	default:
		fmt.Fprintf(os.Stderr, "app: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}
