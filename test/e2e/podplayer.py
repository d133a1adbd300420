"""The pod, played by the harness: runs a gateway's LiteLLM container as a
local process, from what the API server holds, the way a kubelet would.

Given a kubeconfig and a gateway's namespace/name, the player reads the
Deployment `<name>` and what its pod template references, and

  - resolves the container's env as the kubelet does: service links first
    (enableServiceLinks), then envFrom in order (configMapRef/secretRef,
    with prefix, optional sources), then env in order (value with $(VAR)
    expansion, valueFrom secretKeyRef/configMapKeyRef/fieldRef/
    resourceFieldRef, optional refs); a missing non-optional reference is
    an error, as CreateContainerConfigError is;
  - materialises the volumes under a work directory (configMap and secret
    volumes with their keys or items, emptyDir), and rewrites every
    argument and env value that points into a mountPath to the local copy;
  - runs the container's command (`litellm --config /app/config/config.yaml
    --port 4000`) from the LiteLLM virtualenv with the port rewritten to a
    free loopback port and `--host 127.0.0.1` added, and with no other
    environment than the container's own (plus PATH and HOSTNAME, which the
    image and the runtime provide); `extra_env` adds more, for diagnosis;
  - probes the container's readinessProbe path on that port until it
    answers 200 (within the startupProbe's budget);
  - on `sync()`, restarts the process when the pod template changed (the
    config-hash or secret-hash annotation, as a rollout would), refreshes
    configMap volume files in place when only the ConfigMap changed (as
    the kubelet does; LiteLLM does not re-read them), and stops when the
    Deployment is gone;
  - optionally plays the kubelet's status reporting: marks the Deployment's
    current Pods Running and Ready (`kubectl patch --subresource=status`),
    so the ReplicaSet and Deployment controllers report ready and
    available replicas honestly.

Library use (see conftest.py), or on the command line for the demo:

  python podplayer.py --kubeconfig KUBECONFIG -n NAMESPACE NAME [--kubectl PATH]
                      [--venv DIR] [--workdir DIR] [--play-kubelet]
"""
import argparse
import base64
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CONFIG_HASH = "gateway.agentic-layer.ai/config-hash"
SECRET_HASH = "gateway.agentic-layer.ai/secret-hash"


class PodStartError(Exception):
    """The pod could not start (what the kubelet reports as
    CreateContainerConfigError, or a container that exits or never gets ready)."""


def _ephemeral_range():
    try:
        lo, hi = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A free loopback port outside the kernel's ephemeral range, so that no
    outgoing connection takes it between this check and the server's bind
    (LiteLLM binds only after several seconds of start-up)."""
    import random
    lo, hi = _ephemeral_range()
    candidates = [p for p in range(15000, 32000) if not lo <= p <= hi] or list(range(1024, 65535))
    for _ in range(200):
        port = random.choice(candidates)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kube:
    """kubectl, the real client, against one kubeconfig."""

    def __init__(self, kubeconfig, kubectl="kubectl"):
        self.kubeconfig = str(kubeconfig)
        self.kubectl_bin = str(kubectl)

    def run(self, *args, input=None, check=True, timeout=60):
        p = subprocess.run([self.kubectl_bin, "--kubeconfig", self.kubeconfig, *args], input=input,
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def get(self, resource, name, namespace=None):
        args = ["get", resource, name, "-o", "json"] + (["-n", namespace] if namespace else [])
        p = self.run(*args, check=False)
        if p.returncode != 0:
            if "NotFound" in p.stderr or "not found" in p.stderr:
                return None
            raise RuntimeError(f"kubectl get {resource} {name}: {p.stderr.strip()}")
        return json.loads(p.stdout)

    def list(self, resource, namespace=None, selector=None):
        args = ["get", resource, "-o", "json"] + (["-n", namespace] if namespace else [])
        if selector:
            args += ["-l", selector]
        return json.loads(self.run(*args).stdout).get("items", [])


# --- env, as the kubelet resolves it -------------------------------------------

_EXPAND = re.compile(r"\$\$|\$\(([^)]*)\)")


def expand(value, lookup):
    """Kubernetes' $(VAR) expansion: $$ escapes, unknown references stay as written."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        v = lookup(name)
        return v if v is not None else m.group(0)
    return _EXPAND.sub(sub, value)


