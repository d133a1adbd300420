"""A Secret's value never leaves the Secret: not into the operator's log (at
the most verbose level), Events, any status, or /metrics. The values reach
the operator as referenced Secrets (read to hash their data) and as a
literal in a config patch (whose override note must hide it)."""
import json
import uuid

from test_controller import ai_gateway, get, template_annotations, wait_hash_change, SECRET_HASH


def test_secret_values_never_appear_in_logs_events_status_or_metrics(cluster, operator, ns, operator_factory):
    operator.stop()  # a dedicated operator logs at trace level
    canary_secret = f"sk-canary-{uuid.uuid4().hex}"
    canary_changed = f"sk-canary-{uuid.uuid4().hex}"
    canary_patch = f"sk-canary-{uuid.uuid4().hex}"
    op = operator_factory("secrecy", extra=("--v", "2", "--log-format", "json"))
    try:
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api-key-secrets", "namespace": ns},
                  "stringData": {"OPENAI_API_KEY": canary_secret}}
        cluster.apply(json.dumps(secret))
        patch = ("model_list:\n- model_name: gpt-4o\n  litellm_params:\n"
                 f"    api_key: {canary_patch}\n")
        cluster.apply(ai_gateway(ns, annotations={"ai-gateway-litellm.agentic-layer.ai/config-patch": patch}))
        first = cluster.wait_for("secret hash",
                                 lambda: template_annotations(cluster, "main", ns).get(SECRET_HASH))
        # The data changes: the operator reads the Secret again and rolls.
        secret["stringData"]["OPENAI_API_KEY"] = canary_changed
        cluster.apply(json.dumps(secret))
        wait_hash_change(cluster, "main", ns, SECRET_HASH, first)
        gw = cluster.wait_for("a status with the patch's note",
                              lambda: (g := get(cluster, "aigateway", "main", ns)) and
                              "api_key" in json.dumps(g.get("status", {})) and g)
        places = {
            "the operator log": op.log_text(),
            "Events": cluster.kubectl("get", "events", "-A", "-o", "json").stdout,
            "the gateway's status": json.dumps(gw.get("status", {})),
            "the Deployment": json.dumps(get(cluster, "deployment", "main", ns)),
            "/metrics": op.metrics(),
        }
        for where, text in places.items():
            for value in (canary_secret, canary_changed, canary_patch):
                assert value not in text, f"a secret value reached {where}"
        # The note says what the patch overrides, in our words.
        assert "value hidden" in json.dumps(gw["status"]), gw["status"]
    finally:
        op.stop()
        operator.start()
