#!/usr/bin/env bash
# `validate` for pipelines, through the real binary: files, directories
# (recursive), stdin, -o json records, the exit codes and the warning on
# empty input.
#   test/checks/test_validate_cli.sh BIN
set -uo pipefail
bin=${1:?usage: test_validate_cli.sh BIN}
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; sed 's/^/    /' "$tmp/out" "$tmp/err" 2>/dev/null | head -30; failures=$((failures + 1)); }

# run <want exit> <args...>: output in $tmp/out and $tmp/err.
run() {
    local want=$1; shift
    "$bin" validate "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq "$want" ]
}

good='apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: AiGateway
metadata: {name: main, namespace: ai}
spec: {aiModels: [{name: gpt-4o, provider: openai}]}'
dup='apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: AiGateway
metadata: {name: dup, namespace: ai}
spec: {aiModels: [{name: a, provider: openai}, {name: a, provider: openai}]}'

tree=$tmp/tree
mkdir -p "$tree/apps/nested/deeper" "$tree/.hidden"
printf '%s\n' "$good" >"$tree/apps/good.yaml"
printf '%s\n' "$good" | sed 's/name: main/name: other/' >"$tree/apps/nested/deeper/other.yml"
printf '{"apiVersion":"runtime.agentic-layer.ai/v1alpha1","kind":"ToolRoute","metadata":{"name":"r","namespace":"t"},"spec":{"upstream":{"toolServerRef":{"name":"s"}}}}\n' >"$tree/apps/nested/route.json"
printf 'not: [yaml\n' >"$tree/apps/notes.txt"
printf '%s\n' "$dup" >"$tree/.hidden/dup.yaml"
# Links to a parent directory are not followed (the walk stays finite).
ln -s .. "$tree/apps/nested/up1"
ln -s .. "$tree/apps/nested/up2"

if run 0 -f "$tree" && grep -q "apps/good.yaml#1: AiGateway ai/main: valid" "$tmp/out" &&
   grep -q "apps/nested/deeper/other.yml#1: AiGateway ai/other: valid" "$tmp/out" &&
   grep -q "apps/nested/route.json#1: ToolRoute t/r: valid" "$tmp/out" &&
   grep -q "validate: 3 objects checked, 0 rejected" "$tmp/err" && ! grep -q "notes.txt\|dup" "$tmp/out" "$tmp/err"; then
    ok "a directory: *.yaml, *.yml, *.json recursively, other and hidden files skipped, exit 0"
else bad "directory walk (exit $rc)"; fi

printf '%s\n---\n%s\n' "$good" "$dup" >"$tmp/mixed.yaml"
if run 1 -f "$tmp/mixed.yaml" &&
   grep -q 'mixed.yaml#2: AiGateway ai/dup: error: spec.aiModels\[1\].name: Duplicate value: "a"' "$tmp/err"; then
    ok "an invalid object: exit 1 with the field path"
else bad "invalid object (exit $rc)"; fi

if run 1 -o json -f "$tmp/mixed.yaml" && python3 - "$tmp/out" "$tmp/mixed.yaml" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
want = {"file": sys.argv[2], "document": 2, "kind": "AiGateway", "namespace": "ai", "name": "dup",
        "field": "spec.aiModels[1].name", "message": 'Duplicate value: "a"', "severity": "error"}
assert recs == [want], recs
PY
then ok "-o json: one record per problem with file, document, kind, namespace, name, field, message, severity"
else bad "-o json records (exit $rc)"; fi

warn='apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: ToolRoute
metadata: {name: w, namespace: t}
spec: {upstream: {toolServerRef: {name: s}}, toolFilter: {allow: [a, b], deny: [b]}}'
if printf '%s\n' "$warn" | run 0 -o json -f - && python3 - "$tmp/out" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
assert len(recs) == 1 and recs[0]["severity"] == "warning" and recs[0]["file"] == "<stdin>", recs
assert recs[0]["field"] == "spec.toolFilter.deny[0]" and "deny wins" in recs[0]["message"], recs
PY
then ok "warnings only: exit 0, warning records from stdin"
else bad "warnings only (exit $rc)"; fi

if printf '' | run 0 -f - && grep -q "validate: warning: the input holds no documents" "$tmp/err"; then
    ok "empty input: a warning, exit 0"
else bad "empty input (exit $rc)"; fi

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' >"$tmp/other.yaml"
if run 0 -o json -f "$tmp/other.yaml" && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r) == 1 and r[0]["severity"] == "warning" and r[0]["message"] == "none of the 1 document is a runtime.agentic-layer.ai object", r
' "$tmp/out"; then
    ok "no objects of ours: a warning record, exit 0"
else bad "no objects of ours (exit $rc)"; fi

mkdir -p "$tmp/empty-dir"
if run 0 -f "$tmp/empty-dir" && grep -q "warning: the input holds no documents" "$tmp/err"; then
    ok "an empty directory: a warning, exit 0"
else bad "empty directory (exit $rc)"; fi

if run 1 -f "$root/test/testdata/bad/001-truncated-flow-mapping.yaml" && grep -q "error: line" "$tmp/err"; then
    ok "input that is not YAML is refused: exit 1"
else bad "not YAML (exit $rc)"; fi

if run 2 -f "$tmp/does-not-exist.yaml" && grep -q "does-not-exist.yaml: error: No such file or directory" "$tmp/err"; then
    ok "a missing file: exit 2"
else bad "missing file (exit $rc)"; fi

if run 2 -f "$tmp/mixed.yaml" -f "$tmp/does-not-exist.yaml"; then
    ok "refused and unreadable together: exit 2"
else bad "refused and unreadable (exit $rc)"; fi

if run 2 && run 2 -o yaml -f "$tmp/mixed.yaml" && run 2 --no-such-flag -f "$tmp/mixed.yaml"; then
    ok "usage errors: exit 2"
else bad "usage errors (exit $rc)"; fi

if run 0 --help && grep -q "Exit codes: 0 every object is valid" "$tmp/out" && grep -q "DIR" "$tmp/out" &&
   grep -q "2 usage error or input that could not be read" "$tmp/out"; then
    ok "--help documents directories, -o json and the exit codes"
else bad "--help (exit $rc)"; fi

if [ $failures -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "validate behaves for pipelines"
