#!/usr/bin/env bash
# The bad-input catalogue: every document under test/testdata/bad/ (and a few
# multi-megabyte ones generated here, too big to keep in git) must be refused
# by `validate` with exit code 1 and its expected message, and must not crash,
# hang or trip a sanitizer. With --valgrind each run is also checked by
# memcheck (errors and definite leaks fail the case).
#   test/catalogue/run.sh [--valgrind] BIN
set -uo pipefail
vg=0
if [ "${1:-}" = "--valgrind" ]; then vg=1; shift; fi
bin=${1:?usage: run.sh [--valgrind] BIN}
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/test/testdata/bad"
expected="$dir/EXPECTED"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A sanitizer report must not look like an ordinary refusal (exit 1).
export ASAN_OPTIONS="exitcode=86:abort_on_error=0:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1"

declare -A want
while IFS=$'\t' read -r f msg; do
  [ -n "$f" ] && want[$f]=$msg
done < "$expected"

# Generated at run time: large documents.
H='apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: AiGateway
metadata: {name: gw, namespace: ai}
'
gen="$tmp/gen"
mkdir -p "$gen"
{ printf '%s' "$H"; printf 'spec: {aiModels: [{name: "'; head -c 2000000 /dev/zero | tr '\0' a; printf '", provider: openai}]}\n'; } > "$gen/huge-scalar.yaml"
want[huge-scalar.yaml]="line 4 column 26: scalar of 2000000 bytes exceeds the limit of 1048576"
{ printf '%s' "$H"; printf 'spec:\n  x: "'; head -c 5000000 /dev/zero | tr '\0' a; printf '"\n'; } > "$gen/huge-file.yaml"
want[huge-file.yaml]="larger than the limit of 4194304 bytes"
{ printf '%s' "$H"; printf 'spec:\n  aiModels:\n'; seq 1 70000 | sed 's/.*/  - {name: m&, provider: openai}/'; } > "$gen/many-nodes.yaml"
want[many-nodes.yaml]="document too large: more than 200000 nodes"
{ printf '%s' "$H"; printf 'spec:\n  aiModels: '; head -c 100000 /dev/zero | tr '\0' '['; } > "$gen/nested-100000-unterminated.yaml"
want[nested-100000-unterminated.yaml]="nesting deeper than 64 levels"
{ for i in $(seq 1 2000); do printf -- '---\n%sspec: {aiModels: []}\n' "$H"; done; } > "$gen/many-documents.yaml"
want[many-documents.yaml]="spec.aiModels: Invalid value: 0: should have at least 1 items"

files=()
for f in "$dir"/*.yaml "$gen"/*.yaml; do files+=("$f"); done

pass=0 fail=0
failed=()
echo "[==========] Running ${#files[@]} bad-input case(s)$([ $vg -eq 1 ] && echo ' under valgrind')"
for f in "${files[@]}"; do
  name=$(basename "$f")
  msg=${want[$name]-}
  if [ -z "$msg" ]; then
    echo "[  FAILED  ] $name: no expected message in test/testdata/bad/EXPECTED"
    fail=$((fail + 1)); failed+=("$name"); continue
  fi
  cmd=("$bin" validate -f "$f")
  if [ $vg -eq 1 ]; then
    cmd=(valgrind -q --error-exitcode=86 --leak-check=full --errors-for-leak-kinds=definite,indirect
         --log-file="$tmp/vg.log" "${cmd[@]}")
  fi
  timeout 60 "${cmd[@]}" >"$tmp/out" 2>&1
  rc=$?
  why=""
  if [ $rc -ne 1 ]; then
    why="exit code $rc, want 1"
  elif grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/out"; then
    why="sanitizer report"
  elif ! grep -qF -- "$msg" "$tmp/out"; then
    why="expected message not printed: $msg"
  fi
  if [ -z "$why" ]; then
    pass=$((pass + 1))
  else
    echo "[  FAILED  ] $name: $why"
    head -c 2000 "$tmp/out" | sed 's/^/    /'
    [ $vg -eq 1 ] && [ -s "$tmp/vg.log" ] && head -40 "$tmp/vg.log" | sed 's/^/    vg: /'
    fail=$((fail + 1)); failed+=("$name")
  fi
done
echo "[==========] ${#files[@]} case(s) ran."
echo "[  PASSED  ] $pass case(s)."
if [ ${#files[@]} -lt 100 ]; then
  echo "[  FAILED  ] the catalogue must hold at least 100 documents"; exit 1
fi
if [ $fail -ne 0 ]; then
  echo "[  FAILED  ] $fail case(s), listed below:"
  for n in "${failed[@]}"; do echo "[  FAILED  ] $n"; done
  exit 1
fi
