"""The install (deploy/, through deploy/install.sh) onto the local control
plane, with real cert-manager: its controller and cainjector built from the
Go module (test/harness/build-cert-manager.sh) run out of cluster against the
local API server, its CRDs from the module's deploy/crds.

There is no kubelet, so the operator runs as a local process the way the pod
would: the Deployment's own arguments, the ServiceAccount's own token, and
its cert dir is the Certificate's Secret projected the way the kubelet does
it (files behind a `..data` symlink that is swapped atomically; the test
refreshes it when the Secret changes). A kustomize patch in the test points
both webhook configurations at that process by URL and adds 127.0.0.1 to the
Certificate; caBundle injection stays cert-manager's.

Shown here: without cert-manager the install refuses before anything is
applied; Certificate Ready; caBundle injected into both webhook
configurations; kubectl apply refused and defaulted through the webhook with
cert-manager's CA; a forced renewal picked up with no failed request under
load; the ServiceAccount can do exactly what the ClusterRole and Role say,
and OwnerReferencesPermissionEnforcement is in force.

Figures (time from apply to the first request the webhook admitted, requests
failed during renewal) are printed, not asserted, beyond "no failed request".
"""
import base64
import datetime
import http.client
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest
import yaml

from conftest import rbac_refusals, REPO, HARNESS, free_port
from local_install import Projection, write_kustomization

OP_NS = "litellm-gateway-operator"
OP_SA = "litellm-gateway-operator"
SA_USER = f"system:serviceaccount:{OP_NS}:{OP_SA}"
CERT = "litellm-gateway-operator-webhook"
CERT_SECRET = "litellm-gateway-operator-webhook-tls"
CA_SECRET = "litellm-gateway-operator-ca"
WEBHOOK_CFG = "litellm-gateway-operator"
GROUP = "runtime.agentic-layer.ai"
V1A1 = f"{GROUP}/v1alpha1"
VALIDATE = "validate.litellm-gateway-operator.agentic-layer.ai"


# --- talking to the API server directly (load, Secret projection) -----------

class Api:
    """A small HTTPS client on the admin client certificate."""

    def __init__(self, cluster):
        pki = cluster.state_dir / "pki"
        self.ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
        url = cluster.api_url.removeprefix("https://")
        self.host, self.port = url.split(":")[0], int(url.split(":")[1])
        self.local = threading.local()

    def request(self, method, path, body=None):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                                  timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            text = r.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise
        return r.status, text

    def get(self, path):
        status, text = self.request("GET", path)
        return json.loads(text) if status == 200 else None


def ai_gateway(ns, name, models=(("gpt-4o", "openai"),)):
    return {"apiVersion": V1A1, "kind": "AiGateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"aiModels": [{"name": m, "provider": p} for m, p in models]}}


def dry_run_create(api, obj):
    ns = obj["metadata"]["namespace"]
    return api.request("POST", f"/apis/{GROUP}/v1alpha1/namespaces/{ns}/aigateways?dryRun=All", obj)


# --- fixtures ----------------------------------------------------------------

@pytest.fixture(scope="module")
def cert_manager_dir():
    p = subprocess.run([str(HARNESS / "build-cert-manager.sh")], capture_output=True, text=True, timeout=7200)
    assert p.returncode == 0, p.stderr[-4000:]
    return pathlib.Path(p.stdout.strip().splitlines()[-1])


def delete_cert_manager_crds(cluster):
    cluster.kubectl("delete", "crd", "-l", "app.kubernetes.io/name=cert-manager", "--ignore-not-found",
                    "--wait=true", timeout=120)
    for crd in ("certificates", "certificaterequests", "issuers", "clusterissuers", "orders", "challenges"):
        group = "acme.cert-manager.io" if crd in ("orders", "challenges") else "cert-manager.io"
        cluster.kubectl("delete", "crd", f"{crd}.{group}", "--ignore-not-found", timeout=120)


class Process:
    def __init__(self, args, log_path, env):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def text(self):
        return pathlib.Path(self.log_path).read_text(errors="replace")


@pytest.fixture(scope="module")
def cert_manager(cluster, cert_manager_dir, tmp_path_factory):
    """cert-manager's CRDs installed, its controller and cainjector running."""
    work = tmp_path_factory.mktemp("cert-manager")
    crds = sorted(str(p) for p in (cert_manager_dir / "crds").glob("*.yaml"))
    for c in crds:
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", c, timeout=120)
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *[f"-f={c}" for c in crds])
    binary = str(cert_manager_dir / "cert-manager")
    procs = [Process([binary, "controller", "--kubeconfig", cluster.kubeconfig], work / "controller.log",
                     cluster.env),
             Process([binary, "cainjector", "--kubeconfig", cluster.kubeconfig], work / "cainjector.log",
                     cluster.env)]
    yield procs
    for p in procs:
        p.stop()
    delete_cert_manager_crds(cluster)


