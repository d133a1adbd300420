"""A ToolGateway with allowedRoutes from Selector, through real LiteLLM:
the route from the namespace whose labels the selector selects is served
and answers a tool call; the route from a namespace it does not select is
not served under any key.
"""
import secrets
import time

import pytest

import mcp_client
from test_beta_fields import stored

SFX = secrets.token_hex(3)


@pytest.fixture(scope="module")
def selector_gw(gateways, namespace, pods, mcp, operator_bin):
    gw_ns = namespace(f"e2e-sel-{SFX}")
    team_a = namespace(f"e2e-sel-a-{SFX}")
    team_b = namespace(f"e2e-sel-b-{SFX}")

    def route(ns, name):
        return f"""---
apiVersion: runtime.agentic-layer.ai/v1beta1
kind: ToolRoute
metadata: {{name: {name}, namespace: {ns}}}
spec:
  gatewayRef: {{name: tools, namespace: {gw_ns}}}
  upstream:
    external: {{url: "{mcp.issues.url}"}}
"""

    def labelled(ns, team):
        return f"---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{team: {team}}}}}\n"
    gateways.apply(labelled(team_a, "a") + labelled(team_b, "b"))
    gateways.apply(stored(operator_bin, f"""
apiVersion: runtime.agentic-layer.ai/v1beta1
kind: ToolGateway
metadata: {{name: tools, namespace: {gw_ns}}}
spec:
  className: litellm
  allowedRoutes:
    namespaces:
      from: Selector
      selector:
        matchExpressions: [{{key: team, operator: In, values: [a]}}]
""" + route(team_a, "picked") + route(team_b, "skipped")))
    rendered = gateways.sync("ToolGateway", gw_ns, "tools")
    pod = pods(gw_ns, "tools")
    deadline = time.monotonic() + 90
    while (getattr(rendered.routes.get(f"{team_a}/picked"), "state", None) != "Ready"
           and time.monotonic() < deadline):
        time.sleep(1)
        rendered = gateways.sync("ToolGateway", gw_ns, "tools", timeout=30, settle=0.5) \
            if gateways.mode == "controller" else gateways.sync("ToolGateway", gw_ns, "tools")
    yield type("GW", (), dict(ns=gw_ns, team_a=team_a, team_b=team_b, rendered=rendered, pod=pod))
    pod.stop()


def test_selector_serves_the_selected_namespace_only(selector_gw, mcp):
    gw = selector_gw
    servers = gw.rendered.config.get("mcp_servers") or {}
    assert [s["description"] for s in servers.values()] == [f"ToolRoute {gw.team_a}/picked"], servers
    picked = gw.rendered.routes.get(f"{gw.team_a}/picked")
    assert picked is not None and picked.state == "Ready" and picked.url, gw.rendered.routes
    key = picked.path.rstrip("/").rsplit("/", 1)[-1]
    s = mcp_client.session(gw.pod.url + picked.path, calls=[(f"{key}-get_issue", {"number": 7})])
    assert mcp.issues.nonce in s.text(f"{key}-get_issue")
    skipped = gw.rendered.routes.get(f"{gw.team_b}/skipped")
    assert skipped is None or (skipped.state != "Ready" and not skipped.url), skipped
    would_be = f"{gw.team_b}_skipped".replace("-", "_")[:24]
    try:
        leaked = mcp_client.session(f"{gw.pod.url}/mcp/{would_be}").tools
    except mcp_client.MCPFailure:
        leaked = []
    assert not leaked, f"the unselected route is served: {leaked}"
