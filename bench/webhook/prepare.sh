# Sourced by the webhook benchmarks (bench/run.sh, bench/convert/run.sh)
# with repo, BIN and tmp set: checks the tools and the binary, makes tmp
# afresh with a serving certificate in tmp/certs, builds the fixed-answer
# ceiling server as tmp/webhook-ceiling (with the webhook's acceptor and
# the build's libgwkube.a), and defines say, free_port and start_serve.
say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
for tool in wrk cc openssl python3 curl pkg-config; do
  command -v "$tool" >/dev/null || { say "$tool is required (test/harness/install-deps.sh installs it)"; exit 1; }
done
[ -x "$BIN" ] || { say "no binary at $BIN (make build-release)"; exit 1; }

rm -rf "$tmp"
mkdir -p "$tmp"
say "certificates"
"$repo/certs/gen-webhook-certs.sh" "$tmp/certs" 2>/dev/null
say "building the ceiling server"
# The ceiling links the libmicrohttpd the measured binary was built with:
# the cache's static build when its CMake cache names one, else the system's.
mhd_from=$(sed -n 's/^GW_MHD_FROM:INTERNAL=//p' "$(dirname "$BIN")/CMakeCache.txt" 2>/dev/null || true)
if [ -n "$mhd_from" ] && [ "$mhd_from" != system ] && [ -f "$mhd_from/lib/libmicrohttpd.a" ]; then
  export PKG_CONFIG_PATH="$mhd_from/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  mhd_link="$mhd_from/lib/libmicrohttpd.a $(pkg-config --libs gnutls)"
else
  mhd_link=$(pkg-config --libs libmicrohttpd)
fi
# shellcheck disable=SC2046,SC2086
cc -O2 -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I"$repo/webhook" -I"$repo/common/kube" \
  -o "$tmp/webhook-ceiling" "$repo/bench/webhook/ceiling.c" "$repo/webhook/acceptor.c" \
  "$(dirname "$BIN")/libgwkube.a" $(pkg-config --cflags libmicrohttpd) $mhd_link -lpthread

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The servers a benchmark starts, stopped when it exits.
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts the webhook alone (`serve --controller=false`) on free ports and
# waits until it is ready: sets ours_port, health_port and ours_pid.
start_serve() {
  ours_port=$(free_port); health_port=$(free_port)
  "$BIN" serve --controller=false --ownership=all --cert-dir "$tmp/certs" --bind 127.0.0.1 \
    --webhook-port "$ours_port" --health-port "$health_port" --threads "$THREADS" >"$tmp/serve.log" 2>&1 &
  ours_pid=$!
  pids+=("$ours_pid")
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$health_port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  say "serve did not start:"; cat "$tmp/serve.log" >&2; exit 1
}