def make_kustomization(cluster, tmp_path_factory, webhook_port):
    """deploy/ itself, plus the test's patch (test/harness/local_install.py):
    both webhooks by URL at the local process, 127.0.0.1 in the serving
    certificate, the classes marked default for the other suites."""
    rendered = yaml.safe_load_all(cluster.kubectl("kustomize", str(REPO / "deploy")).stdout)
    crds = [d for d in rendered if d and d["kind"] == "CustomResourceDefinition"]
    return write_kustomization(tmp_path_factory.mktemp("install-kustomization"), webhook_port, crds)


@pytest.fixture(scope="module")
def webhook_port():
    return free_port()


def remove_install(cluster):
    """Everything the install made but the namespace, the RBAC (the other
    suites' operator runs under it), the CRDs and the classes."""
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        cluster.kubectl("delete", kind, WEBHOOK_CFG, "--ignore-not-found")
    cluster.kubectl("-n", OP_NS, "delete", "deployment,service,poddisruptionbudget,networkpolicy",
                    "-l", "app.kubernetes.io/part-of=litellm-gateway-operator", "--ignore-not-found",
                    "--wait=false")
    if cluster.kubectl("get", "crd", "certificates.cert-manager.io", check=False).returncode == 0:
        cluster.kubectl("-n", OP_NS, "delete", "certificates,issuers,certificaterequests", "--all",
                        "--ignore-not-found")
    cluster.kubectl("-n", OP_NS, "delete", "secret", CERT_SECRET, CA_SECRET, "--ignore-not-found")
    cluster.kubectl("-n", OP_NS, "delete", "lease", "litellm-gateway-operator", "--ignore-not-found")
    # The install serves v1beta1 with conversion at this module's operator,
    # which is gone afterwards: give the other suites back v1alpha1 as the
    # preferred version, as conftest.py installs the CRDs.
    subprocess.run([str(HARNESS / "crd-conversion.sh"), "--unserve", cluster.kubeconfig], check=True,
                   env=dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir)))


def test_without_cert_manager_nothing_is_applied(cluster, tmp_path_factory, webhook_port):
    """Runs first in this module, before cert-manager's CRDs exist."""
    delete_cert_manager_crds(cluster)
    remove_install(cluster)
    kdir = make_kustomization(cluster, tmp_path_factory, webhook_port)
    p = subprocess.run([str(REPO / "deploy" / "install.sh"), str(kdir)], capture_output=True, text=True,
                       env=dict(cluster.env, KUBECTL=f"{cluster.bin_dir / 'kubectl'} --kubeconfig "
                                                     f"{cluster.kubeconfig}"), timeout=120)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "cert-manager is not installed" in p.stderr and "Nothing was applied" in p.stderr, p.stderr
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        assert cluster.kubectl("get", kind, WEBHOOK_CFG, check=False).returncode != 0, \
            f"{kind} registered although cert-manager is absent"
    assert cluster.kubectl("-n", OP_NS, "get", "deployment", "litellm-gateway-operator",
                           check=False).returncode != 0


