"""Tracing injected, end to end: the operator runs with --otlp-endpoint
pointing at a local OTLP/HTTP receiver; real LiteLLM, played as each
gateway's pod with the rendered config and env, answers a chat completion
from the fake OpenAI upstream and exports its spans, which the receiver
decodes. A gateway whose config patch sets its own endpoint sends its spans
there, not to the operator's; one that empties it gets no tracing at all.

The suite's operator (without --otlp-endpoint) is paused while this module's
operator runs, so that only one controller writes the gateways."""
import secrets
import time

import pytest

import gateways as gw_mod
from conftest import post_json
from otlp_receiver import OTLPReceiver, _decode_pb, _decode_wire

SFX = secrets.token_hex(3)
PATCH = "ai-gateway-litellm.agentic-layer.ai/config-patch"
OTEL_ENV = ("OTEL_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME")
# LiteLLM's span exporter batches: one schedule delay is 5 s.
EXPORT_WAIT = 90


def test_tracing_receiver_reads_the_protobuf_wire_format():
    """The receiver's fallback reader agrees with opentelemetry-proto (the
    tests below decode with the latter when it is installed)."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "gw-x"
    rs.resource.attributes.add(key="host.arch").value.int_value = 7
    ss = rs.scope_spans.add()
    for name in ("litellm_request", "raw_gen_ai_request"):
        sp = ss.spans.add()
        sp.name, sp.trace_id, sp.span_id, sp.kind = name, b"\x01" * 16, b"\x02" * 8, 2
    body = req.SerializeToString()
    assert [(a.get("service.name"), n) for a, n, _ in _decode_wire(body)] == \
        [(a.get("service.name"), n) for a, n, _ in _decode_pb(body)] == \
        [("gw-x", "litellm_request"), ("gw-x", "raw_gen_ai_request")]


def test_tracing_receiver_accepts_protobuf_gzip_and_json_and_refuses_the_rest():
    import gzip
    import json
    import urllib.error
    import urllib.request
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    def post(url, body, ctype, encoding=None):
        headers = {"Content-Type": ctype, **({"Content-Encoding": encoding} if encoding else {})}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = "gw-pb"
    rs.scope_spans.add().spans.add(name="pb-span")
    doc = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
                                                           "value": {"stringValue": "gw-json"}}]},
                              "scopeSpans": [{"spans": [{"name": "json-span"}]}]}]}
    r = OTLPReceiver("unit")
    try:
        assert post(f"{r.url}/v1/traces", gzip.compress(req.SerializeToString()),
                    "application/x-protobuf", "gzip") == 200
        assert post(f"{r.url}/v1/traces", json.dumps(doc).encode(), "application/json") == 200
        assert post(f"{r.url}/v1/metrics", b"", "application/x-protobuf") == 404
        assert post(f"{r.url}/v1/traces", b"x", "text/plain") == 415
        assert post(f"{r.url}/v1/traces", b"\xff\xff", "application/x-protobuf") == 400
        assert [(s.service, s.name) for s in r.spans] == [("gw-pb", "pb-span"), ("gw-json", "json-span")]
    finally:
        r.stop()


@pytest.fixture(scope="module")
def receivers():
    a, b = OTLPReceiver("operator-default"), OTLPReceiver("patched")
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def traced_driver(cluster, operator_bin, gateways, receivers, tmp_path_factory):
    """The operator (or its offline render) with --otlp-endpoint <receiver a>."""
    gateways.close()
    d = gw_mod.make_driver(cluster, operator_bin, tmp_path_factory.mktemp("gateways-otlp"),
                           ["--otlp-endpoint", receivers[0].url])
    try:
        yield d
    finally:
        d.close()
        gateways.start()


def _gateway(ns, name, patch=None):
    ann = ""
    if patch is not None:
        body = "\n".join("      " + line for line in patch.strip().splitlines())
        ann = f"\n  annotations:\n    {PATCH}: |\n{body}"
    return f"""
apiVersion: runtime.agentic-layer.ai/v1alpha1
kind: AiGateway
metadata:
  name: {name}
  namespace: {ns}{ann}
spec:
  aiGatewayClassName: litellm
  port: 80
  aiModels:
  - {{name: gpt-4o, provider: openai}}
  envFrom:
  - prefix: OPENAI_
    configMapRef: {{name: upstream}}
