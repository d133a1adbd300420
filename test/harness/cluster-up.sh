#!/usr/bin/env bash
# Starts a real control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager (garbage collection, Deployments), built from
# source by build-binaries.sh. No kubelet, no container runtime.
#
# The API server runs with the OwnerReferencesPermissionEnforcement
# admission plugin (as OpenShift does), so setting blockOwnerDeletion needs
# update on the owner's finalizers. The operator's namespace, ServiceAccount
# and RBAC (deploy/namespace, deploy/rbac) are installed, and
# operator.kubeconfig holds a token of that ServiceAccount (TokenRequest,
# 48 h, renewed on every run), so tests can run the operator with exactly
# the permissions an install grants it.
#
# State lives in $LGO_STATE_DIR (default: .local/ in the repository):
#   kubeconfig   admin kubeconfig (client cert, system:masters)
#   operator.kubeconfig  the operator ServiceAccount's token
#   env          shell settings: KUBECONFIG, LGO_BIN_DIR, ports, pids
#   logs/        one log per component
#   pki/, etcd/  certificates and etcd's data
# Starting twice does not start two: a healthy running plane is reused.
#
#   test/harness/cluster-up.sh [--small-watch-cache]
# --small-watch-cache (or LGO_SMALL_WATCH_CACHE=1) compacts etcd every 5 s,
# so resourceVersions age out quickly. (kube-apiserver 1.36 sizes its watch
# caches dynamically and ignores --watch-cache-sizes; the reliable way to
# make a watcher meet 410 Gone is restart-apiserver.sh: the new watch cache
# starts after the resourceVersion the watcher resumes from.)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

small="${LGO_SMALL_WATCH_CACHE:-0}"
for a in "$@"; do
  case "$a" in
    --small-watch-cache) small=1 ;;
    *) echo "usage: cluster-up.sh [--small-watch-cache]" >&2; exit 2 ;;
  esac
done

STATE="${LGO_STATE_DIR:-$LOCAL_DIR}"
mkdir -p "$STATE/logs" "$STATE/pids"
STATE="$(cd "$STATE" && pwd)"   # the kubeconfig names files by absolute path
BIN_DIR="$("$REPO_ROOT/test/harness/build-binaries.sh")"

alive() { [ -f "$STATE/pids/$1" ] && kill -0 "$(cat "$STATE/pids/$1")" 2>/dev/null; }

# The operator's ServiceAccount and RBAC exactly as deploy/ installs them,
# and a kubeconfig with a fresh token of that ServiceAccount.
OPERATOR_NS=litellm-gateway-operator
OPERATOR_SA=litellm-gateway-operator
operator_identity() {
  local k=("$BIN_DIR/kubectl" --kubeconfig "$STATE/kubeconfig")
  "${k[@]}" apply -k "$REPO_ROOT/deploy/namespace" >/dev/null
  "${k[@]}" apply -k "$REPO_ROOT/deploy/rbac" >/dev/null
  local token server
  token=$("${k[@]}" -n "$OPERATOR_NS" create token "$OPERATOR_SA" --duration=48h)
  server=$("${k[@]}" config view -o jsonpath='{.clusters[0].cluster.server}')
  umask 077
  cat > "$STATE/operator.kubeconfig.tmp" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $server
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $OPERATOR_SA
  user:
    token: $token
contexts:
- name: operator
  context: {cluster: local, user: $OPERATOR_SA, namespace: $OPERATOR_NS}
current-context: operator
KCFG
  mv -f "$STATE/operator.kubeconfig.tmp" "$STATE/operator.kubeconfig"
}

if [ -f "$STATE/env" ] && alive etcd && alive kube-apiserver && alive kube-controller-manager \
   && "$BIN_DIR/kubectl" --kubeconfig "$STATE/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  log "control plane already running ($STATE/kubeconfig)"
  operator_identity
  exit 0
fi
# Something is half up: take it all down first.
"$REPO_ROOT/test/harness/cluster-down.sh" >/dev/null 2>&1 || true

# Ports come from below the kernel's ephemeral range (32768+), so an
# outgoing connection's local port cannot take one between pick and bind.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && ! ss -Htan "sport = :$1" 2>/dev/null | grep -q .
}
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if port_free "$p" && [[ " ${USED_PORTS:-} " != *" $p "* ]]; then
      USED_PORTS="${USED_PORTS:-} $p"; echo "$p"; return 0
    fi
  done
  log "no free loopback port found"; return 1
}
ETCD_PORT=$(pick_port); USED_PORTS=" $ETCD_PORT"
ETCD_PEER_PORT=$(pick_port); USED_PORTS+=" $ETCD_PEER_PORT"
API_PORT=$(pick_port); USED_PORTS+=" $API_PORT"
KCM_PORT=$(pick_port)

