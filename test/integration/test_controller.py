"""The controller against the real API server and kube-controller-manager:
samples converge to their golden objects, changes roll the hashes, routes get
exact statuses, readiness follows the Deployment, a restart writes nothing,
and only the leader writes."""
import json
import pathlib
import re
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = REPO / "test" / "testdata" / "golden"
SAMPLES = REPO / "deploy" / "samples"
CONFIG_HASH = "gateway.agentic-layer.ai/config-hash"
SECRET_HASH = "gateway.agentic-layer.ai/secret-hash"
V1A1 = "runtime.agentic-layer.ai/v1alpha1"


def ai_gateway(ns, name="main", models=(("gpt-4o", "openai"),), extra_spec=None, annotations=None):
    spec = {"aiModels": [{"name": m, "provider": p} for m, p in models]}
    spec.update(extra_spec or {})
    md = {"name": name, "namespace": ns}
    if annotations:
        md["annotations"] = annotations
    return json.dumps({"apiVersion": V1A1, "kind": "AiGateway", "metadata": md, "spec": spec})


def get(cluster, resource, name, ns):
    return cluster.get_json(resource, name, ns, check=False)


def condition(obj, ctype):
    for c in (obj or {}).get("status", {}).get("conditions", []):
        if c["type"] == ctype:
            return c
    return None


def wait_condition(cluster, resource, name, ns, ctype, status, reason=None, timeout=30, message=None):
    """Waits for the condition with that status (and reason, and message,
    when given)."""
    def check():
        c = condition(get(cluster, resource, name, ns), ctype)
        if c and c["status"] == status and (reason is None or c["reason"] == reason) \
                and (message is None or c.get("message") == message):
            return c
        return None
    return cluster.wait_for(f"{resource} {ns}/{name} {ctype}={status} {reason or ''} {message or ''}", check,
                            timeout=timeout)


def template_annotations(cluster, name, ns):
    d = get(cluster, "deployment", name, ns)
    return d["spec"]["template"]["metadata"].get("annotations", {}) if d else {}


def wait_hash_change(cluster, name, ns, key, old, timeout=30):
    return cluster.wait_for(f"{key} of {ns}/{name} to change from {old}",
                            lambda: (template_annotations(cluster, name, ns).get(key) or old) != old
                            and template_annotations(cluster, name, ns)[key], timeout=timeout)


def subset_mismatch(want, have, path=""):
    """First path where want is not contained in have, or None."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return path or "."
        for k, v in want.items():
            if k not in have:
                return f"{path}.{k} (missing)"
            m = subset_mismatch(v, have[k], f"{path}.{k}")
            if m:
                return m
        return None
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return f"{path} (list length {len(want)} vs {len(have) if isinstance(have, list) else '-'})"
        for i, (w, h) in enumerate(zip(want, have)):
            m = subset_mismatch(w, h, f"{path}[{i}]")
            if m:
                return m
        return None
    return None if want == have else f"{path}: {want!r} != {have!r}"


def play_kubelet(cluster, name, ns, available=True):
    """Plays the kubelet for the gateway's pods: marks every pod of the
    Deployment Running and Ready (or Running and not Ready, as a crash-looping
    container would leave it). The ReplicaSet and Deployment controllers of
    the real kube-controller-manager then compute the Deployment's status."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    flag = "True" if available else "False"
    pods = cluster.wait_for(f"pods of {ns}/{name}", lambda: cluster.get_json(
        "pods", namespace=ns)["items"] and [p for p in cluster.get_json("pods", namespace=ns)["items"]
                                           if p["metadata"].get("labels", {}).get("app") == name])
    for p in pods:
        status = {"phase": "Running", "conditions": [
            {"type": t, "status": flag, "lastTransitionTime": now}
            for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]}
        cluster.kubectl("-n", ns, "patch", "pod", p["metadata"]["name"], "--subresource=status", "--type=merge",
                        "-p", json.dumps({"status": status}))



def kubelet(cluster, name, ns, available=True):
    """play_kubelet, again while the Deployment replaces its pods (a pod
    can go between listing and marking it)."""
    def attempt():
        try:
            play_kubelet(cluster, name, ns, available=available)
            return True
        except AssertionError as e:
            if "NotFound" not in str(e):
                raise
            return None
    cluster.wait_for(f"pods of {ns}/{name} marked", attempt, timeout=60, interval=0.5)


