"""The webhook beside other implementations of the contract, through the
real API server and kubectl: it judges only objects of our classes (from
caches of its own), stands alone when the controller cannot start, keeps
admitting while thousands of idle and half-open connections are held, and
stops without touching freed memory while /metrics and /readyz are scraped.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
import yaml

from webhook_support import (API_VERSION, REGISTER, REPO, WebhookServer, aigateway, body_of, read_response,
                             request_bytes, review, tls_connect)

FOREIGN_CONTROLLER = "example.com/krakend-gateway-controller"
OUR_AI_CONTROLLER = "aigateway.agentic-layer.ai/ai-gateway-litellm-controller"
OUR_TOOL_CONTROLLER = "litellm.agentic-layer.ai/tool-gateway-litellm-controller"


def dump(*objs):
    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objs)


def register(cluster, srv, probe_class):
    env = dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir), WEBHOOK_PROBE_CLASS=probe_class)
    p = subprocess.run([str(REGISTER), cluster.kubeconfig, srv.url, str(srv.ca)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def unregister(cluster):
    env = dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir))
    subprocess.run([str(REGISTER), "--delete", cluster.kubeconfig], env=env, capture_output=True, timeout=60)


def klass(kind, name, controller):
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": {"controller": controller}}


@pytest.fixture(scope="module")
def classes(cluster):
    """krakend classes of another implementation, and classes of ours under
    other names (none marked default: other modules are not affected)."""
    suffix = os.urandom(3).hex()
    names = {"krakend": "krakend", "ours": f"litellm-{suffix}"}
    objs = [klass("AiGatewayClass", "krakend", FOREIGN_CONTROLLER),
            klass("ToolGatewayClass", "krakend", FOREIGN_CONTROLLER),
            klass("AiGatewayClass", names["ours"], OUR_AI_CONTROLLER),
            klass("ToolGatewayClass", names["ours"], OUR_TOOL_CONTROLLER)]
    cluster.apply(dump(*objs))
    yield names
    for o in objs:
        cluster.kubectl("delete", o["kind"].lower(), o["metadata"]["name"], "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def judged_webhook(cluster, classes, tmp_path_factory):
    """serve with the webhook's own caches (no --ownership=all), registered."""
    srv = WebhookServer(tmp_path_factory.mktemp("owned"),
                        extra=["--log-requests", "--ownership=cluster", "--kubeconfig", cluster.kubeconfig])
    srv.start()
    try:
        register(cluster, srv, classes["ours"])
        yield srv
    finally:
        unregister(cluster)
        assert srv.stop() == 0, srv.log_text()[-4000:]


