// Command ssaapply drives Flux's server-side apply engine
// (github.com/fluxcd/pkg/ssa), the one kustomize-controller uses, against
// the API server: it applies manifests the way Flux does, or asks it for
// drift, and prints one JSON line per object.
//
//	ssaapply --kubeconfig FILE apply FILE...   {"subject", "action"}
//	ssaapply --kubeconfig FILE diff FILE...    {"subject", "action", "changes"}
//
// apply prints the engine's action for each object (created, configured,
// unchanged). diff prints the engine's drift verdict and, for drifted
// objects, the paths where the dry-run result differs from the live object
// (server bookkeeping under metadata aside).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	"github.com/fluxcd/pkg/ssa/normalize"
	"github.com/fluxcd/pkg/ssa/utils"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

type line struct {
	Subject string   `json:"subject"`
	Action  string   `json:"action"`
	Changes []string `json:"changes,omitempty"`
}

// Fields the API server maintains on every write; not part of what was
// declared.
var bookkeeping = map[string]bool{
	".metadata.managedFields":   true,
	".metadata.resourceVersion": true,
	".metadata.generation":      true,
}

// changedPaths lists where a and b differ, as .a.b[2].c paths.
func changedPaths(path string, a, b any, out *[]string) {
	if bookkeeping[path] {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			changedPaths(path+"."+k, am[k], bm[k], out)
		}
		return
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok && len(as) == len(bs) {
		for i := range as {
			changedPaths(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, path)
	}
}

func readAll(files []string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		o, err := utils.ReadObjects(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		objs = append(objs, o...)
	}
	// What kustomize-controller does before applying: defaults for native
	// kinds (Secret stringData to data, and so on).
	if err := normalize.UnstructuredList(objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	flag.Parse()
	args := flag.Args()
	if len(args) < 2 || (args[0] != "apply" && args[0] != "diff") {
		fmt.Fprintln(os.Stderr, "usage: ssaapply --kubeconfig FILE apply|diff FILE...")
		os.Exit(2)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeconfig:", err)
		os.Exit(2)
	}
	kc, err := client.New(cfg, client.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	objs, err := readAll(args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		os.Exit(2)
	}
	// The poller waits for a stage (Namespaces, then the rest) to be ready
	// before the next, as kustomize-controller does.
	poller := polling.NewStatusPoller(kc, kc.RESTMapper(), polling.Options{})
	rm := ssa.NewResourceManager(kc, poller, ssa.Owner{Field: "gitops-check", Group: "gitops-check.example.com"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	enc := json.NewEncoder(os.Stdout)
	if args[0] == "apply" {
		cs, err := rm.ApplyAllStaged(ctx, objs, ssa.DefaultApplyOptions())
		if err != nil {
			fmt.Fprintln(os.Stderr, "apply:", err)
			os.Exit(1)
		}
		for _, e := range cs.Entries {
			_ = enc.Encode(line{Subject: e.Subject, Action: string(e.Action)})
		}
		return
	}
	for _, o := range objs {
		e, live, merged, err := rm.Diff(ctx, o, ssa.DefaultDiffOptions())
		if err != nil {
			fmt.Fprintln(os.Stderr, "diff:", err)
			os.Exit(1)
		}
		l := line{Subject: e.Subject, Action: string(e.Action)}
		if live != nil && merged != nil {
			changedPaths("", live.Object, merged.Object, &l.Changes)
			sort.Strings(l.Changes)
		}
		_ = enc.Encode(l)
	}
}
