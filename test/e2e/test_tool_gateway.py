"""ToolGateway end to end: ToolRoutes to real MCP servers (streamable HTTP
and SSE), rendered into LiteLLM's mcp_servers, reached by a real MCP client
at each route's status.url path on the LiteLLM process.

The module shares one gateway; the last test removes a route and checks the
rollout, so keep it last."""
import secrets

import pytest

import mcp_client

SFX = secrets.token_hex(3)
ALL_TOOLS = {"get_issue", "list_issues", "search_code", "create_issue", "delete_repo"}
CALL = {"get_issue": {"number": 7}, "list_issues": {"state": "open"}, "search_code": {"query": "main"},
        "create_issue": {"title": "e2e"}, "delete_repo": {"confirm": True}}


def route_yaml(ns, name, gw_ns, url, allow=None, deny=None):
    f = ""
    if allow is not None or deny is not None:
        f = "  toolFilter:\n" + (f"    allow: {list(allow)}\n" if allow is not None else "") + \
            (f"    deny: {list(deny)}\n" if deny is not None else "")
    return f"""---
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: ToolRoute
metadata: {{name: "{name}", namespace: "{ns}"}}
spec:
  toolGatewayRef: {{name: tools, namespace: {gw_ns}}}
  upstream:
    external: {{url: "{url}"}}
{f}"""


@pytest.fixture(scope="module")
def tools_gw(gateways, namespace, pods, mcp):
    gw_ns = namespace(f"e2e-tg-{SFX}")
    rns = namespace(f"t{SFX}")          # routes; "x-y" here ...
    rns_x = namespace(f"t{SFX}-x")      # ... and "y" here sanitize alike: t<sfx>_x_y
    manifest = f"""
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: ToolGateway
metadata: {{name: tools, namespace: {gw_ns}}}
spec:
  toolGatewayClassName: litellm
"""
    manifest += route_yaml(rns, "all", gw_ns, mcp.issues.url)
    manifest += route_yaml(rns, "exact", gw_ns, mcp.issues.url,
                           allow=["get_issue", "list_issues", "search_code", "create_issue"],
                           deny=["create_issue"])
    manifest += route_yaml(rns, "denyonly", gw_ns, mcp.tracker.url, deny=["delete_repo", "create_issue"])
    manifest += route_yaml(rns, "globs", gw_ns, mcp.issues.url, allow=["*_issue*", "search_*"],
                           deny=["create_*"])
    manifest += route_yaml(rns, "sse", gw_ns, mcp.events.url)
    manifest += route_yaml(rns, "x-y", gw_ns, mcp.tracker.url)
    manifest += route_yaml(rns_x, "y", gw_ns, mcp.issues.url)
    manifest += route_yaml(rns, "gone", gw_ns, mcp.tracker.url)
    gateways.apply(manifest)
    rendered = gateways.sync("ToolGateway", gw_ns, "tools")
    pod = pods(gw_ns, "tools")
    rendered = gateways.routes_when_ready(rendered, gw_ns, "tools")
    yield type("GW", (), dict(ns=gw_ns, rns=rns, rns_x=rns_x, rendered=rendered, pod=pod,
                               gateways=gateways))
    pod.stop()


def route(gw, ns, name):
    r = gw.rendered.routes.get(f"{ns}/{name}")
    assert r is not None, f"no status for ToolRoute {ns}/{name}: {gw.rendered.routes}"
    return r


def open_route(gw, ns, name, calls=(), headers=None):
    """An MCP session at the route's status.url path; returns (session, unprefixed tool names)."""
    r = route(gw, ns, name)
    assert r.state == "Ready" and r.url, f"ToolRoute {ns}/{name} is not served: {r}"
    assert r.url.startswith(f"http://tools.{gw.ns}.svc.cluster.local/"), r.url
    key = r.path.rstrip("/").rsplit("/", 1)[-1]
    s = mcp_client.session(gw.pod.url + r.path, headers=headers,
                           calls=[(f"{key}-{t}", CALL[t]) for t in calls])
    names = set()
    for t in s.tools:
        assert t.startswith(f"{key}-"), f"tool {t!r} at {r.path} is not one of route {key}'s"
        names.add(t[len(key) + 1:])
    return s, names, key


