#!/usr/bin/env bash
# Builds the Go check programs (kstatus, ssaapply) into a cache directory
# keyed by the hash of go.sum and their sources, so a warm run only checks
# that the binaries are there. Prints the directory on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../../harness/common.sh"
key="$(cat "$here/go.mod" "$here/go.sum" "$here"/*/*.go | sha256sum | cut -c1-16)"
out="$HARNESS_CACHE/gitops-go-$key"
if [[ -x "$out/kstatus" && -x "$out/ssaapply" ]]; then
    echo "$out"
    exit 0
fi
gobin="$("$here/../../harness/ensure-go.sh" --print-bin)"
log "building the Go check programs (kstatus, ssaapply) into $out"
mkdir -p "$out.tmp"
(cd "$here" && CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false -mod=mod" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" \
    "$gobin/go" build -trimpath -o "$out.tmp/" ./kstatus ./ssaapply) >&2
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
