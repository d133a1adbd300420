#!/usr/bin/env bash
# Benchmarks the admission webhook (not a test: nothing here passes or fails).
#
#   bench/run.sh            (make bench builds build-release first)
#
# AdmissionReviews per second and p50/p99 latency over TLS with keep-alive,
# for a realistic AiGateway UPDATE (bench/webhook/review-aigateway.json:
# five models, env, a guardrail, labels, managedFields, a config patch, and
# the old object), at 1, 16 and 64 connections, with wrk as the load
# generator. In the same run a minimal libmicrohttpd TLS server that answers
# with a fixed AdmissionReview (bench/webhook/ceiling.c) is measured the same
# way, interleaved round by round, and the webhook's figures are reported as
# ratios to it. Peak RSS (VmHWM) of both servers is read from /proc.
#
# Results: bench/results/webhook.json (every round) and webhook.md (medians).
#
# Environment: BIN (default build-release/litellm-gateway-operator),
# DURATION seconds per run (10), WARMUP seconds (2), ROUNDS (3),
# CONNS ("1 16 64"), THREADS server threads (default: online CPUs), NOTE (a
# line on the conditions, written into webhook.md).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$repo/build-release/litellm-gateway-operator}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-1 16 64}"
THREADS="${THREADS:-$(nproc)}"
NOTE="${NOTE:-}"
results="$repo/bench/results"
tmp="$results/tmp"
body="$repo/bench/webhook/review-aigateway.json"
lua="$repo/test/harness/wrk-post.lua"

. "$repo/bench/webhook/prepare.sh"
start_serve
ceiling_port=$(free_port)

# The ceiling answers with exactly what the webhook answers for this body.
curl -sf --cacert "$tmp/certs/ca.crt" -H 'Content-Type: application/json' --data-binary "@$body" \
  "https://127.0.0.1:$ours_port/validate" >"$tmp/response.json"
python3 - "$tmp/response.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] is True and len(r.get("warnings", [])) == 2, r
PY
"$tmp/webhook-ceiling" "$tmp/certs/tls.crt" "$tmp/certs/tls.key" "$ceiling_port" "$THREADS" \
  "$tmp/response.json" >"$tmp/ceiling.log" 2>&1 &
ceiling_pid=$!
pids+=("$ceiling_pid")
for _ in $(seq 1 100); do
  curl -sfk -o /dev/null -H 'Content-Type: application/json' --data-binary "@$body" \
    "https://127.0.0.1:$ceiling_port/validate" && break
  sleep 0.05
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
runs="$tmp/runs.jsonl"
: >"$runs"
run_wrk() { # target port conns round
  local t=$(( $3 < 2 ? 1 : 2 )) line
  WH_BENCH_BODY="$body" wrk -t"$t" -c"$3" -d"${WARMUP}s" -s "$lua" "https://127.0.0.1:$2/validate" >/dev/null
  line=$(WH_BENCH_BODY="$body" wrk -t"$t" -c"$3" -d"${DURATION}s" -s "$lua" "https://127.0.0.1:$2/validate" \
         | sed -n 's/^WH_BENCH_JSON //p')
  printf '{"target":"%s","connections":%d,"round":%d,"wrk":%s}\n' "$1" "$3" "$4" "$line" >>"$runs"
  say "$1 c=$3 round $4: $(python3 -c 'import json, sys
w = json.loads(sys.argv[1])
print("%.0f/s p50 %dus p99 %dus errors %d" % (w["requests"] * 1e6 / w["duration_us"], w["latency_us"]["p50"],
      w["latency_us"]["p99"], sum(w["errors"].values())))' "$line")"
}
for round in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    run_wrk webhook "$ours_port" "$c" "$round"
    run_wrk ceiling "$ceiling_port" "$c" "$round"
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
ours_hwm=$(hwm "$ours_pid"); ceiling_hwm=$(hwm "$ceiling_pid")
field() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
ours_anon=$(field "$ours_pid" RssAnon); ours_file=$(field "$ours_pid" RssFile)
curl -sf "http://127.0.0.1:$health_port/metrics" >"$tmp/metrics.txt"

kill -TERM "$ours_pid" "$ceiling_pid"
ours_rc=0; wait "$ours_pid" || ours_rc=$?
wait "$ceiling_pid" || true
pids=()

python3 - "$runs" "$results" "$tmp/metrics.txt" <<PY
import json, os, platform, statistics, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[2])))  # bench/, beside the results
from report import write_report
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
results, metrics = sys.argv[2], open(sys.argv[3]).read()

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
env = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "commit": sh("git", "-C", "$repo", "rev-parse", "--short", "HEAD"),
    "cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
    "load_average_start": "$load_start", "load_average_end": "$load_end",
    "libmicrohttpd": sh("pkg-config", "--modversion", "libmicrohttpd"),
    "gnutls": sh("pkg-config", "--modversion", "gnutls"),
    "wrk": sh("sh", "-c", "wrk --version 2>&1 | head -1").split(" Copyright")[0],
    "server_threads": int("$THREADS"), "duration_s": int("$DURATION"), "warmup_s": int("$WARMUP"),
    "rounds": int("$ROUNDS"), "body_bytes": os.path.getsize("$body"),
}
summary = {}
for target in ("webhook", "ceiling"):
    for c in sorted({r["connections"] for r in runs}):
        rs = [r["wrk"] for r in runs if r["target"] == target and r["connections"] == c]
        rps = [w["requests"] * 1e6 / w["duration_us"] for w in rs]
        summary.setdefault(str(c), {})[target] = {
            "rps_median": round(statistics.median(rps)), "rps_rounds": [round(x) for x in rps],
            "p50_us": statistics.median(w["latency_us"]["p50"] for w in rs),
            "p99_us": statistics.median(w["latency_us"]["p99"] for w in rs),
            "errors": sum(sum(w["errors"].values()) for w in rs),
        }
