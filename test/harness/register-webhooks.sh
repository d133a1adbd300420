#!/usr/bin/env bash
# Registers the operator's admission webhooks for an operator running
# outside the cluster (tests, `make demo`): the configurations of
# deploy/webhook/webhooks.yaml, with clientConfig.url instead of the
# in-cluster Service and the given CA as caBundle.
#
#   test/harness/register-webhooks.sh KUBECONFIG URL CA_FILE
#   test/harness/register-webhooks.sh --delete KUBECONFIG
#
# URL is the operator's webhook base, e.g. https://127.0.0.1:9443 (the API
# server calls URL/validate and URL/mutate). CA_FILE is the PEM CA that
# signed the serving certificate (ca.crt from certs/gen-webhook-certs.sh).
# WEBHOOK_CONFIG_NAME (default litellm-gateway-operator) names both
# configurations. When the AiGateway CRD is installed, the script waits until
# the API server actually calls the webhook, so a test can rely on it at once.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
kubectl_bin() {
  if [ -n "${LGO_BIN_DIR:-}" ] && [ -x "$LGO_BIN_DIR/kubectl" ]; then echo "$LGO_BIN_DIR/kubectl"
  else command -v kubectl || { log "kubectl not found (set LGO_BIN_DIR or PATH)"; exit 1; }; fi
}
name="${WEBHOOK_CONFIG_NAME:-litellm-gateway-operator}"

if [ "${1:-}" = "--delete" ]; then
  [ $# -eq 2 ] || usage
  k=("$(kubectl_bin)" --kubeconfig "$2")
  "${k[@]}" delete mutatingwebhookconfiguration "$name" --ignore-not-found >/dev/null
  "${k[@]}" delete validatingwebhookconfiguration "$name" --ignore-not-found >/dev/null
  log "webhooks $name unregistered"
  exit 0
fi
[ $# -eq 3 ] || usage
kubeconfig=$1 url=${2%/} ca=$3
[ -r "$ca" ] || { log "cannot read CA file $ca"; exit 1; }
case "$url" in https://*) ;; *) log "URL must start with https:// (got $url)"; exit 2 ;; esac
k=("$(kubectl_bin)" --kubeconfig "$kubeconfig")
bundle=$(base64 -w0 < "$ca")

# Everything but clientConfig is what deploy/webhook/webhooks.yaml says;
# test_webhook_kubectl.py checks that the two agree.
rules='[{"apiGroups":["runtime.agentic-layer.ai"],"apiVersions":["v1alpha1","v1beta1"],"operations":["CREATE","UPDATE"],"resources":["aigateways","toolgateways","toolroutes"],"scope":"Namespaced"}]'
common='"admissionReviewVersions":["v1"],"sideEffects":"None","failurePolicy":"Fail","timeoutSeconds":5,"matchPolicy":"Equivalent"'
labels='"labels":{"app.kubernetes.io/name":"litellm-gateway-operator"}'
"${k[@]}" apply -f - >/dev/null <<JSON
{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",
  "metadata":{"name":"$name",$labels},
  "webhooks":[{"name":"mutate.litellm-gateway-operator.agentic-layer.ai",$common,"reinvocationPolicy":"IfNeeded",
    "clientConfig":{"url":"$url/mutate","caBundle":"$bundle"},"rules":$rules}]},
 {"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",
  "metadata":{"name":"$name",$labels},
  "webhooks":[{"name":"validate.litellm-gateway-operator.agentic-layer.ai",$common,
    "clientConfig":{"url":"$url/validate","caBundle":"$bundle"},"rules":$rules}]}
]}
JSON
log "webhooks $name registered at $url/{validate,mutate}"

# The API server picks configurations up asynchronously: probe with a
# server-side dry run of objects only the webhook refuses. Two of them, so
# that kubectl prints each whole message, webhook name included (for a
# single Invalid error it prints only the causes).
if "${k[@]}" get crd aigateways.runtime.agentic-layer.ai >/dev/null 2>&1; then
  # WEBHOOK_PROBE_CLASS names the probes' class, for a webhook that judges
  # only objects of its classes and finds no default class.
  cls=""
  [ -n "${WEBHOOK_PROBE_CLASS:-}" ] && cls='"aiGatewayClassName":"'"$WEBHOOK_PROBE_CLASS"'",'
  gw() { echo '{"apiVersion":"runtime.agentic-layer.ai/v1alpha1","kind":"AiGateway","metadata":{"name":"webhook-probe-'"$1"'","namespace":"default"},"spec":{'"$cls"'"aiModels":[{"name":"m","provider":"openai"},{"name":"m","provider":"openai"}]}}'; }
  probe='{"apiVersion":"v1","kind":"List","items":['"$(gw a),$(gw b)"']}'
  out=""
  for _ in $(seq 1 100); do
    out=$("${k[@]}" create --dry-run=server -f - <<<"$probe" 2>&1 || true)
    if [[ "$out" == *"validate.litellm-gateway-operator.agentic-layer.ai"* ]]; then
      log "webhooks answer"
      exit 0
    fi
    sleep 0.1
  done
  log "the API server does not call the webhook yet; last answer: $out"
  exit 1
fi