def kubelet_until_ready(cluster, kind, name, ns, timeout=90):
    """Plays the kubelet until the gateway says Ready (its Deployment may
    roll again as routes land in its configuration)."""
    def attempt():
        kubelet(cluster, name, ns)
        obj = get(cluster, kind, name, ns)
        c = condition(obj, "Ready")
        # A Ready left from the previous generation does not count.
        current = c and c.get("observedGeneration") == obj["metadata"]["generation"]
        return c if current and c["status"] == "True" else None
    return cluster.wait_for(f"{kind} {ns}/{name} Ready", attempt, timeout=timeout, interval=1)


class Kubelet:
    """Plays the kubelet for every pod of a namespace in the background,
    marking each one Running and Ready as it appears (gateways roll their
    pods whenever their configuration changes, and a route is Ready only
    while its gateway is). stop() ends it."""

    def __init__(self, cluster, ns):
        import threading
        self.cluster, self.ns = cluster, ns
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(0.5):
            p = self.cluster.kubectl("-n", self.ns, "get", "pods", "-o", "json", check=False)
            if p.returncode != 0:
                continue
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
            for pod in json.loads(p.stdout)["items"]:
                conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
                if conds.get("Ready") == "True" or pod["metadata"].get("deletionTimestamp"):
                    continue
                status = {"phase": "Running", "conditions": [
                    {"type": t, "status": "True", "lastTransitionTime": now}
                    for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]}
                self.cluster.kubectl("-n", self.ns, "patch", "pod", pod["metadata"]["name"], "--subresource=status",
                                     "--type=merge", "-p", json.dumps({"status": status}), check=False)

    def stop(self):
        self.done.set()
        self.thread.join()


# --- samples ------------------------------------------------------------------

SAMPLE_NAMESPACES = ("ai-gateway", "tool-gateway", "tools")


@pytest.fixture
def sample_namespaces(cluster):
    for n in SAMPLE_NAMESPACES:
        cluster.kubectl("create", "namespace", n, check=False)
    yield
    for n in SAMPLE_NAMESPACES:
        cluster.kubectl("delete", "namespace", n, "--wait=false", check=False)
    cluster.wait_for("sample namespaces to go away",
                     lambda: all(cluster.kubectl("get", "ns", n, check=False).returncode != 0
                                 for n in SAMPLE_NAMESPACES), timeout=60)


@pytest.mark.parametrize("sample", sorted(p.stem for p in GOLDEN.glob("*.yaml")))
def test_sample_converges_to_its_golden_objects(cluster, operator, sample_namespaces, sample):
    cluster.kubectl("apply", "-f", str(SAMPLES / f"{sample}.yaml"))
    has_secrets = "kind: Secret" in (SAMPLES / f"{sample}.yaml").read_text()
    golden = [d for d in yaml.safe_load_all(GOLDEN.joinpath(f"{sample}.yaml").read_text()) if d]
    gateways = {d["metadata"]["name"]: d for d in yaml.safe_load_all((SAMPLES / f"{sample}.yaml").read_text())
                if d and d["kind"] in ("AiGateway", "ToolGateway")}
    for want in golden:
        kind, name, ns = want["kind"], want["metadata"]["name"], want["metadata"]["namespace"]
        live = cluster.wait_for(f"{kind} {ns}/{name}", lambda: get(cluster, kind.lower(), name, ns))
        if kind == "Deployment":
            ann = want["spec"]["template"]["metadata"]["annotations"]
            live_ann = live["spec"]["template"]["metadata"]["annotations"]
            assert re.fullmatch(r"[0-9a-f]{64}", live_ann[SECRET_HASH])
            if has_secrets:  # live Secrets have a uid and resourceVersion; files do not
                ann.pop(SECRET_HASH)
        mismatch = subset_mismatch(want, live)
        assert mismatch is None, f"{kind} {ns}/{name} differs from test/testdata/golden/{sample}.yaml at {mismatch}"
        owner = live["metadata"]["ownerReferences"][0]
        gw_name = live["metadata"]["labels"]["app.kubernetes.io/instance"]
        gw = get(cluster, gateways[gw_name]["kind"].lower(), gw_name, ns)
        assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == \
               (gateways[gw_name]["kind"], gw_name, gw["metadata"]["uid"], True)
    for name, g in gateways.items():
        prefix = "AiGateway" if g["kind"] == "AiGateway" else "ToolGateway"
        c = wait_condition(cluster, g["kind"].lower(), name, g["metadata"]["namespace"],
                           f"{prefix}Configured", "True", "ConfigurationApplied")
        assert c["observedGeneration"] == get(cluster, g["kind"].lower(), name,
                                               g["metadata"]["namespace"])["metadata"]["generation"]


