// kubecheck validates a stream of Kubernetes manifests (e.g. `helm template … | kubecheck`) offline by strict
// decoding into the pinned API types (see package kube). Exit 1 naming every document that fails.
package main

import (
	"fmt"
	"io"
	"os"

	"deltawriter.local/deploy/tools/kube"
)

func main() {
	stream, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}
	objects, err := kube.Decode(stream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck: invalid manifests:\n"+err.Error())
		os.Exit(1)
	}
	fmt.Printf("kubecheck: %d manifests valid\n", len(objects))
}
