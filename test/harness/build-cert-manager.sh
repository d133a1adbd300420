#!/usr/bin/env bash
# Builds cert-manager's certificate controllers and CA injector from the Go
# module github.com/cert-manager/cert-manager into one binary (see
# test/harness/cert-manager/main.go), and copies the module's CRDs next to
# it. Cached outside the repository, keyed by the cert-manager version and a
# hash of the main, so a warm run only checks that the files are there.
#
# Prints the directory that holds `cert-manager` and `crds/` on stdout.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.21.2}"
SRC="$REPO_ROOT/test/harness/cert-manager/main.go"
KEY="$(sha256sum "$SRC" | cut -c1-12)"
BIN_DIR="$HARNESS_CACHE/bin/cert-manager-$CERT_MANAGER_VERSION-$KEY"

if [[ -x "$BIN_DIR/cert-manager" && -f "$BIN_DIR/crds/cert-manager.io_certificates.yaml" ]]; then
    log "cert-manager $CERT_MANAGER_VERSION cached in $BIN_DIR"
    echo "$BIN_DIR"
    exit 0
fi

command -v go >/dev/null || export PATH="$("$REPO_ROOT/test/harness/ensure-go.sh" --print-bin):$PATH"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
WORK="$HARNESS_CACHE/build/cert-manager-$CERT_MANAGER_VERSION"
mkdir -p "$WORK" "$BIN_DIR.tmp"
cd "$WORK"
cp "$SRC" main.go
if [[ ! -f go.mod.done ]]; then
    rm -f go.mod go.sum
    go mod init lgo.local/cert-manager-tools >/dev/null 2>&1
    log "resolving github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION"
    go get "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION"
    go mod tidy
    touch go.mod.done
fi
log "building cert-manager $CERT_MANAGER_VERSION controller+cainjector (CGO_ENABLED=0)"
go build -trimpath -ldflags "-s -w" -o "$BIN_DIR.tmp/cert-manager" .

moddir="$(go list -m -f '{{.Dir}}' "github.com/cert-manager/cert-manager")"
mkdir -p "$BIN_DIR.tmp/crds"
cp "$moddir"/deploy/crds/*.yaml "$BIN_DIR.tmp/crds/"
chmod u+w "$BIN_DIR.tmp/crds/"*.yaml
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"
log "cert-manager ready in $BIN_DIR"
echo "$BIN_DIR"