def _valid_env_name(name):
    # RelaxedEnvironmentVariableValidation (GA in 1.34): any printable ASCII but '='.
    return bool(name) and all(32 <= ord(c) <= 126 for c in name) and "=" not in name


def _decode(data, b64):
    return {k: (base64.b64decode(v).decode("utf-8", "replace") if b64 else v)
            for k, v in (data or {}).items()}


def service_env(services, namespace):
    """Docker-link style variables for the Services of the pod's namespace
    (and the `kubernetes` Service of `default`), as kubelet's service links."""
    env = {}
    for svc in services:
        spec = svc.get("spec", {})
        md = svc["metadata"]
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        if md["namespace"] != namespace and not (md["namespace"] == "default" and md["name"] == "kubernetes"):
            continue
        name = md["name"].upper().replace("-", "_")
        ports = spec.get("ports") or []
        if not ports:
            continue
        env[f"{name}_SERVICE_HOST"] = ip
        env[f"{name}_SERVICE_PORT"] = str(ports[0]["port"])
        for p in ports:
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        first = ports[0]
        proto = first.get("protocol", "TCP")
        env[f"{name}_PORT"] = f"{proto.lower()}://{ip}:{first['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            prefix = f"{name}_PORT_{p['port']}_{proto}"
            env[prefix] = f"{proto.lower()}://{ip}:{p['port']}"
            env[f"{prefix}_PROTO"] = proto.lower()
            env[f"{prefix}_PORT"] = str(p["port"])
            env[f"{prefix}_ADDR"] = ip
    return env


class EnvResolver:
    def __init__(self, kube, namespace, pod_meta, container, pod_ip="127.0.0.1"):
        self.kube = kube
        self.ns = namespace
        self.pod_meta = pod_meta
        self.container = container
        self.pod_ip = pod_ip
        self._cache = {}
        self.warnings = []

    def _obj(self, kind, name):
        key = (kind, name)
        if key not in self._cache:
            o = self.kube.get(kind, name, self.ns)
            if o is None:
                self._cache[key] = None
            else:
                data = _decode(o.get("data"), kind == "secret")
                if kind == "configmap":
                    data.update(_decode(o.get("binaryData"), True))
                self._cache[key] = data
        return self._cache[key]

    def _key_ref(self, kind, ref, var):
        data = self._obj(kind, ref["name"])
        optional = bool(ref.get("optional"))
        if data is None:
            if optional:
                return None
            raise PodStartError(f'{kind} "{ref["name"]}" not found (env {var})')
        if ref["key"] not in data:
            if optional:
                return None
            raise PodStartError(f'couldn\'t find key {ref["key"]} in {kind.title()} {self.ns}/{ref["name"]} (env {var})')
        return data[ref["key"]]

    def _field_ref(self, path):
        md = self.pod_meta
        m = re.match(r"metadata\.(labels|annotations)\['(.+)'\]$", path)
        if m:
            return (md.get(m.group(1)) or {}).get(m.group(2), "")
        return {
            "metadata.name": md.get("name", ""), "metadata.namespace": self.ns,
            "metadata.uid": md.get("uid", ""), "spec.nodeName": "localhost",
            "spec.serviceAccountName": "default", "status.hostIP": "127.0.0.1",
            "status.hostIPs": "127.0.0.1", "status.podIP": self.pod_ip, "status.podIPs": self.pod_ip,
        }.get(path, "")

    def _resource_ref(self, ref):
        res = self.container.get("resources") or {}
        kind, _, what = ref["resource"].partition(".")
        val = (res.get(kind) or {}).get(what)
        if val is None and kind == "limits":
            val = {"cpu": "2", "memory": str(8 << 30)}.get(what, "0")
        if val is None:
            val = "0"
        return _quantity_div(val, ref.get("divisor", "1"), what)

    def resolve(self, service_vars):
        env = {}
        for src in self.container.get("envFrom") or []:
            prefix = src.get("prefix", "")
            if "configMapRef" in src:
                kind, ref = "configmap", src["configMapRef"]
            elif "secretRef" in src:
                kind, ref = "secret", src["secretRef"]
            else:
                continue
            data = self._obj(kind, ref["name"])
            if data is None:
                if ref.get("optional"):
                    continue
                raise PodStartError(f'{kind} "{ref["name"]}" not found (envFrom)')
            skipped = []
            for k, v in data.items():
                if _valid_env_name(prefix + k):
                    env[prefix + k] = v
                else:
                    skipped.append(k)
            if skipped:
                self.warnings.append(f"keys {skipped} from envFrom {kind} {ref['name']} skipped: invalid names")

        def lookup(name):
            if name in env:
                return env[name]
            return service_vars.get(name)

        for e in self.container.get("env") or []:
            name = e["name"]
            if "valueFrom" not in e:
                env[name] = expand(e.get("value", ""), lookup)
                continue
            vf = e["valueFrom"]
            if "secretKeyRef" in vf:
                v = self._key_ref("secret", vf["secretKeyRef"], name)
            elif "configMapKeyRef" in vf:
                v = self._key_ref("configmap", vf["configMapKeyRef"], name)
            elif "fieldRef" in vf:
                v = self._field_ref(vf["fieldRef"]["fieldPath"])
            elif "resourceFieldRef" in vf:
                v = self._resource_ref(vf["resourceFieldRef"])
            else:
                raise PodStartError(f"env {name}: unsupported valueFrom {sorted(vf)}")
            if v is not None:
                env[name] = v
        for k, v in service_vars.items():
            env.setdefault(k, v)
        return env


