"""Turns gateway manifests into what the controller applies.

Two ways, chosen by LGO_E2E_MODE (render|controller, default: controller when
`serve` takes --kubeconfig, i.e. runs the controller, else render):

  render      The objects a test applies are kept here; sync() runs
              `litellm-gateway-operator render -f` over all of them (the
              controller's own rendering code, offline) and server-side
              applies the gateway's ConfigMap, Deployment and Service, as
              the controller does. Route URLs and states come from the
              render's status comments.
  controller  Everything is applied to the cluster and a real
              `litellm-gateway-operator serve` reconciles it; sync() waits
              until the gateway's Deployment carries the hash of its
              ConfigMap. Route URLs come from ToolRoute status.url.

Either way, the pod player then runs what is in the API server.
"""
import hashlib
import json
import os
import pathlib
import re
import subprocess
import time

import yaml

CONFIG_HASH = "gateway.agentic-layer.ai/config-hash"
CORE_KINDS = {"Namespace", "Secret", "ConfigMap", "Service"}
# "# ToolRoute ns/name: Ready http://gw.ns.svc.cluster.local/mcp/key (Reason: message)"
# "# ToolRoute ns/name: NotReady - (Reason: message)"
_ROUTE_COMMENT = re.compile(r"^# ToolRoute ([^/\s]+)/(\S+): (\S+) (\S+)(?: \((.*)\))?$")


class Route:
    def __init__(self, ns, name, state, url, message):
        self.ns, self.name, self.state, self.url, self.message = ns, name, state, url, message

    @property
    def path(self):
        """The URL path an agent uses (status.url without scheme and host)."""
        return re.sub(r"^https?://[^/]+", "", self.url) if self.url else None

    def __repr__(self):
        return f"<Route {self.ns}/{self.name} {self.state} {self.url} ({self.message})>"


class Rendered:
    """What the controller applied for one gateway."""

    def __init__(self, configmap, deployment, service, routes, comments):
        self.configmap, self.deployment, self.service = configmap, deployment, service
        self.routes = routes            # {"ns/name": Route}
        self.comments = comments

    @property
    def config(self):
        return yaml.safe_load(self.configmap["data"]["config.yaml"])

    @property
    def config_hash(self):
        return self.deployment["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH]


def operator_has_controller(binary):
    """True when `serve` exists and runs the controller (takes --kubeconfig)."""
    p = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True)
    return "--kubeconfig" in p.stdout + p.stderr


def _key(doc):
    md = doc.get("metadata") or {}
    return (doc.get("kind"), md.get("namespace") or "", md.get("name"))


class RenderDriver:
    mode = "render"

    def __init__(self, cluster, binary, workdir, extra_args=()):
        self.cluster = cluster
        self.binary = binary
        self.extra_args = list(extra_args)
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.store = {}
        self._n = 0

    def routes_when_ready(self, rendered, ns, name, timeout=90):
        """Offline rendering has no gateway to wait for: its route states are
        final."""
        return rendered

    def apply(self, text):
        docs = [d for d in yaml.safe_load_all(text) if d]
        core = [d for d in docs if d.get("kind") in CORE_KINDS]
        if core:
            self.cluster.apply(yaml.safe_dump_all(core))
        for d in docs:
            self.store[_key(d)] = d

    def delete(self, kind, ns, name):
        self.store.pop((kind, ns or "", name), None)
        if kind in CORE_KINDS:
            self.cluster.kubectl("delete", kind.lower(), name, *(["-n", ns] if ns else []),
                                 "--ignore-not-found", "--wait=false")

    def _live(self, doc):
        """Secrets and ConfigMaps as the API server holds them (uid and
        resourceVersion feed the secret-hash), as the controller's cache would."""
        kind, ns, name = _key(doc)
        if kind not in ("Secret", "ConfigMap"):
            return doc
        live = self.cluster.get_json(kind.lower(), name, ns, check=False)
        if not live:
            return doc
        live["metadata"].pop("managedFields", None)
        return live

    def render_all(self):
        self._n += 1
        f = self.workdir / f"objects-{self._n}.yaml"
        f.write_text(yaml.safe_dump_all([self._live(d) for d in self.store.values()], sort_keys=False))
        p = subprocess.run([self.binary, "render", *self.extra_args, "-f", str(f)], capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f"render failed ({p.returncode}):\n{p.stderr}\n{p.stdout}")
        return p.stdout

    def sync(self, kind, ns, name, timeout=None):
        out = self.render_all()
        docs = [d for d in yaml.safe_load_all(out) if d]
        mine = {d["kind"]: d for d in docs
                if d["metadata"].get("namespace") == ns
                and d["metadata"]["name"] in (name, f"{name}-config")}
        missing = {"ConfigMap", "Deployment", "Service"} - set(mine)
        if missing:
            raise AssertionError(f"render printed no {sorted(missing)} for {kind} {ns}/{name}:\n{out}")
        self.cluster.kubectl("apply", "--server-side", "--force-conflicts",
                             "--field-manager=litellm-gateway-operator", "-f", "-",
                             input=yaml.safe_dump_all([mine["ConfigMap"], mine["Deployment"], mine["Service"]]))
        routes, comments = {}, []
        for line in out.splitlines():
            if line.startswith("# "):
                comments.append(line)
            m = _ROUTE_COMMENT.match(line)
            if m:
                url = m.group(4) if m.group(4) != "-" else None
                routes[f"{m.group(1)}/{m.group(2)}"] = Route(m.group(1), m.group(2), m.group(3), url,
                                                             m.group(5))
        return Rendered(mine["ConfigMap"], mine["Deployment"], mine["Service"], routes, comments)

    def start(self):
        pass

    def close(self):
        pass


