#!/usr/bin/env bash
# Restarts the API server of a running local control plane with the same
# command line (etcd and the controller-manager keep running), then waits
# until it is ready again. Watches break; clients must resume.
#   test/harness/restart-apiserver.sh [DOWN_SECONDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STATE="${LGO_STATE_DIR:-$LOCAL_DIR}"
. "$STATE/env"
pid=$(cat "$STATE/pids/kube-apiserver")
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL -- "-$pid" 2>/dev/null || true
sleep "${1:-0}"
mapfile -d '' cmd < "$STATE/kube-apiserver.cmd"
setsid "${cmd[@]}" >>"$STATE/logs/kube-apiserver.log" 2>&1 < /dev/null &
echo $! > "$STATE/pids/kube-apiserver"
for _ in $(seq 1 600); do
  "$LGO_BIN_DIR/kubectl" get --raw /readyz >/dev/null 2>&1 && { log "kube-apiserver restarted"; exit 0; }
  sleep 0.2
done
log "kube-apiserver did not come back"; exit 1
