"""A ToolGateway's allowedRoutes.namespaces.from Selector (v1beta1): routes
from namespaces whose labels the selector selects are admitted, others get
Accepted=False with the reason; relabelling a namespace re-evaluates the
gateway. With --namespace the operator reads only the watched namespaces,
by name, and says on each route when it may not read them.

(Named after test_versions: its session-scoped conversion webhook points
the CRDs at a test server, which the suites sorted before it must not see.)
"""
import json

from conftest import rbac_refusals
from test_deploy import grant_namespaced, token_kubeconfig
from test_versions import BETA, GROUP, apply, converter, vns  # noqa: F401 (fixtures)
from test_versions_controller import condition, config_of, get


def accepted(cluster, name, ns):
    return condition(get(cluster, "toolroute", name, ns), "Accepted")


def accepted_is(cluster, name, ns, status):
    c = accepted(cluster, name, ns)
    return c if c and c["status"] == status else None


def served(cluster, gw_ns):
    """The routes in the gateway's config, by the description each carries."""
    servers = (config_of(cluster, "tools", gw_ns) or {}).get("mcp_servers") or {}
    return {s["description"].removeprefix("ToolRoute ") for s in servers.values()}


def selector_gateway(ns, selector):
    return {"apiVersion": BETA, "kind": "ToolGateway", "metadata": {"name": "tools", "namespace": ns},
            "spec": {"allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}}}}


def route(name, ns, gw_ns):
    return {"apiVersion": BETA, "kind": "ToolRoute", "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayRef": {"name": "tools", "namespace": gw_ns},
                     "upstream": {"external": {"url": f"http://{name}.example:9000/mcp"}}}}


def test_selector_follows_namespace_labels(cluster, operator, vns):
    ns = vns
    other = f"{ns}-o"[:63]
    cluster.kubectl("create", "namespace", other)
    try:
        cluster.kubectl("label", "namespace", ns, "team=tools")
        cluster.kubectl("label", "namespace", other, "team=b")
        apply(cluster, selector_gateway(ns, {"matchExpressions": [
            {"key": "team", "operator": "In", "values": ["tools", "a"]},
            {"key": "frozen", "operator": "DoesNotExist"}]}))
        apply(cluster, route("local", ns, ns), route("remote", other, ns))

        c = cluster.wait_for("the route of the unselected namespace refused",
                             lambda: accepted_is(cluster, "remote", other, "False"), timeout=60)
        assert c["reason"] == "NotAllowedByListeners", c
        assert "do not match the ToolGateway's allowedRoutes.namespaces.selector" in c["message"], c
        cluster.wait_for("the local route accepted", lambda: accepted_is(cluster, "local", ns, "True"), timeout=60)
        cluster.wait_for("only the local route served", lambda: served(cluster, ns) == {f"{ns}/local"}, timeout=60)

        # Relabelled into the selector: admitted, served.
        cluster.kubectl("label", "namespace", other, "team=a", "--overwrite")
        cluster.wait_for("the relabelled namespace's route accepted",
                         lambda: accepted_is(cluster, "remote", other, "True"), timeout=60)
        cluster.wait_for("both routes served",
                         lambda: served(cluster, ns) == {f"{ns}/local", f"{other}/remote"}, timeout=60)
        cluster.wait_for("status.attachedRoutes 2", lambda: (get(cluster, "toolgateway", "tools", ns) or {})
                         .get("status", {}).get("attachedRoutes") == 2, timeout=60)

        # A label the expressions exclude: refused and out of the config again.
        cluster.kubectl("label", "namespace", other, "frozen=yes")
        c = cluster.wait_for("the route refused again", lambda: accepted_is(cluster, "remote", other, "False"),
                             timeout=60)
        assert c["reason"] == "NotAllowedByListeners", c
        cluster.wait_for("the route out of the config", lambda: served(cluster, ns) == {f"{ns}/local"}, timeout=60)
        assert accepted_is(cluster, "local", ns, "True"), accepted(cluster, "local", ns)
    finally:
        cluster.kubectl("delete", f"toolroutes.v1alpha1.{GROUP}", "--all", "-n", other, "--wait=true", check=False)
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


def test_invalid_selector_refused_with_its_path(cluster, operator, vns):
    """The webhook under test (converter) validates v1beta1 objects."""
    p = apply(cluster, selector_gateway(vns, {"matchExpressions": [{"key": "team", "operator": "Exists",
                                                                    "values": ["a"]}]}), check=False)
    assert p.returncode != 0, p.stdout
    assert ("spec.allowedRoutes.namespaces.selector.matchExpressions[0].values: Forbidden: may not be specified "
            "when `operator` is 'Exists' or 'DoesNotExist'") in p.stderr, p.stderr


def test_selector_in_namespaced_mode(cluster, operator, vns, tmp_path, operator_factory):
    """--namespace: the operator reads its namespaces by name. Without a grant
    on namespaces the Selector admits no route and says why, and everything
    else works; with one limited to the watched namespace by resourceNames,
    the route is admitted."""
    ns = vns
    operator.stop()  # the session's operator watches every namespace
    name = f"lgo-sel-{ns}"[:60]
    # No grant on namespaces at all: the Selector cannot read labels.
    cls_rules = grant_namespaced(cluster, ns, name, {"aigatewayclasses", "toolgatewayclasses"},
                                 leave_out={"namespaces"})
    try:
        cluster.kubectl("label", "namespace", ns, "team=a")
        kc = token_kubeconfig(cluster, tmp_path, ns, "operator")
        op = operator_factory("namespaced", extra=("--kubeconfig", kc, "--namespace", ns))
        apply(cluster, selector_gateway(ns, {"matchLabels": {"team": "a"}}), route("local", ns, ns))

        c = cluster.wait_for("the route refused for want of the labels",
                             lambda: accepted_is(cluster, "local", ns, "False"), timeout=60)
        assert c["reason"] == "NamespaceLabelsUnknown", c
        assert "list and watch namespaces" in c["message"], c
        # The gateway itself is reconciled all the same.
        cluster.wait_for("the gateway's Deployment", lambda: get(cluster, "deployment", "tools", ns), timeout=60)
        assert served(cluster, ns) == set()
        # The log says so once, and nothing else is refused.
        warned = [line for line in op.log_text().splitlines() if "may not be read" in line]
        assert len(warned) == 1 and f"Namespaces {ns}" in warned[0] and "list and watch on namespaces" in warned[0], \
            op.log_text()[-3000:]
        assert not rbac_refusals(op.log_text()), op.log_text()[-3000:]

        # Granted for this namespace only: the informer's retry reads it.
        rule = {"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [ns], "verbs": ["list", "watch"]}
        cluster.apply(json.dumps({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                  "metadata": {"name": name}, "rules": cls_rules + [rule]}))
        cluster.wait_for("the route accepted", lambda: accepted_is(cluster, "local", ns, "True"), timeout=150)
        cluster.wait_for("the route served", lambda: served(cluster, ns) == {f"{ns}/local"}, timeout=60)

        # A relabel is seen through the by-name watch.
        cluster.kubectl("label", "namespace", ns, "team=b", "--overwrite")
        c = cluster.wait_for("the route refused after the relabel",
                             lambda: accepted_is(cluster, "local", ns, "False"), timeout=60)
        assert c["reason"] == "NotAllowedByListeners", c
    finally:
        cluster.kubectl("delete", "clusterrolebinding", name, check=False)
        cluster.kubectl("delete", "clusterrole", name, check=False)
        operator.start()
