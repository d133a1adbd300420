#!/usr/bin/env bash
# Stands in for the kubelet in `make demo`, where no kubelet runs: every pod
# in the given namespaces that is not yet Running is marked Running and Ready,
# so kube-controller-manager's Deployment controller reports the gateways'
# Deployments available, the gateways become Ready and their routes get their
# URLs, as on a real cluster. Nothing runs in those pods; the stand-in only
# writes the status a kubelet would write once the containers are up.
#   kubelet-stand-in.sh NAMESPACE...   (KUBECONFIG and LGO_BIN_DIR from the env)
set -uo pipefail
kubectl="$LGO_BIN_DIR/kubectl"
status() {
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  printf '{"status":{"phase":"Running","conditions":['
  local sep=""
  for t in PodScheduled Initialized ContainersReady Ready; do
    printf '%s{"type":"%s","status":"True","lastTransitionTime":"%s"}' "$sep" "$t" "$now"
    sep=","
  done
  printf ']}}'
}
while :; do
  for ns in "$@"; do
    pending=$("$kubectl" -n "$ns" get pods \
      -o jsonpath='{range .items[?(@.status.phase!="Running")]}{.metadata.name}{"\n"}{end}' 2>/dev/null)
    for pod in $pending; do
      "$kubectl" -n "$ns" patch pod "$pod" --subresource=status --type=merge -p "$(status)" >/dev/null 2>&1 \
        && echo "$(date -u +%H:%M:%S) marked $ns/$pod Running and Ready"
    done
  done
  sleep 2
done
