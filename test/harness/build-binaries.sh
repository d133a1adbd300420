#!/usr/bin/env bash
# Builds the control-plane binaries the tests and the demo run against:
# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes,
# and etcd from go.etcd.io/etcd/server/v3. Everything is built from the Go
# module proxy into a cache outside the repository, keyed by version, so a
# warm run only checks that the binaries are there.
#
# Prints the directory that holds the binaries on stdout.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
# Staging modules are published as v0.<minor>.<patch> next to each v1 tag.
STAGING_VERSION="v0.${K8S_VERSION#v1.}"

BIN_DIR="$HARNESS_CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
WANT=(kube-apiserver kube-controller-manager kubectl etcd)

have_all() {
    local b
    for b in "${WANT[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

if have_all; then
    log "control-plane binaries cached in $BIN_DIR"
    echo "$BIN_DIR"
    exit 0
fi

command -v go >/dev/null || { log "go is not installed (run test/harness/install-deps.sh)"; exit 1; }

export CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
WORK="$HARNESS_CACHE/build/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$WORK/k8s" "$WORK/etcd" "$BIN_DIR.tmp"

# --- Kubernetes -----------------------------------------------------------
# The k8s.io/kubernetes go.mod points every k8s.io/* staging module at
# ./staging/...; a module that depends on it must map each of those to the
# published release of the same minor instead. The list comes from the
# upstream go.mod itself so that a version bump needs no edits here.
cd "$WORK/k8s"
if [[ ! -f go.mod.done ]]; then
    log "fetching k8s.io/kubernetes@$K8S_VERSION module metadata"
    gomod_path="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
        | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$gomod_path" ]] || { log "could not download the go.mod of k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    go_line="$(grep -m1 '^go ' "$gomod_path")"
    {
        echo "module lgo.local/k8s-tools"
        echo
        echo "$go_line"
        echo
        echo "require k8s.io/kubernetes $K8S_VERSION"
        echo
        echo "replace ("
        grep -E '^[[:space:]]*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod_path" \
            | awk -v v="$STAGING_VERSION" '{ printf "\t%s => %s %s\n", $1, $1, v }'
        echo ")"
        echo
        echo "tool ("
        echo "	k8s.io/kubernetes/cmd/kube-apiserver"
        echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
        echo "	k8s.io/kubernetes/cmd/kubectl"
        echo ")"
    } > go.mod
    log "resolving module graph ($(grep -c '=> ' go.mod) staging modules pinned to $STAGING_VERSION)"
    go mod tidy
    touch go.mod.done
fi
for cmd in kube-apiserver kube-controller-manager kubectl; do
    if [[ ! -x "$BIN_DIR.tmp/$cmd" ]]; then
        log "building $cmd $K8S_VERSION (CGO_ENABLED=0)"
        go build -trimpath -ldflags "-s -w \
            -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
            -X k8s.io/component-base/version.gitMajor=1 \
            -X k8s.io/component-base/version.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) \
            -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
            -o "$BIN_DIR.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd"
    fi
done

# --- etcd -----------------------------------------------------------------
cd "$WORK/etcd"
if [[ ! -x "$BIN_DIR.tmp/etcd" ]]; then
    cat > main.go <<'EOF'
// Command etcd runs the etcd server from go.etcd.io/etcd/server/v3.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
    if [[ ! -f go.mod ]]; then
        go mod init lgo.local/etcd-tools >/dev/null 2>&1
        go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
        go mod tidy
    fi
    log "building etcd $ETCD_VERSION (CGO_ENABLED=0)"
    go build -trimpath -ldflags "-s -w" -o "$BIN_DIR.tmp/etcd" .
fi

rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"
have_all || { log "build finished but binaries are missing in $BIN_DIR"; exit 1; }
log "control-plane binaries ready in $BIN_DIR"
echo "$BIN_DIR"
