#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang in a build directory of their own
# and runs each for a while, one after the other.
#
#   test/fuzz/run.sh [--build-dir DIR] [--seconds N] [--ci] [NAME...]
#
# NAME picks harnesses (doc, patch, ...; default: every one listed in
# test/fuzz/fuzz.cmake). --ci takes the time from $GW_FUZZ_SECONDS (10 s by
# default), the brief run the unit tests do. Per harness, under DIR/fuzz/:
#   seeds/NAME/      built afresh from test/testdata and deploy/samples
#   corpus/NAME/     what the fuzzer found, kept between runs
#   artifacts/NAME/  inputs that crashed (each one is a bug to fix and a
#                    file for test/testdata/fuzz-regressions/NAME/)
#   NAME.log         the fuzzer's output
# The inputs in test/testdata/fuzz-regressions/NAME/ are replayed first.
# Exits 1 when a harness crashed, leaked, hit undefined behaviour, timed
# out or broke one of its properties.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build-fuzz"
seconds=60
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --ci) seconds="${GW_FUZZ_SECONDS:-10}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "run.sh: --seconds takes a whole number" >&2; exit 2 ;; esac
command -v clang >/dev/null || { echo "run.sh: clang is not installed (test/harness/install-deps.sh)" >&2; exit 2; }
mkdir -p "$build"
build="$(cd "$build" && pwd)"

flags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_C_FLAGS="$flags" >"$build/configure.log" 2>&1 \
  || { cat "$build/configure.log" >&2; exit 1; }
if ! grep -q '^GW_HAVE_LIBFUZZER:INTERNAL=1$' "$build/CMakeCache.txt"; then
  echo "run.sh: clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)" >&2
  exit 1
fi
cmake --build "$build" --target fuzz-harnesses -j"${FUZZ_JOBS:-2}" >"$build/build.log" 2>&1 \
  || { tail -50 "$build/build.log" >&2; exit 1; }

out="$build/fuzz"
mapfile -t entries < <(grep -v '^$' "$out/harnesses.txt")
yaml_files=("$root"/test/testdata/bad/*.yaml "$root"/test/testdata/golden/*.yaml
            "$root"/deploy/samples/*.yaml "$root"/deploy/samples/invalid/*.yaml)

kubeconfig_seeds() {
  local dir="$1" ca crt key
  ca=$(base64 -w0 "$root/test/testdata/webhook/ca.crt")
  crt=$(base64 -w0 "$root/test/testdata/webhook/tls.crt")
  key=$(base64 -w0 "$root/test/testdata/webhook/tls.key")
  cat >"$dir/certs.yaml" <<KC
apiVersion: v1
kind: Config
current-context: fuzz
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: $ca
users:
- name: admin
  user:
    client-certificate-data: $crt
    client-key-data: $key
contexts:
- name: fuzz
  context: {cluster: local, user: admin, namespace: ai-gateway}
KC
  cat >"$dir/files.yaml" <<KC
apiVersion: v1
kind: Config
current-context: token
preferences: {}
clusters:
- name: remote
  cluster:
    server: https://10.0.0.1:443/prefix
    certificate-authority: pki/ca.crt
    insecure-skip-tls-verify: false
- name: insecure
  cluster: {server: "https://[::1]:6443", insecure-skip-tls-verify: true}
users:
- name: robot
  user: {token: abc.def, tokenFile: /var/run/tokens/robot}
- name: files
  user: {client-certificate: ../certs/client.crt, client-key: ../certs/client.key}
contexts:
- name: token
  context: {cluster: remote, user: robot}
- name: fuzz
  context: {cluster: insecure, user: files, namespace: team-a}
KC
  cat >"$dir/plugins.yaml" <<KC
apiVersion: v1
kind: Config
current-context: fuzz
clusters:
- {name: c, cluster: {server: "https://example.invalid"}}
users:
- name: exec
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token, args: [--x]}
- name: basic
  user: {username: admin, password: secret}
- name: provider
  user: {auth-provider: {name: oidc, config: {}}}
contexts:
- {name: fuzz, context: {cluster: c, user: exec}}
- {name: basic, context: {cluster: c, user: basic}}
KC
  printf '{"apiVersion":"v1","kind":"Config","current-context":"fuzz","clusters":[{"name":"c","cluster":{"server":"http://127.0.0.1:8080","certificate-authority-data":"%s"}}],"users":[{"name":"u","user":{"token":"t"}}],"contexts":[{"name":"fuzz","context":{"cluster":"c","user":"u"}}]}' "$ca" >"$dir/json.json"
}

make_seeds() {
  local kind="$1" dir="$2"
  rm -rf "$dir"; mkdir -p "$dir"
  case "$kind" in
    yaml) for f in "${yaml_files[@]}"; do cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"; done
          "$out/fuzz_mkseeds" json "$dir" "${yaml_files[@]}" >/dev/null ;;
    kubeconfig) kubeconfig_seeds "$dir" ;;
    list|patch|review|conversion|watch) "$out/fuzz_mkseeds" "$kind" "$dir" "${yaml_files[@]}" >/dev/null ;;
    *) echo "run.sh: unknown seed kind $kind" >&2; return 1 ;;
  esac
}

dict_for() {
  case "$1" in
    yaml|patch|kubeconfig) echo "$root/test/fuzz/yaml.dict" ;;
    *) echo "$root/test/fuzz/json.dict" ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
summary=()
for entry in "${entries[@]}"; do
  name="${entry%%:*}"; kind="${entry#*:}"
  if [ ${#names[@]} -gt 0 ] && [[ " ${names[*]} " != *" $name "* ]]; then continue; fi
  bin="$out/fuzz_$name"
  make_seeds "$kind" "$out/seeds/$name"
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  log="$out/$name.log"
  regress="$root/test/testdata/fuzz-regressions/$name"
  if [ -d "$regress" ] && compgen -G "$regress/*" >/dev/null; then
    if ! "$bin" "$regress"/* >"$out/$name.regressions.log" 2>&1; then
      echo "fuzz $name: a regression input fails again (see $out/$name.regressions.log)" >&2
      tail -30 "$out/$name.regressions.log" >&2
      failed+=("$name"); continue
    fi
  fi
  echo "fuzz $name: ${seconds}s, seeds $(ls "$out/seeds/$name" | wc -l), corpus $(ls "$out/corpus/$name" | wc -l)"
  rc=0
  "$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -dict="$(dict_for "$kind")" -artifact_prefix="$out/artifacts/$name/" \
    "$out/corpus/$name" "$out/seeds/$name" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
  summary+=("$(printf '%-11s %s execs, %s/s, %s, peak RSS %s MB' "$name" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${rss:-?}")")
  if [ "$rc" -ne 0 ]; then
    echo "fuzz $name: FAILED (exit $rc); the input is under $out/artifacts/$name/; reproduce with $bin FILE" >&2
    grep -E 'ERROR: |property failed|runtime error|SUMMARY' "$log" | head -10 >&2 || true
    failed+=("$name")
  fi
done
echo "fuzz summary:"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#summary[@]} harnesses ran clean"