# --- hashes roll on every input ---------------------------------------------------

def test_changes_roll_the_hashes_and_deleting_collects_children(cluster, operator, ns):
    cluster.apply(ai_gateway(ns))
    first = cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    secret0 = template_annotations(cluster, "main", ns)[SECRET_HASH]

    # A model change rolls the config hash and reaches the ConfigMap.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o", "openai"), ("claude-3", "anthropic"))))
    second = wait_hash_change(cluster, "main", ns, CONFIG_HASH, first)
    cm = get(cluster, "configmap", "main-config", ns)
    assert 'model: "anthropic/claude-3"' in cm["data"]["config.yaml"]

    # The provider keys Secret appearing, then changing, rolls the secret hash.
    cluster.kubectl("-n", ns, "create", "secret", "generic", "api-key-secrets",
                    "--from-literal=OPENAI_API_KEY=one")
    s1 = wait_hash_change(cluster, "main", ns, SECRET_HASH, secret0)
    cluster.kubectl("-n", ns, "patch", "secret", "api-key-secrets", "--type=merge",
                    "-p", json.dumps({"stringData": {"OPENAI_API_KEY": "two"}}))
    wait_hash_change(cluster, "main", ns, SECRET_HASH, s1)
    assert template_annotations(cluster, "main", ns)[CONFIG_HASH] == second

    # The config patch rolls the config hash.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o", "openai"), ("claude-3", "anthropic")),
                             annotations={"ai-gateway-litellm.agentic-layer.ai/config-patch":
                                          "litellm_settings: {request_timeout: 30}"}))
    third = wait_hash_change(cluster, "main", ns, CONFIG_HASH, second)
    assert "request_timeout: 30" in get(cluster, "configmap", "main-config", ns)["data"]["config.yaml"]

    # A Guard added, then changed, rolls it again.
    cluster.apply(json.dumps({"apiVersion": V1A1, "kind": "GuardrailProvider",
                              "metadata": {"name": "presidio", "namespace": ns},
                              "spec": {"type": "presidio-api", "presidio": {"baseUrl": "http://presidio:3000"}}}))
    guard = {"apiVersion": V1A1, "kind": "Guard", "metadata": {"name": "pii", "namespace": ns},
             "spec": {"mode": ["pre_call"], "providerRef": {"name": "presidio"},
                      "presidio": {"entityActions": {"EMAIL_ADDRESS": "MASK"}}}}
    cluster.apply(json.dumps(guard))
    cluster.apply(ai_gateway(ns, models=(("gpt-4o", "openai"), ("claude-3", "anthropic")),
                             extra_spec={"guardrails": [{"name": "pii"}]},
                             annotations={"ai-gateway-litellm.agentic-layer.ai/config-patch":
                                          "litellm_settings: {request_timeout: 30}"}))
    fourth = wait_hash_change(cluster, "main", ns, CONFIG_HASH, third)
    guard["spec"]["presidio"]["entityActions"]["PHONE_NUMBER"] = "BLOCK"
    cluster.apply(json.dumps(guard))
    wait_hash_change(cluster, "main", ns, CONFIG_HASH, fourth)
    assert "PHONE_NUMBER" in get(cluster, "configmap", "main-config", ns)["data"]["config.yaml"]

    # Deleting the gateway leaves the children to the garbage collector.
    cluster.kubectl("-n", ns, "delete", "aigateway", "main")
    cluster.wait_for("children to be collected", lambda: all(
        get(cluster, r, n, ns) is None
        for r, n in (("configmap", "main-config"), ("deployment", "main"), ("service", "main"))), timeout=60)


