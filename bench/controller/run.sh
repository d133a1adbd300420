#!/usr/bin/env bash
# Controller benchmark, each world in its own fresh control plane (audit log
# on). By default the scaling curve: 1x, 3x and 10x the small world (100
# AiGateways, 10 ToolGateways, 1,000 ToolRoutes), then the summary in
# bench/results/controller.{json,md}. BENCH_SCALES picks the multiples
# ("1 3 10"); explicit sizes run one world. The operator command defaults to
# this build's `serve`; pass another to measure it the same way:
#   bench/controller/run.sh [--ai N --tool N --routes N] [-- COMMAND...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../test/harness/common.sh"
export LGO_STATE_DIR="$LOCAL_DIR/bench-cluster"
export LGO_AUDIT=1
bin="${GW_OPERATOR_BIN:-$REPO_ROOT/build-release/litellm-gateway-operator}"
args=() cmd=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; cmd=("$@"); break; fi
  args+=("$1"); shift
done
py="$("$REPO_ROOT/test/harness/pyenv.sh")"
out="$REPO_ROOT/bench/results"
mkdir -p "$out"
trap '"$REPO_ROOT/test/harness/cluster-down.sh"' EXIT
# Bytes per object by kind, measured with the release build's libraries.
objcost="$REPO_ROOT/build-release/objcost"
rel="$REPO_ROOT/build-release"
cc -O2 -I"$REPO_ROOT/common" -I"$REPO_ROOT/common/kube" -I"$REPO_ROOT/controller" "$here/objcost.c" \
  "$rel/libgwserve.a" "$rel/libgwkube.a" "$rel/libgwcore.a" \
  $(pkg-config --libs json-c yaml-0.1 libcurl libmicrohttpd gnutls openssl) -lpthread -lm -o "$objcost"

# One world in a fresh control plane: bench.py ARGS...
run_world() {
  "$REPO_ROOT/test/harness/cluster-down.sh" >/dev/null 2>&1 || true
  "$REPO_ROOT/test/harness/cluster-up.sh"
  . "$LGO_STATE_DIR/env"
  "$LGO_BIN_DIR/kubectl" apply --server-side -k "$REPO_ROOT/crds" >/dev/null
  "$LGO_BIN_DIR/kubectl" wait --for=condition=Established crd --all --timeout=60s >/dev/null
  local c=("${cmd[@]}")
  if [ ${#c[@]} -eq 0 ]; then
    certs="$LGO_STATE_DIR/webhook-certs"
    "$REPO_ROOT/certs/gen-webhook-certs.sh" "$certs" >/dev/null
    c=("$bin" serve --kubeconfig "$KUBECONFIG" --cert-dir "$certs" --bind 127.0.0.1
       --webhook-port 0 --health-port 0 --workers 4 --default-class)
  fi
  "$py" "$here/bench.py" --state "$LGO_STATE_DIR" --out "$out" --objcost "$objcost" "$@" -- "${c[@]}"
}

if [ ${#args[@]} -gt 0 ]; then
  run_world "${args[@]}"
  exit
fi
labels=()
status=0
for k in ${BENCH_SCALES:-1 3 10}; do
  run_world --ai $((100 * k)) --tool $((10 * k)) --routes $((1000 * k)) --label "${k}x" || status=1
  labels+=("${k}x")
done
"$py" "$here/curve.py" --out "$out" "${labels[@]}"
exit $status