for c, s in summary.items():
    s["ratio_rps"] = round(s["webhook"]["rps_median"] / s["ceiling"]["rps_median"], 3)
served = sum(float(l.rsplit(" ", 1)[1]) for l in metrics.splitlines()
             if l.startswith("litellm_gateway_operator_webhook_requests_total{"))
allowed = sum(float(l.rsplit(" ", 1)[1]) for l in metrics.splitlines()
              if l.startswith("litellm_gateway_operator_webhook_requests_total{") and 'verdict="allowed"' in l)
doc = {"environment": env, "peak_rss_kib": {"webhook": int("$ours_hwm"), "ceiling": int("$ceiling_hwm")},
       "webhook_rss_after_kib": {"anon": int("$ours_anon"), "file": int("$ours_file")},
       "webhook_exit_code": int("$ours_rc"), "webhook_requests_served": int(served),
       "webhook_requests_allowed": int(allowed), "summary": summary, "runs": runs}
json.dump(doc, open(os.path.join(results, "webhook.json"), "w"), indent=1)

s16 = summary.get("16", {})
targets = [
    ("throughput >= 50% of the ceiling at 16 connections (same run)", s16.get("ratio_rps", 0) >= 0.5),
    ("p99 at 16 connections < 1 ms", s16.get("webhook", {}).get("p99_us", 1e9) < 1000),
    ("peak RSS within 1.3x of the ceiling's", doc["peak_rss_kib"]["webhook"] <= 1.3 * doc["peak_rss_kib"]["ceiling"]),
]
lines = [
    "# Webhook benchmark", "",
    f"Generated by \`bench/run.sh\` on {env['date']} (commit {env['commit']}). Not a test: figures depend on",
    "the machine and on what else runs on it.", "",
    "## Setup", "",
    f"- Machine: {env['cpu']}, {env['cpus']} CPUs, Linux {env['kernel']}; load average {env['load_average_start']}"
    f" at the start, {env['load_average_end']} at the end. The load generator (wrk) runs on the same CPUs.",
    f"- Servers: \`litellm-gateway-operator serve\` with {env['server_threads']} TLS threads; the ceiling is"
    " \`bench/webhook/ceiling.c\`, the same libmicrohttpd " + env["libmicrohttpd"] + " / GnuTLS " + env["gnutls"] +
    " stack (epoll, thread pool, TLS 1.2/1.3) answering a fixed copy of the webhook's own response without parsing"
    " anything.",
    f"- Request: \`bench/webhook/review-aigateway.json\` ({env['body_bytes']} bytes), an UPDATE of a realistic"
    " AiGateway (five models, env with a secretKeyRef, a guardrail, labels and annotations, managedFields, a"
    " config patch, and the old object). The answer allows it with two patch warnings.",
    f"- Load: {env['wrk']} over keep-alive TLS connections, POST /validate; {env['rounds']} rounds of"
    f" {env['duration_s']} s (after {env['warmup_s']} s warm-up) per point, webhook and ceiling interleaved;"
    " medians below, every round in webhook.json.", "",
    "## Results", "",
    "| connections | webhook reviews/s | ceiling reviews/s | ratio | webhook p50 | webhook p99 | ceiling p50 | ceiling p99 | errors |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
]
for c in sorted(summary, key=int):
    s = summary[c]
    w, k = s["webhook"], s["ceiling"]
    lines.append(f"| {c} | {w['rps_median']:,} | {k['rps_median']:,} | {s['ratio_rps']:.0%} | {w['p50_us']/1000:.2f} ms"
                 f" | {w['p99_us']/1000:.2f} ms | {k['p50_us']/1000:.2f} ms | {k['p99_us']/1000:.2f} ms |"
                 f" {w['errors'] + k['errors']} |")
lines += ["",
          f"Peak RSS (VmHWM): webhook {doc['peak_rss_kib']['webhook']/1024:.1f} MiB, ceiling"
          f" {doc['peak_rss_kib']['ceiling']/1024:.1f} MiB. After the runs the webhook held"
          f" {doc['webhook_rss_after_kib']['anon']/1024:.1f} MiB anonymous and {doc['webhook_rss_after_kib']['file']/1024:.1f}"
          " MiB file-backed memory (shared libraries: GnuTLS, OpenSSL and libcurl, which the controller uses, are"
          " mapped in the same binary). The webhook answered"
          f" {doc['webhook_requests_served']:,}"
          f" requests ({doc['webhook_requests_allowed']:,} allowed) and exited with {doc['webhook_exit_code']} on SIGTERM.",
          ""]
if """$NOTE""":
    lines += ["Conditions: " + """$NOTE""", ""]
lines += ["## Against the targets", ""]
lines += [f"- {'met' if ok else 'NOT met'}: {name}" for name, ok in targets]
write_report(results, "webhook", lines)
print("\n".join(lines))
PY
rm -rf "$tmp"
say "results in bench/results/webhook.md and webhook.json"
