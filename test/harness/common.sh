# Shared settings for the harness scripts. Source it; it defines no functions
# that run anything on their own.
# Cache lives outside the repository, keyed by version, so a warm run is quick.
HARNESS_CACHE="${LGO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/litellm-gateway-operator}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$REPO_ROOT/.local"
log() { printf '[harness %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
