#!/usr/bin/env bash
# Points the conversion webhook of the AiGateway, ToolGateway and ToolRoute
# CRDs at an operator running outside the cluster (tests, `make demo`):
# clientConfig.url URL/convert with the given CA as caBundle, and v1beta1
# served. In a cluster cert-manager injects the caBundle instead.
#
#   test/harness/crd-conversion.sh KUBECONFIG URL CA_FILE
#   test/harness/crd-conversion.sh --unserve KUBECONFIG
#
# --unserve keeps v1beta1 defined but not served: kubectl's preferred
# version is then v1alpha1 again and the API server never calls a
# conversion webhook. Suites that run no operator use it after installing
# crds/, since a served v1beta1 (the preferred version) would make every
# `kubectl get aigateways` depend on the webhook.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
kubectl_bin() {
  if [ -n "${LGO_BIN_DIR:-}" ] && [ -x "$LGO_BIN_DIR/kubectl" ]; then echo "$LGO_BIN_DIR/kubectl"
  else command -v kubectl || { log "kubectl not found (set LGO_BIN_DIR or PATH)"; exit 1; }; fi
}
CRDS="aigateways toolgateways toolroutes"
GROUP=runtime.agentic-layer.ai

# The index of v1beta1 in spec.versions of one CRD.
beta_index() {
  local names i=0
  names=$("${k[@]}" get crd "$1.$GROUP" -o jsonpath='{.spec.versions[*].name}')
  for n in $names; do
    [ "$n" = v1beta1 ] && { echo "$i"; return 0; }
    i=$((i + 1))
  done
  log "$1.$GROUP has no v1beta1"; return 1
}

# kubectl keeps the API server's discovery on disk; after the served
# versions change, a cached preferred version would send requests to a
# version that is no longer (or not yet) served.
forget_discovery() {
  local cache="${KUBECACHEDIR:-$HOME/.kube/cache}"
  rm -rf "$cache/discovery" "$cache/http"
}

set_served() {
  local crd=$1 served=$2 idx
  idx=$(beta_index "$crd")
  "${k[@]}" patch crd "$crd.$GROUP" --type=json \
    -p "[{\"op\":\"replace\",\"path\":\"/spec/versions/$idx/served\",\"value\":$served}]" >/dev/null
}

if [ "${1:-}" = "--unserve" ]; then
  [ $# -eq 2 ] || usage
  k=("$(kubectl_bin)" --kubeconfig "$2")
  for crd in $CRDS; do set_served "$crd" false; done
  # Discovery follows asynchronously: wait until v1beta1 is gone from it.
  for _ in $(seq 1 100); do
    "${k[@]}" get --raw "/apis/$GROUP/v1beta1" >/dev/null 2>&1 || { forget_discovery; log "v1beta1 not served"; exit 0; }
    sleep 0.1
  done
  log "v1beta1 is still served after 10s"; exit 1
fi

[ $# -eq 3 ] || usage
kubeconfig=$1 url=${2%/} ca=$3
[ -r "$ca" ] || { log "cannot read CA file $ca"; exit 1; }
case "$url" in https://*) ;; *) log "URL must start with https:// (got $url)"; exit 2 ;; esac
k=("$(kubectl_bin)" --kubeconfig "$kubeconfig")
bundle=$(base64 -w0 < "$ca")
for crd in $CRDS; do
  "${k[@]}" patch crd "$crd.$GROUP" --type=merge -p "{\"spec\":{\"conversion\":{\"strategy\":\"Webhook\",
    \"webhook\":{\"conversionReviewVersions\":[\"v1\"],
    \"clientConfig\":{\"service\":null,\"url\":\"$url/convert\",\"caBundle\":\"$bundle\"}}}}}" >/dev/null
  set_served "$crd" true
done
for _ in $(seq 1 100); do
  if out=$("${k[@]}" get --raw "/apis/$GROUP/v1beta1" 2>/dev/null) && \
     [ "$(grep -o '"name":"\(aigateways\|toolgateways\|toolroutes\)"' <<<"$out" | sort -u | wc -l)" -eq 3 ]; then
    forget_discovery
    log "v1beta1 served, conversion at $url/convert"
    exit 0
  fi
  sleep 0.1
done
log "v1beta1 not in discovery after 10s"; exit 1