@pytest.fixture(scope="module")
def installed(cluster, cert_manager, tmp_path_factory, webhook_port):
    """deploy/install.sh with the test patch; the operator started once the
    Certificate's Secret exists (the kubelet would not start the container
    before), under the ServiceAccount's token, with the Deployment's args."""
    work = tmp_path_factory.mktemp("installed")
    kdir = make_kustomization(cluster, tmp_path_factory, webhook_port)
    api = Api(cluster)
    health_port = free_port()
    probe_ns = f"install-probe-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", probe_ns)

    t0 = time.monotonic()
    install = subprocess.Popen([str(REPO / "deploy" / "install.sh"), str(kdir)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               env=dict(cluster.env, WAIT_SECONDS="180",
                                        KUBECTL=f"{cluster.bin_dir / 'kubectl'} --kubeconfig {cluster.kubeconfig}"))
    proj = Projection(lambda: api.get(f"/api/v1/namespaces/{OP_NS}/secrets/{CERT_SECRET}"), work / "certs")
    proj.thread.start()
    op = None
    try:
        assert proj.first.wait(180), "the Certificate's Secret never appeared:\n" + \
            cluster.kubectl("-n", OP_NS, "describe", "certificate", check=False).stdout
        issued = time.monotonic() - t0
        deployment = next(d for d in yaml.safe_load_all(cluster.kubectl("kustomize", str(kdir)).stdout)
                          if d and d["kind"] == "Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        args = []
        for a in container["args"]:
            if a.startswith("--cert-dir="):
                a = f"--cert-dir={work / 'certs'}"
            elif a.startswith("--webhook-port="):
                a = f"--webhook-port={webhook_port}"
            elif a.startswith("--health-port="):
                a = f"--health-port={health_port}"
            args.append(a)
        env = dict(cluster.env, POD_NAME=f"litellm-gateway-operator-{uuid.uuid4().hex[:5]}", POD_NAMESPACE=OP_NS)
        binary = os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))
        op = Process([binary, *args, "--bind", "127.0.0.1", "--kubeconfig", cluster.operator_kubeconfig],
                     work / "operator.log", env)
        op.health_port = health_port

        # The first request the webhook admits: a valid gateway created
        # (dry run) and seen by the operator's /mutate.
        first_admitted = None
        deadline = time.monotonic() + 180
        n = 0
        while time.monotonic() < deadline:
            assert op.alive(), "the operator exited:\n" + op.text()[-3000:]
            status, _ = dry_run_create(api, ai_gateway(probe_ns, f"probe-{n}"))
            n += 1
            if status == 201 and mutate_calls(op) > 0:
                first_admitted = time.monotonic() - t0
                break
            time.sleep(0.1)
        out, _ = install.communicate(timeout=240)
        assert install.returncode == 0, out
        assert first_admitted is not None, "no request was admitted through the webhook:\n" + op.text()[-3000:]
        print(f"\n[figures] apply -> serving certificate issued (cert-manager): {issued:.2f} s; "
              f"apply -> first request admitted through the webhook: {first_admitted:.2f} s")
        yield {"api": api, "op": op, "projection": proj, "dir": kdir, "work": work,
               "probe_ns": probe_ns, "install_output": out, "first_admitted": first_admitted}
    finally:
        proj.stop.set()
        if install.poll() is None:
            install.kill()
        remove_install(cluster)
        if op:
            op.stop()
        cluster.kubectl("delete", "namespace", probe_ns, "--wait=false", check=False)


def metrics(op):
    with urllib.request.urlopen(f"http://127.0.0.1:{op.health_port}/metrics", timeout=5) as r:
        return r.read().decode()


def metric_sum(op, name, *must):
    total = 0.0
    try:
        text = metrics(op)
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(m in line for m in must):
            total += float(line.rsplit(" ", 1)[1])
    return total


def mutate_calls(op):
    return metric_sum(op, "", "_requests_total{", 'endpoint="mutate"', 'kind="AiGateway"')


def conditions(obj):
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions", [])}


