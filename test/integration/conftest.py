"""Fixtures shared by the integration tests.

The tests talk to a real control plane (etcd, kube-apiserver and
kube-controller-manager on loopback, from test/harness/cluster-up.sh) through
real kubectl. The cluster is brought up once per run; each test gets its own
namespace.

  cluster   session: .kubectl(), .apply(), .get_json(), .kubeconfig, .bin_dir,
            .repo, .state_dir, .api_url, .env (environment for subprocesses)
  ns        function: a fresh namespace, deleted afterwards
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
HARNESS = REPO / "test" / "harness"
sys.path.insert(0, str(HARNESS))

from clusterenv import read_env  # noqa: E402


class Cluster:
    def __init__(self, state_dir, settings):
        self.state_dir = pathlib.Path(state_dir)
        self.kubeconfig = settings["KUBECONFIG"]
        self.bin_dir = pathlib.Path(settings["LGO_BIN_DIR"])
        self.api_url = settings["LGO_API_URL"]
        self.small_watch_cache = settings.get("LGO_SMALL_WATCH_CACHE") == "1"
        # The operator runs under its ServiceAccount's token (deploy/rbac),
        # unless LGO_OPERATOR_AS_ADMIN=1 asks for the admin kubeconfig.
        self.operator_kubeconfig = settings.get("LGO_OPERATOR_KUBECONFIG")
        if os.environ.get("LGO_OPERATOR_AS_ADMIN") == "1":
            self.operator_kubeconfig = None
        self.operator_namespace = settings.get("LGO_OPERATOR_NAMESPACE", "litellm-gateway-operator")
        self.repo = REPO
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig,
                        PATH=f"{self.bin_dir}:{os.environ.get('PATH', '')}")

    def kubectl(self, *args, input=None, check=True, timeout=60):
        """Runs the real kubectl; returns the CompletedProcess (text)."""
        p = subprocess.run([str(self.bin_dir / "kubectl"), *args], input=input,
                           capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}):\n"
                                 f"{p.stdout}\n{p.stderr}")
        return p

    def apply(self, text, namespace=None, dry_run=False, check=True, server_side=False):
        args = ["apply", "-f", "-"]
        if namespace:
            args += ["-n", namespace]
        if dry_run:
            args.append("--dry-run=server")
        if server_side:
            args.append("--server-side")
        return self.kubectl(*args, input=text, check=check)

    def get_json(self, resource, name=None, namespace=None, check=True):
        args = ["get", resource] + ([name] if name else []) + ["-o", "json"]
        if namespace:
            args += ["-n", namespace]
        p = self.kubectl(*args, check=check)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def grant_leader_election(self, namespace):
        """Gives the operator's ServiceAccount in `namespace` the same
        leader-election Role deploy/rbac grants it in its own namespace."""
        if namespace == self.operator_namespace:
            return
        role = self.get_json("role", "litellm-gateway-operator-leader-election", self.operator_namespace)
        binding = self.get_json("rolebinding", "litellm-gateway-operator-leader-election",
                                self.operator_namespace)
        for obj in (role, binding):
            obj["metadata"] = {"name": obj["metadata"]["name"], "namespace": namespace}
            self.apply(json.dumps(obj))

    def restart_apiserver(self, down_seconds=0):
        subprocess.run([str(HARNESS / "restart-apiserver.sh"), str(down_seconds)], check=True,
                       env=dict(os.environ, LGO_STATE_DIR=str(self.state_dir)))

    def wait_for(self, what, fn, timeout=30.0, interval=0.2):
        """Polls fn() until it returns a truthy value; fails naming `what`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def _install_crds(c):
    crds = sorted((REPO / "crds").glob("*.yaml"))
    crds = [p for p in crds if p.name != "kustomization.yaml"]
    if not crds:
        return
    for p in crds:
        c.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(p))
    c.kubectl("wait", "--for=condition=Established", "--timeout=60s",
              *[f"-f={p}" for p in crds])
    # No conversion webhook runs for the suite as a whole: keep v1alpha1 the
    # preferred version (test_versions.py serves v1beta1 while it runs one).
    subprocess.run([str(HARNESS / "crd-conversion.sh"), "--unserve", c.kubeconfig], check=True,
                   env=dict(os.environ, LGO_BIN_DIR=str(c.bin_dir)))


