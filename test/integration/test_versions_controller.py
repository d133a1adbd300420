"""The controller reconciles objects written in v1beta1: they are stored as
v1alpha1 (the API server converts through `serve`'s /convert), the
controller's informers read v1alpha1, and the fields only v1beta1 has
(carried in the conversion annotation) take effect: per-model model, apiBase
and API key reach LiteLLM's config, replicas and resources the Deployment,
the key's Secret the secret hash; a ToolGateway's allowedRoutes keeps other
namespaces' routes out; serverName names the MCP server.
"""
import json

import yaml

from test_versions import ALPHA, BETA, GROUP, apply, converter, vns  # noqa: F401 (fixtures)

SECRET_HASH = "gateway.agentic-layer.ai/secret-hash"
APPLIED_HASH = "litellm-gateway-operator.agentic-layer.ai/applied-hash"


def get(cluster, resource, name, ns):
    return cluster.get_json(resource, name, ns, check=False)


def condition(obj, ctype):
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c["type"] == ctype:
            return c
    return None


def config_of(cluster, gw, ns):
    cm = get(cluster, "configmap", f"{gw}-config", ns)
    return yaml.safe_load(cm["data"]["config.yaml"]) if cm else None


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def env_named(deployment, name):
    return next((e for e in container(deployment).get("env", []) if e["name"] == name), None)


def test_v1beta1_aigateway_fields_reach_the_workload(cluster, operator, vns):
    ns = vns
    cluster.kubectl("create", "secret", "generic", "keys", "-n", ns, "--from-literal=team-a=sk-a",
                    "--from-literal=team-b=sk-b")
    gw = {
        "apiVersion": BETA, "kind": "AiGateway",
        "metadata": {"name": "beta", "namespace": ns},
        "spec": {
            "models": [
                {"name": "fast", "provider": "openai", "model": "gpt-4o-mini", "apiBase": "http://up-a.example:8080/v1",
                 "apiKeySecretRef": {"name": "keys", "key": "team-a"}},
                {"name": "smart", "provider": "openai", "apiBase": "http://up-b.example:8080/v1",
                 "apiKeySecretRef": {"name": "keys", "key": "team-b"}},
                {"name": "claude", "provider": "anthropic"},
            ],
            "replicas": 2,
            "resources": {"requests": {"cpu": "50m"}, "limits": {"memory": "768Mi"}},
        },
    }
    apply(cluster, gw)
    # Stored as v1alpha1: the informers see the conversion annotation.
    stored = json.loads(cluster.kubectl("get", f"aigateways.v1alpha1.{GROUP}", "beta", "-n", ns, "-o", "json").stdout)
    assert stored["apiVersion"] == ALPHA
    assert f"{GROUP}/conversion" in stored["metadata"]["annotations"]

    cfg = cluster.wait_for("the ConfigMap of beta", lambda: config_of(cluster, "beta", ns), timeout=60)
    models = {m["model_name"]: m["litellm_params"] for m in cfg["model_list"]}
    assert models["fast"]["model"] == "openai/gpt-4o-mini"
    assert models["fast"]["api_base"] == "http://up-a.example:8080/v1"
    assert models["smart"]["model"] == "openai/smart"
    assert models["smart"]["api_base"] == "http://up-b.example:8080/v1"
    assert models["claude"] == {"model": "anthropic/claude", "api_key": "os.environ/ANTHROPIC_API_KEY"}
    var_a = models["fast"]["api_key"].removeprefix("os.environ/")
    var_b = models["smart"]["api_key"].removeprefix("os.environ/")
    assert var_a != var_b and var_a != models["fast"]["api_key"]

    dep = cluster.wait_for("the Deployment of beta", lambda: get(cluster, "deployment", "beta", ns), timeout=60)
    assert dep["spec"]["replicas"] == 2
    assert container(dep)["resources"] == {"requests": {"cpu": "50m"}, "limits": {"memory": "768Mi"}}
    assert env_named(dep, var_a)["valueFrom"] == {"secretKeyRef": {"name": "keys", "key": "team-a"}}
    assert env_named(dep, var_b)["valueFrom"] == {"secretKeyRef": {"name": "keys", "key": "team-b"}}
    assert env_named(dep, "OPENAI_API_KEY") is None

    # The status column of v1beta1 reads status.models.
    cluster.wait_for("status.models", lambda: (get(cluster, "aigateway", "beta", ns) or {})
                     .get("status", {}).get("models") == "fast,smart,claude", timeout=60)
    row = cluster.kubectl("get", f"aigateways.v1beta1.{GROUP}", "beta", "-n", ns, "--no-headers").stdout
    assert "fast,smart,claude" in row

    # The model's key Secret rolls the pods when its data changes.
    old = dep["spec"]["template"]["metadata"]["annotations"][SECRET_HASH]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "keys", "namespace": ns},
              "stringData": {"team-a": "sk-a2", "team-b": "sk-b"}}
    cluster.kubectl("apply", "-f", "-", input=json.dumps(secret))
    cluster.wait_for("the secret hash to change", lambda: get(cluster, "deployment", "beta", ns)["spec"]["template"]
                     ["metadata"]["annotations"][SECRET_HASH] != old, timeout=60)

    # Without spec.replicas the operator leaves replicas to kubectl scale.
    def applied_hash():
        return get(cluster, "deployment", "beta", ns)["metadata"]["annotations"].get(APPLIED_HASH)
    before = applied_hash()
    cluster.kubectl("patch", f"aigateways.v1beta1.{GROUP}", "beta", "-n", ns, "--type=json",
                    "-p", json.dumps([{"op": "remove", "path": "/spec/replicas"}]))
    cluster.wait_for("the Deployment applied without replicas", lambda: applied_hash() != before, timeout=60)
    cluster.kubectl("scale", "deployment", "beta", "-n", ns, "--replicas=4")
    cluster.wait_for("kubectl scale to hold", lambda: get(cluster, "deployment", "beta", ns)["spec"]["replicas"] == 4)
    # A later change of the gateway rolls the pods and keeps the scale.
    cluster.kubectl("patch", f"aigateways.v1beta1.{GROUP}", "beta", "-n", ns, "--type=merge",
                    "-p", json.dumps({"spec": {"resources": {"limits": {"memory": "1Gi"}}}}))
    want = {"requests": {"cpu": "50m"}, "limits": {"memory": "1Gi"}}
    dep = cluster.wait_for("the new resources applied", lambda: (lambda d: d if container(d)["resources"] == want
                                                                 else None)(get(cluster, "deployment", "beta", ns)),
                           timeout=60)
    assert dep["spec"]["replicas"] == 4


