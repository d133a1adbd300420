#!/usr/bin/env bash
# Runs the integration tests: brings a dedicated control plane up once
# (state in .local/test-cluster, apart from the demo's), runs pytest on
# test/integration, and always tears the plane down, pass or fail.
#   test/integration/run.sh [pytest args...]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../harness/common.sh"
export LGO_STATE_DIR="${LGO_STATE_DIR:-$LOCAL_DIR/test-cluster}"
# kubectl's discovery cache belongs to this control plane: the CRD tests
# clear it when the served versions change, which must not reach another
# checkout's runs or the user's own cache.
export KUBECACHEDIR="${KUBECACHEDIR:-$LGO_STATE_DIR/kube-cache}"
export GW_OPERATOR_BIN="${GW_OPERATOR_BIN:-$REPO_ROOT/build/litellm-gateway-operator}"
py="$("$REPO_ROOT/test/harness/pyenv.sh")" || exit 1
cleanup() { "$REPO_ROOT/test/harness/cluster-down.sh"; }
trap cleanup EXIT INT TERM
# Small watch caches and frequent compaction, so that watch tests meet
# 410 Gone for real.
export LGO_SMALL_WATCH_CACHE="${LGO_SMALL_WATCH_CACHE:-1}"
"$REPO_ROOT/test/harness/cluster-up.sh" || exit 1
cd "$REPO_ROOT"
"$py" -m pytest -p no:cacheprovider -v "$here" "$@"
