#!/usr/bin/env bash
# Benchmarks the conversion webhook (not a test: nothing here passes or fails).
#
#   bench/convert/run.sh
#
# ConversionReviews per second, objects per second and p50/p99 per review
# over TLS with keep-alive, for reviews of 1, 100 and 500 v1alpha1
# AiGateways converted to v1beta1 (bench/convert/make-reviews.py: what the API
# server sends for a list page). In the same run the fixed-answer ceiling
# server (bench/webhook/ceiling.c: the same libmicrohttpd/GnuTLS stack, no
# parsing) answers each review with a copy of the webhook's own response, so
# the ratio compares equal request and response bytes. wrk is the load
# generator, with test/harness/wrk-post.lua.
#
# Results: bench/results/convert.json (every round) and convert.md (medians).
#
# Environment: BIN (default build-release/litellm-gateway-operator),
# SIZES ("1 100 500"), CONNS connections (8), DURATION seconds per run (10),
# WARMUP seconds (2), ROUNDS (3), THREADS server threads (online CPUs),
# NOTE (a line on the conditions, written into convert.md).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$repo/build-release/litellm-gateway-operator}"
SIZES="${SIZES:-1 100 500}"
CONNS="${CONNS:-8}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-$(nproc)}"
NOTE="${NOTE:-}"
results="$repo/bench/results"
tmp="$results/tmp-convert"
lua="$repo/test/harness/wrk-post.lua"

. "$repo/bench/webhook/prepare.sh"
# shellcheck disable=SC2086
python3 "$repo/bench/convert/make-reviews.py" "$tmp" $SIZES

start_serve

# One ceiling per size, answering with the webhook's own response to it.
declare -A ceiling_port
for n in $SIZES; do
  curl -sf --cacert "$tmp/certs/ca.crt" -H 'Content-Type: application/json' --data-binary "@$tmp/review-$n.json" \
    "https://127.0.0.1:$ours_port/convert" >"$tmp/response-$n.json"
  python3 - "$tmp/response-$n.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["result"]["status"] == "Success", r["result"]
assert len(r["convertedObjects"]) == int(sys.argv[2])
assert all(o["apiVersion"] == "runtime.agentic-layer.ai/v1beta1" for o in r["convertedObjects"])
PY
  p=$(free_port)
  ceiling_port[$n]=$p
  "$tmp/webhook-ceiling" "$tmp/certs/tls.crt" "$tmp/certs/tls.key" "$p" "$THREADS" "$tmp/response-$n.json" \
    >"$tmp/ceiling-$n.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do
    curl -sfk -o /dev/null -H 'Content-Type: application/json' --data-binary "@$tmp/review-1.json" \
      "https://127.0.0.1:$p/convert" && break
    sleep 0.05
  done
  cmp -s <(curl -sfk -H 'Content-Type: application/json' --data-binary "@$tmp/review-$n.json" \
    "https://127.0.0.1:$p/convert") "$tmp/response-$n.json" || { say "ceiling for $n does not answer like the webhook"; exit 1; }
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
runs="$tmp/runs.jsonl"
: >"$runs"
run_wrk() { # target port size round
  local t=$(( CONNS < 2 ? 1 : 2 )) line body="$tmp/review-$3.json"
  WH_BENCH_BODY="$body" wrk -t"$t" -c"$CONNS" -d"${WARMUP}s" -s "$lua" "https://127.0.0.1:$2/convert" >/dev/null
  line=$(WH_BENCH_BODY="$body" wrk -t"$t" -c"$CONNS" -d"${DURATION}s" -s "$lua" "https://127.0.0.1:$2/convert" \
         | sed -n 's/^WH_BENCH_JSON //p')
  printf '{"target":"%s","objects":%d,"round":%d,"wrk":%s}\n' "$1" "$3" "$4" "$line" >>"$runs"
  say "$1 n=$3 round $4: $(python3 -c 'import json, sys
w = json.loads(sys.argv[1]); n = int(sys.argv[2])
r = w["requests"] * 1e6 / w["duration_us"]
print("%.0f reviews/s = %.0f objects/s, p50 %dus p99 %dus, errors %d" % (r, r * n, w["latency_us"]["p50"],
      w["latency_us"]["p99"], sum(w["errors"].values())))' "$line" "$3")"
}
for round in $(seq 1 "$ROUNDS"); do
  for n in $SIZES; do
    run_wrk webhook "$ours_port" "$n" "$round"
    run_wrk ceiling "${ceiling_port[$n]}" "$n" "$round"
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
ours_hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$ours_pid/status")

