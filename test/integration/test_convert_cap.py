"""POST /convert takes a whole list page: the API server converts every
object of a list response in one ConversionReview, up to 500 objects per
page. A page of 500 large v1alpha1 AiGateways (80 models, each with the
per-model fields the conversion annotation carries, a config patch,
kubectl's last-applied-configuration, managedFields and status) up to the
body cap converts completely; one byte more is refused with 413 and a
message naming the limit, and the server goes on serving.
"""
import json
import uuid

import requests

from webhook_support import WebhookServer, read_response, request_bytes, tls_connect

# webhook/reply.h WH_BODY_CAP_DEFAULT
BODY_CAP = 16 << 20
ALPHA = "runtime.agentic-layer.ai/v1alpha1"
BETA = "runtime.agentic-layer.ai/v1beta1"
PAGE = 500
MODELS = 80
PAD = "example.com/pad"

PATCH = "# tuned for the shared proxy\nlitellm_settings:\n  request_timeout: 120\n  num_retries: 3\n" \
        "router_settings:\n  routing_strategy: usage-based-routing-v2\n  model_group_alias:\n" + \
        "".join(f"    alias-{i}: model-{i}\n" for i in range(30))


def gateway(i):
    models = [{"name": f"model-{m}", "provider": ["openai", "anthropic", "azure"][m % 3]} for m in range(MODELS)]
    carried = {"spec": {"replicas": 3, "models": [
        {"name": f"model-{m}", "model": f"upstream-model-id-{m}-2026-01-01",
         "apiBase": f"https://llm-proxy-{m % 4}.internal.example.com/v1",
         "apiKeySecretRef": {"name": f"team-keys-{m % 4}", "key": f"provider-key-{m}"}} for m in range(MODELS)]}}
    spec = {"aiGatewayClassName": "litellm", "port": 80, "aiModels": models,
            "env": [{"name": f"EXTRA_SETTING_{e}", "value": f"value-{e}"} for e in range(15)]}
    name = f"gateway-{i:04d}"
    last = {"apiVersion": BETA, "kind": "AiGateway", "metadata": {"name": name, "namespace": "ai"}, "spec": spec}
    annotations = {
        "ai-gateway-litellm.agentic-layer.ai/config-patch": PATCH,
        "runtime.agentic-layer.ai/conversion": json.dumps(carried, separators=(",", ":")),
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(last) + "\n",
    }
    managed = [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": BETA,
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:aiModels": {f'k:{{"name":"model-{m}"}}': {".": {}, "f:name": {},
                                                                                      "f:provider": {}}
                                                       for m in range(MODELS)}}}}]
    return {"apiVersion": ALPHA, "kind": "AiGateway",
            "metadata": {"name": name, "namespace": "ai", "uid": str(uuid.UUID(int=i + 1)),
                         "resourceVersion": str(1000 + i), "generation": 4,
                         "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"team": "platform"},
                         "annotations": annotations, "managedFields": managed},
            "spec": spec,
            "status": {"conditions": [{"type": t, "status": "True", "reason": "Reconciled", "message": "ok",
                                       "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 4}
                                      for t in ("AiGatewayConfigured", "AiGatewayReady", "Ready")]}}


def page_of(size, n=PAGE):
    """A ConversionReview of n gateways, exactly size bytes: each object
    carries an annotation that pads it."""
    objs = [gateway(i) for i in range(n)]
    for o in objs:
        o["metadata"]["annotations"][PAD] = ""
    rv = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
          "request": {"uid": str(uuid.uuid4()), "desiredAPIVersion": BETA, "objects": objs}}
    base = len(json.dumps(rv, separators=(",", ":")))
    assert base <= size, f"the page without padding is already {base} bytes"
    for o in objs:
        o["metadata"]["annotations"][PAD] = "x" * ((size - base) // n)
    objs[0]["metadata"]["annotations"][PAD] += "x" * ((size - base) % n)
    body = json.dumps(rv, separators=(",", ":")).encode()
    assert len(body) == size
    return body


def post(srv, body):
    return requests.post(f"{srv.url}/convert", data=body, headers={"Content-Type": "application/json"},
                         verify=str(srv.ca), timeout=120)


def test_a_page_at_the_cap_converts_and_one_byte_more_is_refused(tmp_path):
    srv = WebhookServer(tmp_path).start()
    try:
        body = page_of(BODY_CAP)
        r = post(srv, body)
        assert r.status_code == 200, r.text[:2000]
        resp = r.json()["response"]
        assert resp["result"]["status"] == "Success", resp["result"]
        out = resp["convertedObjects"]
        assert len(out) == PAGE
        for i, o in enumerate(out):
            assert o["apiVersion"] == BETA
            assert o["metadata"]["name"] == f"gateway-{i:04d}"
            models = o["spec"]["models"]
            assert len(models) == MODELS
            assert models[7]["apiBase"] == "https://llm-proxy-3.internal.example.com/v1"
            assert models[7]["apiKeySecretRef"] == {"name": "team-keys-3", "key": "provider-key-7"}
            # What v1alpha1 carried is in spec again (the annotation keeps
            # only the config patch's original text).
            carried = json.loads(o["metadata"]["annotations"].get("runtime.agentic-layer.ai/conversion", "{}"))
            assert "spec" not in carried, carried
            assert o["spec"]["replicas"] == 3
        assert len(out[0]["metadata"]["annotations"][PAD]) > 0

        # One byte more: refused from the headers (Content-Length, as the API
        # server sends it), before the body is read.
        over = page_of(BODY_CAP + 1)
        with tls_connect(srv.port, srv.ca) as s:
            s.sendall(request_bytes("POST", "/convert", content_length=len(over)))
            status, _, reply = read_response(s, timeout=30)
        assert status == 413, reply[:2000]
        st = json.loads(reply)
        assert st["reason"] == "RequestEntityTooLarge"
        assert st["message"] == f"request body of {BODY_CAP + 1} bytes is larger than the limit of {BODY_CAP} bytes"

        # Still serving.
        r = post(srv, page_of(1 << 20, n=10))
        assert r.status_code == 200 and r.json()["response"]["result"]["status"] == "Success"
    finally:
        rc = srv.stop()
    assert rc == 0, f"serve exited with {rc}:\n{srv.log_text()[-4000:]}"
