#!/usr/bin/env bash
# Renders every sample under deploy/samples/ and compares the output byte for
# byte with its golden file under test/testdata/golden/. With --update it
# rewrites the golden files instead (review the diff before committing).
#   test/golden/check.sh [--update] BIN
set -euo pipefail
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
bin=${1:?usage: check.sh [--update] BIN}
root="$(cd "$(dirname "$0")/../.." && pwd)"
golden="$root/test/testdata/golden"
mkdir -p "$golden"
shopt -s nullglob
samples=("$root"/deploy/samples/*.yaml)
if [ ${#samples[@]} -eq 0 ]; then
  echo "golden: no samples under deploy/samples/" >&2
  exit 1
fi
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# check_case NAME SAMPLE [RENDER FLAGS...]: renders SAMPLE and compares the
# output with test/testdata/golden/NAME.yaml (NAME may name a subfolder).
check_case() {
  local name=$1 s=$2; shift 2
  local out="$tmp/$name.yaml"
  mkdir -p "$(dirname "$out")" "$(dirname "$golden/$name.yaml")"
  if ! "$bin" render "$@" -f "$s" >"$out" 2>"$tmp/$name.err"; then
    echo "[  FAILED  ] $name: render failed:"; sed 's/^/    /' "$tmp/$name.err"
    fail=$((fail + 1)); return
  fi
  # Rendering twice must give the same bytes.
  "$bin" render "$@" -f "$s" 2>/dev/null | cmp -s - "$out" || { echo "[  FAILED  ] $name: output not deterministic"; fail=$((fail + 1)); return; }
  if [ $update -eq 1 ]; then
    cp "$out" "$golden/$name.yaml"; echo "[ UPDATED  ] $name"; pass=$((pass + 1)); return
  fi
  if [ ! -f "$golden/$name.yaml" ]; then
    echo "[  FAILED  ] $name: no golden file (run: make golden)"; fail=$((fail + 1)); return
  fi
  if diff -u "$golden/$name.yaml" "$out" >"$tmp/$name.diff"; then
    echo "[       OK ] $name"; pass=$((pass + 1))
  else
    echo "[  FAILED  ] $name: differs from its golden file:"; head -40 "$tmp/$name.diff" | sed 's/^/    /'
    fail=$((fail + 1))
  fi
}

for s in "${samples[@]}"; do
  # Samples without a gateway (namespaces, shared objects) render nothing.
  grep -qE '^kind: (AiGateway|ToolGateway)$' "$s" || continue
  check_case "$(basename "$s" .yaml)" "$s"
done

# Tracing: with an OTLP endpoint the config gains LiteLLM's otel callback
# and the Deployment the OTEL_* environment. These golden files live in a
# subfolder: the top level holds exactly one per sample.
otlp=(--otlp-endpoint http://otel-collector.observability.svc.cluster.local:4318)
check_case otlp/ai-gateway-basic "$root/deploy/samples/ai-gateway-basic.yaml" "${otlp[@]}"
check_case otlp/tool-gateway "$root/deploy/samples/tool-gateway.yaml" "${otlp[@]}"

# Objects written in v1beta1: per-model upstream ids, apiBase and keys,
# replicas, resources; allowedRoutes and serverName.
check_case v1beta1/ai-gateway "$root/test/testdata/v1beta1/ai-gateway.yaml"
check_case v1beta1/tool-gateway "$root/test/testdata/v1beta1/tool-gateway.yaml"

echo "[==========] $((pass + fail)) golden file(s) checked"
echo "[  PASSED  ] $pass"
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail"; exit 1; }
