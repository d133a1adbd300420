#!/usr/bin/env bash
# Runs the end-to-end tests: real LiteLLM (the version pinned in
# LITELLM_VERSION, installed by test/harness/litellm-env.sh) played as each
# gateway's pod, against a private control plane (.local/e2e-cluster) that
# is brought up once and always torn down, pass or fail.
#   test/e2e/run.sh [pytest args...]
# GW_OPERATOR_BIN: the operator binary (ctest sets it; default build/).
# LGO_E2E_MODE=render|controller: who renders (default: controller when the
#   binary has `serve`, else its offline render).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../harness/common.sh"
export LGO_STATE_DIR="${LGO_STATE_DIR:-$LOCAL_DIR/e2e-cluster}"
# kubectl's discovery cache belongs to this control plane: the CRD tests
# clear it when the served versions change, which must not reach another
# checkout's runs or the user's own cache.
export KUBECACHEDIR="${KUBECACHEDIR:-$LGO_STATE_DIR/kube-cache}"
export GW_OPERATOR_BIN="${GW_OPERATOR_BIN:-$REPO_ROOT/build/litellm-gateway-operator}"
# The end-to-end tests never leave the machine: LiteLLM reads its model cost
# map from the package, and nothing may phone home.
export LITELLM_LOCAL_MODEL_COST_MAP=true NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
venv="$("$REPO_ROOT/test/harness/litellm-env.sh")" || exit 1
export LGO_LITELLM_VENV="$venv"
cleanup() { "$REPO_ROOT/test/harness/cluster-down.sh"; }
trap cleanup EXIT INT TERM
# cluster-up picks random loopback ports; on a busy machine one may be taken
# between the pick and the bind, so try again before giving up.
for attempt in 1 2 3; do
  "$REPO_ROOT/test/harness/cluster-up.sh" && break
  [ "$attempt" = 3 ] && exit 1
  log "control plane did not come up (attempt $attempt), retrying"
done
cd "$REPO_ROOT"
# A private base temp dir (pod work dirs and LiteLLM logs stay there after
# the run): the shared /tmp/pytest-of-$USER is pruned by other sessions.
"$venv/bin/python" -m pytest -p no:cacheprovider -v -ra --basetemp "$LOCAL_DIR/e2e-tmp" "$here" "$@"
