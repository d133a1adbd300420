#!/usr/bin/env bash
# Installs every Debian package the build and the tests need. Idempotent:
# packages already present are not touched, and nothing runs when all are.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git ca-certificates curl openssl
      libmicrohttpd-dev libgnutls28-dev libssl-dev libjson-c-dev libyaml-dev
      libcurl4-openssl-dev libcmocka-dev valgrind python3 python3-venv python3-yaml
      iproute2 procps psmisc wrk lua5.4 lua-dkjson
      clang libclang-rt-14-dev)  # libFuzzer harnesses (test/fuzz)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
