"""Helpers for the fault tests (test_faults.py): replicas of the operator
with identities of their own, the API server's audit log of their writes,
a client that keeps asking the webhook to judge, and a client that keeps
changing objects.

Not a test module (pytest collects test_*.py only).
"""
import datetime
import json
import subprocess
import threading
import time

from webhook_support import aigateway, body_of, read_response, request_bytes, review, tls_connect

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


# --- identities -------------------------------------------------------------------

class Identity:
    """A ServiceAccount of its own for one replica, bound to the operator's
    installed ClusterRole (deploy/rbac) and allowed the leader-election
    Lease in lease_ns, so the audit log tells the replicas apart."""

    def __init__(self, cluster, tmp_path, ns, sa, lease_ns=None):
        from test_deploy import token_kubeconfig
        self.cluster = cluster
        self.username = f"system:serviceaccount:{ns}:{sa}"
        self.binding = f"lgo-{ns}-{sa}"[:63].rstrip("-")
        cluster.kubectl("-n", ns, "create", "serviceaccount", sa)
        cluster.kubectl("create", "clusterrolebinding", self.binding, "--clusterrole=litellm-gateway-operator",
                        f"--serviceaccount={ns}:{sa}")
        lease_ns = lease_ns or ns
        if not cluster.get_json("role", "lease", lease_ns, check=False):
            cluster.kubectl("-n", lease_ns, "create", "role", "lease", "--verb=get,list,watch,create,update,patch",
                            "--resource=leases.coordination.k8s.io")
        cluster.kubectl("-n", lease_ns, "create", "rolebinding", f"lease-{sa}", "--role=lease",
                        f"--serviceaccount={ns}:{sa}")
        d = tmp_path / sa
        d.mkdir(exist_ok=True)
        self.kubeconfig = token_kubeconfig(cluster, d, ns, sa)

    def delete(self):
        self.cluster.kubectl("delete", "clusterrolebinding", self.binding, check=False)


# --- the audit log ------------------------------------------------------------------

def audit_path(cluster):
    return cluster.state_dir / "logs" / "audit.log"


def audit_offset(cluster):
    """Where the audit log ends now. Fails when the API server keeps none
    (a control plane started by an older cluster-up.sh: restart it)."""
    p = audit_path(cluster)
    assert p.exists(), f"{p} missing: the control plane was started without an audit log; restart it"
    return p.stat().st_size


def parse_time(text):
    """An audit timestamp (RFC 3339 with microseconds) as a UTC datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def audit_writes(cluster, since, username=None, namespace=None):
    """Completed write requests in the audit log after offset `since`, in
    order, optionally only those of one user and about one namespace. Each
    is the audit event (a dict)."""
    out = []
    with open(audit_path(cluster), "rb") as f:
        f.seek(since)
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue  # a line being written
            if ev.get("stage") != "ResponseComplete" or ev.get("verb") not in WRITE_VERBS:
                continue
            if username and ev.get("user", {}).get("username") != username:
                continue
            if namespace and ev.get("objectRef", {}).get("namespace") != namespace:
                continue
            out.append(ev)
    return out


def landed(ev):
    return 200 <= ev.get("responseStatus", {}).get("code", 0) < 300


def describe(ev):
    ref = ev.get("objectRef", {})
    what = "/".join(x for x in (ref.get("resource"), ref.get("subresource")) if x)
    return (f"{ev.get('requestReceivedTimestamp')} {ev.get('verb')} {what} {ref.get('namespace')}/{ref.get('name')}"
            f" -> {ev.get('responseStatus', {}).get('code')}")


# --- background clients -------------------------------------------------------------

class WebhookProbe(threading.Thread):
    """Asks the operator's webhook to judge, over and over, a valid and an
    invalid AiGateway in turn, and records every answer that is missing or
    wrong. It needs nothing from the API server to answer."""

    def __init__(self, op, interval=0.2):
        super().__init__(daemon=True)
        self.op = op
        self.interval = interval
        self.halt = threading.Event()
        self.answers = 0
        self.failures = []

    def judge(self, valid):
        models = (("gpt-4o", "openai"),) if valid else (("gpt-4o", "openai"), ("gpt-4o", "openai"))
        body = body_of(review(aigateway(name="probe", namespace="probe", models=models)))
        with tls_connect(self.op.webhook_port, self.op.certs / "ca.crt", timeout=10) as s:
            s.sendall(request_bytes("POST", "/validate", body))
            status, _, data = read_response(s, timeout=10)
        if status != 200:
            return f"HTTP {status}: {data[:200]!r}"
        allowed = json.loads(data)["response"]["allowed"]
        return None if allowed == valid else f"allowed={allowed} for a {'valid' if valid else 'invalid'} object"

    def run(self):
        valid = True
        while not self.halt.is_set():
            try:
                wrong = self.judge(valid)
            except (OSError, ValueError, KeyError) as e:
                wrong = f"{type(e).__name__}: {e}"
            if wrong:
                self.failures.append(f"{time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d} {wrong}")
            else:
                self.answers += 1
            valid = not valid
            self.halt.wait(self.interval)

    def stop(self):
        self.halt.set()
        self.join(timeout=30)

    def webhook_log(self, limit=60):
        """The operator's webhook lines other than the answers the probe got
        (connections closed and why, errors): what to read when it failed."""
        lines = [line for line in self.op.log_text().splitlines()
                 if '"logger":"webhook"' in line and "probe/probe: allowed" not in line
                 and "probe/probe: denied" not in line]
        return "\n".join(lines[-limit:])


class Changer(threading.Thread):
    """Calls step(i) for i = 0, 1, ... every `interval` seconds until
    stopped (or `limit` steps), counting the steps that succeeded; a step
    that fails (the control plane is down) is counted apart."""

    def __init__(self, step, interval=0.3, limit=None):
        super().__init__(daemon=True)
        self.step = step
        self.interval = interval
        self.limit = limit
        self.halt = threading.Event()
        self.done = 0
        self.failed = 0

    def run(self):
        i = 0
        while not self.halt.is_set() and (self.limit is None or i < self.limit):
            try:
                ok = self.step(i)
            except (AssertionError, subprocess.TimeoutExpired):
                ok = False
            if ok:
                self.done += 1
            else:
                self.failed += 1
            i += 1
            self.halt.wait(self.interval)

    def stop(self):
        self.halt.set()
        self.join(timeout=60)
