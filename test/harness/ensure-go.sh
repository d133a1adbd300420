#!/usr/bin/env bash
# Makes sure a Go toolchain new enough for the Kubernetes build (1.24+)
# is available. Uses the machine's go when it is recent; otherwise installs
# Debian's go as a bootstrap and fetches the Go release itself as the
# golang.org/toolchain module through the module proxy.
#   ensure-go.sh               install when needed
#   ensure-go.sh --print-bin   print the directory holding the go to use
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
WANT="${LGO_GO_VERSION:-1.26.8}"
recent() {
  local v
  v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n1.24\n' "$v" | sort -V | head -1)" = 1.24 ]
}
toolchain_bin="$HARNESS_CACHE/go/golang.org/toolchain@v0.0.1-go$WANT.linux-amd64/bin"
if command -v go >/dev/null 2>&1 && recent "$(command -v go)"; then
  [ "${1:-}" = --print-bin ] && dirname "$(command -v go)"
  exit 0
fi
if [ -x "$toolchain_bin/go" ]; then
  [ "${1:-}" = --print-bin ] && echo "$toolchain_bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go >&2
fi
log "fetching Go $WANT as a module through the module proxy"
tmp=$(mktemp -d)
(cd "$tmp" && GOMODCACHE="$HARNESS_CACHE/go" GOFLAGS=-mod=mod GO111MODULE=on \
   go mod download "golang.org/toolchain@v0.0.1-go$WANT.linux-amd64") >&2
rm -rf "$tmp"
chmod -R u+w "$HARNESS_CACHE/go" 2>/dev/null || true
chmod +x "$toolchain_bin/go" "$toolchain_bin/gofmt" 2>/dev/null || true
[ "${1:-}" = --print-bin ] && echo "$toolchain_bin"
exit 0
