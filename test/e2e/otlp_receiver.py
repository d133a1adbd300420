"""A local OTLP/HTTP trace receiver, for LiteLLM's otel callback to export to.

OTLPReceiver listens on a free loopback port (threaded stdlib HTTP server in
the test process) and accepts POST /v1/traces with an ExportTraceServiceRequest
as protobuf (application/x-protobuf, what the OTLP/HTTP exporter sends) or as
OTLP JSON (application/json), plain or gzip-compressed. Every span is kept as
a `Span` (the resource's service.name, the span name, the request path);
every request, accepted or not, is kept in `requests` as (method, path,
status). Protobuf is decoded with opentelemetry-proto when it is installed,
else by a small reader of the protobuf wire format that knows just the fields
needed here.
"""
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 16 << 20

try:
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
except ImportError:  # the wire-format reader below does the job
    trace_service_pb2 = None


class Span:
    def __init__(self, service, name, path, attributes):
        self.service, self.name, self.path, self.attributes = service, name, path, attributes

    def __repr__(self):
        return f"<Span {self.service}: {self.name!r} via {self.path}>"


# --- protobuf -----------------------------------------------------------------

def _varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of one message: bytes for LEN fields."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated field")
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


def _wire_string_attrs(resource):
    """Resource.attributes (1) -> KeyValue{key 1, value 2: AnyValue{string_value 1}}."""
    out = {}
    for num, wt, kv in _fields(resource):
        if num != 1 or wt != 2:
            continue
        key = val = None
        for n2, w2, v2 in _fields(kv):
            if n2 == 1 and w2 == 2:
                key = v2.decode("utf-8", "replace")
            elif n2 == 2 and w2 == 2:
                for n3, w3, v3 in _fields(v2):
                    if n3 == 1 and w3 == 2:
                        val = v3.decode("utf-8", "replace")
        if key is not None:
            out[key] = val
    return out


def _decode_wire(body):
    """ExportTraceServiceRequest{resource_spans 1: ResourceSpans{resource 1,
    scope_spans 2: ScopeSpans{spans 2: Span{name 5}}}} -> [(attrs, span name, {})]."""
    out = []
    for num, wt, rs in _fields(body):
        if num != 1 or wt != 2:
            continue
        attrs, names = {}, []
        for n2, w2, v2 in _fields(rs):
            if n2 == 1 and w2 == 2:
                attrs = _wire_string_attrs(v2)
            elif n2 == 2 and w2 == 2:
                for n3, w3, span in _fields(v2):
                    if n3 == 2 and w3 == 2:
                        names += [v.decode("utf-8", "replace") for n4, w4, v in _fields(span)
                                  if n4 == 5 and w4 == 2]
        out += [(attrs, name, {}) for name in names]
    return out


def _decode_pb(body):
    if trace_service_pb2 is None:
        return _decode_wire(body)
    req = trace_service_pb2.ExportTraceServiceRequest()
    req.ParseFromString(body)
    out = []
    for rs in req.resource_spans:
        attrs = {a.key: a.value.string_value for a in rs.resource.attributes}
        for ss in rs.scope_spans:
            for sp in ss.spans:
                out.append((attrs, sp.name, {a.key: a.value.string_value for a in sp.attributes
                                             if a.value.HasField("string_value")}))
    return out


# --- OTLP JSON ----------------------------------------------------------------

def _json_attrs(items):
    return {a.get("key"): (a.get("value") or {}).get("stringValue") for a in items or []}


def _decode_json(body):
    doc = json.loads(body)
    out = []
    for rs in doc.get("resourceSpans") or []:
        attrs = _json_attrs((rs.get("resource") or {}).get("attributes"))
        for ss in rs.get("scopeSpans") or []:
            for sp in ss.get("spans") or []:
                out.append((attrs, sp.get("name"), _json_attrs(sp.get("attributes"))))
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class OTLPReceiver:
    def __init__(self, name="otlp"):
        self.name = name
        self.spans = []
        self.requests = []
        self._lock = threading.Lock()
        recv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self, status, ctype, body):
                with recv._lock:
                    recv.requests.append((self.command, self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n > MAX_BODY:
                    return self._answer(413, "text/plain", b"too large")
                body = self.rfile.read(n)
                if self.path.split("?")[0] != "/v1/traces":
                    return self._answer(404, "text/plain", b"not found")
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                try:
                    if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                        body = gzip.decompress(body)
                    if ctype == "application/json":
                        found, reply, rtype = _decode_json(body), b"{}", "application/json"
                    elif ctype == "application/x-protobuf":
                        found, reply, rtype = _decode_pb(body), b"", "application/x-protobuf"
                    else:
                        return self._answer(415, "text/plain", b"unsupported media type")
                except Exception as e:  # noqa: BLE001  (a bad body is the sender's bug: say so)
                    return self._answer(400, "text/plain", f"bad request: {type(e).__name__}".encode())
                with recv._lock:
                    recv.spans += [Span(attrs.get("service.name"), name, self.path, sattrs)
                                   for attrs, name, sattrs in found]
                self._answer(200, rtype, reply)

            def do_GET(self):
                self._answer(405, "text/plain", b"POST only")

        self._srv = _Server(("127.0.0.1", 0), Handler)
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        """The base URL an OTLP/HTTP exporter is given (it appends /v1/traces)."""
        return f"http://127.0.0.1:{self.port}"

    def spans_of(self, service):
        with self._lock:
            return [s for s in self.spans if s.service == service]

    def services(self):
        with self._lock:
            return sorted({str(s.service) for s in self.spans})

    def stop(self):
        self._srv.shutdown()
        self._srv.server_close()
