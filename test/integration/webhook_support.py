"""Helpers for the webhook tests: certificates, a `serve` process on loopback,
raw HTTP over TLS, and AdmissionReview bodies.

Not a test module (pytest collects test_*.py only); test_webhook_http.py and
test_webhook_kubectl.py import it.
"""
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
import uuid

REPO = pathlib.Path(__file__).resolve().parents[2]
GEN_CERTS = REPO / "certs" / "gen-webhook-certs.sh"
REGISTER = REPO / "test" / "harness" / "register-webhooks.sh"
GROUP = "runtime.agentic-layer.ai"
API_VERSION = f"{GROUP}/v1alpha1"
VALIDATING_WEBHOOK = "validate.litellm-gateway-operator.agentic-layer.ai"
MUTATING_WEBHOOK = "mutate.litellm-gateway-operator.agentic-layer.ai"


def operator_bin():
    return os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))


_WEBHOOK_ONLY = None


def webhook_only_flags():
    """Flags that keep `serve` to the webhook alone: once serve also runs the
    controller (--controller, on by default), these tests still need no
    cluster; and with no cluster to read classes from, every object is
    judged as ours (--ownership=all)."""
    global _WEBHOOK_ONLY
    if _WEBHOOK_ONLY is None:
        p = subprocess.run([operator_bin(), "serve", "--help"], capture_output=True, text=True)
        text = p.stdout + p.stderr
        _WEBHOOK_ONLY = (["--controller=false"] if "--controller" in text else []) + \
                        (["--ownership=all"] if "--ownership" in text else [])
    return list(_WEBHOOK_ONLY)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gen_certs(outdir, *sans, key_type=None):
    """A fresh CA and serving pair in outdir (ca.crt, tls.crt, tls.key)."""
    env = dict(os.environ)
    if key_type:
        env["KEY_TYPE"] = key_type
    subprocess.run([str(GEN_CERTS), str(outdir), *sans], check=True, capture_output=True, env=env)
    return pathlib.Path(outdir)


class WebhookServer:
    """One `litellm-gateway-operator serve` on loopback ports."""

    def __init__(self, workdir, extra=(), cert_dir=None, name="webhook"):
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.cert_dir = pathlib.Path(cert_dir) if cert_dir else self.workdir / "certs"
        if not (self.cert_dir / "tls.crt").exists():
            gen_certs(self.cert_dir)
        self.ca = self.cert_dir / "ca.crt"
        self.extra = list(extra)
        self.name = name
        self.port = free_port()
        self.health_port = free_port()
        self.log_path = self.workdir / f"{name}.log"
        self.proc = None
        self._log = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [operator_bin(), "serve", "--cert-dir", str(self.cert_dir), "--bind", "127.0.0.1",
             "--webhook-port", str(self.port), "--health-port", str(self.health_port),
             *webhook_only_flags(), *self.extra],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log_text()}")
            if self.health("/readyz")[0] == 200:
                return self
            time.sleep(0.05)
        raise AssertionError(f"serve did not become ready:\n{self.log_text()}")

    def health(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return None, ""

    def metrics(self):
        status, text = self.health("/metrics")
        assert status == 200, text
        return text

    def metric(self, name_and_labels):
        """The value of one series, 0 when it is absent."""
        for line in self.metrics().splitlines():
            if line.startswith(name_and_labels + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def rss_kib(self):
        for line in pathlib.Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"serve did not stop within {timeout}s:\n{self.log_text()}")
        if self._log:
            self._log.close()
            self._log = None
        return self.proc.returncode if self.proc else None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def client_context(cafile, minimum=None, maximum=None):
    ctx = ssl.create_default_context(cafile=str(cafile))
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


def tls_connect(port, cafile, timeout=10, ctx=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return (ctx or client_context(cafile)).wrap_socket(raw, server_hostname="127.0.0.1")


def read_response(sock, timeout=10):
    """Reads one HTTP/1.1 response (Content-Length bodies) from sock.
    Returns (status, headers as a dict of lists with lower-case names, body)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before a full response: {buf!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    length = int(headers.get("content-length", ["0"])[0])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length]


def request_bytes(method, path, body=b"", content_type="application/json", extra_headers=(),
                  content_length=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if content_length is None:
        content_length = len(body)
    if content_length is not False:
        lines.append(f"Content-Length: {content_length}")
    lines.extend(extra_headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def raw_request(server, method, path, body=b"", **kw):
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes(method, path, body, **kw))
        return read_response(s)


def review(obj, operation="CREATE", kind=None, namespace=None, uid=None):
    """An AdmissionReview admission.k8s.io/v1 about obj."""
    kind = kind or obj.get("kind")
    ns = namespace or obj.get("metadata", {}).get("namespace")
    req = {
        "uid": uid or str(uuid.uuid4()),
        "kind": {"group": GROUP, "version": "v1alpha1", "kind": kind},
        "resource": {"group": GROUP, "version": "v1alpha1", "resource": kind.lower() + "s"},
        "name": obj.get("metadata", {}).get("name", ""),
        "operation": operation,
        "userInfo": {"username": "test"},
        "object": obj,
        "dryRun": False,
    }
    if ns:
        req["namespace"] = ns
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def body_of(review_obj):
    return json.dumps(review_obj).encode()


def aigateway(name="main", namespace="ai-gateway", models=(("gpt-4o", "openai"),), **spec):
    obj = {"apiVersion": API_VERSION, "kind": "AiGateway",
           "metadata": {"name": name, "namespace": namespace},
           "spec": {"aiModels": [{"name": n, "provider": p} for n, p in models], **spec}}
    return obj


def realistic_aigateway():
    """An AiGateway as the API server sends it: managedFields, labels,
    several models, env, guardrails and a config patch."""
    obj = aigateway(
        name="production", namespace="ai-gateway",
        models=[("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic"),
                ("gemini-2.5-pro", "gemini"), ("mistral-large-latest", "mistral")],
        port=80,
        env=[{"name": "LOG_LEVEL", "value": "info"},
             {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "api-key-secrets",
                                                                        "key": "OPENAI_API_KEY"}}}],
        guardrails=[{"name": "pii", "namespace": "ai-gateway", "kind": "Guard"}],
        commonMetadata={"labels": {"team": "platform"}, "annotations": {"owner": "ai-platform"}},
        podMetadata={"labels": {"tier": "gateway"}})
    md = obj["metadata"]
    md.update({
        "uid": "5f0c2a3e-8d8f-4b5e-9a51-2f1f0e7c9d11", "resourceVersion": "123456", "generation": 3,
        "creationTimestamp": "2025-01-01T00:00:00Z",
        "labels": {"app.kubernetes.io/part-of": "agentic-layer", "env": "prod"},
        "annotations": {"ai-gateway-litellm.agentic-layer.ai/config-patch":
                        "litellm_settings:\n  request_timeout: 120\nrouter_settings:\n  num_retries: 2\n"},
        "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                           "apiVersion": API_VERSION, "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:kubectl": {}}},
                                        "f:spec": {".": {}, "f:aiModels": {}, "f:port": {}, "f:env": {}}}}],
    })
    return obj
