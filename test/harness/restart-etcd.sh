#!/usr/bin/env bash
# Stops etcd of a running local control plane (the API server and the
# controller-manager keep running), keeps it down DOWN_SECONDS, then starts
# it again with the same command line on the same data directory and waits
# until the API server is ready again.
#   test/harness/restart-etcd.sh [DOWN_SECONDS]
#   test/harness/restart-etcd.sh --stop | --start   (the two halves alone)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STATE="${LGO_STATE_DIR:-$LOCAL_DIR}"
. "$STATE/env"

stop_etcd() {
  local pid
  pid=$(cat "$STATE/pids/etcd")
  # etcd's graceful stop waits for its clients' streams to drain (about 8 s
  # with an API server attached); after a second it is killed, as a crash
  # would (the data written so far is in the kernel's page cache).
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  log "etcd stopped"
}

start_etcd() {
  if kill -0 "$(cat "$STATE/pids/etcd")" 2>/dev/null; then log "etcd is running"; return 0; fi
  mapfile -d '' cmd < "$STATE/etcd.cmd"
  setsid "${cmd[@]}" >>"$STATE/logs/etcd.log" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/etcd"
  for _ in $(seq 1 600); do
    "$LGO_BIN_DIR/kubectl" get --raw /readyz >/dev/null 2>&1 && {
      log "etcd restarted; kube-apiserver ready"; return 0; }
    sleep 0.2
  done
  log "kube-apiserver did not become ready after etcd restarted"; return 1
}

case "${1:-}" in
  --stop) stop_etcd ;;
  --start) start_etcd ;;
  *) stop_etcd; sleep "${1:-0}"; start_etcd ;;
esac