def test_broken_guard_reference_keeps_the_last_good_workload(cluster, operator, ns):
    cluster.apply(ai_gateway(ns))
    h = cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    cluster.apply(ai_gateway(ns, extra_spec={"guardrails": [{"name": "missing"}]}))
    c = wait_condition(cluster, "aigateway", "main", ns, "AiGatewayConfigured", "False",
                       "GuardrailsResolutionFailed")
    assert "spec.guardrails[0]" in c["message"]
    assert template_annotations(cluster, "main", ns)[CONFIG_HASH] == h
    events = cluster.kubectl("-n", ns, "get", "events", "--field-selector",
                             "involvedObject.name=main,reason=GuardrailsResolutionFailed", "-o", "json")
    assert json.loads(events.stdout)["items"], "no Warning Event about the broken Guard"


# --- readiness follows the Deployment --------------------------------------------

def test_ready_follows_the_deployment(cluster, operator, ns):
    cluster.apply(ai_gateway(ns))
    cluster.wait_for("deployment", lambda: get(cluster, "deployment", "main", ns))
    wait_condition(cluster, "aigateway", "main", ns, "AiGatewayReady", "False", "DeploymentRollingOut")
    # Pods exist (the ReplicaSet controller made them) but none is Ready.
    play_kubelet(cluster, "main", ns, available=False)
    # The condition says DeploymentRollingOut from the start ("creating the
    # Deployment"): wait until it reports the replicas the kubelet left.
    wait_condition(cluster, "aigateway", "main", ns, "AiGatewayReady", "False", "DeploymentRollingOut",
                   message="1 of 1 replicas updated, 0 available")
    play_kubelet(cluster, "main", ns, available=True)
    wait_condition(cluster, "aigateway", "main", ns, "AiGatewayReady", "True", "Reconciled",
                   message="1 of 1 replicas updated and available")
    # A new template whose pod never becomes Ready (a crash loop) is not
    # Ready, although the old pod still serves.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o-mini", "openai"),)))
    c = wait_condition(cluster, "aigateway", "main", ns, "AiGatewayReady", "False")
    assert c["reason"] == "DeploymentRollingOut"
    time.sleep(2)
    play_kubelet(cluster, "main", ns, available=False)  # the new pod stays unready

    def rollout_stuck():
        c = condition(get(cluster, "aigateway", "main", ns), "AiGatewayReady")
        return c if c and c["status"] == "False" and (
            "available" in c["message"] or "old replicas" in c["message"]) else None
    cluster.wait_for("AiGatewayReady False with the rollout's replica counts", rollout_stuck)


# --- routes ----------------------------------------------------------------------

def tool_gateway(ns, name, default=False):
    md = {"name": name, "namespace": ns}
    if default:
        md["annotations"] = {"toolgateway.agentic-layer.ai/is-default": "true"}
    return json.dumps({"apiVersion": V1A1, "kind": "ToolGateway", "metadata": md, "spec": {}})


def tool_route(ns, name, gateway=None, upstream=None, tool_filter=None):
    spec = {"upstream": upstream or {"external": {"url": "http://mcp.example.com/mcp"}}}
    if gateway:
        spec["toolGatewayRef"] = gateway
    if tool_filter:
        spec["toolFilter"] = tool_filter
    return json.dumps({"apiVersion": V1A1, "kind": "ToolRoute", "metadata": {"name": name, "namespace": ns},
                       "spec": spec})


def route_url(cluster, name, ns):
    r = get(cluster, "toolroute", name, ns)
    return (r or {}).get("status", {}).get("url")


def mcp_servers(cluster, gw, ns):
    cm = get(cluster, "configmap", f"{gw}-config", ns)
    return yaml.safe_load(cm["data"]["config.yaml"]).get("mcp_servers", {}) if cm else {}


