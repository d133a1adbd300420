"""The controller's runtime against the real API server and
kube-controller-manager: objects being deleted are left alone, changes are
coalesced and roll a gateway only when something it runs with changed (a
Secret's data, not its metadata), `kubectl scale` is not fought, and the
metrics carry the ecosystem's names in valid Prometheus text."""
import json
import subprocess
import time

from prometheus_client.parser import text_string_to_metric_families

from conftest import rbac_refusals

from test_controller import (CONFIG_HASH, SECRET_HASH, Kubelet, ai_gateway, get, mcp_servers, route_url,
                             template_annotations, tool_gateway, tool_route, wait_hash_change)


def quiet_generation(cluster, name, ns, settle=3.0, timeout=60):
    """The Deployment's generation once the controller has stopped changing
    it and the Deployment controller has seen it: each template change (a
    rollout) adds one."""
    last, since = None, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = get(cluster, "deployment", name, ns)
        g = d and (d["metadata"]["generation"], d.get("status", {}).get("observedGeneration"))
        if g != last:
            last, since = g, time.time()
        elif g and g[0] == g[1] and time.time() - since >= settle:
            return g[0]
        time.sleep(0.2)
    raise AssertionError(f"deployment {ns}/{name} did not settle: {last}")


def reconciles(op):
    total = 0
    for fam in text_string_to_metric_families(op.metrics()):
        if fam.name == "controller_runtime_reconcile":
            total += sum(s.value for s in fam.samples if s.name == "controller_runtime_reconcile_total")
    return total


# --- deletion -----------------------------------------------------------------

def test_a_gateway_being_deleted_is_not_reconciled(cluster, operator, ns):
    """Foreground deletion: the children go first while the gateway stays,
    with a deletionTimestamp (kept here by a finalizer of the test's own).
    The controller must not put the children back, even when the gateway
    changes meanwhile. The test removes the children itself, as the garbage
    collector would: kube-controller-manager's collector stalls for minutes
    when a resource type another test removed is still among the ones it
    watches, and what is tested here is the controller, not the collector."""
    children = (("configmap", "main-config"), ("deployment", "main"), ("service", "main"))
    cluster.apply(ai_gateway(ns))
    cluster.wait_for("children", lambda: all(get(cluster, r, n, ns) for r, n in children))
    cluster.kubectl("-n", ns, "patch", "aigateway", "main", "--type=merge",
                    "-p", json.dumps({"metadata": {"finalizers": ["test.agentic-layer.ai/hold"]}}))
    try:
        cluster.kubectl("-n", ns, "delete", "aigateway", "main", "--cascade=foreground", "--wait=false")
        cluster.wait_for("deletionTimestamp", lambda: (get(cluster, "aigateway", "main", ns) or {})
                         .get("metadata", {}).get("deletionTimestamp"))
        for r, n in children:
            cluster.kubectl("-n", ns, "delete", r, n, "--ignore-not-found", "--wait=false")
        cluster.wait_for("children collected", lambda: all(get(cluster, r, n, ns) is None for r, n in children),
                         timeout=60)
        # A change to the deleting gateway queues it; nothing may come back.
        before = reconciles(operator)
        cluster.kubectl("-n", ns, "label", "aigateway", "main", "poke=1")
        cluster.wait_for("the change reconciled", lambda: reconciles(operator) > before)
        deadline = time.time() + 5
        while time.time() < deadline:
            back = [f"{r}/{n}" for r, n in children if get(cluster, r, n, ns) is not None]
            assert not back, f"re-applied during a foreground delete: {back}"
            time.sleep(0.3)
    finally:
        cluster.kubectl("-n", ns, "patch", "aigateway", "main", "--type=json",
                        "-p", '[{"op":"remove","path":"/metadata/finalizers"}]', check=False)
    cluster.wait_for("gateway gone", lambda: get(cluster, "aigateway", "main", ns) is None, timeout=60)


# --- no churn -------------------------------------------------------------------

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: api-key-secrets
  namespace: {ns}
stringData:
  OPENAI_API_KEY: {value}
