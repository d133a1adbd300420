"""Local upstreams that speak the real protocols, for LiteLLM to call.

Each fake is a threaded stdlib HTTP server on a free loopback port, started
in the test process, so a test can read what reached it:

  FakeLLM        OpenAI-compatible: GET /v1/models, POST /v1/chat/completions
                 (stream=true answers with server-sent events), and
                 Anthropic's POST /v1/messages (plain and streamed); also
                 POST /v1/moderations, flagging input that contains the
                 trigger word (so one class serves the moderation guard).
  FakePresidio   Presidio's analyzer (POST /analyze) and anonymizer
                 (POST /anonymize) in one server, finding e-mail addresses,
                 phone numbers and credit card numbers with regular
                 expressions, answering in Presidio's JSON shapes.

Every request is recorded (method, path, headers, parsed JSON body); see
`Recorded`. Prompts can steer the LLM fake: "[[sleep 3]]" delays the answer
by 3 s; "[[fail 2 tag]]" answers HTTP 500 to the first 2 requests carrying
that tag (for retry settings).
"""
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODERATION_TRIGGER = "kaboom"


class Recorded:
    """One request as the fake saw it."""

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @property
    def authorization(self):
        return self.headers.get("authorization")

    @property
    def model(self):
        return self.body.get("model") if isinstance(self.body, dict) else None

    def text(self):
        """All message text in the body, joined (chat, messages, moderation, presidio)."""
        return "\n".join(_texts(self.body))

    def __repr__(self):
        return f"<{self.method} {self.path} model={self.model!r} auth={self.authorization!r}>"


