"""v1beta1-only fields end to end, through real LiteLLM: an AiGateway whose
models carry their own apiBase and apiKeySecretRef reaches two different
upstreams with two different keys; a ToolGateway with allowedRoutes Same
keeps another namespace's route out.

The manifests are written in v1beta1 and stored as the API server stores
them (v1alpha1 plus the conversion annotation), by the operator's own
`convert` command: the same code the conversion webhook runs.
"""
import secrets
import subprocess
import time

import pytest

import mcp_client
from conftest import post_json

SFX = secrets.token_hex(3)


def stored(operator_bin, manifest):
    p = subprocess.run([operator_bin, "convert", "-f", "-", "--to", "v1alpha1"], input=manifest,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "runtime.agentic-layer.ai/conversion" in p.stdout
    return p.stdout


def beta_route(ns, name, gw_ns, url):
    """A v1beta1 ToolRoute in ns to the ToolGateway gw_ns/tools."""
    return f"""---
apiVersion: runtime.agentic-layer.ai/v1beta1
kind: ToolRoute
metadata: {{name: {name}, namespace: {ns}}}
spec:
  gatewayRef: {{name: tools, namespace: {gw_ns}}}
  upstream:
    external: {{url: "{url}"}}
"""


def until_route_ready(gateways, gw_ns, route, timeout=90):
    """The ToolGateway gw_ns/tools synced again until the route ("ns/name")
    is Ready, which it is once its gateway runs; the last sync."""
    rendered = gateways.sync("ToolGateway", gw_ns, "tools")
    deadline = time.monotonic() + timeout
    while getattr(rendered.routes.get(route), "state", None) != "Ready" and time.monotonic() < deadline:
        time.sleep(1)
        rendered = gateways.sync("ToolGateway", gw_ns, "tools", timeout=30, settle=0.5) \
            if gateways.mode == "controller" else gateways.sync("ToolGateway", gw_ns, "tools")
    return rendered


def assert_route_answers(pod, route, mcp):
    """The Ready route answers a tool call through LiteLLM."""
    assert route is not None and route.state == "Ready" and route.url, route
    key = route.path.rstrip("/").rsplit("/", 1)[-1]
    s = mcp_client.session(pod.url + route.path, calls=[(f"{key}-get_issue", {"number": 7})])
    assert mcp.issues.nonce in s.text(f"{key}-get_issue")


def assert_not_served(pod, route, key):
    """A route left out has no URL, and LiteLLM serves nothing under the key
    it would have had."""
    assert route is None or (route.state != "Ready" and not route.url), route
    try:
        leaked = mcp_client.session(f"{pod.url}/mcp/{key}").tools
    except mcp_client.MCPFailure:
        leaked = []
    assert not leaked, f"the route left out is served: {leaked}"


def chat(pod, model, text, key):
    body = {"model": model, "messages": [{"role": "user", "content": text}]}
    return post_json(f"{pod.url}/v1/chat/completions", body, {"Authorization": f"Bearer {key}"})


@pytest.fixture(scope="module")
def beta_gw(gateways, namespace, pods, llm, llm_b, operator_bin):
    ns = namespace(f"e2e-beta-{SFX}")
    keys = {"a": f"sk-e2e-a-{secrets.token_hex(6)}", "b": f"sk-e2e-b-{secrets.token_hex(6)}"}
    gateways.apply(f"""
apiVersion: v1
kind: Secret
metadata: {{name: team-keys, namespace: {ns}}}
stringData:
  team-a: {keys['a']}
  team-b: {keys['b']}
""")
    gateways.apply(stored(operator_bin, f"""
apiVersion: runtime.agentic-layer.ai/v1beta1
kind: AiGateway
metadata: {{name: beta, namespace: {ns}}}
spec:
  className: litellm
  port: 80
  models:
  - name: fast
    provider: openai
    model: gpt-4o-mini
    apiBase: {llm.url}/v1
    apiKeySecretRef: {{name: team-keys, key: team-a}}
  - name: smart
    provider: openai
    apiBase: {llm_b.url}/v1
    apiKeySecretRef: {{name: team-keys, key: team-b}}
"""))
    rendered = gateways.sync("AiGateway", ns, "beta")
    pod = pods(ns, "beta")
    yield type("GW", (), dict(ns=ns, keys=keys, rendered=rendered, pod=pod, agent_key=f"{ns}/agent"))
    pod.stop()


def test_each_model_reaches_its_own_upstream_with_its_own_key(beta_gw, llm, llm_b):
    for model, up, other, key, upstream_model in (("fast", llm, llm_b, beta_gw.keys["a"], "gpt-4o-mini"),
                                                   ("smart", llm_b, llm, beta_gw.keys["b"], "smart")):
        llm.clear(), llm_b.clear()
        marker = f"hello {model} {secrets.token_hex(4)}"
        status, body = chat(beta_gw.pod, model, marker, beta_gw.agent_key)
        assert status == 200, body
        seen = [r for r in up.seen("/v1/chat/completions") if marker in r.text()]
        assert len(seen) == 1, f"{model}: expected one request at its upstream, saw {up.requests}"
        assert seen[0].model == upstream_model
        assert seen[0].authorization == f"Bearer {key}"
        assert not [r for r in other.requests if marker in r.text()], f"{model} reached the other upstream"


def test_the_keys_come_from_the_secret_not_the_config(beta_gw):
    cfg = beta_gw.rendered.config
    text = str(cfg)
    assert beta_gw.keys["a"] not in text and beta_gw.keys["b"] not in text
    refs = {e["valueFrom"]["secretKeyRef"]["key"] for e in
            beta_gw.rendered.deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            if (e.get("valueFrom") or {}).get("secretKeyRef", {}).get("name") == "team-keys"}
    assert refs == {"team-a", "team-b"}


@pytest.fixture(scope="module")
def same_ns_gw(gateways, namespace, pods, mcp, operator_bin):
    gw_ns = namespace(f"e2e-same-{SFX}")
    other = namespace(f"e2e-other-{SFX}")

    def route(ns, name):
        return beta_route(ns, name, gw_ns, mcp.issues.url)
    gateways.apply(stored(operator_bin, f"""
apiVersion: runtime.agentic-layer.ai/v1beta1
kind: ToolGateway
metadata: {{name: tools, namespace: {gw_ns}}}
spec:
  className: litellm
  allowedRoutes:
    namespaces: {{from: Same}}
""" + route(gw_ns, "local") + route(other, "remote")))
    gateways.sync("ToolGateway", gw_ns, "tools")
    pod = pods(gw_ns, "tools")
    # A route is Ready once its gateway runs: read the statuses again then.
    rendered = until_route_ready(gateways, gw_ns, f"{gw_ns}/local")
    yield type("GW", (), dict(ns=gw_ns, other=other, rendered=rendered, pod=pod))
    pod.stop()


def test_allowed_routes_same_keeps_another_namespace_out(same_ns_gw, mcp):
    gw = same_ns_gw
    servers = gw.rendered.config.get("mcp_servers") or {}
    assert len(servers) == 1, servers
    assert all(s["description"] == f"ToolRoute {gw.ns}/local" for s in servers.values())
    assert_route_answers(gw.pod, gw.rendered.routes.get(f"{gw.ns}/local"), mcp)
    would_be = f"{gw.other}_remote".replace("-", "_")
    assert len(would_be) <= 24
    assert_not_served(gw.pod, gw.rendered.routes.get(f"{gw.other}/remote"), would_be)