"""


def test_a_secret_rolls_the_gateway_only_when_its_data_changes(cluster, operator, ns):
    cluster.apply(SECRET.format(ns=ns, value="one"))
    cluster.apply(ai_gateway(ns))
    cluster.wait_for("secret-hash", lambda: template_annotations(cluster, "main", ns).get(SECRET_HASH))
    gen = quiet_generation(cluster, "main", ns)
    h = template_annotations(cluster, "main", ns)[SECRET_HASH]

    # The same manifest again, then a label: new resourceVersions, same data.
    cluster.apply(SECRET.format(ns=ns, value="one"))
    before = reconciles(operator)
    cluster.kubectl("-n", ns, "label", "secret", "api-key-secrets", "team=a")
    cluster.kubectl("-n", ns, "annotate", "secret", "api-key-secrets", "note=unchanged")
    cluster.wait_for("the Secret's change reconciled", lambda: reconciles(operator) >= before + 2)
    assert quiet_generation(cluster, "main", ns) == gen, "metadata of a Secret rolled the gateway"
    assert template_annotations(cluster, "main", ns)[SECRET_HASH] == h

    # New data: exactly one rollout.
    cluster.apply(SECRET.format(ns=ns, value="two"))
    wait_hash_change(cluster, "main", ns, SECRET_HASH, h)
    assert quiet_generation(cluster, "main", ns) == gen + 1


def test_a_gateway_and_its_routes_applied_together_make_one_config(cluster, operator, ns):
    watch = subprocess.Popen(
        [str(cluster.bin_dir / "kubectl"), "-n", ns, "get", "configmaps", "--watch",
         "--output-watch-events", "-o", "jsonpath={.type} {.object.metadata.name} "
         "{.object.metadata.resourceVersion}{\"\\n\"}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster.env)
    kubelet = Kubelet(cluster, ns)  # routes have URLs only while their gateway is Ready
    try:
        time.sleep(1)  # the watch is established
        ref = {"name": "tools"}
        docs = [tool_gateway(ns, "tools"), tool_route(ns, "r1", ref),
                tool_route(ns, "r2", ref, {"external": {"url": "http://mcp2.example.com/mcp"}})]
        cluster.apply("\n---\n".join(docs))
        cluster.wait_for("both routes served", lambda: len(mcp_servers(cluster, "tools", ns)) == 2)
        cluster.wait_for("route urls", lambda: route_url(cluster, "r1", ns) and route_url(cluster, "r2", ns))
        assert quiet_generation(cluster, "tools", ns) == 1, "the Deployment rolled more than once"
    finally:
        kubelet.stop()
        watch.terminate()
    out, err = watch.communicate(timeout=10)
    writes = [line for line in out.splitlines() if line.split()[1:2] == ["tools-config"]]
    assert len(writes) == 1, f"the config was written {len(writes)} times:\n{out}\n{err}"


def test_kubectl_scale_is_not_fought(cluster, operator, ns):
    cluster.apply(ai_gateway(ns))
    first = cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    cluster.kubectl("-n", ns, "scale", "deployment", "main", "--replicas=3")
    # A change that makes the controller apply the Deployment again.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o-mini", "openai"),)))
    wait_hash_change(cluster, "main", ns, CONFIG_HASH, first)
    quiet_generation(cluster, "main", ns)
    assert get(cluster, "deployment", "main", ns)["spec"]["replicas"] == 3


# --- metrics ----------------------------------------------------------------------

WANT = {
    "controller_runtime_reconcile": ("counter", {"controller", "result"}),
    "controller_runtime_reconcile_errors": ("counter", {"controller"}),
    "controller_runtime_reconcile_time_seconds": ("histogram", {"controller"}),
    "workqueue_depth": ("gauge", {"name"}),
    "workqueue_adds": ("counter", {"name"}),
    "workqueue_retries": ("counter", {"name"}),
    "workqueue_queue_duration_seconds": ("histogram", {"name"}),
    "workqueue_work_duration_seconds": ("histogram", {"name"}),
    "leader_election_master_status": ("gauge", {"name"}),
}


def test_metrics_have_the_ecosystems_names(cluster, operator, ns):
    cluster.apply(ai_gateway(ns))
    cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    text = operator.metrics()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, (mtype, labels) in WANT.items():
        assert name in families, f"{name} missing from /metrics"
        fam = families[name]
        assert fam.type == mtype, f"{name} is a {fam.type}, not a {mtype}"
        assert fam.documentation, f"{name} has no HELP"
        assert fam.samples, f"{name} has no samples"
        for s in fam.samples:
            assert labels <= set(s.labels), f"{s.name} lacks labels {labels - set(s.labels)}"
    # Every family is announced with HELP and TYPE before its samples.
    for line in text.splitlines():
        if line and not line.startswith("#"):
            base = line.split("{")[0].split(" ")[0]
            assert any(f"# TYPE {b} " in text for b in (base, base.rsplit("_", 1)[0])), line
    ok = [s for s in families["controller_runtime_reconcile"].samples
          if s.name == "controller_runtime_reconcile_total" and s.labels["controller"] == "aigateway"
          and s.labels["result"] == "success"]
    assert ok and ok[0].value >= 1
    assert families["leader_election_master_status"].samples[0].value == 1


def test_a_failed_reconcile_is_logged_and_counted(cluster, operator_factory, ns):
    """A gateway whose children cannot be applied (a ConfigMap of the same
    name that another manager owns is not the case here: the namespace is
    given a quota of zero ConfigMaps) fails: logged as an error with the
    reason and counted, never logged as reconciled."""
    op = operator_factory("failing")
    cluster.apply(json.dumps({"apiVersion": "v1", "kind": "ResourceQuota",
                              "metadata": {"name": "no-configmaps", "namespace": ns},
                              "spec": {"hard": {"count/configmaps": "0"}}}))
    time.sleep(1)
    cluster.apply(ai_gateway(ns))

    def errors():
        for fam in text_string_to_metric_families(op.metrics()):
            if fam.name == "controller_runtime_reconcile_errors":
                return sum(s.value for s in fam.samples if s.labels["controller"] == "aigateway")
        return 0
    def failed_lines():
        about = [line for line in op.log_text().splitlines() if ns in line and "main" in line]
        return about, [line for line in about if ('"level":"error"' in line or " ERROR " in line)
                       and "reconcile failed" in line]
    # Other tests' namespaces being deleted can fail reconciles too: wait for
    # this gateway's own failure in the log, then for it to be counted.
    cluster.wait_for("the gateway's failure logged", lambda: failed_lines()[1])
    cluster.wait_for("an error counted", lambda: errors() >= 1)
    about, failed = failed_lines()
    assert "quota" in failed[0].lower() or "forbidden" in failed[0].lower(), failed[0]
    assert not [line for line in about if "reconciled" in line], "a failed reconcile logged as reconciled"



# --- namespaced mode --------------------------------------------------------------

def test_namespaced_mode_needs_only_roles(cluster, operator, ns, tmp_path, operator_factory):
    """--namespace: informers per namespace, so Roles in that namespace (and
    a ClusterRole for the two cluster-scoped class kinds) are enough; a
    gateway elsewhere is not touched."""
    from test_deploy import grant_namespaced, token_kubeconfig
    operator.stop()  # the session's operator watches every namespace
    other = ns[:50] + "-out"
    cluster.kubectl("create", "namespace", other)
    name = f"lgo-ns-{ns}"[:60]
    grant_namespaced(cluster, ns, name, {"aigatewayclasses", "toolgatewayclasses", "namespaces"})
    try:
        kc = token_kubeconfig(cluster, tmp_path, ns, "operator")
        op = operator_factory("namespaced", extra=("--kubeconfig", kc, "--namespace", ns))
        cluster.apply(SECRET.format(ns=ns, value="one"))
        cluster.apply(ai_gateway(ns))
        cluster.apply(ai_gateway(other))
        cluster.wait_for("the gateway's Deployment", lambda: get(cluster, "deployment", "main", ns))
        cluster.wait_for("the secret hash", lambda: template_annotations(cluster, "main", ns).get(SECRET_HASH))
        time.sleep(3)
        assert get(cluster, "deployment", "main", other) is None, "a gateway outside --namespace was reconciled"
        assert not rbac_refusals(op.log_text()), op.log_text()[-3000:]
    finally:
        cluster.kubectl("delete", "clusterrolebinding", name, check=False)
        cluster.kubectl("delete", "clusterrole", name, check=False)
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)
        operator.start()


# --- faults ------------------------------------------------------------------------

FAULT_GATEWAYS = 80


def apply_many(cluster, ns, n=FAULT_GATEWAYS):
    docs = [ai_gateway(ns, name=f"gw-{i:03d}") for i in range(n)]
    cluster.apply("\n---\n".join(docs))
    return [f"gw-{i:03d}" for i in range(n)]


def configured(cluster, ns):
    out = set()
    for g in cluster.get_json("aigateways", namespace=ns)["items"]:
        for c in g.get("status", {}).get("conditions", []):
            if c["type"] == "AiGatewayConfigured" and c["status"] == "True" \
                    and c.get("observedGeneration") == g["metadata"]["generation"]:
                out.add(g["metadata"]["name"])
    return out


def assert_converged_once(cluster, ns, names):
    """Every gateway has its three children, each Deployment was rolled out
    once (generation 1, one ReplicaSet), nothing else exists."""
    deployments = {d["metadata"]["name"]: d for d in cluster.get_json("deployments", namespace=ns)["items"]}
    assert set(deployments) == set(names), set(deployments) ^ set(names)
    cms = {c["metadata"]["name"] for c in cluster.get_json("configmaps", namespace=ns)["items"]}
    svcs = {s["metadata"]["name"] for s in cluster.get_json("services", namespace=ns)["items"]}
    for n in names:
        assert f"{n}-config" in cms and n in svcs, n
        assert deployments[n]["metadata"]["generation"] == 1, f"{n} rolled out more than once"
    rs = cluster.get_json("replicasets", namespace=ns)["items"]
    owners = [r["metadata"]["ownerReferences"][0]["name"] for r in rs]
    assert sorted(owners) == sorted(names), "a Deployment has more than one ReplicaSet"


def wait_quiet(cluster, ns, quiet=6.0, timeout=120):
    """Until nothing in the namespace has changed for `quiet` seconds: the
    Deployment controller keeps updating statuses (and the operator the
    gateways' Ready conditions with them) for a while after convergence."""
    from test_controller import resource_versions
    last, since = None, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = resource_versions(cluster, ns)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            return
        time.sleep(1)
    raise AssertionError(f"namespace {ns} did not settle")


def writes_nothing_on_restart(cluster, operator_factory, ns, tag):
    from test_controller import resource_versions
    before = resource_versions(cluster, ns)
    op = operator_factory(f"{tag}-again")
    time.sleep(5)
    after = resource_versions(cluster, ns)
    changed = [k for k in before if before[k] != after.get(k)]
    assert not changed, "a restart over a converged namespace wrote: " + ", ".join(changed)
    assert op.stop() == 0


def test_kill_9_mid_convergence_then_restart(cluster, operator, operator_factory, ns):
    import signal
    operator.stop()  # the session's operator would converge everything by itself
    try:
        names = apply_many(cluster, ns)
        first = operator_factory("killed", extra=("--workers", "1"))
        cluster.wait_for("some gateways converged", lambda: len(configured(cluster, ns)) >= 3, timeout=60)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
        done_at_kill = len(configured(cluster, ns))
        assert done_at_kill < len(names), "converged before the kill: the test proves nothing"
        second = operator_factory("after-kill")
        cluster.wait_for("every gateway converged", lambda: configured(cluster, ns) == set(names), timeout=180,
                         interval=1)
        wait_quiet(cluster, ns)
        assert_converged_once(cluster, ns, names)
        assert second.stop() == 0
        writes_nothing_on_restart(cluster, operator_factory, ns, "kill")
    finally:
        operator.start()


def test_api_server_restart_mid_convergence(cluster, operator, operator_factory, ns):
    operator.stop()
    try:
        names = apply_many(cluster, ns)
        op = operator_factory("through-restart", extra=("--workers", "1"))
        cluster.wait_for("some gateways converged", lambda: len(configured(cluster, ns)) >= 3, timeout=60)
        cluster.restart_apiserver(down_seconds=2)
        cluster.wait_for("every gateway converged", lambda: configured(cluster, ns) == set(names), timeout=180,
                         interval=1)
        wait_quiet(cluster, ns)
        assert_converged_once(cluster, ns, names)
        assert op.stop() == 0
        writes_nothing_on_restart(cluster, operator_factory, ns, "apiserver")
    finally:
        operator.start()
