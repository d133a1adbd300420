#!/usr/bin/env bash
# Installs every Debian package the build and the tests need, then builds
# libmicrohttpd into the cache. Idempotent: packages already present are not
# touched, and a cached build is kept.
set -euo pipefail
pkgs=(build-essential dpkg-dev cmake pkg-config git ca-certificates curl openssl
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
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# libmicrohttpd new enough to refuse bare LF and obs-fold, built from source
# into the cache (CMakeLists.txt links it when it is there).
"$(dirname "${BASH_SOURCE[0]}")/build-libmicrohttpd.sh" >/dev/null
