#!/usr/bin/env bash
# Stops what cluster-up.sh started (and anything it left behind in this
# state directory): TERM first, KILL after a grace period. Keeps the PKI so
# kubeconfigs stay valid, removes etcd's data so the next start is clean.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STATE="${LGO_STATE_DIR:-$LOCAL_DIR}"
[ -d "$STATE/pids" ] || exit 0
stopped=0
for name in kube-controller-manager kube-apiserver etcd; do
  f="$STATE/pids/$name"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    stopped=$((stopped + 1))
  fi
  rm -f "$f"
done
rm -rf "$STATE/etcd" "$STATE/env"
log "control plane stopped ($stopped process(es))"