def test_routes_attach_retarget_collide_and_fail_alone(cluster, operator, ns):
    other = ns[:50] + "-x"
    cluster.kubectl("create", "namespace", other)
    kubelet = Kubelet(cluster, ns)
    try:
        cluster.apply(tool_gateway(ns, "alpha"))
        cluster.apply(tool_gateway(ns, "beta"))
        cluster.apply(json.dumps({"apiVersion": V1A1, "kind": "ToolServer", "metadata": {"name": "weather",
                                  "namespace": other}, "spec": {"protocol": "mcp", "transportType": "sse", "image": "registry.invalid/weather:1",
                                  "port": 9000}}))
        ref = {"name": "alpha", "namespace": ns}
        # Cross-namespace route with a ToolServer upstream.
        cluster.apply(tool_route(other, "weather", ref, {"toolServerRef": {"name": "weather"}}))
        key = re.sub(r"[^A-Za-z0-9_]", "_", f"{other}_weather")
        want = f"http://alpha.{ns}.svc.cluster.local/mcp/{key}" if len(key) <= 24 else None
        url = cluster.wait_for("weather route url", lambda: route_url(cluster, "weather", other))
        assert url.startswith(f"http://alpha.{ns}.svc.cluster.local/mcp/")
        if want:
            assert url == want
        served = cluster.wait_for("weather in mcp_servers", lambda: mcp_servers(cluster, "alpha", ns))
        server_key = url.rsplit("/", 1)[1]
        assert served[server_key]["url"] == f"http://weather.{other}.svc.cluster.local:9000/sse"
        assert served[server_key]["transport"] == "sse"
        r = get(cluster, "toolroute", "weather", other)
        assert condition(r, "Accepted")["message"] == f"attached to ToolGateway {ns}/alpha"
        assert condition(r, "Ready")["status"] == "True"

        # Two routes whose names sanitize alike both get their own key.
        cluster.apply(tool_route(ns, "a-b", ref))
        cluster.apply(tool_route(ns, "a.b", ref))
        u1 = cluster.wait_for("a-b url", lambda: route_url(cluster, "a-b", ns))
        u2 = cluster.wait_for("a.b url", lambda: route_url(cluster, "a.b", ns))
        assert u1 != u2
        cluster.wait_for("both colliding routes served",
                         lambda: {u1.rsplit("/", 1)[1], u2.rsplit("/", 1)[1]} <= set(mcp_servers(cluster, "alpha", ns)))

        # An unresolvable upstream fails alone.
        cluster.apply(tool_route(ns, "broken", ref, {"toolServerRef": {"name": "nowhere"}}))
        c = wait_condition(cluster, "toolroute", "broken", ns, "ResolutionFailed", "True", "UpstreamUnresolved")
        assert route_url(cluster, "broken", ns) is None
        assert condition(get(cluster, "toolroute", "broken", ns), "Ready")["status"] == "False"
        assert condition(get(cluster, "toolroute", "weather", other), "Ready")["status"] == "True"
        assert all("broken" not in k for k in mcp_servers(cluster, "alpha", ns))

        # Retarget a route to beta: it leaves alpha's config and gets beta's URL.
        cluster.apply(tool_route(ns, "a-b", {"name": "beta"}))
        cluster.wait_for("a-b on beta", lambda: (route_url(cluster, "a-b", ns) or "").startswith(
            f"http://beta.{ns}.svc.cluster.local/mcp/"))
        cluster.wait_for("a-b gone from alpha", lambda: u1.rsplit("/", 1)[1] not in mcp_servers(cluster, "alpha", ns))

        # Delete: the route leaves the config.
        cluster.kubectl("-n", other, "delete", "toolroute", "weather")
        cluster.wait_for("weather gone from alpha", lambda: server_key not in mcp_servers(cluster, "alpha", ns))

        # A route without a reference and no default among two gateways says why.
        cluster.apply(tool_route(ns, "lost"))
        c = wait_condition(cluster, "toolroute", "lost", ns, "Accepted", "False", "NoGateway")
        assert "not attached" in c["message"]
    finally:
        kubelet.stop()
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


# --- restarts and leadership -------------------------------------------------------

def resource_versions(cluster, ns):
    out = {}
    for r in ("aigateways", "toolgateways", "toolroutes", "configmaps", "deployments", "services"):
        for it in cluster.get_json(r, namespace=ns)["items"]:
            out[f"{r}/{it['metadata']['name']}"] = it["metadata"]["resourceVersion"]
    return out


def converge(cluster, ns):
    cluster.apply(ai_gateway(ns))
    cluster.apply(tool_gateway(ns, "tools"))
    # An explicit reference: which ToolGateway is the cluster's default
    # depends on what other tests leave behind while their namespaces go.
    cluster.apply(tool_route(ns, "r1", {"name": "tools"}))
    kubelet = Kubelet(cluster, ns)
    try:
        cluster.wait_for("route url", lambda: route_url(cluster, "r1", ns))
    finally:
        kubelet.stop()
    cluster.wait_for("deployment", lambda: get(cluster, "deployment", "main", ns))
    cluster.wait_for("observedGeneration", lambda: (get(cluster, "deployment", "main", ns).get("status", {})
                                                    .get("observedGeneration")))
    play_kubelet(cluster, "main", ns)
    wait_condition(cluster, "aigateway", "main", ns, "AiGatewayReady", "True")