"""


@pytest.fixture(scope="module")
def traced(traced_driver, namespace, pods, llm, receivers, cluster):
    ns = namespace(f"e2e-trace-{SFX}")
    a, b = receivers
    elsewhere = f"environment_variables:\n  OTEL_EXPORTER_OTLP_ENDPOINT: {b.url}"
    off = 'environment_variables:\n  OTEL_EXPORTER_OTLP_ENDPOINT: ""'
    traced_driver.apply(f"""
apiVersion: v1
kind: Secret
metadata: {{name: api-key-secrets, namespace: {ns}}}
stringData:
  OPENAI_API_KEY: sk-e2e-trace-{secrets.token_hex(6)}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: upstream, namespace: {ns}}}
data:
  BASE_URL: {llm.url}/v1
---
{_gateway(ns, "traced")}
---
{_gateway(ns, "traced-elsewhere", elsewhere)}
---
{_gateway(ns, "untraced", off)}
""")
    rendered = {n: traced_driver.sync("AiGateway", ns, n) for n in ("traced", "traced-elsewhere", "untraced")}
    started = {n: pods(ns, n) for n in ("traced", "traced-elsewhere")}
    yield type("T", (), dict(ns=ns, rendered=rendered, pods=started, a=a, b=b))
    for p in started.values():
        p.stop()
    cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def _env(rendered):
    c = rendered.deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in c.get("env") or []}


def _chat(t, name):
    marker = f"trace me {name} {secrets.token_hex(4)}"
    status, body = post_json(f"{t.pods[name].url}/v1/chat/completions",
                             {"model": "gpt-4o", "messages": [{"role": "user", "content": marker}]},
                             {"Authorization": f"Bearer {t.ns}/tracing-agent"})
    assert status == 200, body
    assert marker in body["choices"][0]["message"]["content"]


def _completion_spans(spans):
    """The spans of a chat completion: LiteLLM's request span names the model.
    (The server also traces its readiness probes, so any span will not do.)"""
    return [s for s in spans if s.name == "litellm_request"
            and any("gpt-4o" in (v or "") for v in s.attributes.values())]


def _wait_completion_spans(receiver, service, pod):
    deadline = time.monotonic() + EXPORT_WAIT
    while time.monotonic() < deadline:
        spans = _completion_spans(receiver.spans_of(service))
        if spans:
            return spans
        time.sleep(0.5)
    raise AssertionError(f"no chat completion span with service.name={service!r} reached {receiver.name} at "
                         f"{receiver.url} within {EXPORT_WAIT}s; services seen: {receiver.services()}; "
                         f"span names: {sorted({s.name for s in receiver.spans_of(service)})}; requests: "
                         f"{receiver.requests[-10:]}; LiteLLM log tail:\n{pod.log_text()[-2500:]}")


def test_tracing_rendered_config_and_env(traced):
    a, b = traced.a, traced.b
    for name, endpoint in (("traced", a.url), ("traced-elsewhere", b.url)):
        r = traced.rendered[name]
        assert "otel" in r.config["litellm_settings"]["callbacks"], r.config
        env = _env(r)
        assert (env.get("OTEL_EXPORTER"), env.get("OTEL_EXPORTER_OTLP_ENDPOINT"), env.get("OTEL_SERVICE_NAME")) \
            == ("otlp_http", endpoint, name), env
    off = traced.rendered["untraced"]
    assert "otel" not in ((off.config.get("litellm_settings") or {}).get("callbacks") or [])
    assert not set(OTEL_ENV) & set(_env(off)), _env(off)


def test_tracing_chat_completion_spans_reach_the_operators_endpoint(traced, llm):
    _chat(traced, "traced")
    spans = _wait_completion_spans(traced.a, "traced", traced.pods["traced"])
    assert all(s.path == "/v1/traces" for s in spans)


def test_tracing_patched_endpoint_gets_that_gateways_spans_and_the_default_none(traced):
    _chat(traced, "traced-elsewhere")
    spans = _wait_completion_spans(traced.b, "traced-elsewhere", traced.pods["traced-elsewhere"])
    assert all(s.path == "/v1/traces" for s in spans)
    # One more export period: nothing of this gateway's arrives at the default.
    time.sleep(6)
    assert not traced.a.spans_of("traced-elsewhere"), traced.a.spans_of("traced-elsewhere")
    assert not traced.b.spans_of("traced"), traced.b.spans_of("traced")