def _texts(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _texts(x)
    elif isinstance(obj, dict):
        for k in ("content", "text", "input", "messages", "system"):
            if k in obj:
                yield from _texts(obj[k])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _FakeBase:
    """Starts a server on 127.0.0.1:<free port> in a daemon thread."""

    name = "fake"

    def __init__(self):
        self.requests = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # quiet
                pass

            def do_GET(self):
                fake._dispatch(self, "GET")

            def do_POST(self):
                fake._dispatch(self, "POST")

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=self.name, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    def clear(self):
        with self._lock:
            self.requests.clear()

    def seen(self, path=None):
        with self._lock:
            return [r for r in self.requests if path is None or r.path.split("?")[0] == path]

    def _dispatch(self, h, method):
        body = None
        n = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(n) if n else b""
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        rec = Recorded(method, h.path, dict(h.headers), body)
        with self._lock:
            self.requests.append(rec)
        try:
            self.handle(h, rec)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # helpers for subclasses
    @staticmethod
    def send_json(h, status, obj):
        data = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def send_sse(h, events):
        """events: iterable of (event_name or None, json-able or raw str)."""
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Connection", "close")
        h.end_headers()
        for name, data in events:
            payload = data if isinstance(data, str) else json.dumps(data)
            chunk = (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"
            h.wfile.write(chunk.encode())
            h.wfile.flush()
        h.close_connection = True

    def handle(self, h, rec):
        raise NotImplementedError


class FakeLLM(_FakeBase):
    """OpenAI- and Anthropic-compatible upstream that answers deterministically.

    The answer names the model id it was asked for and echoes the last user
    message, so a test can see both ends."""

    name = "fake-llm"

    def __init__(self, label="llm"):
        self.label = label
        self._fail_counts = {}
        super().__init__()

    def handle(self, h, rec):
        path = rec.path.split("?")[0].rstrip("/")
        if path.endswith("/models") and rec.method == "GET":
            return self.send_json(h, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                for m in ("gpt-4o", "gpt-4o-mini")]})
        if rec.method != "POST" or not isinstance(rec.body, dict):
            return self.send_json(h, 404, {"error": {"message": f"no route {rec.method} {path}"}})
        text = rec.text()
        m = re.search(r"\[\[sleep (\d+(?:\.\d+)?)\]\]", text)
        if m:
            time.sleep(float(m.group(1)))
        m = re.search(r"\[\[fail (\d+) (\w+)\]\]", text)
        if m:
            with self._lock:
                left = self._fail_counts.setdefault(m.group(2), int(m.group(1)))
                self._fail_counts[m.group(2)] = left - 1
            if left > 0:
                return self.send_json(h, 500, {"error": {"message": "fake upstream failure",
                                                         "type": "server_error"}})
        if path.endswith("/chat/completions"):
            return self._chat(h, rec)
        if path.endswith("/messages"):
            return self._anthropic(h, rec)
        if path.endswith("/moderations"):
            return self._moderation(h, rec)
        return self.send_json(h, 404, {"error": {"message": f"no route POST {path}"}})

    def answer_for(self, rec):
        last = ""
        for msg in rec.body.get("messages") or []:
            if msg.get("role") == "user":
                last = "\n".join(_texts(msg.get("content")))
        return f"[{self.label}] model={rec.model} heard: {last}"

    def _chat(self, h, rec):
        answer = self.answer_for(rec)
        cid = "chatcmpl-" + uuid.uuid4().hex[:12]
        created = int(time.time())
        usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
        if not rec.body.get("stream"):
            return self.send_json(h, 200, {
                "id": cid, "object": "chat.completion", "created": created, "model": rec.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answer}}],
                "usage": usage})
        words = re.findall(r"\S+\s*", answer)
        base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": rec.model}
        events = [(None, dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                 "finish_reason": None}]))]
        events += [(None, dict(base, choices=[{"index": 0, "delta": {"content": w}, "finish_reason": None}]))
                   for w in words]
        events.append((None, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])))
        if (rec.body.get("stream_options") or {}).get("include_usage"):
            events.append((None, dict(base, choices=[], usage=usage)))
        events.append((None, "[DONE]"))
        self.send_sse(h, events)

    def _anthropic(self, h, rec):
        answer = self.answer_for(rec)
        mid = "msg_" + uuid.uuid4().hex[:12]
        usage = {"input_tokens": 7, "output_tokens": 5}
        if not rec.body.get("stream"):
            return self.send_json(h, 200, {
                "id": mid, "type": "message", "role": "assistant", "model": rec.model,
                "content": [{"type": "text", "text": answer}],
                "stop_reason": "end_turn", "stop_sequence": None, "usage": usage})
        events = [
            ("message_start", {"type": "message_start", "message": {
                "id": mid, "type": "message", "role": "assistant", "model": rec.model, "content": [],
                "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 7, "output_tokens": 0}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
        ]
        for w in re.findall(r"\S+\s*", answer):
            events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": w}}))
        events += [
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                                  "stop_sequence": None},
                               "usage": {"output_tokens": 5}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        self.send_sse(h, events)

    CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                  "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent",
                  "sexual", "sexual/minors", "violence", "violence/graphic")

    def _moderation(self, h, rec):
        inputs = rec.body.get("input")
        inputs = inputs if isinstance(inputs, list) else [inputs]
        results = []
        for item in inputs:
            text = "\n".join(_texts(item)) if not isinstance(item, str) else item
            flagged = MODERATION_TRIGGER in (text or "").lower()
            cats = {c: (flagged and c == "violence") for c in self.CATEGORIES}
            scores = {c: (0.97 if cats[c] else 0.0001) for c in self.CATEGORIES}
            results.append({"flagged": flagged, "categories": cats, "category_scores": scores,
                            "category_applied_input_types": {c: ["text"] for c in self.CATEGORIES}})
        self.send_json(h, 200, {"id": "modr-" + uuid.uuid4().hex[:12],
                                "model": rec.body.get("model") or "omni-moderation-latest",
                                "results": results})


def _luhn_ok(digits):
    total, alt = 0, False
    for d in reversed(digits):
        n = int(d)
        if alt:
            n *= 2
            if n > 9:
                n -= 9
        total += n
        alt = not alt
    return total % 10 == 0


class FakePresidio(_FakeBase):
    """Presidio analyzer + anonymizer on one port (LiteLLM takes one base
    URL for each; the operator renders the provider's baseUrl for both)."""

    name = "fake-presidio"
    PATTERNS = (
        ("EMAIL_ADDRESS", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), 1.0),
        ("CREDIT_CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), 1.0),
        ("PHONE_NUMBER", re.compile(r"(?<![\w-])\+?\d{1,3}[ -]?\(?\d{2,4}\)?[ -]?\d{3,4}[ -]?\d{3,4}\b"), 0.75),
    )

    def analyze(self, text, entities=None):
        found = []
        taken = []
        for entity, rx, score in self.PATTERNS:
            for m in rx.finditer(text):
                if entity == "CREDIT_CARD" and not _luhn_ok(re.sub(r"\D", "", m.group())):
                    continue
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                if entities and entity not in entities:
                    continue
                found.append({
                    "entity_type": entity, "start": m.start(), "end": m.end(), "score": score,
                    "analysis_explanation": None,
                    "recognition_metadata": {"recognizer_name": f"{entity.title()}Recognizer",
                                             "recognizer_identifier": f"{entity}_fake"}})
        return sorted(found, key=lambda r: r["start"])

    def handle(self, h, rec):
        path = rec.path.split("?")[0].rstrip("/")
        if rec.method == "GET" and path == "/health":
            h.send_response(200)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if rec.method == "POST" and path == "/analyze" and isinstance(rec.body, dict):
            if not isinstance(rec.body.get("text"), str) or not rec.body.get("language"):
                return self.send_json(h, 400, {"error": "No text or language provided"})
            return self.send_json(h, 200, self.analyze(rec.body["text"], rec.body.get("entities")))
        if rec.method == "POST" and path == "/anonymize" and isinstance(rec.body, dict):
            text = rec.body.get("text")
            results = rec.body.get("analyzer_results") or []
            if not isinstance(text, str):
                return self.send_json(h, 422, {"error": "Invalid input, text can not be empty"})
            out, items, cursor = [], [], 0
            for r in sorted(results, key=lambda r: r["start"]):
                if r["start"] < cursor:
                    continue
                out.append(text[cursor:r["start"]])
                repl = f"<{r['entity_type']}>"
                pos = sum(len(s) for s in out)
                out.append(repl)
                items.append({"start": pos, "end": pos + len(repl), "entity_type": r["entity_type"],
                              "text": repl, "operator": "replace"})
                cursor = r["end"]
            out.append(text[cursor:])
            return self.send_json(h, 200, {"text": "".join(out), "items": items})
        self.send_json(h, 404, {"error": f"no route {rec.method} {path}"})
