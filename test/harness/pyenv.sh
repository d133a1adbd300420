#!/usr/bin/env bash
# Ensures the harness virtualenv exists for the current requirements.txt and
# prints the path of its python interpreter on stdout. Idempotent and quick
# when warm (the venv is keyed by the hash of requirements.txt).
set -euo pipefail
. "$(dirname "$0")/common.sh"
req="$REPO_ROOT/test/harness/requirements.txt"
key=$(sha256sum "$req" | cut -c1-16)
venv="$HARNESS_CACHE/venv-$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  log "creating python virtualenv $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
