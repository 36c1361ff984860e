// composecheck loads Compose files the way `docker compose config` does — compose-go, the library the Compose CLI
// is built on: interpolation, merging, and validation against the Compose specification's JSON schema — for
// machines without the Compose plugin. `composecheck -f compose.yaml [-f …]`; exit 1 with the loader's error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var paths files
	flag.Var(&paths, "f", "Compose file (repeatable)")
	flag.Parse()
	if len(paths) == 0 {
		fmt.Fprintln(os.Stderr, "usage: composecheck -f compose.yaml [-f …]")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions(paths, cli.WithOsEnv, cli.WithDotEnv, cli.WithConsistency(true))
	if err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(1)
	}
	fmt.Printf("composecheck: %s is valid (%d services)\n", strings.Join(paths, ", "), len(project.Services))
}