def test_certificate_ready_and_ca_injected(cluster, installed):
    cert = cluster.get_json("certificate", CERT, OP_NS)
    assert conditions(cert)["Ready"]["status"] == "True", cert.get("status")
    secret = cluster.get_json("secret", CERT_SECRET, OP_NS)
    ca = base64.b64decode(secret["data"]["ca.crt"])
    ca_secret = cluster.get_json("secret", CA_SECRET, OP_NS)
    # The serving certificate is signed by the install's own CA, and that CA
    # is what the API server trusts, in both webhook configurations.
    assert ca == base64.b64decode(ca_secret["data"]["tls.crt"])
    for kind in ("validatingwebhookconfiguration", "mutatingwebhookconfiguration"):
        cfg = cluster.get_json(kind, WEBHOOK_CFG)
        assert cfg["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == f"{OP_NS}/{CERT}"
        for wh in cfg["webhooks"]:
            assert base64.b64decode(wh["clientConfig"]["caBundle"]) == ca, f"{kind} {wh['name']}"
    # CRDs converted by webhook get the same CA; every CRD carries the annotation.
    for crd in cluster.get_json("crd")["items"]:
        if crd["spec"]["group"] != GROUP:
            continue
        assert crd["metadata"]["annotations"].get("cert-manager.io/inject-ca-from") == f"{OP_NS}/{CERT}"
        conv = crd["spec"].get("conversion") or {}
        if conv.get("strategy") == "Webhook":
            cluster.wait_for(f"caBundle in {crd['metadata']['name']}", lambda n=crd["metadata"]["name"]: base64.b64decode(
                cluster.get_json("crd", n)["spec"]["conversion"]["webhook"]["clientConfig"].get("caBundle", "")) == ca)
    # The local process serves that certificate: a client that trusts only
    # the injected CA connects and verifies the name.
    ctx = ssl.create_default_context(cadata=ca.decode())
    with socket.create_connection(("127.0.0.1", _webhook_port(installed)), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert ("IP Address", "127.0.0.1") in s.getpeercert()["subjectAltName"]


def _webhook_port(installed):
    for a in installed["op"].proc.args:
        if str(a).startswith("--webhook-port="):
            return int(str(a).split("=", 1)[1])
    raise AssertionError("no --webhook-port")


def test_apply_refused_and_defaulted_through_the_webhook(cluster, installed, ns):
    op = installed["op"]
    before = mutate_calls(op)
    denied = metric_sum(op, "", "_requests_total{", 'endpoint="validate"', 'kind="AiGateway"',
                        'verdict="denied"')
    bad = ai_gateway(ns, "bad", models=(("m", "openai"), ("m", "openai")))
    p = cluster.apply(yaml.safe_dump(bad), check=False)
    assert p.returncode != 0
    assert "spec.aiModels[1].name" in p.stderr, p.stderr
    assert metric_sum(op, "", "_requests_total{", 'endpoint="validate"', 'kind="AiGateway"',
                      'verdict="denied"') > denied, "the refusal did not come from the webhook"
    # The API server's own answer names the webhook.
    status, text = installed["api"].request("POST", f"/apis/{GROUP}/v1alpha1/namespaces/{ns}/aigateways", bad)
    assert status in (400, 422), (status, text)
    assert json.loads(text)["message"].startswith(f'admission webhook "{VALIDATE}" denied'), text
    cluster.apply(yaml.safe_dump(ai_gateway(ns, "good")))
    gw = cluster.get_json("aigateway", "good", ns)
    assert gw["spec"]["port"] == 80
    assert mutate_calls(op) > before, "the API server did not call /mutate"


def test_installed_operator_reconciles_under_owner_reference_enforcement(cluster, installed, ns):
    """Children carry blockOwnerDeletion; the API server enforces owner
    references; the operator (ServiceAccount token) still creates them."""
    cmd = (cluster.state_dir / "kube-apiserver.cmd").read_bytes().split(b"\0")
    i = cmd.index(b"--enable-admission-plugins")
    assert b"OwnerReferencesPermissionEnforcement" in cmd[i + 1]
    cluster.apply(yaml.safe_dump(ai_gateway(ns, "main")))
    dep = cluster.wait_for("the gateway's Deployment",
                           lambda: cluster.get_json("deployment", "main", ns, check=False), timeout=60)
    owner = dep["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "AiGateway" and owner["blockOwnerDeletion"] is True
    assert not rbac_refusals(installed["op"].text()), installed["op"].text()[-3000:]


def test_owner_references_need_finalizers_update(cluster, installed, ns):
    """Without update on aigateways/finalizers, the same child is refused:
    the grant in deploy/rbac is needed, and the plugin is on."""
    gw = ai_gateway(ns, "owner")
    cluster.apply(yaml.safe_dump(gw))
    uid = cluster.get_json("aigateway", "owner", ns)["metadata"]["uid"]
    cluster.kubectl("-n", ns, "create", "serviceaccount", "nofinalizers")
    cluster.kubectl("-n", ns, "create", "role", "cm", "--verb=create", "--resource=configmaps")
    cluster.kubectl("-n", ns, "create", "rolebinding", "cm", "--role=cm", f"--serviceaccount={ns}:nofinalizers")
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "child", "namespace": ns, "ownerReferences": [
              {"apiVersion": V1A1, "kind": "AiGateway", "name": "owner", "uid": uid, "controller": True,
               "blockOwnerDeletion": True}]}}
    p = cluster.kubectl("create", "-f", "-", f"--as=system:serviceaccount:{ns}:nofinalizers",
                        input=json.dumps(cm), check=False)
    assert p.returncode != 0 and "blockOwnerDeletion" in p.stderr, p.stdout + p.stderr


def can_i(cluster, verb, resource, ns=None, subresource=None, as_user=SA_USER):
    args = ["auth", "can-i", verb, resource, f"--as={as_user}"]
    args += ["-n", ns] if ns else ["--all-namespaces"]
    if subresource:
        args.append(f"--subresource={subresource}")
    p = cluster.kubectl(*args, check=False)
    return p.stdout.strip() == "yes"


def test_service_account_can_do_exactly_what_is_granted(cluster, installed):
    docs = [d for d in yaml.safe_load_all(cluster.kubectl("kustomize", str(REPO / "deploy")).stdout) if d]
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    lease_role = next(d for d in docs if d["kind"] == "Role")
    granted = set()
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                base, _, sub = res.partition("/")
                for verb in rule["verbs"]:
                    granted.add((verb, f"{base}.{group}" if group else base, sub or None, None))
    for rule in lease_role["rules"]:
        for res in rule["resources"]:
            for verb in rule["verbs"]:
                granted.add((verb, f"{res}.{rule['apiGroups'][0]}", None, OP_NS))
    # What the code calls (common/kube/informer.c, leader.c, controller/*.c),
    # written out: a grant added to deploy/rbac without a caller fails here.
    contract = [f"{r}.{GROUP}" for r in ("aigateways", "toolgateways", "toolroutes", "guards",
                                        "guardrailproviders", "toolservers")]
    classes = [f"{r}.{GROUP}" for r in ("aigatewayclasses", "toolgatewayclasses")]
    expected = {(v, r, None, None) for r in contract for v in ("list", "watch")}
    expected |= {(v, r, None, None) for r in classes for v in ("get", "list", "watch", "create")}
    expected |= {("patch", f"{r}.{GROUP}", "status", None) for r in ("aigateways", "toolgateways", "toolroutes")}
    expected |= {("update", f"{r}.{GROUP}", "finalizers", None) for r in ("aigateways", "toolgateways")}
    expected |= {(v, r, None, None) for r in ("configmaps", "services", "deployments.apps")
                 for v in ("list", "watch", "create", "patch")}
    expected |= {(v, "secrets", None, None) for v in ("get", "list", "watch")}
    expected |= {("create", "events", None, None)}
    expected |= {(v, "namespaces", None, None) for v in ("list", "watch")}
    expected |= {(v, "leases.coordination.k8s.io", None, OP_NS) for v in ("get", "create", "update")}
    assert granted == expected, {"granted, not called": granted - expected, "called, not granted": expected - granted}
    denied_wrongly = [g for g in granted if not can_i(cluster, g[0], g[1], ns=g[3], subresource=g[2])]
    assert not denied_wrongly, denied_wrongly
    # What the code never calls is not granted.
    never = [
        ("create", "secrets", None, None), ("update", "secrets", None, OP_NS), ("delete", "secrets", None, None),
        ("get", "configmaps", None, None), ("update", "configmaps", None, None),
        ("delete", "configmaps", None, None), ("get", "deployments.apps", None, None),
        ("update", "deployments.apps", None, None), ("delete", "deployments.apps", None, None),
        ("delete", "services", None, None), ("get", "services", None, None),
        ("get", f"aigateways.{GROUP}", None, None), ("update", f"aigateways.{GROUP}", None, None),
        ("patch", f"aigateways.{GROUP}", None, None), ("delete", f"aigateways.{GROUP}", None, None),
        ("get", f"aigateways.{GROUP}", "status", None), ("update", f"aigateways.{GROUP}", "status", None),
        ("update", f"toolroutes.{GROUP}", "finalizers", None),
        ("update", f"aigatewayclasses.{GROUP}", None, None), ("delete", f"aigatewayclasses.{GROUP}", None, None),
        ("patch", "events", None, None), ("create", "events.events.k8s.io", None, None),
        ("list", "leases.coordination.k8s.io", None, OP_NS), ("watch", "leases.coordination.k8s.io", None, OP_NS),
        ("patch", "leases.coordination.k8s.io", None, OP_NS), ("delete", "leases.coordination.k8s.io", None, OP_NS),
        ("get", "leases.coordination.k8s.io", None, "default"), ("create", "pods", None, None),
        ("create", "serviceaccounts", "token", OP_NS), ("get", "namespaces", None, None),
        ("update", "namespaces", None, None), ("delete", "namespaces", None, None),
        ("update", "validatingwebhookconfigurations.admissionregistration.k8s.io", None, None),
        ("escalate", "clusterroles.rbac.authorization.k8s.io", None, None),
    ]
    allowed_wrongly = [n for n in never if can_i(cluster, n[0], n[1], ns=n[3], subresource=n[2])]
    assert not allowed_wrongly, allowed_wrongly


def test_forced_renewal_under_load_fails_no_request(cluster, installed):
    api, op, proj = installed["api"], installed["op"], installed["projection"]
    probe_ns = installed["probe_ns"]
    old_crt = cluster.get_json("secret", CERT_SECRET, OP_NS)["data"]["tls.crt"]
    reloads = metric_sum(op, "", "certificate_reloads_total", 'result="success"')
    counts = {"ok": 0, "failed": 0}
    errors = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker):
        i = 0
        while not stop.is_set():
            valid = i % 2 == 0
            obj = ai_gateway(probe_ns, f"load-{worker}-{i}",
                             models=(("gpt-4o", "openai"),) if valid else (("m", "openai"), ("m", "openai")))
            try:
                status, text = dry_run_create(api, obj)
            except OSError as e:
                status, text = 0, str(e)
            good = status == 201 if valid else (status in (400, 422) and VALIDATE in text)
            with lock:
                counts["ok" if good else "failed"] += 1
                if not good and len(errors) < 5:
                    errors.append((status, text[:300]))
            i += 1

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        # What `cmctl renew` does: an Issuing condition on the Certificate.
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        cluster.kubectl("-n", OP_NS, "patch", "certificate", CERT, "--subresource=status", "--type=json", "-p",
                        json.dumps([{"op": "add", "path": "/status/conditions/-", "value": {
                            "type": "Issuing", "status": "True", "reason": "ManuallyTriggered",
                            "message": "renewal forced by the install test", "lastTransitionTime": now}}]))
        cluster.wait_for("a new serving certificate in the Secret", lambda: cluster.get_json(
            "secret", CERT_SECRET, OP_NS)["data"]["tls.crt"] != old_crt, timeout=90)
        cluster.wait_for("the operator to reload its certificate", lambda: metric_sum(
            op, "", "certificate_reloads_total", 'result="success"') > reloads, timeout=60)
        time.sleep(2.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    served = ssl.get_server_certificate(("127.0.0.1", _webhook_port(installed)))
    new_crt = base64.b64decode(cluster.get_json("secret", CERT_SECRET, OP_NS)["data"]["tls.crt"]).decode()
    assert served.split("-----")[2].replace("\n", "") in new_crt.replace("\n", ""), \
        "the webhook does not serve the renewed certificate"
    print(f"\n[figures] forced renewal under load: {counts['ok']} requests judged, "
          f"{counts['failed']} failed")
    assert counts["ok"] > 20, counts
    assert counts["failed"] == 0, errors


def test_image_matches_the_version_and_the_dockerfile():
    """deploy/ installs the image the Dockerfile builds, tagged with the
    project version; the Dockerfile builds the CMake target and pins its base."""
    import re
    version = re.search(r"project\(litellm-gateway-operator VERSION ([0-9.]+)",
                        (REPO / "CMakeLists.txt").read_text()).group(1)
    kust = yaml.safe_load((REPO / "deploy" / "kustomization.yaml").read_text())
    image = next(i for i in kust["images"] if i["name"] == "litellm-gateway-operator")
    assert image["newTag"] == version
    docker = (REPO / "Dockerfile").read_text()
    assert f"ARG VERSION={version}" in docker
    assert "--target litellm-gateway-operator" in docker
    assert f"{image['newName']}:<VERSION>" in docker
    base = re.search(r"ARG DEBIAN_IMAGE=(\S+)", docker).group(1)
    assert re.fullmatch(r"debian:\d+\.\d+-slim(@sha256:[0-9a-f]{64})?", base), base
    froms = re.findall(r"^FROM (\S+)", docker, re.M)
    assert froms and all(f == "${DEBIAN_IMAGE}" for f in froms), froms


def test_suites_run_the_operator_as_its_service_account(cluster):
    """cluster-up.sh hands the suites a kubeconfig of the ServiceAccount's
    own token (TokenRequest); conftest starts every operator with it."""
    assert cluster.operator_kubeconfig, "no operator kubeconfig from cluster-up.sh"
    p = cluster.kubectl("--kubeconfig", cluster.operator_kubeconfig, "auth", "whoami", "-o", "json")
    assert json.loads(p.stdout)["status"]["userInfo"]["username"] == SA_USER


def test_operator_pods_pass_restricted_pod_security(cluster, installed):
    """The namespace enforces Pod Security "restricted"; the ReplicaSet's
    pods are admitted (they stay Pending: no kubelet here), two of them,
    with probes on the health port and a memory request and limit."""
    ns_labels = cluster.get_json("namespace", OP_NS)["metadata"]["labels"]
    assert ns_labels.get("pod-security.kubernetes.io/enforce") == "restricted"
    pods = cluster.wait_for("two operator pods", lambda: (lambda items: items if len(items) == 2 else None)(
        cluster.get_json("pods", namespace=OP_NS, check=False)["items"]), timeout=60)
    spec = pods[0]["spec"]
    c = spec["containers"][0]
    assert c["image"].startswith("ghcr.io/agentic-layer/litellm-gateway-operator:")
    health = next(p["containerPort"] for p in c["ports"] if p["name"] == "health")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"]["port"] in ("health", health), probe
    assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
    assert f"--health-port={health}" in c["args"]
    pdb = cluster.get_json("poddisruptionbudget", "litellm-gateway-operator", OP_NS)
    assert pdb["spec"]["minAvailable"] == 1
    rs_events = cluster.kubectl("-n", OP_NS, "get", "events", "--field-selector", "reason=FailedCreate",
                                "-o", "name").stdout.strip()
    assert not rs_events, cluster.kubectl("-n", OP_NS, "get", "events").stdout