def test_route_serves_the_upstream_tools_and_answers(tools_gw, mcp):
    s, names, key = open_route(tools_gw, tools_gw.rns, "all", calls=["get_issue", "search_code"])
    assert names == ALL_TOOLS
    assert mcp.issues.nonce in s.text(f"{key}-get_issue")
    assert "issue #7" in s.text(f"{key}-get_issue")
    assert mcp.issues.nonce in s.text(f"{key}-search_code")


def test_agent_pseudo_key_reaches_a_route(tools_gw, mcp):
    """Agents may send their LITELLM_PROXY_API_KEY (<namespace>/<name>) to the tool gateway too."""
    s, names, key = open_route(tools_gw, tools_gw.rns, "all", calls=["list_issues"],
                               headers={"Authorization": f"Bearer {tools_gw.rns}/agent"})
    assert names == ALL_TOOLS and mcp.issues.nonce in s.text(f"{key}-list_issues")


def test_exact_allow_and_deny_expose_exactly_the_intended_tools(tools_gw, mcp):
    s, names, key = open_route(tools_gw, tools_gw.rns, "exact", calls=["list_issues"])
    assert names == {"get_issue", "list_issues", "search_code"}
    assert mcp.issues.nonce in s.text(f"{key}-list_issues")
    before = len(mcp.issues.calls())
    try:
        s2 = mcp_client.session(tools_gw.pod.url + route(tools_gw, tools_gw.rns, "exact").path,
                                calls=[(f"{key}-create_issue", CALL["create_issue"])])
        refused = s2.results[f"{key}-create_issue"][0]
    except mcp_client.MCPFailure:
        refused = True
    assert refused, "calling a denied tool did not fail"
    assert not [c for c in mcp.issues.calls()[before:] if c["tool"] == "create_issue"]


def test_deny_only_filter_hides_the_denied_tools(tools_gw, mcp):
    s, names, key = open_route(tools_gw, tools_gw.rns, "denyonly", calls=["get_issue"])
    assert names == {"get_issue", "list_issues", "search_code"}
    assert mcp.tracker.nonce in s.text(f"{key}-get_issue")


def test_glob_filters_expose_exactly_the_matching_tools(tools_gw, mcp):
    r = route(tools_gw, tools_gw.rns, "globs")
    if tools_gw.gateways.mode == "render" and r.state != "Ready":
        # Offline, nobody lists the upstream's tools, so the route must fail
        # closed: no URL, and LiteLLM serves nothing under its would-be key.
        assert r.url is None, r
        try:
            leaked = mcp_client.session(f"{tools_gw.pod.url}/mcp/{tools_gw.rns}_globs").tools
        except mcp_client.MCPFailure:
            leaked = []
        assert not leaked, f"an unenforceable glob route is served anyway: {leaked}"
        pytest.xfail(f"offline render cannot list the upstream's tools, so globs fail closed: {r.message}")
    s, names, key = open_route(tools_gw, tools_gw.rns, "globs", calls=["get_issue"])
    assert names == {"get_issue", "list_issues", "search_code"}
    assert mcp.issues.nonce in s.text(f"{key}-get_issue")


def test_sse_upstream(tools_gw, mcp):
    s, names, key = open_route(tools_gw, tools_gw.rns, "sse", calls=["get_issue"])
    assert names == ALL_TOOLS
    assert mcp.events.nonce in s.text(f"{key}-get_issue")


def test_routes_whose_names_sanitize_alike_both_work(tools_gw, mcp):
    a = route(tools_gw, tools_gw.rns, "x-y")
    b = route(tools_gw, tools_gw.rns_x, "y")
    assert a.url != b.url
    sa, names_a, ka = open_route(tools_gw, tools_gw.rns, "x-y", calls=["get_issue"])
    sb, names_b, kb = open_route(tools_gw, tools_gw.rns_x, "y", calls=["get_issue"])
    assert names_a == ALL_TOOLS and names_b == ALL_TOOLS
    assert mcp.tracker.nonce in sa.text(f"{ka}-get_issue")
    assert mcp.issues.nonce in sb.text(f"{kb}-get_issue")