class ControllerDriver:
    mode = "controller"

    def __init__(self, cluster, binary, workdir, extra_args=()):
        self.cluster = cluster
        self.binary = binary
        self.extra_args = list(extra_args)
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.last_hash = {}
        self.proc = None
        self.start()

    def start(self):
        """Starts `serve` (again, after close()) and waits until it is ready."""
        import socket
        cluster, binary = self.cluster, self.binary
        ports = []
        for _ in range(2):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                ports.append(s.getsockname()[1])
        certs = self.workdir / "certs"
        repo = pathlib.Path(__file__).resolve().parents[2]
        subprocess.run([str(repo / "certs" / "gen-webhook-certs.sh"), str(certs)], check=True,
                       capture_output=True)
        self.log_path = self.workdir / "operator.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary, "serve", "--kubeconfig", cluster.kubeconfig, "--cert-dir", str(certs),
             "--bind", "127.0.0.1", "--webhook-port", str(ports[0]), "--health-port", str(ports[1]),
             "--default-class", *self.extra_args],
            stdout=self._log, stderr=subprocess.STDOUT, env=cluster.env)
        import urllib.request

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"operator exited {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/readyz", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        cluster.wait_for("the operator to be ready", ready, timeout=60)

    def apply(self, text):
        self.cluster.apply(text)

    def delete(self, kind, ns, name):
        self.cluster.kubectl("delete", kind.lower(), name, *(["-n", ns] if ns else []),
                             "--ignore-not-found", "--wait=false")

    def sync(self, kind, ns, name, timeout=90, settle=2.0):
        """Waits until the controller has written the gateway's ConfigMap and a
        Deployment carrying its hash, changed from the last sync (when one
        was expected), and nothing has moved for `settle` seconds."""
        prev = self.last_hash.get((ns, name))
        deadline = time.monotonic() + timeout
        seen, since = None, None
        while True:
            cm = self.cluster.get_json("configmap", f"{name}-config", ns, check=False)
            dep = self.cluster.get_json("deployment", name, ns, check=False)
            h = ann = None
            if cm and dep:
                h = hashlib.sha256(cm["data"]["config.yaml"].encode()).hexdigest()
                ann = (dep["spec"]["template"]["metadata"].get("annotations") or {}).get(CONFIG_HASH)
            state = (h, ann)
            if state != seen:
                seen, since = state, time.monotonic()
            consistent = h is not None and h == ann
            if consistent and time.monotonic() - since >= settle and (h != prev or
                                                                      time.monotonic() - since >= 3 * settle):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{kind} {ns}/{name}: the controller did not settle on a config "
                                     f"(ConfigMap hash {h}, Deployment config-hash {ann}, last {prev}); "
                                     f"operator log tail:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        svc = self.cluster.get_json("service", name, ns, check=False)
        self.last_hash[(ns, name)] = h
        routes = self._routes(ns, name) if kind == "ToolGateway" else {}
        return Rendered(cm, dep, svc, routes, [])

    def _routes(self, ns, name):
        routes = {}
        listed = self.cluster.get_json("toolroutes", None, None, check=False, all_namespaces=True) or {}
        for r in listed.get("items", []):
            ref = r["spec"].get("toolGatewayRef") or {}
            if ref.get("name") != name or (ref.get("namespace") or r["metadata"]["namespace"]) != ns:
                continue
            conds = {c["type"]: c for c in (r.get("status") or {}).get("conditions") or []}
            ready = conds.get("Ready", {})
            state = "Ready" if ready.get("status") == "True" else (ready.get("reason") or "NotReady")
            key = f"{r['metadata']['namespace']}/{r['metadata']['name']}"
            routes[key] = Route(r["metadata"]["namespace"], r["metadata"]["name"], state,
                                (r.get("status") or {}).get("url"), ready.get("message"))
        return routes

    def routes_when_ready(self, rendered, ns, name, timeout=90):
        """A route is Ready only while its ToolGateway is: once the pod player
        has made the gateway's pod Ready, waits until the ToolGateway says
        Ready for its current generation and its routes' statuses have
        settled, and returns rendered with the routes read again."""
        deadline = time.monotonic() + timeout
        while True:
            gw = self.cluster.get_json("toolgateway", name, ns, check=False) or {}
            conds = {c["type"]: c for c in (gw.get("status") or {}).get("conditions") or []}
            ready = conds.get("ToolGatewayReady", {})
            gen = (gw.get("metadata") or {}).get("generation")
            routes = self._routes(ns, name)
            if ready.get("status") == "True" and ready.get("observedGeneration") == gen and \
                    all(r.state != "GatewayNotReady" for r in routes.values()):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"ToolGateway {ns}/{name} never became Ready with its routes: {ready}, "
                                     f"{list(routes.values())}")
            time.sleep(0.3)
        rendered.routes = routes
        return rendered

    def close(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self.proc = None


def choose_mode(binary):
    mode = os.environ.get("LGO_E2E_MODE", "auto")
    if mode == "auto":
        mode = "controller" if operator_has_controller(binary) else "render"
    return mode


def make_driver(cluster, binary, workdir, extra_args=()):
    """extra_args: more options for `serve` (controller) or `render` (render)."""
    mode = choose_mode(binary)
    if mode == "controller":
        return ControllerDriver(cluster, binary, workdir, extra_args)
    if mode == "render":
        return RenderDriver(cluster, binary, workdir, extra_args)
    raise ValueError(f"LGO_E2E_MODE={mode!r}: want render, controller or auto")