def test_v1beta1_toolgateway_allowed_routes_and_server_name(cluster, operator, vns):
    ns = vns
    other = f"{ns}-o"[:63]
    cluster.kubectl("create", "namespace", other)
    try:
        apply(cluster, {
            "apiVersion": BETA, "kind": "ToolGateway", "metadata": {"name": "tools", "namespace": ns},
            "spec": {"allowedRoutes": {"namespaces": {"from": "Same"}}},
        })
        route = {
            "apiVersion": BETA, "kind": "ToolRoute",
            "spec": {"gatewayRef": {"name": "tools", "namespace": ns},
                     "upstream": {"external": {"url": "http://mcp.example:9000/mcp"}}},
        }
        apply(cluster, dict(route, metadata={"name": "local", "namespace": ns},
                            spec=dict(route["spec"], serverName="wx")))
        apply(cluster, dict(route, metadata={"name": "remote", "namespace": other}))

        def remote_refused():
            c = condition(get(cluster, "toolroute", "remote", other), "Accepted")
            return c if c and c["status"] == "False" else None
        c = cluster.wait_for("the other namespace's route refused", remote_refused, timeout=60)
        assert c["reason"] == "NotAllowedByListeners"
        assert "Same" in c["message"]
        servers = cluster.wait_for("mcp_servers", lambda: (config_of(cluster, "tools", ns) or {}).get("mcp_servers"),
                                   timeout=60)
        assert set(servers) == {"wx"}
        assert servers["wx"]["url"] == "http://mcp.example:9000/mcp"
        c = condition(get(cluster, "toolroute", "local", ns), "Accepted")
        assert c and c["status"] == "True"
        cluster.wait_for("status.attachedRoutes", lambda: (get(cluster, "toolgateway", "tools", ns) or {})
                         .get("status", {}).get("attachedRoutes") == 1, timeout=60)

        # All: the other namespace's route is admitted.
        cluster.kubectl("patch", f"toolgateways.v1beta1.{GROUP}", "tools", "-n", ns, "--type=merge",
                        "-p", json.dumps({"spec": {"allowedRoutes": {"namespaces": {"from": "All"}}}}))
        def both_served():
            servers = (config_of(cluster, "tools", ns) or {}).get("mcp_servers") or {}
            return len(servers) == 2 and "wx" in servers and any(
                s["description"] == f"ToolRoute {other}/remote" for s in servers.values())
        cluster.wait_for("both routes served", both_served, timeout=60)
        cluster.wait_for("the route accepted", lambda: (condition(get(cluster, "toolroute", "remote", other),
                                                                  "Accepted") or {}).get("status") == "True", timeout=60)
    finally:
        cluster.kubectl("delete", f"toolroutes.v1alpha1.{GROUP}", "--all", "-n", other, "--wait=true", check=False)
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)