@pytest.fixture(scope="session")
def cluster():
    state = pathlib.Path(os.environ.get("LGO_STATE_DIR", REPO / ".local" / "test-cluster"))
    env_file = state / "env"
    started_here = False
    if not env_file.exists():
        env = dict(os.environ, LGO_STATE_DIR=str(state))
        subprocess.run([str(HARNESS / "cluster-up.sh")], check=True, env=env)
        started_here = True
    c = Cluster(state, read_env(state))
    _install_crds(c)
    yield c
    if started_here:
        subprocess.run([str(HARNESS / "cluster-down.sh")],
                       env=dict(os.environ, LGO_STATE_DIR=str(state)))


@pytest.fixture
def ns(cluster, request):
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"t-{base}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


# --- the operator under test ------------------------------------------------

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Operator:
    """One `litellm-gateway-operator serve` process against the cluster."""

    def __init__(self, cluster, workdir, name="operator", extra=()):
        self.cluster = cluster
        self.workdir = pathlib.Path(workdir)
        self.name = name
        self.extra = list(extra)
        self.bin = os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))
        self.certs = self.workdir / "certs"
        self.log_path = self.workdir / f"{name}.log"
        self.proc = None
        self.webhook_port = free_port()
        self.health_port = free_port()
        if not (self.certs / "tls.crt").exists():
            subprocess.run([str(REPO / "certs" / "gen-webhook-certs.sh"), str(self.certs)],
                           check=True, capture_output=True)

    def start(self):
        kubeconfig = self.cluster.operator_kubeconfig or self.cluster.kubeconfig
        if self.cluster.operator_kubeconfig and "--leader-election-namespace" in self.extra:
            self.cluster.grant_leader_election(self.extra[self.extra.index("--leader-election-namespace") + 1])
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--kubeconfig", kubeconfig,
             "--cert-dir", str(self.certs), "--bind", "127.0.0.1",
             "--webhook-port", str(self.webhook_port), "--health-port", str(self.health_port),
             "--default-class", *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.cluster.env)
        self.cluster.wait_for(f"{self.name} to be ready", self.ready, timeout=30)
        return self

    def ready(self):
        import urllib.request
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=1) as r:
                if r.status != 200:
                    return False
            # /readyz is the webhook's; the tests here also want the
            # controller's caches (the metric exists once serve reports it).
            m = self.metrics()
            return ("litellm_gateway_operator_controller_caches_synced" not in m or
                    "litellm_gateway_operator_controller_caches_synced 1" in m)
        except OSError:
            return False

    def metrics(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def stop(self, sig=None, timeout=30):
        import signal
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@pytest.fixture
def operator_factory(cluster, tmp_path):
    """Starts operators on demand; stops every one at the end of the test."""
    started = []

    def make(name="operator", extra=(), start=True):
        op = Operator(cluster, tmp_path, name, extra)
        started.append(op)
        return op.start() if start else op

    yield make
    for op in started:
        op.stop()


@pytest.fixture(scope="session")
def operator(cluster, tmp_path_factory):
    """One operator for the whole session (controller + webhooks, not
    registered with the API server)."""
    op = Operator(cluster, tmp_path_factory.mktemp("operator"))
    op.start()
    yield op
    rc = op.stop()
    assert rc == 0, f"operator exited with {rc} on SIGTERM:\n{op.log_text()[-4000:]}"


def rbac_refusals(log_text):
    """The lines of an operator log where the API server refused a call for
    want of a permission ("... is forbidden: User "system:serviceaccount:..."
    cannot ..."), as opposed to other refusals that also say forbidden (a
    namespace being terminated)."""
    return [line for line in log_text.splitlines()
            if re.search(r'is forbidden: User \\?"[^"\\]*\\?" cannot', line)]
