#!/usr/bin/env bash
# Installs the operator: checks that cert-manager is there, then applies the
# kustomization (deploy/ by default) and waits until the webhook certificate
# is issued and its CA injected.
#
#   deploy/install.sh [KUSTOMIZATION_DIR]        (uses kubectl's current context)
#
# Why the check: the webhook configurations get their caBundle from
# cert-manager's cainjector. Applied on a cluster without cert-manager, they
# would be registered with no caBundle, and the API server would refuse every
# AiGateway, ToolGateway and ToolRoute write in the cluster (x509 errors)
# until they are deleted. So without cert-manager this script stops before
# anything is applied. Environment: KUBECTL (default kubectl),
# WAIT_SECONDS (default 120; 0 = do not wait).
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
kubectl="${KUBECTL:-kubectl}"
wait_s="${WAIT_SECONDS:-120}"
ns=litellm-gateway-operator
say() { printf 'install: %s\n' "$*" >&2; }

missing=()
for crd in issuers.cert-manager.io certificates.cert-manager.io certificaterequests.cert-manager.io; do
  $kubectl get crd "$crd" >/dev/null 2>&1 || missing+=("$crd")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "cert-manager is not installed (missing CRDs: ${missing[*]})."
  say "Nothing was applied. Install cert-manager v1.15 or later first (docs/install.md), then run this again."
  exit 1
fi
for crd in issuers.cert-manager.io certificates.cert-manager.io; do
  if ! $kubectl wait --for=condition=Established --timeout=30s "crd/$crd" >/dev/null 2>&1; then
    say "cert-manager's CRD $crd is not established yet; nothing was applied."
    exit 1
  fi
done

# The CRDs first: kubectl maps every object of an apply before it creates
# any, so the classes (custom resources) of a first install would be
# refused if their CRDs came in the same apply. Server-side, so that an
# upgrade replaces what an earlier apply set (a conversion clientConfig that
# moved from a Service to a URL, say) instead of merging both.
crds=$($kubectl kustomize "$dir" | awk '
  function flush() { if (crd) { if (n++) print "---"; printf "%s", doc } doc = ""; crd = 0 }
  /^---$/ { flush(); next }
  { doc = doc $0 "\n"; if ($0 == "kind: CustomResourceDefinition") crd = 1 }
  END { flush() }')
if [ -n "$crds" ]; then
  say "applying the CRDs of $dir"
  printf '%s\n' "$crds" | $kubectl apply --server-side --force-conflicts -f -
  printf '%s\n' "$crds" | $kubectl wait --for=condition=Established --timeout=60s -f - >/dev/null
fi
say "applying $dir"
$kubectl apply -k "$dir"
[ "$wait_s" = 0 ] && exit 0

say "waiting up to ${wait_s}s for the webhook certificate"
if ! $kubectl -n "$ns" wait --for=condition=Ready --timeout="${wait_s}s" \
     certificate/litellm-gateway-operator-webhook; then
  say "the Certificate is not Ready: is cert-manager's controller running?"
  $kubectl -n "$ns" describe certificate litellm-gateway-operator-webhook >&2 || true
  exit 1
fi
deadline=$((SECONDS + wait_s))
for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
  while :; do
    ca=$($kubectl get "$kind" litellm-gateway-operator -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null || true)
    [ -n "$ca" ] && break
    if [ $SECONDS -ge $deadline ]; then
      say "no caBundle in $kind litellm-gateway-operator: is cert-manager's cainjector running?"
      exit 1
    fi
    sleep 1
  done
done
say "installed: Certificate Ready, CA injected into both webhook configurations"
