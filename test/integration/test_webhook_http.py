"""The webhook server over real TLS on loopback: the binary under test
(GW_OPERATOR_BIN) with certificates from certs/gen-webhook-certs.sh, spoken
to with raw HTTP/1.1 so every header and byte is under the test's control.

No control plane is needed: these tests start only `serve`.
"""
import json
import shutil
import signal
import socket
import ssl
import threading
import time

import pytest
import requests

from webhook_support import (WebhookServer, aigateway, body_of, client_context, gen_certs, raw_request,
                             read_response, request_bytes, review, tls_connect)

# The default body cap (webhook/reply.h WH_BODY_CAP_DEFAULT).
BODY_CAP = 16 << 20


@pytest.fixture
def server(tmp_path):
    srv = WebhookServer(tmp_path, extra=["--threads", "2"]).start()
    yield srv
    rc = srv.stop()
    assert rc == 0, f"serve exited with {rc} on SIGTERM:\n{srv.log_text()[-4000:]}"


def status_body(body):
    st = json.loads(body)
    assert st["kind"] == "Status" and st["apiVersion"] == "v1" and st["status"] == "Failure"
    return st


# --- before the body ----------------------------------------------------------

def test_method_not_allowed(server):
    status, headers, body = raw_request(server, "GET", "/validate", content_type=None, content_length=False)
    assert status == 405
    assert headers["allow"] == ["POST"]
    st = status_body(body)
    assert (st["code"], st["reason"]) == (405, "MethodNotAllowed")
    assert st["message"] == "method GET is not allowed: send the request with POST"


def test_unsupported_media_type(server):
    status, _, body = raw_request(server, "POST", "/validate", b"a: b\n", content_type="application/yaml")
    assert status == 415
    st = status_body(body)
    assert st["reason"] == "UnsupportedMediaType"
    assert st["message"] == 'unsupported media type "application/yaml": send Content-Type: application/json'


def test_unknown_path(server):
    status, _, body = raw_request(server, "POST", "/no-such-endpoint", b"{}")
    assert status == 404
    assert status_body(body)["reason"] == "NotFound"


@pytest.mark.parametrize("expect_continue", [False, True])
def test_huge_content_length_refused_without_reading(server, expect_continue):
    """100 MB announced, nothing sent: the answer comes from the headers
    alone (no body ever follows), the connection closes, and the server's
    memory does not move."""
    rss_before = server.rss_kib()
    extra = ("Expect: 100-continue",) if expect_continue else ()
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", content_length=100 * 1024 * 1024, extra_headers=extra))
        status, headers, body = read_response(s, timeout=5)
        assert status == 413, body
        st = status_body(body)
        assert st["reason"] == "RequestEntityTooLarge"
        assert st["message"] == f"request body of 104857600 bytes is larger than the limit of {BODY_CAP} bytes"
        # The server will not read the body: it closes the connection.
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
        except (ConnectionResetError, ssl.SSLError):
            pass
    assert server.rss_kib() - rss_before < 4096


def test_chunked_body_over_the_cap(server):
    """No Content-Length to refuse up front: the cap applies while reading."""
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", content_length=False,
                                extra_headers=("Transfer-Encoding: chunked",)))
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < BODY_CAP + 1024 * 1024:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            s.sendall(b"0\r\n\r\n")
            status, _, body = read_response(s, timeout=10)
            assert status == 413
            assert status_body(body)["message"] == f"request body is larger than the limit of {BODY_CAP} bytes"
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, ConnectionError):
            pytest.fail("the server should answer 413 to a chunked body 1 MiB over the cap")
    # A body twice the cap is not drained: the connection is dropped.
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", content_length=False,
                                extra_headers=("Transfer-Encoding: chunked",)))
        with pytest.raises((ConnectionResetError, BrokenPipeError, ssl.SSLError, ConnectionError, socket.timeout)):
            for _ in range(1000):  # 64 MiB at most
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            read_response(s, timeout=5)


# --- bad bodies ---------------------------------------------------------------

@pytest.mark.parametrize("body,message", [
    (b"", "empty request body: expected JSON"),
    (b'{"apiVersion": ', "request body is not valid JSON: truncated JSON"),
    (b'{"a": }', "request body is not valid JSON: invalid JSON at offset"),
    (b"[" * 200 + b"]" * 200, "request body is nested deeper than 64 levels"),
    (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}',
     "AdmissionReview.request.uid is required"),
    (b'{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}',
     'AdmissionReview apiVersion "admission.k8s.io/v1beta1" is not supported'),
    (b'{"apiVersion":"v1","kind":"Pod"}', 'request body must be an AdmissionReview, not kind "Pod"'),
])
def test_bad_bodies(server, body, message):
    status, _, raw = raw_request(server, "POST", "/validate", body)
    assert status == 400
    st = status_body(raw)
    assert st["reason"] == "BadRequest"
    assert st["message"].startswith(message), st["message"]


