#!/usr/bin/env python3
"""Writes ConversionReview bodies of N v1alpha1 AiGateways (desired: v1beta1)
for bench/convert/run.sh: review-N.json for every N given.

Each object is what the API server sends from etcd for a realistic gateway:
three models, labels, annotations (a commented config patch and the
conversion annotation), managedFields and status conditions.

    make-reviews.py OUTDIR N [N...]
"""
import json
import sys
import uuid

PATCH = "# longer timeout\nlitellm_settings:\n  request_timeout: 120\n  num_retries: 2\n"


def gateway(i):
    name = f"gw-{i:04d}"
    return {
        "apiVersion": "runtime.agentic-layer.ai/v1alpha1", "kind": "AiGateway",
        "metadata": {
            "name": name, "namespace": "ai-gateway", "uid": str(uuid.UUID(int=i + 1)),
            "resourceVersion": str(1000 + i), "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"team": "platform", "app.kubernetes.io/part-of": "agents"},
            "annotations": {
                "ai-gateway-litellm.agentic-layer.ai/config-patch": PATCH,
                "runtime.agentic-layer.ai/conversion": json.dumps(
                    {"spec": {"models": [{"name": "gpt-4o", "apiBase": "https://llm-proxy.example/v1",
                                          "apiKeySecretRef": {"name": "keys", "key": "openai"}}],
                              "replicas": 2}}, separators=(",", ":")),
            },
            "managedFields": [{
                "manager": "kubectl", "operation": "Apply", "apiVersion": "runtime.agentic-layer.ai/v1alpha1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {"f:team": {}}},
                             "f:spec": {"f:aiModels": {}, "f:port": {}, "f:aiGatewayClassName": {}}},
            }],
        },
        "spec": {
            "aiGatewayClassName": "litellm", "port": 80,
            "aiModels": [{"name": "gpt-4o", "provider": "openai"}, {"name": "gpt-4o-mini", "provider": "openai"},
                         {"name": "claude-sonnet-4-5", "provider": "anthropic"}],
            "guardrails": [{"kind": "Guard", "name": "pii", "namespace": "guards"}],
        },
        "status": {"conditions": [
            {"type": "AiGatewayConfigured", "status": "True", "reason": "ConfigurationApplied", "message": "ok",
             "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 3},
            {"type": "AiGatewayReady", "status": "True", "reason": "Reconciled", "message": "1/1 replicas ready",
             "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 3}]},
    }


def main():
    out = sys.argv[1]
    for n in map(int, sys.argv[2:]):
        review = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                  "request": {"uid": str(uuid.uuid4()), "desiredAPIVersion": "runtime.agentic-layer.ai/v1beta1",
                              "objects": [gateway(i) for i in range(n)]}}
        with open(f"{out}/review-{n}.json", "w") as f:
            json.dump(review, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
