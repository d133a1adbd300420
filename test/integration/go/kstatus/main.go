// Command kstatus computes the kstatus verdict (Current, InProgress, Failed,
// ...) of live objects with sigs.k8s.io/cli-utils/pkg/kstatus/status, the
// library Flux, `kubectl wait` tooling and cli-utils use, and prints one
// JSON line per object: {"resource", "namespace", "name", "status",
// "message"}.
//
//	kstatus --kubeconfig FILE RESOURCE.GROUP/VERSION NAMESPACE NAME [...]
//
// Objects are fetched from the API server (never from files), so the
// verdict is about what the operator actually wrote.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Resource  string `json:"resource"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// parseResource reads "plural.group/version" (or "plural/version" for the
// core group).
func parseResource(s string) (schema.GroupVersionResource, error) {
	slash := strings.LastIndex(s, "/")
	if slash <= 0 || slash == len(s)-1 {
		return schema.GroupVersionResource{}, fmt.Errorf("resource %q: want plural.group/version", s)
	}
	res, version := s[:slash], s[slash+1:]
	plural, group, _ := strings.Cut(res, ".")
	return schema.GroupVersionResource{Group: group, Version: version, Resource: plural}, nil
}

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || len(args)%3 != 0 {
		fmt.Fprintln(os.Stderr, "usage: kstatus --kubeconfig FILE RESOURCE.GROUP/VERSION NAMESPACE NAME [...]")
		os.Exit(2)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconfig:", err)
		os.Exit(2)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	enc := json.NewEncoder(os.Stdout)
	rc := 0
	for i := 0; i < len(args); i += 3 {
		gvr, err := parseResource(args[i])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		v := verdict{Resource: args[i], Namespace: args[i+1], Name: args[i+2]}
		obj, err := dc.Resource(gvr).Namespace(v.Namespace).Get(ctx, v.Name, v1.GetOptions{})
		if err != nil {
			v.Status, v.Message, rc = "Error", err.Error(), 1
		} else if res, err := status.Compute(obj); err != nil {
			v.Status, v.Message, rc = "Error", err.Error(), 1
		} else {
			v.Status, v.Message = res.Status.String(), res.Message
		}
		_ = enc.Encode(v)
	}
	os.Exit(rc)
}