def test_object_not_ours_is_denied(server):
    rv = review({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "d"}})
    rv["request"]["kind"] = {"group": "apps", "version": "v1", "kind": "Deployment"}
    status, _, raw = raw_request(server, "POST", "/validate", body_of(rv))
    assert status == 200
    resp = json.loads(raw)["response"]
    assert resp["uid"] == rv["request"]["uid"]
    assert resp["allowed"] is False
    assert resp["status"]["code"] == 400
    assert resp["status"]["message"] == ("this webhook admits AiGateway, ToolGateway and ToolRoute of "
                                         "runtime.agentic-layer.ai/v1alpha1, not apps/v1, Kind=Deployment")


# --- verdicts over the wire -----------------------------------------------------

def test_validate_mutate_preview(server):
    s = requests.Session()
    s.trust_env = False        # REQUESTS_CA_BUNDLE would override verify
    s.verify = str(server.ca)
    bad = aigateway(name="bad", models=[("gpt-4o", "openai"), ("gpt-4o", "opnai")], port=0)
    r = s.post(f"{server.url}/validate", data=body_of(review(bad)), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    resp = r.json()["response"]
    assert resp["allowed"] is False
    assert resp["status"]["code"] == 422 and resp["status"]["reason"] == "Invalid"
    assert resp["status"]["message"] == (
        'AiGateway.runtime.agentic-layer.ai "bad" is invalid: [spec.port: Invalid value: 0: must be between 1 '
        'and 65535, spec.aiModels[1].name: Duplicate value: "gpt-4o"]')
    assert [(c["field"], c["reason"]) for c in resp["status"]["details"]["causes"]] == [
        ("spec.port", "FieldValueInvalid"), ("spec.aiModels[1].name", "FieldValueDuplicate")]
    assert resp["warnings"] == ['spec.aiModels[1].provider: Invalid value: "opnai": not a provider LiteLLM '
                                f'{resp["warnings"][0].split("LiteLLM ")[1].split(" ")[0]} knows; did you mean '
                                '"openai"?']

    gw = aigateway(guardrails=[{"name": "pii"}])
    r = s.post(f"{server.url}/mutate", data=body_of(review(gw)), headers={"Content-Type": "application/json"})
    resp = r.json()["response"]
    assert resp["allowed"] is True and resp["patchType"] == "JSONPatch"
    import base64
    # Defaults only outside what the user owns: the guardrail reference stays
    # as written (the controller resolves its namespace).
    assert json.loads(base64.b64decode(resp["patch"])) == [
        {"op": "add", "path": "/spec/port", "value": 80}]

    gw = aigateway()
    gw["metadata"]["annotations"] = {"ai-gateway-litellm.agentic-layer.ai/config-patch":
                                     "litellm_settings:\n  request_timeout: 30\n"}
    r = s.post(f"{server.url}/preview", data=json.dumps(gw), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert "  request_timeout: 30\n" in r.text
    assert r.headers["Warning"] == ('299 - "metadata.annotations[ai-gateway-litellm.agentic-layer.ai/config-patch]: '
                                    'overrides litellm_settings.request_timeout: 600 -> 30"')

    m = server.metrics()
    assert ('litellm_gateway_operator_webhook_requests_total{endpoint="validate",kind="AiGateway",'
            'operation="CREATE",verdict="denied"} 1') in m
    assert ('litellm_gateway_operator_webhook_requests_total{endpoint="mutate",kind="AiGateway",'
            'operation="CREATE",verdict="patched"} 1') in m
    assert 'litellm_gateway_operator_webhook_request_duration_seconds_count{endpoint="validate"} 1' in m


def test_health_endpoints(server):
    assert server.health("/healthz") == (200, "ok\n")
    assert server.health("/readyz") == (200, "ok\n")
    assert server.health("/nope")[0] == 404
    m = server.metrics()
    assert "# TYPE litellm_gateway_operator_webhook_request_duration_seconds histogram" in m
    assert "litellm_gateway_operator_webhook_requests_in_flight 0" in m
    expiry = server.metric("litellm_gateway_operator_webhook_certificate_expiry_timestamp_seconds")
    assert expiry > time.time() + 20 * 86400


# --- TLS ----------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1], ids=["TLSv1.0", "TLSv1.1"])
def test_old_tls_refused(server, version):
    """The handshake fails (GnuTLS drops the connection); the same client
    allowed TLS 1.2 succeeds, so it is the version that was refused."""
    ctx = client_context(server.ca, minimum=version, maximum=version)
    # Let this client offer the old protocol at all (OpenSSL's default
    # security level would refuse before the server is asked).
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        with tls_connect(server.port, server.ca, ctx=ctx):
            pass
    ctx = client_context(server.ca, minimum=version, maximum=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with tls_connect(server.port, server.ca, ctx=ctx) as s:
        assert s.version() == "TLSv1.2"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["TLSv1.2", "TLSv1.3"])
def test_tls12_and_13_accepted(server, version):
    ctx = client_context(server.ca, minimum=version, maximum=version)
    with tls_connect(server.port, server.ca, ctx=ctx) as s:
        assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        s.sendall(request_bytes("POST", "/validate", body_of(review(aigateway()))))
        status, _, body = read_response(s)
        assert status == 200 and json.loads(body)["response"]["allowed"] is True


def test_rsa_certificate(tmp_path):
    """cert-manager may issue RSA as well as ECDSA keys."""
    certs = gen_certs(tmp_path / "rsa", key_type="rsa")
    srv = WebhookServer(tmp_path, cert_dir=certs).start()
    try:
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = client_context(srv.ca, minimum=version, maximum=version)
            with tls_connect(srv.port, srv.ca, ctx=ctx) as s:
                s.sendall(request_bytes("POST", "/validate", body_of(review(aigateway()))))
                assert read_response(s)[0] == 200
    finally:
        assert srv.stop() == 0


# --- slow clients -----------------------------------------------------------------

def test_slow_loris_does_not_block_others(tmp_path):
    srv = WebhookServer(tmp_path, extra=["--threads", "2", "--idle-timeout", "3"]).start()
    stalled = []
    stop = threading.Event()
    try:
        # Connections that never start the TLS handshake.
        for _ in range(40):
            stalled.append(socket.create_connection(("127.0.0.1", srv.port)))
        # Connections trickling their headers, one byte a second.
        trickling = []
        for _ in range(30):
            s = tls_connect(srv.port, srv.ca)
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
            trickling.append(s)

        def trickle():
            while not stop.wait(1.0):
                for s in trickling:
                    try:
                        s.sendall(b"X")
                    except OSError:
                        pass
        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        # Connections whose body stops halfway.
        for _ in range(30):
            s = tls_connect(srv.port, srv.ca)
            s.sendall(request_bytes("POST", "/validate", content_length=1000) + b"{" * 10)
            stalled.append(s)
        stalled.extend(trickling)

        body = body_of(review(aigateway()))
        worst = 0.0
        for _ in range(20):
            t0 = time.monotonic()
            status, _, raw = raw_request(srv, "POST", "/validate", body)
            worst = max(worst, time.monotonic() - t0)
            assert status == 200 and json.loads(raw)["response"]["allowed"] is True
        assert worst < 1.0, f"a normal request took {worst:.2f}s next to 100 slow clients"

        # Silent connections are closed by the idle timeout.
        s = tls_connect(srv.port, srv.ca)
        s.settimeout(15)
        t0 = time.monotonic()
        assert s.recv(1) == b""
        assert 2.0 < time.monotonic() - t0 < 10
        s.close()
    finally:
        stop.set()
        for s in stalled:
            s.close()
        assert srv.stop() == 0


# --- certificate rotation -------------------------------------------------------------

def peer_der(port, cafile):
    with tls_connect(port, cafile) as s:
        return s.getpeercert(binary_form=True)


def pem_to_der(path):
    return ssl.PEM_cert_to_DER_cert(path.read_text().split("-----END CERTIFICATE-----")[0] +
                                    "-----END CERTIFICATE-----\n")


def test_certificate_rotation_under_load(tmp_path):
    serving = gen_certs(tmp_path / "serving")
    fresh = gen_certs(tmp_path / "fresh")      # a new CA and a new pair
    bundle = tmp_path / "both-cas.pem"
    bundle.write_text((serving / "ca.crt").read_text() + (fresh / "ca.crt").read_text())
    old_der = pem_to_der(serving / "tls.crt")
    new_der = pem_to_der(fresh / "tls.crt")
    srv = WebhookServer(tmp_path, cert_dir=serving, extra=["--threads", "2"]).start()
    assert peer_der(srv.port, serving / "ca.crt") == old_der

    body = body_of(review(aigateway()))
    stop = threading.Event()
    results = {"ok": 0, "failed": []}
    lock = threading.Lock()

    def load(keep_alive):
        sess = requests.Session() if keep_alive else None
        if sess:
            sess.trust_env = False
        while not stop.is_set():
            try:
                if sess:
                    r = sess.post(f"{srv.url}/validate", data=body, verify=str(bundle),
                                  headers={"Content-Type": "application/json"}, timeout=10)
                else:
                    r = requests.post(f"{srv.url}/validate", data=body, verify=str(bundle),
                                      headers={"Content-Type": "application/json", "Connection": "close"},
                                      timeout=10)
                ok = r.status_code == 200 and r.json()["response"]["allowed"] is True
                with lock:
                    if ok:
                        results["ok"] += 1
                    else:
                        results["failed"].append(f"{r.status_code} {r.text[:200]}")
            except Exception as e:  # every failure counts
                with lock:
                    results["failed"].append(repr(e))

    threads = [threading.Thread(target=load, args=(i % 2 == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        # Rename both files in (what the kubelet's atomic writer amounts to).
        for f in ("tls.key", "tls.crt"):
            shutil.copy(fresh / f, serving / f".{f}.new")
        (serving / ".tls.crt.new").rename(serving / "tls.crt")
        (serving / ".tls.key.new").rename(serving / "tls.key")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and peer_der(srv.port, bundle) != new_der:
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        assert results["failed"] == [], results["failed"][:5]
        assert results["ok"] > 100
        assert peer_der(srv.port, fresh / "ca.crt") == new_der
        assert srv.metric('litellm_gateway_operator_webhook_certificate_reloads_total{result="success"}') == 1
        # The old CA (serving/ca.crt was left alone) no longer verifies.
        with pytest.raises(ssl.SSLCertVerificationError):
            peer_der(srv.port, serving / "ca.crt")
    finally:
        assert srv.stop() == 0


def test_half_written_pair_keeps_the_old_certificate(tmp_path):
    """A writer that replaces the key first: until the certificate matches,
    the server keeps serving the old pair, then switches."""
    serving = gen_certs(tmp_path / "serving")
    fresh = gen_certs(tmp_path / "fresh")
    old_der = pem_to_der(serving / "tls.crt")
    new_der = pem_to_der(fresh / "tls.crt")
    srv = WebhookServer(tmp_path, cert_dir=serving).start()
    try:
        (serving / "tls.key").write_bytes((fresh / "tls.key").read_bytes())   # in place, no rename
        time.sleep(2.5)
        bundle = tmp_path / "both.pem"
        bundle.write_text((serving / "ca.crt").read_text() + (fresh / "ca.crt").read_text())
        assert peer_der(srv.port, bundle) == old_der
        status, _, _ = raw_request(srv, "POST", "/validate", body_of(review(aigateway())))
        assert status == 200
        assert "do not load, still serving the previous certificate" in srv.log_text()
        assert srv.metric('litellm_gateway_operator_webhook_certificate_reloads_total{result="failure"}') >= 1
        (serving / "tls.crt").write_bytes((fresh / "tls.crt").read_bytes())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and peer_der(srv.port, bundle) != new_der:
            time.sleep(0.1)
        assert peer_der(srv.port, bundle) == new_der
    finally:
        assert srv.stop() == 0


# --- shutdown ---------------------------------------------------------------------

def test_sigterm_finishes_requests_in_flight(tmp_path):
    srv = WebhookServer(tmp_path, extra=["--threads", "2"]).start()
    body = body_of(review(aigateway()))
    half = len(body) // 2
    socks = []
    for _ in range(5):
        s = tls_connect(srv.port, srv.ca)
        s.sendall(request_bytes("POST", "/validate", body[:half], content_length=len(body)))
        socks.append(s)
    deadline = time.monotonic() + 5
    while srv.metric("litellm_gateway_operator_webhook_requests_in_flight") < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.metric("litellm_gateway_operator_webhook_requests_in_flight") == 5

    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert srv.proc.poll() is None, "serve exited with requests in flight"
    # It stopped accepting: new connections are refused at once...
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    # ...and says it is not ready while it drains.
    assert srv.health("/readyz") == (503, "not ready: shutting down\n")

    for s in socks:
        s.sendall(body[half:])
    for s in socks:
        status, headers, raw = read_response(s)
        assert status == 200
        assert json.loads(raw)["response"]["allowed"] is True
        assert headers.get("connection") == ["close"]
        s.close()
    assert srv.proc.wait(timeout=10) == 0
    assert "SIGTERM received, draining requests in flight" in srv.log_text()
    assert srv.stop() == 0