_SUFFIX = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 10**-3}


def _quantity(q):
    m = re.match(r"^([0-9.]+)([a-zA-Z]*)$", str(q))
    if not m or m.group(2) not in _SUFFIX:
        raise PodStartError(f"bad quantity {q!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def _quantity_div(val, divisor, what):
    import math
    return str(max(1, math.ceil(_quantity(val) / _quantity(divisor))) if what == "cpu" else
               math.ceil(_quantity(val) / _quantity(divisor)))


# --- the player -----------------------------------------------------------------

def _template_hash(deploy):
    return hashlib.sha256(json.dumps(deploy["spec"]["template"], sort_keys=True).encode()).hexdigest()


class PodPlayer:
    """One gateway's pod. start() returns once LiteLLM is ready."""

    def __init__(self, kube, namespace, name, venv, workdir, extra_env=None, play_kubelet=False,
                 container="litellm", log=None, ready_timeout=None):
        self.kube = kube
        self.ns = namespace
        self.name = name
        self.venv = pathlib.Path(venv)
        self.workdir = pathlib.Path(workdir)
        self.extra_env = dict(extra_env or {})
        self.play_kubelet = play_kubelet
        self.container_name = container
        self.ready_timeout = ready_timeout
        self._log = log or (lambda msg: None)
        self.proc = None
        self.port = None
        self.template_hash = None
        self.config_hash = None
        self.secret_hash = None
        self.restarts = 0
        self.generation = 0
        self.env = {}
        self.argv = []
        self.log_path = None
        self.config_path = None
        self.deployment = None
        self._mounts = []
        self._lock = threading.RLock()
        self._watch = None
        self._stop = threading.Event()
        self.last_error = None

    # what tests use
    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log_text(self):
        try:
            return pathlib.Path(self.log_path).read_text(errors="replace")
        except (OSError, TypeError):
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # lifecycle
    def start(self):
        with self._lock:
            deploy = self.kube.get("deployment", self.name, self.ns)
            if deploy is None:
                raise PodStartError(f"deployment {self.ns}/{self.name} not found")
            self._launch(deploy)
        return self

    def sync(self):
        """One kubelet pass. Returns 'restarted', 'refreshed', 'stopped' or None."""
        with self._lock:
            deploy = self.kube.get("deployment", self.name, self.ns)
            if deploy is None:
                if self.proc:
                    self._log(f"{self.ns}/{self.name}: deployment gone, stopping the pod")
                    self._kill()
                    return "stopped"
                return None
            if _template_hash(deploy) != self.template_hash or not self.running():
                self._log(f"{self.ns}/{self.name}: pod template changed "
                          f"(config-hash {self._ann(deploy, CONFIG_HASH)[:12]}), rolling")
                self._kill()
                self.restarts += 1
                self._launch(deploy)
                return "restarted"
            if self._refresh_volumes(deploy):
                return "refreshed"
            if self.play_kubelet and not _deployment_ready(deploy):
                self._report_ready(deploy)
            return None

    def watch(self, interval=2.0):
        """Keeps syncing in a background thread until stop()."""
        def loop():
            while not self._stop.wait(interval):
                try:
                    self.sync()
                    self.last_error = None
                except Exception as e:  # keep watching; tests read last_error
                    self.last_error = e
                    self._log(f"{self.ns}/{self.name}: sync failed: {e}")
        self._watch = threading.Thread(target=loop, name=f"pod-{self.ns}-{self.name}", daemon=True)
        self._watch.start()
        return self

    def wait_rollout(self, config_hash=None, timeout=180):
        """Syncs until the running pod is the Deployment's current template
        (and, when given, carries that config-hash) and is ready."""
        deadline = time.monotonic() + timeout
        while True:
            self.sync()
            if self.running() and (config_hash is None or self.config_hash == config_hash):
                return self
            if time.monotonic() > deadline:
                raise PodStartError(f"{self.ns}/{self.name}: no rollout to config-hash {config_hash} "
                                    f"(running {self.config_hash})")
            time.sleep(0.3)

    def stop(self):
        self._stop.set()
        if self._watch:
            self._watch.join(timeout=10)
        with self._lock:
            self._kill()

    # internals
    @staticmethod
    def _ann(deploy, key):
        return ((deploy["spec"]["template"]["metadata"].get("annotations")) or {}).get(key, "")

    def _container(self, deploy):
        cs = deploy["spec"]["template"]["spec"]["containers"]
        for c in cs:
            if c["name"] == self.container_name:
                return c
        return cs[0]

    def _pod_meta(self, deploy):
        """The newest Pod of the Deployment's current template, if the
        ReplicaSet controller made one; else a made-up identity."""
        tmpl = deploy["spec"]["template"]["metadata"]
        sel = ",".join(f"{k}={v}" for k, v in (deploy["spec"]["selector"].get("matchLabels") or {}).items())
        try:
            pods = self.kube.list("pods", self.ns, sel)
        except RuntimeError:
            pods = []
        want = tmpl.get("annotations") or {}
        mine = [p for p in pods if all((p["metadata"].get("annotations") or {}).get(k) == v
                                       for k, v in want.items())]
        if mine:
            mine.sort(key=lambda p: p["metadata"]["creationTimestamp"])
            return mine[-1]["metadata"]
        return {"name": f"{self.name}-local-{_template_hash(deploy)[:10]}",
                "labels": tmpl.get("labels") or {}, "annotations": want, "uid": ""}

    def _volume_files(self, vol):
        """{relative path: bytes} for a configMap/secret volume; None for emptyDir."""
        if "emptyDir" in vol:
            return None
        if "configMap" in vol or "secret" in vol:
            kind = "configmap" if "configMap" in vol else "secret"
            src = vol.get("configMap") or vol.get("secret")
            name = src.get("name") or src.get("secretName")
            obj = self.kube.get(kind, name, self.ns)
            if obj is None:
                if src.get("optional"):
                    return {}
                raise PodStartError(f'{kind} "{name}" not found (volume {vol["name"]})')
            data = {k: (base64.b64decode(v) if kind == "secret" else v.encode())
                    for k, v in (obj.get("data") or {}).items()}
            data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
            if src.get("items"):
                out = {}
                for it in src["items"]:
                    if it["key"] not in data:
                        if src.get("optional"):
                            continue
                        raise PodStartError(f'key {it["key"]} not in {kind} {name}')
                    out[it["path"]] = data[it["key"]]
                return out
            return data
        self._log(f"volume {vol['name']}: type {sorted(vol)} not played, mounted empty")
        return None

    def _materialise(self, deploy, podroot):
        spec = deploy["spec"]["template"]["spec"]
        vols = {v["name"]: v for v in spec.get("volumes") or []}
        mounts = []
        for m in self._container(deploy).get("volumeMounts") or []:
            vol = vols.get(m["name"])
            if vol is None:
                raise PodStartError(f"volumeMount {m['name']}: no such volume")
            local = podroot / "mounts" / (m["mountPath"].strip("/").replace("/", "_") or "root")
            files = self._volume_files(vol)
            local.mkdir(parents=True, exist_ok=True)
            if m.get("subPath"):
                content = (files or {}).get(m["subPath"])
                target = local / pathlib.Path(m["subPath"]).name
                if content is not None:
                    target.write_bytes(content)
                local = target
            else:
                for rel, content in (files or {}).items():
                    p = local / rel
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(content)
            mounts.append((m["mountPath"].rstrip("/") or "/", local, m, vol))
        # longest mount path first, so /app/config wins over /app
        mounts.sort(key=lambda t: -len(t[0]))
        return mounts

    def _refresh_volumes(self, deploy):
        """The kubelet updates configMap/secret volumes in place (not subPath ones)."""
        changed = False
        for mount_path, local, m, vol in self._mounts:
            if m.get("subPath") or not ("configMap" in vol or "secret" in vol):
                continue
            try:
                files = self._volume_files(vol) or {}
            except PodStartError:
                continue
            for rel, content in files.items():
                p = local / rel
                if not p.exists() or p.read_bytes() != content:
                    p.write_bytes(content)
                    changed = True
        if changed:
            self._log(f"{self.ns}/{self.name}: configMap volume refreshed in place (no restart)")
        return changed

    def _rewrite(self, value):
        for mount_path, local, _, _ in self._mounts:
            if value == mount_path or value.startswith(mount_path + "/"):
                return str(local) + value[len(mount_path):]
        return value

    def _launch(self, deploy):
        self.generation += 1
        podroot = self.workdir / f"{self.ns}-{self.name}-{self.generation}"
        if podroot.exists():
            shutil.rmtree(podroot)
        podroot.mkdir(parents=True)
        container = self._container(deploy)
        pod_meta = self._pod_meta(deploy)
        self._mounts = self._materialise(deploy, podroot)

        try:
            services = self.kube.list("services", self.ns) + [
                s for s in [self.kube.get("service", "kubernetes", "default")] if s]
        except RuntimeError:
            services = []
        enable_links = deploy["spec"]["template"]["spec"].get("enableServiceLinks", True)
        svc_env = service_env(services, self.ns) if enable_links else {}
        if not enable_links:
            svc_env = service_env([s for s in services if s["metadata"]["name"] == "kubernetes"
                                   and s["metadata"]["namespace"] == "default"], self.ns)
        resolver = EnvResolver(self.kube, self.ns, pod_meta, container)
        env = resolver.resolve(svc_env)
        for w in resolver.warnings:
            self._log(w)
        env = {k: self._rewrite(v) for k, v in env.items()}

        # what the image and the runtime add
        bin_dir = self.venv / "bin"
        env.setdefault("PATH", f"{bin_dir}:/usr/local/bin:/usr/bin:/bin")
        env["HOSTNAME"] = pod_meta["name"]
        env.update(self.extra_env)

        argv = list(container.get("command") or []) + list(container.get("args") or [])
        if not argv:
            raise PodStartError("the container has no command (the image's entrypoint is not played)")
        argv = [expand(a, lambda n: env.get(n)) for a in argv]
        argv = [self._rewrite(a) for a in argv]
        exe = shutil.which(argv[0], path=env["PATH"]) if "/" not in argv[0] else argv[0]
        if exe is None:
            raise PodStartError(f"executable {argv[0]!r} not found in {env['PATH']}")
        argv[0] = exe

        ports = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
        port = free_port()
        argv, container_port = _rewrite_port(argv, port)
        if container_port is None:
            raise PodStartError(f"cannot find --port in the command {argv}")
        argv = _set_host(argv)

        self.config_path = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"), None)
        self.log_path = podroot / "litellm.log"
        self.env, self.argv, self.port = env, argv, port
        self._container_port = container_port
        self._ports = ports
        cwd = podroot / "workdir"
        cwd.mkdir()
        self.deployment = deploy
        self.template_hash = _template_hash(deploy)
        self.config_hash = self._ann(deploy, CONFIG_HASH)
        self.secret_hash = self._ann(deploy, SECRET_HASH)
        for attempt in range(3):
            self._log(f"{self.ns}/{self.name}: starting {' '.join(self.argv)}")
            with open(self.log_path, "ab") as logf:
                self.proc = subprocess.Popen(self.argv, env=env, cwd=cwd, stdout=logf, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                self._wait_ready(container)
                break
            except PodStartError:
                # Someone else bound the port first: take another, as a
                # restarted container would get its own network namespace.
                if attempt == 2 or "address already in use" not in self.log_text():
                    raise
                self.port = free_port()
                self.argv, _ = _rewrite_port(self.argv, self.port)
                with open(self.log_path, "ab") as logf:
                    logf.write(b"\n[podplayer] port taken, restarting on another port\n")
        if self.play_kubelet:
            self._report_ready(deploy)

    def _probe_path(self, container):
        for key in ("readinessProbe", "startupProbe"):
            hg = (container.get(key) or {}).get("httpGet")
            if hg:
                return hg.get("path", "/")
        return "/health/readiness"

    def _wait_ready(self, container):
        sp = container.get("startupProbe") or {}
        budget = self.ready_timeout or max(60, sp.get("failureThreshold", 30) * sp.get("periodSeconds", 2))
        path = self._probe_path(container)
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PodStartError(f"{self.ns}/{self.name}: LiteLLM exited with {self.proc.returncode} "
                                    f"before it was ready; log tail:\n{self.log_text()[-1500:]}")
            try:
                with urllib.request.urlopen(f"{self.url}{path}", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self._kill()
        raise PodStartError(f"{self.ns}/{self.name}: not ready within {budget}s; log tail:\n"
                            f"{self.log_text()[-1500:]}")

    def _report_ready(self, deploy):
        """Marks the current template's Pods Running and Ready, as the kubelet would."""
        want = deploy["spec"]["template"]["metadata"].get("annotations") or {}
        sel = ",".join(f"{k}={v}" for k, v in (deploy["spec"]["selector"].get("matchLabels") or {}).items())
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for p in self.kube.list("pods", self.ns, sel):
            ann = p["metadata"].get("annotations") or {}
            if any(ann.get(k) != v for k, v in want.items()):
                continue
            conds = {c["type"]: c for c in (p.get("status") or {}).get("conditions") or []}
            if conds.get("Ready", {}).get("status") == "True":
                continue
            status = {"status": {
                "phase": "Running", "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}], "startTime": now,
                "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                               for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")],
                "containerStatuses": [{
                    "name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
                    "started": True, "restartCount": 0, "containerID": f"local://{self.proc.pid}",
                    "state": {"running": {"startedAt": now}}} for c in
                    deploy["spec"]["template"]["spec"]["containers"]]}}
            self.kube.run("patch", "pod", p["metadata"]["name"], "-n", self.ns, "--subresource=status",
                          "--type=merge", "-p", json.dumps(status), check=False)

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.proc = None


def _deployment_ready(deploy):
    """The Deployment's own status says every replica is updated, ready and available."""
    want = deploy["spec"].get("replicas", 1)
    st = deploy.get("status") or {}
    return (st.get("observedGeneration", 0) >= deploy["metadata"].get("generation", 0)
            and st.get("updatedReplicas", 0) >= want and st.get("readyReplicas", 0) >= want
            and st.get("availableReplicas", 0) >= want and st.get("replicas", 0) <= want)


def _rewrite_port(argv, port):
    out, found = list(argv), None
    for i, a in enumerate(out):
        if a == "--port" and i + 1 < len(out):
            found = out[i + 1]
            out[i + 1] = str(port)
        elif a.startswith("--port="):
            found = a.split("=", 1)[1]
            out[i] = f"--port={port}"
    return out, found


def _set_host(argv):
    out = list(argv)
    for i, a in enumerate(out):
        if a == "--host" and i + 1 < len(out):
            out[i + 1] = "127.0.0.1"
            return out
        if a.startswith("--host="):
            out[i] = "--host=127.0.0.1"
            return out
    return out + ["--host", "127.0.0.1"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    ap.add_argument("--kubectl", default=shutil.which("kubectl") or "kubectl")
    ap.add_argument("-n", "--namespace", required=True)
    ap.add_argument("name")
    ap.add_argument("--venv", default=str(pathlib.Path(sys.executable).parent.parent))
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--play-kubelet", action="store_true")
    ap.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the process")
    a = ap.parse_args(argv)
    workdir = a.workdir or tempfile.mkdtemp(prefix="podplayer-")
    extra = dict(kv.split("=", 1) for kv in a.env)
    log = lambda m: print(f"[podplayer {time.strftime('%H:%M:%S')}] {m}", file=sys.stderr, flush=True)
    player = PodPlayer(Kube(a.kubeconfig, a.kubectl), a.namespace, a.name, a.venv, workdir,
                       extra_env=extra, play_kubelet=a.play_kubelet, log=log)
    done = threading.Event()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: done.set())
    while not done.is_set():
        try:
            player.start()
            break
        except PodStartError as e:
            log(f"pod not started: {e}")
            done.wait(5)
    if player.running():
        log(f"{a.namespace}/{a.name} ready at {player.url} (log {player.log_path})")
        player.watch()
        done.wait()
    player.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