@pytest.fixture(scope="module")
def guarded_tools_gw(gateways, namespace, pods, mcp, presidio):
    ns = namespace(f"e2e-tgg-{SFX}")
    gateways.apply(f"""
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: GuardrailProvider
metadata: {{name: presidio, namespace: {ns}}}
spec:
  type: presidio-api
  presidio: {{baseUrl: "{presidio.url}"}}
---
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: Guard
metadata: {{name: pii, namespace: {ns}}}
spec:
  mode: [pre_call]
  providerRef: {{name: presidio}}
  presidio:
    entityActions: {{EMAIL_ADDRESS: MASK, CREDIT_CARD: BLOCK}}
---
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: ToolGateway
metadata: {{name: tools, namespace: {ns}}}
spec:
  toolGatewayClassName: litellm
  guardrails: [{{name: pii}}]
""" + route_yaml(ns, "tracker", ns, mcp.tracker.url))
    rendered = gateways.sync("ToolGateway", ns, "tools")
    pod = pods(ns, "tools")
    rendered = gateways.routes_when_ready(rendered, ns, "tools")
    yield type("GW", (), dict(ns=ns, rendered=rendered, pod=pod, gateways=gateways))
    pod.stop()


def test_tool_gateway_presidio_guard_masks_tool_arguments(guarded_tools_gw, mcp):
    """A pre_call Guard on a ToolGateway runs before the MCP call: the upstream
    tool never sees the e-mail address, and a BLOCK entity is refused."""
    gw = guarded_tools_gw
    r = route(gw, gw.ns, "tracker")
    key = r.path.rstrip("/").rsplit("/", 1)[-1]
    before = len(mcp.tracker.calls())
    s, names, _ = open_route(gw, gw.ns, "tracker")
    assert names == ALL_TOOLS
    s = mcp_client.session(gw.pod.url + r.path,
                           calls=[(f"{key}-create_issue", {"title": "mail jane.doe@example.com about it"})])
    assert not s.results[f"{key}-create_issue"][0], s.results
    got = [c for c in mcp.tracker.calls()[before:] if c["tool"] == "create_issue"]
    assert len(got) == 1, got
    assert "jane.doe@example.com" not in got[0]["args"]["title"]
    assert "<EMAIL_ADDRESS>" in got[0]["args"]["title"]

    before = len(mcp.tracker.calls())
    try:
        s = mcp_client.session(gw.pod.url + r.path,
                               calls=[(f"{key}-create_issue", {"title": "charge 4111 1111 1111 1111"})])
        refused = s.results[f"{key}-create_issue"][0]
    except mcp_client.MCPFailure:
        refused = True
    assert refused, "a BLOCK entity went through"
    assert not [c for c in mcp.tracker.calls()[before:] if "4111" in str(c["args"])]


def test_removed_route_disappears_after_the_rollout(tools_gw, mcp):
    gone = route(tools_gw, tools_gw.rns, "gone")
    s, names, _ = open_route(tools_gw, tools_gw.rns, "gone")
    assert names == ALL_TOOLS
    old_hash = tools_gw.rendered.config_hash

    tools_gw.gateways.delete("ToolRoute", tools_gw.rns, "gone")
    tools_gw.rendered = tools_gw.gateways.sync("ToolGateway", tools_gw.ns, "tools")
    assert tools_gw.rendered.config_hash != old_hash
    assert f"{tools_gw.rns}/gone" not in tools_gw.rendered.routes
    tools_gw.pod.wait_rollout(config_hash=tools_gw.rendered.config_hash)
    tools_gw.rendered = tools_gw.gateways.routes_when_ready(tools_gw.rendered, tools_gw.ns, "tools")

    try:
        left = mcp_client.session(tools_gw.pod.url + gone.path).tools
    except mcp_client.MCPFailure:
        left = []
    assert not left, f"the removed route still lists {left}"
    s, names, key = open_route(tools_gw, tools_gw.rns, "all", calls=["get_issue"])
    assert names == ALL_TOOLS and mcp.issues.nonce in s.text(f"{key}-get_issue")