PKI="$STATE/pki"
"$REPO_ROOT/certs/gen-local-certs.sh" "$PKI"

# start NAME CMD...: runs a component in its own session, logging to logs/.
start() {
  local name=$1; shift
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/$name"
}

log "starting etcd on 127.0.0.1:$ETCD_PORT"
# The command line is kept so tests can restart etcd alone (restart-etcd.sh).
etcd_cmd=("$BIN_DIR/etcd" --name local --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
  --quota-backend-bytes 2147483648 --unsafe-no-fsync --log-level warn)
printf '%s\0' "${etcd_cmd[@]}" > "$STATE/etcd.cmd"
start etcd "${etcd_cmd[@]}"

for _ in $(seq 1 100); do
  port_free "$ETCD_PORT" || break
  alive etcd || { log "etcd exited:"; tail -20 "$STATE/logs/etcd.log" >&2; exit 1; }
  sleep 0.1
done

watch_flags=()
if [ "$small" = 1 ]; then
  watch_flags=(--etcd-compaction-interval 5s)
fi

# logs/audit.log records (metadata only) every write a ServiceAccount makes,
# so the fault tests can tell which replica of the operator wrote what and
# when. LGO_AUDIT=1 logs every request of everyone, so a benchmark can count
# what a client asked of the API server.
if [ "${LGO_AUDIT:-0}" = 1 ]; then
  cat > "$STATE/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
POLICY
else
  cat > "$STATE/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
  verbs: ["create", "update", "patch", "delete", "deletecollection"]
- level: None
POLICY
fi
audit_flags=(--audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/logs/audit.log"
             --audit-log-format json --audit-log-maxsize 2000)

log "starting kube-apiserver on https://127.0.0.1:$API_PORT"
# The command line is kept so tests can restart the API server alone.
apiserver_cmd=("$BIN_DIR/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode RBAC \
  --enable-admission-plugins OwnerReferencesPermissionEnforcement \
  --allow-privileged=false \
  --profiling=false \
  "${watch_flags[@]}" "${audit_flags[@]}")
printf '%s\0' "${apiserver_cmd[@]}" > "$STATE/kube-apiserver.cmd"
start kube-apiserver "${apiserver_cmd[@]}"

cat > "$STATE/kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: admin
  user:
    client-certificate: $PKI/admin.crt
    client-key: $PKI/admin.key
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
KCFG
chmod 600 "$STATE/kubeconfig"

KUBECTL=("$BIN_DIR/kubectl" --kubeconfig "$STATE/kubeconfig")
ok=0
for _ in $(seq 1 600); do
  if "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1; then ok=1; break; fi
  alive kube-apiserver || break
  sleep 0.2
done
if [ $ok -ne 1 ]; then
  log "kube-apiserver did not become ready:"; tail -30 "$STATE/logs/kube-apiserver.log" >&2; exit 1
fi

log "starting kube-controller-manager"
start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
  --kubeconfig "$STATE/kubeconfig" \
  --authentication-kubeconfig "$STATE/kubeconfig" --authorization-kubeconfig "$STATE/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
  --leader-elect=false \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route,-persistentvolume-binder,-attachdetach,-ttl,-persistentvolume-expander,-ephemeral-volume,-pv-protection,-pvc-protection' \
  --concurrent-gc-syncs 5 --authentication-skip-lookup=true

# The garbage collector and the Deployment controller must be up before
# a test relies on them: wait for the controller-manager's health.
for _ in $(seq 1 300); do
  if curl -sk "https://127.0.0.1:$KCM_PORT/healthz" 2>/dev/null | grep -q ok; then break; fi
  alive kube-controller-manager || { log "kube-controller-manager exited:"; tail -30 "$STATE/logs/kube-controller-manager.log" >&2; exit 1; }
  sleep 0.2
done

operator_identity

cat > "$STATE/env" <<ENV
export KUBECONFIG="$STATE/kubeconfig"
export LGO_BIN_DIR="$BIN_DIR"
export LGO_STATE_DIR="$STATE"
export KUBECACHEDIR="$STATE/kube-cache"
export LGO_API_URL="https://127.0.0.1:$API_PORT"
export LGO_API_PORT=$API_PORT
export LGO_ETCD_PORT=$ETCD_PORT
export LGO_KCM_PORT=$KCM_PORT
export LGO_SMALL_WATCH_CACHE=$small
export LGO_OPERATOR_KUBECONFIG="$STATE/operator.kubeconfig"
export LGO_OPERATOR_NAMESPACE=$OPERATOR_NS
ENV
log "control plane ready: KUBECONFIG=$STATE/kubeconfig (source $STATE/env)"
