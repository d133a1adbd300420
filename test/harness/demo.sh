#!/usr/bin/env bash
# The README's main command (`make demo`): a local control plane with the
# operator, its webhooks and the samples, left running until `make demo-down`.
# The operator is installed the way docs/install.md says (deploy/install.sh,
# real cert-manager built by build-cert-manager.sh); as there is no kubelet,
# the operator runs as a local process under its ServiceAccount's token, its
# cert dir the Certificate's Secret projected like the kubelet does, and the
# webhooks point at it by URL (test/harness/local_install.py); and
# test/harness/kubelet-stand-in.sh marks the gateways' pods Running and Ready
# the way a kubelet would once their containers are up, so the gateways reach
# Ready and the routes get their URLs.
#   test/harness/demo.sh up|down
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE="${LGO_STATE_DIR:-$LOCAL_DIR}"
export LGO_STATE_DIR="$STATE"
BIN="${GW_OPERATOR_BIN:-$REPO_ROOT/build/litellm-gateway-operator}"
WEBHOOK_PORT="${LGO_WEBHOOK_PORT:-9443}"
HEALTH_PORT="${LGO_HEALTH_PORT:-8081}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

stop_pid() {
  local f="$STATE/pids/$1"
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_all() {
  stop_pid kubelet-stand-in
  stop_pid operator
  stop_pid secret-projector
  stop_pid cert-manager-cainjector
  stop_pid cert-manager-controller
}

case "${1:-up}" in
  down)
    stop_all
    "$REPO_ROOT/test/harness/cluster-down.sh"
    exit 0 ;;
  up) ;;
  *) echo "usage: demo.sh up|down" >&2; exit 2 ;;
esac

[ -x "$BIN" ] || { log "$BIN is missing: run make build"; exit 1; }
"$REPO_ROOT/test/harness/cluster-up.sh"
. "$STATE/env"
k() { "$LGO_BIN_DIR/kubectl" "$@"; }

stop_all
mkdir -p "$STATE/logs" "$STATE/pids"
bg() {  # bg NAME CMD...: a background process in its own session, logged
  local name=$1; shift
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/$name"
}

say "Starting cert-manager (controller and cainjector, built from its Go module)"
CM_DIR="$("$REPO_ROOT/test/harness/build-cert-manager.sh")"
k apply --server-side --force-conflicts -f "$CM_DIR/crds/" >/dev/null
k wait --for=condition=Established --timeout=60s -f "$CM_DIR/crds/" >/dev/null
bg cert-manager-controller "$CM_DIR/cert-manager" controller --kubeconfig "$KUBECONFIG"
bg cert-manager-cainjector "$CM_DIR/cert-manager" cainjector --kubeconfig "$KUBECONFIG"

say "Installing the operator: deploy/install.sh (webhooks pointed at https://127.0.0.1:$WEBHOOK_PORT)"
py="$("$REPO_ROOT/test/harness/pyenv.sh")"
KUBECTL="$LGO_BIN_DIR/kubectl" "$py" "$REPO_ROOT/test/harness/local_install.py" kustomization \
  "$STATE/install" "$WEBHOOK_PORT" >/dev/null
KUBECTL="$LGO_BIN_DIR/kubectl --kubeconfig $KUBECONFIG" "$REPO_ROOT/deploy/install.sh" "$STATE/install"

say "Starting the operator (its ServiceAccount's token; health on :$HEALTH_PORT)"
certs="$STATE/webhook-certs"
rm -rf "$certs"
KUBECTL="$LGO_BIN_DIR/kubectl" bg secret-projector "$py" "$REPO_ROOT/test/harness/local_install.py" project \
  "$KUBECONFIG" litellm-gateway-operator litellm-gateway-operator-webhook-tls "$certs"
for _ in $(seq 1 100); do [ -e "$certs/tls.key" ] && break; sleep 0.1; done
POD_NAME=litellm-gateway-operator-demo POD_NAMESPACE=litellm-gateway-operator \
  bg operator "$BIN" serve --cert-dir "$certs" --bind 127.0.0.1 --webhook-port "$WEBHOOK_PORT" \
  --health-port "$HEALTH_PORT" --kubeconfig "$LGO_OPERATOR_KUBECONFIG" --leader-elect
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$STATE/pids/operator")" 2>/dev/null || { log "the operator exited:"; tail -20 "$STATE/logs/operator.log" >&2; exit 1; }
  sleep 0.1
done
log "operator running (pid $(cat "$STATE/pids/operator"), log $STATE/logs/operator.log)"

say "Classes (installed, marked default by deploy/default-classes)"
for _ in $(seq 1 50); do k get aigatewayclass litellm >/dev/null 2>&1 && break; sleep 0.1; done
k get aigatewayclasses,toolgatewayclasses

say "Applying the samples (deploy/samples)"
k apply -f "$REPO_ROOT/deploy/samples/00-namespaces.yaml"
for f in "$REPO_ROOT"/deploy/samples/*.yaml; do
  [ "$(basename "$f")" = 00-namespaces.yaml ] && continue
  k apply -f "$f"
done

say "Standing in for the kubelet: the samples' pods are marked Running and Ready"
bg kubelet-stand-in "$REPO_ROOT/test/harness/kubelet-stand-in.sh" ai-gateway tool-gateway tools
log "kubelet stand-in running (log $STATE/logs/kubelet-stand-in.log)"

say "A bad object is refused at once by the admission webhook"
for f in "$REPO_ROOT"/deploy/samples/invalid/*.yaml; do
  echo "\$ kubectl apply -f deploy/samples/invalid/$(basename "$f")"
  if k apply -f "$f"; then log "UNEXPECTED: $(basename "$f") was accepted"; exit 1; fi
done

say "Status after reconciliation"
k wait --for=condition=Ready --timeout=90s -n ai-gateway aigateway --all >/dev/null 2>&1 \
  || log "not every AiGateway is Ready yet; see $STATE/logs/operator.log"
k wait --for=condition=Ready --timeout=90s -n tool-gateway toolgateway --all >/dev/null 2>&1 \
  || log "not every ToolGateway is Ready yet; see $STATE/logs/operator.log"
k wait --for=jsonpath='{.status.url}' --timeout=60s -A toolroute --all >/dev/null 2>&1 \
  || log "not every ToolRoute has its URL yet; see $STATE/logs/operator.log"
k get aigateways,toolgateways -A
k get toolroutes -A

say "Rendered LiteLLM config of ai-gateway/guarded (ConfigMap guarded-config)"
k get configmap -n ai-gateway guarded-config -o jsonpath='{.data.config\.yaml}' 2>/dev/null \
  || log "ConfigMap not there yet; see $STATE/logs/operator.log"

say "Rendered LiteLLM config of tool-gateway/tools (ConfigMap tools-config)"
k get configmap -n tool-gateway tools-config -o jsonpath='{.data.config\.yaml}' 2>/dev/null \
  || log "ConfigMap not there yet; see $STATE/logs/operator.log"

cat <<EOF

The demo keeps running. Try:
  source $STATE/env
  $LGO_BIN_DIR/kubectl get aigateways,toolroutes -A
  $LGO_BIN_DIR/kubectl apply -f deploy/samples/invalid/ai-gateway-bad.yaml
  curl -s http://127.0.0.1:$HEALTH_PORT/metrics
Stop everything with: make demo-down
EOF