python3 - "$runs" "$results" "$tmp" <<PY
import json, os, statistics, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[2])))  # bench/, beside the results
from report import write_report
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
results, tmp = sys.argv[2], sys.argv[3]

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
env = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "commit": sh("git", "-C", "$repo", "rev-parse", "--short", "HEAD"), "cpu": cpu, "cpus": os.cpu_count(),
       "load_average_start": "$load_start", "load_average_end": "$load_end", "server_threads": int("$THREADS"),
       "connections": int("$CONNS"), "duration_s": int("$DURATION"), "warmup_s": int("$WARMUP"),
       "rounds": int("$ROUNDS")}
summary = {}
for n in sorted({r["objects"] for r in runs}):
    row = {"request_bytes": os.path.getsize(f"{tmp}/review-{n}.json"),
           "response_bytes": os.path.getsize(f"{tmp}/response-{n}.json")}
    for target in ("webhook", "ceiling"):
        rs = [r["wrk"] for r in runs if r["target"] == target and r["objects"] == n]
        rps = [w["requests"] * 1e6 / w["duration_us"] for w in rs]
        row[target] = {"reviews_per_s": round(statistics.median(rps)), "objects_per_s": round(statistics.median(rps) * n),
                       "rounds": [round(x) for x in rps],
                       "p50_us": statistics.median(w["latency_us"]["p50"] for w in rs),
                       "p99_us": statistics.median(w["latency_us"]["p99"] for w in rs),
                       "errors": sum(sum(w["errors"].values()) for w in rs)}
    row["ratio"] = round(row["webhook"]["reviews_per_s"] / max(1, row["ceiling"]["reviews_per_s"]), 3)
    summary[str(n)] = row
doc = {"environment": env, "peak_rss_kib": int("$ours_hwm"), "summary": summary, "runs": runs}
json.dump(doc, open(os.path.join(results, "convert.json"), "w"), indent=1)
lines = ["# Conversion webhook benchmark", "",
         f"Generated by \`bench/convert/run.sh\` on {env['date']} (commit {env['commit']}). Not a test: figures depend",
         "on the machine and on what else runs on it.", "",
         f"- Machine: {env['cpu']}, {env['cpus']} CPUs; load average {env['load_average_start']} at the start,"
         f" {env['load_average_end']} at the end. wrk runs on the same CPUs.",
         f"- POST /convert over keep-alive TLS, {env['connections']} connections, {env['rounds']} rounds of"
         f" {env['duration_s']} s per point (after {env['warmup_s']} s warm-up), webhook and ceiling interleaved.",
         "- Reviews: N v1alpha1 AiGateways (three models, labels, a commented config patch, the conversion"
         " annotation, managedFields, status) to v1beta1. The ceiling answers with the webhook's own response.", "",
         "| objects/review | request | response | webhook reviews/s | objects/s | p50 | p99 | ceiling reviews/s | ratio |",
         "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for n, s in sorted(summary.items(), key=lambda kv: int(kv[0])):
    w, c = s["webhook"], s["ceiling"]
    lines.append(f"| {n} | {s['request_bytes']:,} B | {s['response_bytes']:,} B | {w['reviews_per_s']:,} |"
                 f" {w['objects_per_s']:,} | {w['p50_us']/1000:.2f} ms | {w['p99_us']/1000:.2f} ms |"
                 f" {c['reviews_per_s']:,} | {s['ratio']:.0%} |")
s500 = summary.get("500", {})
targets = [
    ("at least 50,000 objects/s at 500 objects per review", s500.get("webhook", {}).get("objects_per_s", 0) >= 50000),
    ("at least 50% of the ceiling at 500 objects per review (same response bytes)", s500.get("ratio", 0) >= 0.5),
]
lines += ["", f"Peak RSS of the webhook: {doc['peak_rss_kib']/1024:.1f} MiB.", ""]
if """$NOTE""":
    lines += ["Conditions: " + """$NOTE""", ""]
lines += ["## Against the targets", ""] + [f"- {'met' if ok else 'NOT met'}: {name}" for name, ok in targets] + [""]
write_report(results, "convert", lines)
print("\n".join(lines))
PY
rm -rf "$tmp"