def wait_for_quiet_cluster(cluster):
    """Waits until no namespace is still being deleted: earlier tests' gateways
    going away change which ToolGateway is the cluster's default (the only one
    left becomes it), and that legitimately rewrites other gateways."""
    cluster.wait_for("terminating namespaces to go", lambda: not [
        n for n in cluster.get_json("namespaces")["items"] if n["status"].get("phase") == "Terminating"],
        timeout=180, interval=1)


def test_restart_over_a_converged_cluster_writes_nothing(cluster, operator_factory, ns):
    wait_for_quiet_cluster(cluster)
    op = operator_factory("first")
    converge(cluster, ns)
    time.sleep(3)  # let every event settle
    before = resource_versions(cluster, ns)
    cm_before = get(cluster, "configmap", "tools-config", ns)["data"]["config.yaml"]
    assert op.stop() == 0
    op2 = operator_factory("second")
    time.sleep(5)  # the new operator lists, reconciles everything, resyncs
    after = resource_versions(cluster, ns)
    changed = [k for k in before if before[k] != after.get(k)]
    detail = ""
    if "configmaps/tools-config" in changed:
        detail = "\nconfig before:\n" + cm_before + "\nafter:\n" + \
            get(cluster, "configmap", "tools-config", ns)["data"]["config.yaml"]
    assert not changed, "a restart over a converged cluster changed: " + ", ".join(changed) + detail
    assert op2.ready()


def test_watch_survives_an_api_server_restart(cluster, operator_factory, ns):
    operator_factory("watcher")
    cluster.apply(ai_gateway(ns))
    first = cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    cluster.restart_apiserver()
    cluster.apply(ai_gateway(ns, models=(("mistral-large", "mistral"),)))
    wait_hash_change(cluster, "main", ns, CONFIG_HASH, first, timeout=60)
    assert 'model: "mistral/mistral-large"' in get(cluster, "configmap", "main-config", ns)["data"]["config.yaml"]


def lease_holder(cluster, lease_ns):
    lease = cluster.get_json("lease", "litellm-gateway-operator", lease_ns, check=False)
    return (lease or {}).get("spec", {}).get("holderIdentity")


def test_only_the_leader_writes_and_the_other_takes_over(cluster, operator_factory, ns):
    lease_ns = ns
    args = ("--leader-elect", "--leader-election-namespace", lease_ns,
            "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1")
    a = operator_factory("a", extra=args + ("--identity", "replica-a"))
    cluster.wait_for("a leads", lambda: lease_holder(cluster, lease_ns) == "replica-a")
    b = operator_factory("b", extra=args + ("--identity", "replica-b"))
    cluster.apply(ai_gateway(ns))
    cluster.wait_for("config-hash", lambda: template_annotations(cluster, "main", ns).get(CONFIG_HASH))
    cm = json.loads(cluster.kubectl("-n", ns, "get", "configmap", "main-config", "-o", "json",
                                    "--show-managed-fields").stdout)
    managers = {m["manager"] for m in cm["metadata"]["managedFields"]}
    assert managers == {"litellm-gateway-operator"}
    # The leader logs its reconcile once it is done, after the writes seen
    # above: wait for the line rather than read the log once.
    cluster.wait_for("the leader logs its reconcile", lambda: "reconciled" in a.log_text().lower())
    assert "reconciled" not in b.log_text().lower(), "the follower reconciled:\n" + b.log_text()[-2000:]
    # Both replicas serve webhooks.
    assert a.ready() and b.ready()
    assert a.stop() == 0
    cluster.wait_for("b takes over", lambda: lease_holder(cluster, lease_ns) == "replica-b", timeout=15)
    cluster.apply(ai_gateway(ns, models=(("gpt-4o-mini", "openai"),)))
    cluster.wait_for("b reconciles", lambda: 'gpt-4o-mini' in
                     get(cluster, "configmap", "main-config", ns)["data"]["config.yaml"], timeout=30)
