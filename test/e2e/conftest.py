"""Fixtures for the end-to-end tests: real LiteLLM, played as the pod, in
front of local upstreams that speak the real protocols.

  cluster     session: a private control plane (state in .local/e2e-cluster,
              or $LGO_STATE_DIR), brought up once and torn down at the end
              when this session started it, pass or fail
  venv        session: the LiteLLM virtualenv (test/harness/litellm-env.sh)
  gateways    session: turns manifests into what the controller applies
              (gateways.py: the real controller, or its render code offline)
  llm, llm_b  session: OpenAI/Anthropic-compatible fakes (upstreams.FakeLLM)
  moderation  session: a FakeLLM used as the OpenAI moderation endpoint
  presidio    session: the Presidio analyzer/anonymizer fake
  mcp         session: three real MCP servers (mcp SDK): two over streamable
              HTTP, one over SSE, each with its own nonce
  pods        session: PodPlayer factory; every pod is stopped at the end
  namespace   session: factory for fresh namespaces, deleted at the end

$LGO_E2E_POD_EXTRA_ENV="K=V,K2=V2" adds variables to every played pod. It is
for diagnosis only (to look past a first failure); a green run must not
need it.
"""
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
HARNESS = REPO / "test" / "harness"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HARNESS))

import gateways as gw_mod  # noqa: E402
from podplayer import Kube, PodPlayer, free_port  # noqa: E402
from upstreams import FakeLLM, FakePresidio  # noqa: E402
from clusterenv import read_env  # noqa: E402


class Cluster:
    def __init__(self, state_dir, settings):
        self.state_dir = pathlib.Path(state_dir)
        self.kubeconfig = settings["KUBECONFIG"]
        self.bin_dir = pathlib.Path(settings["LGO_BIN_DIR"])
        self.kubectl_bin = str(self.bin_dir / "kubectl")
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig,
                        PATH=f"{self.bin_dir}:{os.environ.get('PATH', '')}")

    def kubectl(self, *args, input=None, check=True, timeout=60):
        p = subprocess.run([self.kubectl_bin, *args], input=input, capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def apply(self, text, check=True):
        return self.kubectl("apply", "-f", "-", input=text, check=check)

    def get_json(self, resource, name=None, namespace=None, check=True, all_namespaces=False):
        args = ["get", resource] + ([name] if name else []) + ["-o", "json"]
        if namespace:
            args += ["-n", namespace]
        if all_namespaces:
            args.append("-A")
        p = self.kubectl(*args, check=check)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def wait_for(self, what, fn, timeout=30.0, interval=0.2):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")




@pytest.fixture(scope="session")
def operator_bin():
    b = os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))
    assert os.access(b, os.X_OK), f"operator binary {b} missing: run `make build`"
    return b


@pytest.fixture(scope="session")
def venv():
    v = os.environ.get("LGO_LITELLM_VENV")
    if not v:
        v = subprocess.run([str(HARNESS / "litellm-env.sh")], check=True, capture_output=True,
                           text=True).stdout.strip()
    assert (pathlib.Path(v) / "bin" / "litellm").exists(), f"no litellm in {v}"
    return pathlib.Path(v)


@pytest.fixture(scope="session")
def litellm_version(venv):
    return subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import importlib.metadata as m; print(m.version('litellm'))"],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def cluster():
    state = pathlib.Path(os.environ.get("LGO_STATE_DIR", REPO / ".local" / "e2e-cluster"))
    env = dict(os.environ, LGO_STATE_DIR=str(state))
    started_here = False
    if not (state / "env").exists():
        subprocess.run([str(HARNESS / "cluster-up.sh")], check=True, env=env)
        started_here = True
    try:
        c = Cluster(state, read_env(state))
        yield c
    finally:
        if started_here:
            subprocess.run([str(HARNESS / "cluster-down.sh")], env=env)


@pytest.fixture(scope="session")
def gateways(cluster, operator_bin, tmp_path_factory):
    if gw_mod.choose_mode(operator_bin) == "controller":
        crds = [p for p in sorted((REPO / "crds").glob("*.yaml")) if p.name != "kustomization.yaml"]
        for p in crds:
            cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(p))
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *[f"-f={p}" for p in crds])
        # v1alpha1 stays the preferred version: no conversion webhook runs here.
        subprocess.run([str(HARNESS / "crd-conversion.sh"), "--unserve", cluster.kubeconfig], check=True,
                       env=dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir)))
    d = gw_mod.make_driver(cluster, operator_bin, tmp_path_factory.mktemp("gateways"))
    yield d
    d.close()


