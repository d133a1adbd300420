#!/usr/bin/env bash
# Controller benchmark in its own control plane (audit log on). The operator
# command defaults to this build's `serve`; pass another to measure it the
# same way:
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
"$REPO_ROOT/test/harness/cluster-down.sh" >/dev/null 2>&1 || true
trap '"$REPO_ROOT/test/harness/cluster-down.sh"' EXIT
"$REPO_ROOT/test/harness/cluster-up.sh"
. "$LGO_STATE_DIR/env"
"$LGO_BIN_DIR/kubectl" apply --server-side -k "$REPO_ROOT/crds" >/dev/null
"$LGO_BIN_DIR/kubectl" wait --for=condition=Established crd --all --timeout=60s >/dev/null
if [ ${#cmd[@]} -eq 0 ]; then
  certs="$LGO_STATE_DIR/webhook-certs"
  "$REPO_ROOT/certs/gen-webhook-certs.sh" "$certs" >/dev/null
  cmd=("$bin" serve --kubeconfig "$KUBECONFIG" --cert-dir "$certs" --bind 127.0.0.1
       --webhook-port 0 --health-port 0 --workers 4 --default-class)
fi
mkdir -p "$REPO_ROOT/bench/results"
"$py" "$here/bench.py" --state "$LGO_STATE_DIR" --out "$REPO_ROOT/bench/results" "${args[@]}" -- "${cmd[@]}"
