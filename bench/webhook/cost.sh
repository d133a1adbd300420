#!/usr/bin/env bash
# Instructions per review inside the webhook (no TLS, no HTTP), counted by
# callgrind: deterministic, so it compares two builds on a busy machine
# where timings cannot. Not a test.
#
#   bench/webhook/cost.sh            (after make build-release)
#
# Builds bench/webhook/review_cost.c against build-release's libraries and
# counts, per review: /validate and /mutate of bench/webhook/review-aigateway.json,
# and /convert of ConversionReviews of 1 and 500 AiGateways
# (bench/convert/make-reviews.py). Prints one line per case.
#
# Environment: BUILD (default build-release), N reviews per count (50; 4
# for the 500-object review).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$repo/build-release}"
N="${N:-50}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is required" >&2; exit 1; }
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$repo/common" -I"$repo/webhook" \
  $(pkg-config --cflags json-c) "$repo/bench/webhook/review_cost.c" -o "$tmp/review_cost" \
  "$BUILD/libgwserve.a" "$BUILD/libgwkube.a" "$BUILD/libgwcore.a" \
  $(pkg-config --libs json-c yaml-0.1 libmicrohttpd gnutls libcurl) -lssl -lcrypto -lm -lpthread
python3 "$repo/bench/convert/make-reviews.py" "$tmp" 1 500 >/dev/null

ir() { # endpoint body n
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$tmp/review_cost" "$1" "$2" "$3" 2>"$tmp/err" >/dev/null
  sed -n 's/^summary: //p' "$tmp/cg.out"
}
per() { # label endpoint body n
  local base with
  base=$(ir none "$3" "$4"); with=$(ir "$2" "$3" "$4")
  printf '%-28s %12d instructions per review (%s)\n' "$1" $(( (with - base) / $4 )) "$(grep status "$tmp/err")"
}
per "validate aigateway UPDATE" validate "$repo/bench/webhook/review-aigateway.json" "$N"
per "mutate aigateway UPDATE" mutate "$repo/bench/webhook/review-aigateway.json" "$N"
per "convert 1 object" convert "$tmp/review-1.json" "$N"
per "convert 500 objects" convert "$tmp/review-500.json" 4