@pytest.fixture(scope="session")
def namespace(cluster):
    made = []

    def make(name):
        cluster.apply(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")
        made.append(name)
        return name

    yield make
    for n in made:
        cluster.kubectl("delete", "namespace", n, "--wait=false", check=False)


def _extra_env():
    raw = os.environ.get("LGO_E2E_POD_EXTRA_ENV", "")
    return dict(kv.split("=", 1) for kv in raw.split(",") if "=" in kv)


_PLAYERS = []


@pytest.fixture(scope="session")
def pods(cluster, venv, tmp_path_factory):
    """pods(ns, name, **kw) -> a started PodPlayer (ready), stopped at session end."""
    kube = Kube(cluster.kubeconfig, cluster.kubectl_bin)
    root = tmp_path_factory.mktemp("pods")
    logs = []

    def start(ns, name, play_kubelet=True, **kw):
        p = PodPlayer(kube, ns, name, venv, root, extra_env=_extra_env(), play_kubelet=play_kubelet,
                      log=lambda m: logs.append(f"{time.strftime('%H:%M:%S')} {m}"), **kw)
        _PLAYERS.append(p)
        return p.start().watch()

    start.kube = kube
    start.events = logs
    yield start
    for p in _PLAYERS:
        p.stop()
    _PLAYERS.clear()


_LOG_OFFSETS = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _LOG_OFFSETS.clear()
    for p in _PLAYERS:
        _LOG_OFFSETS[id(p)] = (p.log_path, len(p.log_text()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach what each running pod's LiteLLM logged during the test."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for p in _PLAYERS:
            if not p.running():
                continue
            path, off = _LOG_OFFSETS.get(id(p), (p.log_path, 0))
            text = p.log_text()
            new = text[off:] if path == p.log_path else text
            lines = [l for l in new.splitlines() if not l.startswith(("  File ", "    "))]
            if lines:
                rep.sections.append((f"LiteLLM log during the test: {p.ns}/{p.name} ({p.log_path})",
                                     "\n".join(lines[-60:])))


# --- upstreams ------------------------------------------------------------------

@pytest.fixture(scope="session")
def llm():
    f = FakeLLM("llm-a")
    yield f
    f.stop()


@pytest.fixture(scope="session")
def llm_b():
    f = FakeLLM("llm-b")
    yield f
    f.stop()


@pytest.fixture(scope="session")
def moderation():
    f = FakeLLM("moderation")
    yield f
    f.stop()


@pytest.fixture(scope="session")
def presidio():
    f = FakePresidio()
    yield f
    f.stop()


class MCPUpstream:
    def __init__(self, venv, transport, name, workdir):
        self.transport = transport
        self.name = name
        self.nonce = secrets.token_hex(8)
        self.port = free_port()
        self.calls_file = pathlib.Path(workdir) / f"{name}.calls.jsonl"
        self.log_path = pathlib.Path(workdir) / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(venv / "bin" / "python"), str(HERE / "mcp_upstream.py"), "--transport", transport,
             "--port", str(self.port), "--nonce", self.nonce, "--name", name,
             "--calls", str(self.calls_file)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}" + ("/mcp" if self.transport == "http" else "/sse")

    def calls(self):
        try:
            return [json.loads(l) for l in self.calls_file.read_text().splitlines() if l.strip()]
        except FileNotFoundError:
            return []

    def wait(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"MCP upstream {self.name} exited:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"MCP upstream {self.name} did not listen on {self.port}")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="session")
def mcp(venv, tmp_path_factory):
    """Three real MCP servers: .issues (http), .tracker (http), .events (sse)."""
    d = tmp_path_factory.mktemp("mcp")
    servers = {}
    try:
        for name, transport in (("issues", "http"), ("tracker", "http"), ("events", "sse")):
            servers[name] = MCPUpstream(venv, transport, name, d)
        for s in servers.values():
            s.wait()
        yield type("MCP", (), servers)
    finally:
        for s in servers.values():
            s.stop()


# --- helpers shared by the tests ------------------------------------------------

def post_json(url, body, headers=None, timeout=60):
    """POST JSON; returns (status, parsed body or text)."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read().decode()
            status = r.status
    except urllib.error.HTTPError as e:
        raw = e.read().decode(errors="replace")
        status = e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def post_stream(url, body, headers=None, timeout=60):
    """POST with stream=true; returns (status, [parsed data events])."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    events = []
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status = r.status
            for line in r:
                line = line.decode().strip()
                if line.startswith("data:"):
                    payload = line[5:].strip()
                    events.append(payload if payload == "[DONE]" else json.loads(payload))
    except urllib.error.HTTPError as e:
        return e.code, [e.read().decode(errors="replace")]
    return status, events
