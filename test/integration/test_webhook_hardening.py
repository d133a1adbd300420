"""The webhook on its own, hardened: it serves with no reachable API server,
stops at once when idle and can be restarted on the same port right away,
refuses ambiguous request framing, bare LF line ends, obs-fold and CBC suites, keeps user text out of
the log's structure, and exposes controller-runtime's and process metrics
in valid Prometheus text.

Needs no control plane: only `serve`.
"""
import json
import os
import pathlib
import socket
import ssl
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from webhook_support import (WebhookServer, aigateway, body_of, client_context, free_port, raw_request,
                             read_response, request_bytes, review, tls_connect)


@pytest.fixture
def server(tmp_path):
    srv = WebhookServer(tmp_path, extra=["--threads", "2"]).start()
    yield srv
    srv.stop()


def closed_port_kubeconfig(path):
    """A kubeconfig whose server listens nowhere."""
    port = free_port()
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}}}]
users: [{{name: u, user: {{token: nothing}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
current-context: c
""")
    return path


# --- standing alone -------------------------------------------------------------

def test_serves_while_the_api_server_is_unreachable(tmp_path):
    """With the controller on and the API server nowhere, the webhook port
    serves within seconds; /readyz says why it is not ready; the controller
    is retried and says so in the log and the metrics; SIGTERM still stops
    the process at once."""
    kc = closed_port_kubeconfig(tmp_path / "kubeconfig")
    srv = WebhookServer(tmp_path, extra=["--threads", "2"])
    # Not the --controller=false / --ownership=all of webhook-only tests.
    srv.start_unready = True
    srv._log = open(srv.log_path, "ab")
    t0 = time.monotonic()
    srv.proc = subprocess.Popen(
        [__import__("webhook_support").operator_bin(), "serve", "--cert-dir", str(srv.cert_dir), "--bind",
         "127.0.0.1", "--webhook-port", str(srv.port), "--health-port", str(srv.health_port),
         "--kubeconfig", str(kc), "--log-format", "json"],
        stdout=srv._log, stderr=subprocess.STDOUT)
    try:
        bad = aigateway(name="bad", port=0)
        answer = None
        while time.monotonic() - t0 < 20 and answer is None:
            assert srv.proc.poll() is None, srv.log_text()
            try:
                answer = raw_request(srv, "POST", "/validate", body_of(review(bad)))
            except OSError:
                time.sleep(0.1)
        assert answer is not None, f"the webhook port never answered:\n{srv.log_text()}"
        status, _, raw = answer
        assert status == 200
        resp = json.loads(raw)["response"]
        # Ownership cannot be known: the contract's own rules still refuse
        # a port of 0 (the CRD's range), LiteLLM's are not applied.
        assert resp["allowed"] is False and "spec.port" in resp["status"]["message"]
        code, text = srv.health("/readyz")
        assert code == 503 and "cache of AiGatewayClasses is not synced" in text, text
        assert srv.health("/healthz")[0] == 200
        # The controller keeps retrying, in the log and in the metrics: it
        # started (its informers back off and retry on their own) but none of
        # its caches is synced, and class start-up says it retries.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "could not ensure the litellm classes; retrying" in srv.log_text():
                break
            time.sleep(0.5)
        m = srv.metrics()
        assert "litellm_gateway_operator_controller_caches_synced 0" in m, m
        assert "could not ensure the litellm classes; retrying" in srv.log_text(), srv.log_text()
        t_stop = time.monotonic()
        assert srv.stop() == 0
        print(f"stop while the controller is being retried: {time.monotonic() - t_stop:.2f}s")
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()


def test_quick_restart_binds_the_same_port(tmp_path):
    """Stop an idle webhook and start another on the same ports at once:
    no "Address already in use", even with a connection left in TIME_WAIT."""
    srv = WebhookServer(tmp_path, extra=["--threads", "2"]).start()
    # A finished exchange leaves the server's side of the connection in
    # TIME_WAIT when the server closes first (Connection: close).
    status, _, _ = raw_request(srv, "POST", "/validate", b"{}", extra_headers=["Connection: close"])
    assert status == 400
    t0 = time.monotonic()
    assert srv.stop() == 0
    took = time.monotonic() - t0
    print(f"idle stop took {took:.3f}s")
    again = WebhookServer(tmp_path, cert_dir=srv.cert_dir, name="again", extra=["--threads", "2"])
    again.port, again.health_port = srv.port, srv.health_port
    again.start(timeout=10)
    try:
        assert raw_request(again, "POST", "/validate", b"{}")[0] == 400
    finally:
        again.stop()
    assert "Address already in use" not in again.log_text()


# --- request framing ------------------------------------------------------------

FRAMING = {
    "differing-content-length": (["Content-Length: 2", "Content-Length: 3"], b"{}", False),
    "content-length-and-chunked": (["Content-Length: 2", "Transfer-Encoding: chunked"], b"2\r\n{}\r\n0\r\n\r\n",
                                   False),
    "unknown-transfer-encoding": (["Transfer-Encoding: gzip"], b"", False),
    "chunked-then-gzip": (["Transfer-Encoding: chunked, gzip"], b"", False),
}


@pytest.mark.parametrize("case", sorted(FRAMING))
def test_ambiguous_framing_is_refused_and_closed(server, case):
    headers, body, _ = FRAMING[case]
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", body, content_length=False, extra_headers=headers))
        t0 = time.monotonic()
        status, hdrs, raw = read_response(s, timeout=5)
        assert status == 400, raw
        # libmicrohttpd >= 0.9.77 at strictness 1 refuses a Transfer-Encoding
        # other than chunked, and one next to a Content-Length, itself with an
        # HTML page of its own; everything else reaches the handler's check.
        if raw.startswith(b"{"):
            assert "framing" in json.loads(raw)["message"]
        else:
            assert case != "differing-content-length" and b"Transfer-Encoding" in raw, raw
        assert hdrs.get("connection") == ["close"]
        # and the server closes: nothing more is read from this stream.
        s.settimeout(5)
        try:
            assert s.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            pass
        assert time.monotonic() - t0 < 5


def test_identical_duplicate_content_length_is_one_length(server):
    body = body_of(review(aigateway()))
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", body,
                                extra_headers=[f"Content-Length: {len(body)}"]))
        status, _, raw = read_response(s)
    assert status == 200 and json.loads(raw)["response"]["allowed"] is True


LINE_BREAKS = {
    # Every line of the head ends in a bare LF.
    "bare-lf": lambda body: request_bytes("POST", "/validate", body).replace(b"\r\n", b"\n"),
    # Only the request line does.
    "bare-lf-request-line": lambda body: request_bytes("POST", "/validate", body).replace(b"\r\n", b"\n", 1),
    # An obs-fold continuation of a header (SP or HTAB at the start of a line).
    "obs-fold-space": lambda body: request_bytes("POST", "/validate", body,
                                                 extra_headers=["X-Note: first", " continued"]),
    "obs-fold-tab": lambda body: request_bytes("POST", "/validate", body,
                                               extra_headers=["X-Note: first", "\tcontinued"]),
}


def test_the_same_request_with_crlf_is_served(server):
    body = body_of(review(aigateway()))
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request_bytes("POST", "/validate", body, extra_headers=["X-Note: first"]))
        status, _, raw = read_response(s)
    assert status == 200 and json.loads(raw)["response"]["allowed"] is True


@pytest.mark.parametrize("case", sorted(LINE_BREAKS))
def test_bare_lf_and_obs_fold_are_refused_and_closed(server, case):
    """A request that would be allowed with CRLF line ends and no folding is
    answered 400 and the connection closed."""
    request = LINE_BREAKS[case](body_of(review(aigateway())))
    with tls_connect(server.port, server.ca) as s:
        s.sendall(request)
        t0 = time.monotonic()
        status, hdrs, raw = read_response(s, timeout=5)
        assert status == 400, raw
        assert hdrs.get("connection") == ["close"], hdrs
        s.settimeout(5)
        try:
            assert s.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            pass
        assert time.monotonic() - t0 < 5


# --- TLS --------------------------------------------------------------------------

CBC_SHA1 = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
            "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256", "AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256"]


@pytest.mark.parametrize("cipher", CBC_SHA1)
def test_tls12_offers_no_cbc_sha1_or_rsa_kx(server, cipher):
    ctx = client_context(server.ca, minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers(cipher)
    with pytest.raises(ssl.SSLError):
        with tls_connect(server.port, server.ca, ctx=ctx):
            pass


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                    "ECDHE-ECDSA-CHACHA20-POLY1305"])
def test_tls12_aead_suites_work(server, cipher):
    ctx = client_context(server.ca, minimum=ssl.TLSVersion.TLSv1_2, maximum=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers(cipher)
    with tls_connect(server.port, server.ca, ctx=ctx) as s:
        assert s.cipher()[0] == cipher
        s.sendall(request_bytes("POST", "/validate", body_of(review(aigateway()))))
        assert read_response(s)[0] == 200


# --- logs ----------------------------------------------------------------------------

def test_user_text_cannot_forge_a_log_line(tmp_path):
    srv = WebhookServer(tmp_path, extra=["--threads", "2", "--log-format", "json", "--log-requests"]).start()
    try:
        forged = 'AiGateway\n{"level":"error","msg":"forged"}'
        rv = review(aigateway(name="x\ny"), kind=forged)
        status, _, raw = raw_request(srv, "POST", "/validate", body_of(rv))
        assert status == 200 and json.loads(raw)["response"]["allowed"] is False
        bad = aigateway(name="evil")
        bad["spec"]["aiModels"][0]["name"] = 'm\n{"level":"error","msg":"forged too"}'
        raw_request(srv, "POST", "/validate", body_of(review(bad)))
    finally:
        srv.stop()
    lines = srv.log_text().splitlines()
    for line in lines:
        rec = json.loads(line)   # every line is one JSON record
        assert rec.get("msg") not in ("forged", "forged too"), line
    assert any("forged" in json.loads(line)["msg"] for line in lines), "the refusal was logged"


def test_text_log_format_and_verbosity(tmp_path):
    """--v 1 adds debug lines (an allowed request is one); the default does not."""
    logs = {}
    for v in ("0", "1"):
        srv = WebhookServer(tmp_path / v, extra=["--threads", "2", "--log-format", "text", "--v", v]).start()
        raw_request(srv, "POST", "/validate", body_of(review(aigateway())))
        srv.stop()
        logs[v] = srv.log_text()
    for text in logs.values():
        assert not text.lstrip().startswith("{")
        assert " INFO  webhook: loaded serving certificate" in text
    assert " DEBUG webhook: validate 200 AiGateway ai-gateway/main: allowed" in logs["1"], logs["1"]
    assert "DEBUG" not in logs["0"]


# --- metrics -------------------------------------------------------------------------

def test_metrics_parse_with_a_prometheus_parser(server):
    for _ in range(3):
        raw_request(server, "POST", "/validate", body_of(review(aigateway())))
    raw_request(server, "POST", "/validate", body_of(review(aigateway(port=0))))
    raw_request(server, "POST", "/mutate", b"{")
    # A request is counted when its answer has gone out, which can be just
    # after the client read it: wait until all five are.
    deadline = time.time() + 10
    while True:
        text = server.metrics()
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        counted = sum(s.value for s in fams["controller_runtime_webhook_requests"].samples
                      if s.name == "controller_runtime_webhook_requests_total")
        if counted >= 5 or time.time() > deadline:
            break
        time.sleep(0.05)
    # HELP and TYPE on each family.
    for name, fam in fams.items():
        assert fam.documentation, f"{name} has no HELP"
        assert fam.type in ("counter", "gauge", "histogram", "summary", "untyped"), name
        assert f"# TYPE {name}" in text or f"# TYPE {name}_total" in text, name
    def samples(fam_name, sample_name):
        return [s for s in fams[fam_name].samples if s.name == sample_name]
    req = {(s.labels["webhook"], s.labels["code"]): s.value
           for s in samples("controller_runtime_webhook_requests", "controller_runtime_webhook_requests_total")}
    assert req[("/validate", "200")] == 4
    assert req[("/mutate", "400")] == 1
    assert fams["controller_runtime_webhook_latency_seconds"].type == "histogram"
    count = samples("controller_runtime_webhook_latency_seconds", "controller_runtime_webhook_latency_seconds_count")
    assert {s.labels["webhook"]: s.value for s in count}["/validate"] == 4
    inf = [s for s in samples("controller_runtime_webhook_latency_seconds",
                              "controller_runtime_webhook_latency_seconds_bucket")
           if s.labels["webhook"] == "/validate" and s.labels["le"] == "+Inf"]
    assert inf[0].value == 4
    assert fams["controller_runtime_webhook_requests_in_flight"].type == "gauge"
    proc = {f: fams[f].samples[0].value for f in (
        "process_cpu_seconds", "process_resident_memory_bytes", "process_start_time_seconds",
        "process_open_fds", "process_max_fds", "process_virtual_memory_bytes")}
    assert proc["process_resident_memory_bytes"] > 1 << 20
    assert proc["process_virtual_memory_bytes"] >= proc["process_resident_memory_bytes"]
    assert abs(proc["process_start_time_seconds"] - time.time()) < 600
    assert 5 <= proc["process_open_fds"] <= proc["process_max_fds"]
    assert proc["process_cpu_seconds"] >= 0


# --- connections ----------------------------------------------------------------------

def test_silent_connections_time_out_from_the_first_byte(tmp_path):
    """TCP connections that never send a ClientHello, and one that stops in
    the middle of it, are closed after the handshake timeout."""
    srv = WebhookServer(tmp_path, extra=["--threads", "2", "--handshake-timeout", "2", "--idle-timeout", "30"]).start()
    try:
        socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(5)]
        socks[0].sendall(bytes.fromhex("1603010200010001fc0303"))
        t0 = time.monotonic()
        for s in socks:
            s.settimeout(15)
            try:
                assert s.recv(1) in (b"", bytes.fromhex("15")), "closed or a TLS alert"
            except ConnectionResetError:
                pass
            s.close()
        assert time.monotonic() - t0 < 15
        shed = "litellm_gateway_operator_webhook_connections_shed_total"
        deadline = time.monotonic() + 15
        while srv.metric(shed) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.metric(shed) >= 5
    finally:
        srv.stop()


def test_idle_connections_make_room_for_new_clients(tmp_path):
    """One address holding more idle connections than its limit, and the
    server holding more than its own: a new request from the same address
    still gets in, because the connections idle longest make room."""
    srv = WebhookServer(tmp_path, extra=["--threads", "2", "--per-ip-limit", "16", "--connection-limit", "64",
                                         "--handshake-timeout", "60", "--idle-timeout", "60"]).start()
    held = []
    try:
        for i in range(200):
            held.append(socket.create_connection(("127.0.0.1", srv.port)))
        for addr in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            for _ in range(40):
                s = socket.socket()
                s.bind((addr, 0))
                s.connect(("127.0.0.1", srv.port))
                held.append(s)
        for _ in range(5):
            status, _, raw = raw_request(srv, "POST", "/validate", body_of(review(aigateway())))
            assert status == 200 and json.loads(raw)["response"]["allowed"] is True
        assert srv.metric("litellm_gateway_operator_webhook_connections_shed_total") > 100
        assert srv.metric("litellm_gateway_operator_webhook_open_connections") <= 64
    finally:
        for s in held:
            s.close()
        srv.stop()


def test_a_client_that_made_requests_keeps_its_idle_connection(tmp_path):
    """A client idle on a connection that has served a request (the API
    server between two admission calls) is not the one shed when silent
    connections crowd the server: it reuses that connection without warning,
    and an HTTP client does not resend a POST the server closed under it.
    The silent connections go first, however much older the client's is."""
    srv = WebhookServer(tmp_path, extra=["--threads", "2", "--per-ip-limit", "16", "--connection-limit", "64",
                                         "--handshake-timeout", "60", "--idle-timeout", "60"]).start()
    held = []
    try:
        with tls_connect(srv.port, srv.ca) as kept:
            kept.sendall(request_bytes("POST", "/validate", body_of(review(aigateway()))))
            status, _, _ = read_response(kept)
            assert status == 200
            # Five addresses, 30 silent connections each: the per-address
            # limit keeps 16 of each, 80 in all, past the server's limit.
            for i in range(5):
                for _ in range(30):
                    s = socket.socket()
                    s.bind((f"127.0.0.{i + 2}", 0))
                    s.connect(("127.0.0.1", srv.port))
                    held.append(s)
            shed = "litellm_gateway_operator_webhook_connections_shed_total"
            deadline = time.monotonic() + 15
            while srv.metric(shed) < 5 * 14 + 16 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert srv.metric(shed) >= 5 * 14 + 16, "the server never came near its limit"
            for _ in range(3):
                kept.sendall(request_bytes("POST", "/validate", body_of(review(aigateway()))))
                status, _, raw = read_response(kept)
                assert status == 200 and json.loads(raw)["response"]["allowed"] is True
    finally:
        for s in held:
            s.close()
        srv.stop()


def test_sustained_keep_alive_load_loses_no_connection(tmp_path):
    """wrk over 16 keep-alive TLS connections for 30 s: not one connection
    is shut down under it and every answer arrives. (The connection keeper
    once read its clock before taking its lock; a time stamp a request
    thread wrote meanwhile was later than that reading, the unsigned
    difference wrapped around, and a connection that had just started a
    request was shut as timed out: about one read error per 16 s of this
    load.)"""
    srv = WebhookServer(tmp_path, extra=["--threads", "2"]).start()
    try:
        body = tmp_path / "review.json"
        body.write_bytes(body_of(review(aigateway())))
        lua = pathlib.Path(__file__).resolve().parents[1] / "harness" / "wrk-post.lua"
        p = subprocess.run(["wrk", "-t2", "-c16", "-d30s", "-s", str(lua), f"https://127.0.0.1:{srv.port}/validate"],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, WH_BENCH_BODY=str(body)))
        assert p.returncode == 0, p.stderr
        line = next(x for x in p.stdout.splitlines() if x.startswith("WH_BENCH_JSON "))
        figures = json.loads(line.split(" ", 1)[1])
        assert figures["requests"] > 1000, figures
        assert figures["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, figures
        assert srv.metric("litellm_gateway_operator_webhook_connections_shed_total") == 0
    finally:
        srv.stop()