def aigw(ns, name, cls=None, **spec):
    spec.setdefault("aiModels", [{"name": "gpt-4o", "provider": "openai"}])
    if cls:
        spec["aiGatewayClassName"] = cls
    return {"apiVersion": API_VERSION, "kind": "AiGateway", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def refused_by_litellm_rules(ns, name, cls):
    """Valid per the contract's schema; refused by our rules (a model name
    with a space, the same model twice, our selector label)."""
    return aigw(ns, name, cls, port=80,
                aiModels=[{"name": "my model", "provider": "openai"}, {"name": "my model", "provider": "openai"}],
                podMetadata={"labels": {"app": "theirs"}},
                guardrails=[{"name": "pii"}])


def test_foreign_class_admitted_unchanged(cluster, judged_webhook, classes, ns):
    obj = refused_by_litellm_rules(ns, "edge", classes["krakend"])
    p = cluster.apply(dump(obj), check=False)
    assert p.returncode == 0, p.stderr
    assert "Warning" not in p.stderr
    live = json.loads(cluster.kubectl("get", "aigateway", "edge", "-n", ns, "--show-managed-fields",
                                      "-o", "json").stdout)
    assert live["spec"] == obj["spec"]
    # Exactly as sent: no field manager but kubectl's.
    assert {m["manager"] for m in live["metadata"]["managedFields"]} == {"kubectl-client-side-apply"}
    m = judged_webhook.metrics()
    assert 'endpoint="mutate",kind="AiGateway",operation="CREATE",verdict="allowed"' in m
    assert "not ours" in judged_webhook.log_text()
    # A ToolRoute whose gateway is of the foreign class is foreign too.
    tg = {"apiVersion": API_VERSION, "kind": "ToolGateway", "metadata": {"name": "tg", "namespace": ns},
          "spec": {"toolGatewayClassName": classes["krakend"], "podMetadata": {"labels": {"app": "theirs"}}}}
    rt = {"apiVersion": API_VERSION, "kind": "ToolRoute", "metadata": {"name": "r", "namespace": ns},
          "spec": {"toolGatewayRef": {"name": "tg"}, "upstream": {"external": {"url": "https://u:p@mcp.example.com/"}},
                   "toolFilter": {"allow": ["get_[issue"]}}}
    cluster.apply(dump(tg))
    cluster.wait_for("the route to be admitted", lambda: cluster.apply(dump(rt), check=False).returncode == 0,
                     timeout=30)
    assert cluster.get_json("toolroute", "r", ns)["spec"] == rt["spec"]


def test_our_class_is_judged(cluster, judged_webhook, classes, ns):
    obj = refused_by_litellm_rules(ns, "mine", classes["ours"])
    p = cluster.apply(dump(obj), check=False)
    assert p.returncode != 0
    assert 'spec.aiModels[1].name: Duplicate value: "my model"' in p.stderr, p.stderr
    assert 'spec.podMetadata.labels[app]: Forbidden' in p.stderr, p.stderr


def test_unknown_owner_gets_only_the_contract(cluster, judged_webhook, classes, ns):
    """A class that does not exist yet, and a route whose gateway does not
    exist yet (GitOps applies in any order): admitted when the contract's
    schema accepts them, with none of LiteLLM's rules."""
    obj = refused_by_litellm_rules(ns, "early", f"not-yet-{os.urandom(2).hex()}")
    p = cluster.apply(dump(obj), check=False)
    assert p.returncode == 0, p.stderr
    assert cluster.get_json("aigateway", "early", ns)["spec"] == obj["spec"]
    rt = {"apiVersion": API_VERSION, "kind": "ToolRoute", "metadata": {"name": "early", "namespace": ns},
          "spec": {"toolGatewayRef": {"name": "later"}, "upstream": {"external": {"url": "http://mcp:80/mcp"}},
                   "toolFilter": {"allow": ["get_[issue"]}}}
    p = cluster.apply(dump(rt), check=False)
    assert p.returncode == 0, p.stderr
    # Once the gateway exists and is ours, the route is judged by every rule.
    tg = {"apiVersion": API_VERSION, "kind": "ToolGateway", "metadata": {"name": "later", "namespace": ns},
          "spec": {"toolGatewayClassName": classes["ours"]}}
    cluster.apply(dump(tg))
    rt["metadata"]["name"] = "now"

    def refused():
        q = cluster.apply(dump(rt), check=False)
        return q.returncode != 0 and "spec.toolFilter.allow[0]" in q.stderr
    cluster.wait_for("the route to meet our rules", refused, timeout=30)


# --- standing alone with a forbidden cache ------------------------------------------

def limited_kubeconfig(cluster, ns, path):
    """A kubeconfig for a ServiceAccount that may read the webhook's caches
    (classes, ToolGateways) and nothing the controller needs."""
    cluster.kubectl("create", "serviceaccount", "limited", "-n", ns)
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": f"{ns}-limited"},
            "rules": [{"apiGroups": ["runtime.agentic-layer.ai"],
                       "resources": ["aigatewayclasses", "toolgatewayclasses", "toolgateways"],
                       "verbs": ["get", "list", "watch"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": f"{ns}-limited"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"{ns}-limited"},
               "subjects": [{"kind": "ServiceAccount", "name": "limited", "namespace": ns}]}
    cluster.apply(dump(role, binding))
    token = cluster.kubectl("create", "token", "limited", "-n", ns, "--duration", "1h").stdout.strip()
    cfg = json.loads(cluster.kubectl("config", "view", "--raw", "--minify", "-o", "json").stdout)
    cfg["users"] = [{"name": "limited", "user": {"token": token}}]
    cfg["contexts"][0]["context"]["user"] = "limited"
    path.write_text(json.dumps(cfg))
    return path, [f"clusterrole/{ns}-limited", f"clusterrolebinding/{ns}-limited"]


def test_webhook_serves_with_a_forbidden_controller_cache(cluster, ns, tmp_path):
    """The controller's caches are forbidden: the webhook serves and is
    ready within seconds anyway, and the controller says its caches are not
    synced."""
    kc, cleanup = limited_kubeconfig(cluster, ns, tmp_path / "limited.kubeconfig")
    srv = WebhookServer(tmp_path, extra=["--ownership=cluster", "--controller=true", "--kubeconfig", str(kc)])
    try:
        t0 = time.monotonic()
        srv.start(timeout=30)
        ready_after = time.monotonic() - t0
        print(f"ready after {ready_after:.2f}s with a forbidden controller cache")
        status, _, raw = _post(srv, aigateway(name="x", port=0))
        assert status == 200 and json.loads(raw)["response"]["allowed"] is False
        m = srv.metrics()
        assert "litellm_gateway_operator_controller_caches_synced 0" in m, m
    finally:
        assert srv.stop() == 0, srv.log_text()[-4000:]
        for c in cleanup:
            cluster.kubectl("delete", c, "--ignore-not-found", check=False)


def _post(srv, obj, path="/validate"):
    with tls_connect(srv.port, srv.ca) as s:
        s.sendall(request_bytes("POST", path, body_of(review(obj))))
        return read_response(s)


# --- holding the port -------------------------------------------------------------------

def test_apply_works_while_thousands_of_connections_are_held(cluster, judged_webhook, classes, ns):
    """3,000 TCP connections that never speak and 1,000 that stop in the
    middle of a ClientHello, from five addresses, held open: every kubectl
    apply still goes through the webhook, and the server sheds the idle
    ones, oldest first."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 16384), hard))
    held = []
    stop = threading.Event()
    partial_hello = bytes.fromhex("160301020001000200")   # a record header and the start of a ClientHello

    def hold(addr, n, half_open):
        for _ in range(n):
            if stop.is_set():
                return
            try:
                s = socket.socket()
                s.bind((addr, 0))
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", judged_webhook.port))
                if half_open:
                    time.sleep(0.001)
                    try:
                        s.send(partial_hello)
                    except OSError:
                        pass
                held.append(s)
            except OSError:
                break
    threads = [threading.Thread(target=hold, args=(f"127.0.0.{i + 2}", 600, False)) for i in range(5)]
    threads += [threading.Thread(target=hold, args=(f"127.0.0.{i + 2}", 200, True)) for i in range(5)]
    for t in threads:
        t.start()
    try:
        failures = []
        for i in range(20):
            p = cluster.apply(dump(aigw(ns, f"gw{i}", classes["ours"])), check=False)
            if p.returncode != 0:
                failures.append(p.stderr)
            if i == 10:
                for t in threads:
                    t.join()
        assert not failures, failures[:3]
        # Our rules still apply (the API server reached the webhook).
        p = cluster.apply(dump(refused_by_litellm_rules(ns, "bad", classes["ours"])), check=False)
        assert p.returncode != 0 and "Duplicate value" in p.stderr
        m = judged_webhook.metrics()
        shed = [float(line.split()[-1]) for line in m.splitlines()
                if line.startswith("litellm_gateway_operator_webhook_connections_shed_total ")]
        assert shed and shed[0] > 0, "the held connections were never shed"
        print(f"held {len(held)} connections; shed {shed[0]:.0f}")
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in held:
            s.close()


# --- stopping ----------------------------------------------------------------------------

def sanitized_binary():
    """The ASan build when there is one, else the debug build under valgrind."""
    asan = REPO / "build-asan" / "litellm-gateway-operator"
    if asan.exists():
        return [str(asan)], "asan"
    return ["valgrind", "--error-exitcode=99", "--errors-for-leak-kinds=none", "--trace-children=no",
            os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))], "valgrind"


def scrape(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_sigterm_drain_reads_no_freed_memory(cluster, tmp_path):
    """The controller running, a request held in flight so the drain lasts,
    /metrics and /readyz scraped in a loop through the whole stop: no
    sanitizer report, and exit code 0."""
    cmd, tool = sanitized_binary()
    srv = WebhookServer(tmp_path, extra=["--kubeconfig", cluster.kubeconfig, "--ownership=cluster",
                                         "--controller=true", "--threads", "2"])
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:exitcode=98")
    srv._log = open(srv.log_path, "ab")
    srv.proc = subprocess.Popen(
        [*cmd, "serve", "--cert-dir", str(srv.cert_dir), "--bind", "127.0.0.1", "--webhook-port", str(srv.port),
         "--health-port", str(srv.health_port), *srv.extra], stdout=srv._log, stderr=subprocess.STDOUT, env=env)
    cluster.wait_for("serve to be ready", lambda: scrape(srv.health_port, "/readyz") == 200, timeout=120)
    cluster.wait_for("the controller to be up",
                     lambda: "litellm_gateway_operator_controller_up 1" in srv.metrics(), timeout=120)
    body = body_of(review(aigateway()))
    held = tls_connect(srv.port, srv.ca, timeout=60)
    held.sendall(request_bytes("POST", "/validate", body)[:-10])
    statuses = []
    done = threading.Event()

    def scraper():
        while not done.is_set():
            for path in ("/metrics", "/readyz"):
                statuses.append(scrape(srv.health_port, path))
    t = threading.Thread(target=scraper)
    t.start()
    time.sleep(0.5)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(3)                       # the controller stops; the drain waits for the held request
    assert srv.proc.poll() is None, srv.log_text()[-4000:]
    held.sendall(request_bytes("POST", "/validate", body)[-10:])
    assert read_response(held, timeout=30)[0] == 200
    held.close()
    rc = srv.proc.wait(timeout=60)
    done.set()
    t.join()
    srv._log.close()
    log = srv.log_text()
    assert "ERROR: AddressSanitizer" not in log and "Invalid read" not in log, log[-6000:]
    assert rc == 0, f"{tool}: exit {rc}\n{log[-6000:]}"
    assert 503 in statuses and 200 in statuses, statuses[-20:]


def test_operator_restarts_on_the_same_ports_at_once(cluster, tmp_path):
    """With the controller running and idle: SIGTERM, then a new process on
    the same ports binds at once (SO_REUSEADDR; nothing lingers)."""
    flags = ["--kubeconfig", cluster.kubeconfig, "--ownership=cluster", "--controller=true"]
    first = WebhookServer(tmp_path / "a", extra=flags).start(timeout=60)
    cluster.wait_for("the controller to be up",
                     lambda: "litellm_gateway_operator_controller_up 1" in first.metrics(), timeout=120)
    assert _post(first, aigateway())[0] == 200
    t0 = time.monotonic()
    assert first.stop() == 0, first.log_text()[-4000:]
    print(f"idle operator stopped in {time.monotonic() - t0:.2f}s")
    second = WebhookServer(tmp_path / "b", cert_dir=first.cert_dir, name="second", extra=flags)
    second.port, second.health_port = first.port, first.health_port
    try:
        second.start(timeout=60)
        assert _post(second, aigateway())[0] == 200
    finally:
        assert second.stop() == 0
    assert "Address already in use" not in second.log_text()
