"""A ToolGateway with allowedRoutes from Selector, through real LiteLLM:
the route from the namespace whose labels the selector selects is served
and answers a tool call; the route from a namespace it does not select is
not served under any key.
"""
import secrets

import pytest

from test_beta_fields import assert_not_served, assert_route_answers, beta_route, stored, until_route_ready

SFX = secrets.token_hex(3)


@pytest.fixture(scope="module")
def selector_gw(gateways, namespace, pods, mcp, operator_bin):
    gw_ns = namespace(f"e2e-sel-{SFX}")
    team_a = namespace(f"e2e-sel-a-{SFX}")
    team_b = namespace(f"e2e-sel-b-{SFX}")

    def route(ns, name):
        return beta_route(ns, name, gw_ns, mcp.issues.url)

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
    gateways.sync("ToolGateway", gw_ns, "tools")
    pod = pods(gw_ns, "tools")
    rendered = until_route_ready(gateways, gw_ns, f"{team_a}/picked")
    yield type("GW", (), dict(ns=gw_ns, team_a=team_a, team_b=team_b, rendered=rendered, pod=pod))
    pod.stop()


def test_selector_serves_the_selected_namespace_only(selector_gw, mcp):
    gw = selector_gw
    servers = gw.rendered.config.get("mcp_servers") or {}
    assert [s["description"] for s in servers.values()] == [f"ToolRoute {gw.team_a}/picked"], servers
    assert_route_answers(gw.pod, gw.rendered.routes.get(f"{gw.team_a}/picked"), mcp)
    would_be = f"{gw.team_b}_skipped".replace("-", "_")[:24]
    assert_not_served(gw.pod, gw.rendered.routes.get(f"{gw.team_b}/skipped"), would_be)
