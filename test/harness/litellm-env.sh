#!/usr/bin/env bash
# Ensures a virtualenv with LiteLLM's proxy, pinned by the LITELLM_VERSION
# file at the repository root (the same file sets the operator's default
# image tag), plus the MCP SDK the end-to-end upstreams are built with.
# Prints the venv directory on stdout. Quick when warm.
set -euo pipefail
. "$(dirname "$0")/common.sh"
ver="$(tr -d '[:space:]' < "$REPO_ROOT/LITELLM_VERSION")"
req="$REPO_ROOT/test/harness/litellm-requirements.txt"
key="$ver-$(sha256sum "$req" | cut -c1-12)"
venv="$HARNESS_CACHE/litellm-$key"
if [ ! -x "$venv/bin/litellm" ] || [ ! -f "$venv/.complete" ]; then
  log "installing litellm[proxy]==$ver into $venv (first run only)"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q "litellm[proxy]==$ver" -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
