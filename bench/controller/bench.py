"""Controller benchmark: converge a large world from a cold start.

Creates N AiGateways, M ToolGateways and R ToolRoutes (spread over the
gateways) in a fresh local control plane, then starts the operator command
given on the command line and measures

  - time until every status is set (gateways Configured and routes
    Accepted, each with the current generation; a route's url and Ready
    wait for its gateway's pods, which a control plane without nodes never
    runs),
  - API requests the operator made (from the API server's audit log, by
    user agent, so any operator binary is counted the same way),
  - peak RSS and CPU seconds of the operator process,
  - writes made by a no-op resync over the converged world (must be 0),
    once the world is quiet: no writes by anyone (the controller-manager
    keeps updating Deployments for minutes at scale) for a sustained window,
  - how long the operator takes to stop on SIGTERM,

and, as the same-run baseline, how long the API server took to accept the
creation of the input objects themselves. Results go to
bench/results/controller.json and .md.

  bench.py --state DIR --out DIR -- OPERATOR_COMMAND...
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "test" / "harness"))
from clusterenv import read_env  # noqa: E402

V1A1 = "runtime.agentic-layer.ai/v1alpha1"
BASE = "/apis/runtime.agentic-layer.ai/v1alpha1"


class Api:
    def __init__(self, state, url):
        pki = state / "pki"
        self.url = url
        self.s = requests.Session()
        self.s.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.s.cert = (str(pki / "admin.crt"), str(pki / "admin.key"))
        self.s.verify = str(pki / "ca.crt")
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=16)
        self.s.mount("https://", adapter)

    def post(self, path, obj):
        r = self.s.post(self.url + path, json=obj, timeout=60)
        if r.status_code not in (200, 201, 409):
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:300]}")

    def get(self, path):
        r = self.s.get(self.url + path, timeout=120)
        r.raise_for_status()
        return r.json()


def world(n_ai, n_tool, n_routes, n_ns):
    namespaces = [f"bench-{i}" for i in range(n_ns)]
    objs = []
    for i in range(n_ai):
        ns = namespaces[i % n_ns]
        objs.append((f"{BASE}/namespaces/{ns}/aigateways", {
            "apiVersion": V1A1, "kind": "AiGateway", "metadata": {"name": f"ai-{i}", "namespace": ns},
            "spec": {"aiModels": [{"name": "gpt-4o", "provider": "openai"},
                                  {"name": f"model-{i}", "provider": "anthropic"}]}}))
    for i in range(n_tool):
        ns = namespaces[i % n_ns]
        objs.append((f"{BASE}/namespaces/{ns}/toolgateways", {
            "apiVersion": V1A1, "kind": "ToolGateway", "metadata": {"name": f"tools-{i}", "namespace": ns},
            "spec": {}}))
    for i in range(n_routes):
        ns = namespaces[i % n_ns]
        g = i % n_tool
        objs.append((f"{BASE}/namespaces/{ns}/toolroutes", {
            "apiVersion": V1A1, "kind": "ToolRoute", "metadata": {"name": f"route-{i}", "namespace": ns},
            "spec": {"toolGatewayRef": {"name": f"tools-{g}", "namespace": namespaces[g % n_ns]},
                     "upstream": {"external": {"url": f"http://mcp-{i}.example.com/mcp"}},
                     "toolFilter": {"allow": ["search", "fetch"]}}}))
    return namespaces, objs


def create_all(api, namespaces, objs, threads=8):
    for ns in namespaces:
        api.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda po: api.post(*po), objs))
    return time.monotonic() - t0


def converged(api, n_ai, n_tool, n_routes):
    def done(items, ctype):
        ok = 0
        for it in items:
            for c in it.get("status", {}).get("conditions", []):
                if c["type"] == ctype and c["status"] == "True" and \
                        c.get("observedGeneration") == it["metadata"]["generation"]:
                    ok += 1
        return ok
    ai = done(api.get(f"{BASE}/aigateways")["items"], "AiGatewayConfigured")
    tool = done(api.get(f"{BASE}/toolgateways")["items"], "ToolGatewayConfigured")
    routes = done(api.get(f"{BASE}/toolroutes")["items"], "Accepted")
    return ai, tool, routes


def resource_versions(api, namespaces):
    rv = {}
    for path in (f"{BASE}/aigateways", f"{BASE}/toolgateways", f"{BASE}/toolroutes", "/api/v1/configmaps",
                 "/apis/apps/v1/deployments", "/api/v1/services"):
        for it in api.get(path)["items"]:
            if it["metadata"]["namespace"] in namespaces:
                rv[f"{path}/{it['metadata']['namespace']}/{it['metadata']['name']}"] = it["metadata"]["resourceVersion"]
    return rv


class Sampler(threading.Thread):
    """Peak RSS (VmHWM) and CPU seconds of a process, read from /proc."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.hwm_kb = 0
        self.rss_kb = 0
        self.cpu_s = 0.0
        self.stop = False

    def read(self):
        try:
            status = pathlib.Path(f"/proc/{self.pid}/status").read_text()
            m = re.search(r"VmHWM:\s+(\d+) kB", status)
            if m:
                self.hwm_kb = max(self.hwm_kb, int(m.group(1)))
            m = re.search(r"VmRSS:\s+(\d+) kB", status)
            if m:
                self.rss_kb = int(m.group(1))
            fields = pathlib.Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            self.cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass

    def run(self):
        while not self.stop:
            self.read()
            time.sleep(0.1)


WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
# Lease renewals (leader election) go on forever and change nothing else.
QUIET_IGNORED = ("leases",)


class AuditTail:
    """Reads the audit log as it grows: what was written, by whom."""

    def __init__(self, path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self):
        events = []
        if not self.path.exists():
            return events
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("stage") == "ResponseComplete":
                events.append(ev)
        return events


def is_write(ev, namespaces=None):
    """A write that changed something: succeeded, not a lease renewal, and
    (when namespaces are given) in the bench's world. The API server itself
    keeps failing to write default/kubernetes endpoints in a control plane
    without nodes: that changes nothing."""
    ref = ev.get("objectRef") or {}
    code = (ev.get("responseStatus") or {}).get("code", 0)
    return (ev.get("verb") in WRITE_VERBS and ref.get("resource") not in QUIET_IGNORED and 200 <= code < 300
            and (namespaces is None or ref.get("namespace") in namespaces))


def wait_quiet(tail, window_s, cap_s, namespaces):
    """Waits until nobody has written anything (leases aside) for window_s,
    or cap_s passed. Returns (quiet, seconds waited, writes seen by agent)."""
    t0 = time.monotonic()
    last_write = t0
    seen = {}
    while time.monotonic() - t0 < cap_s:
        time.sleep(1)
        for ev in tail.read():
            if is_write(ev, namespaces):
                last_write = time.monotonic()
                ua = ev.get("userAgent", "?").split("/")[0]
                seen[ua] = seen.get(ua, 0) + 1
        if time.monotonic() - last_write >= window_s:
            return True, time.monotonic() - t0, seen
    return False, time.monotonic() - t0, seen


def operator_writes(events):
    skip = ("python-requests", "kube-controller-manager", "kube-apiserver", "kubectl")
    return sum(1 for ev in events if is_write(ev) and not ev.get("userAgent", "").startswith(skip))


KIND_PATHS = {
    "aigateways": f"{BASE}/aigateways", "toolgateways": f"{BASE}/toolgateways", "toolroutes": f"{BASE}/toolroutes",
    "configmaps": "/api/v1/configmaps", "deployments": "/apis/apps/v1/deployments", "services": "/api/v1/services",
}


def object_costs(api, tool, namespaces):
    """Heap bytes per object by kind (bench/controller/objcost.c) over the
    objects of the world as they are now."""
    import tempfile
    costs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path in KIND_PATHS.items():
            lst = api.get(path)
            lst["items"] = [it for it in lst["items"] if it["metadata"].get("namespace") in namespaces]
            f = pathlib.Path(tmp) / f"{kind}.json"
            f.write_text(json.dumps(lst))
            out = subprocess.run([tool, kind, str(f)], capture_output=True, text=True, check=True).stdout
            costs[kind] = json.loads(out)
    return costs


def ts(s):
    """Seconds since midnight of an audit timestamp (same-day runs)."""
    h, m, sec = s[11:].rstrip("Z").split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


def operator_requests(audit_log, since_offset):
    """Requests in the audit log after since_offset by agents other than the
    bench itself, the controller-manager and the API server, and where their
    time went: the API server's latency per request (received to response
    complete) and how busy the operator kept it."""
    skip = ("python-requests", "kube-controller-manager", "kube-apiserver", "kubectl")
    n, verbs, lat, first, last = 0, {}, [], None, None
    with open(audit_log, "rb") as f:
        f.seek(since_offset)
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            ua = ev.get("userAgent", "")
            if ev.get("stage") != "ResponseComplete" or ua.startswith(skip):
                continue
            n += 1
            verbs[ev.get("verb", "?")] = verbs.get(ev.get("verb", "?"), 0) + 1
            if ev.get("verb") in ("watch",):
                continue
            t0, t1 = ts(ev["requestReceivedTimestamp"]), ts(ev["stageTimestamp"])
            lat.append(t1 - t0)
            first = t0 if first is None else min(first, t0)
            last = t1 if last is None else max(last, t1)
    timing = {}
    if lat:
        lat.sort()
        span = max(last - first, 1e-9)
        timing = {
            "requests_span_seconds": round(span, 1),
            "latency_ms_p50": round(lat[len(lat) // 2] * 1000, 1),
            "latency_ms_p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
            "latency_ms_mean": round(sum(lat) / len(lat) * 1000, 1),
            # Requests in flight on average: the sum of latencies over the
            # span. With W workers writing one request at a time each, about W
            # means the operator waits on the API server all the time.
            "mean_in_flight": round(sum(lat) / span, 2),
        }
    return n, verbs, timing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ai", type=int, default=1000)
    ap.add_argument("--tool", type=int, default=100)
    ap.add_argument("--routes", type=int, default=10000)
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--quiet-window", type=float, default=30,
                    help="seconds without any write before the world counts as quiet")
    ap.add_argument("--quiet-cap", type=float, default=1200, help="longest wait for a quiet world")
    ap.add_argument("--objcost", help="the objcost tool: bytes per object by kind, measured on the converged world")
    ap.add_argument("--label", default="", help="results go to controller-LABEL.{json,md} when given")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = [c for c in a.command if c != "--"]
    # The results name no path of this machine: paths inside the checkout
    # are written relative to it, the control plane's state as <state>.
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shown = [c.replace(a.state, "<state>").replace(repo + os.sep, "") for c in cmd]
    state = pathlib.Path(a.state)
    env = read_env(state)
    api = Api(state, env["LGO_API_URL"])
    audit = state / "logs" / "audit.log"

    namespaces, objs = world(a.ai, a.tool, a.routes, a.namespaces)
    print(f"creating {len(objs)} objects in {len(namespaces)} namespaces...", flush=True)
    create_s = create_all(api, namespaces, objs)
    print(f"  created in {create_s:.1f} s ({len(objs) / create_s:.0f} objects/s)", flush=True)

    offset = audit.stat().st_size if audit.exists() else 0
    log = open(pathlib.Path(a.out) / "controller-operator.log", "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, KUBECONFIG=env["KUBECONFIG"]))
    sampler = Sampler(proc.pid)
    sampler.start()
    want = (a.ai, a.tool, a.routes)
    state_now = (0, 0, 0)
    while time.monotonic() - t0 < a.timeout:
        if proc.poll() is not None:
            sys.exit(f"operator exited with {proc.returncode}; see {log.name}")
        state_now = converged(api, a.ai, a.tool, a.routes)
        if state_now == want:
            break
        time.sleep(0.5)
    converge_s = time.monotonic() - t0
    ok = state_now == want
    print(f"  converged={ok} in {converge_s:.1f} s: {state_now} of {want}", flush=True)
    time.sleep(2)
    requests_made, verbs, timing = operator_requests(audit, offset) if audit.exists() else (None, {}, {})

    # Quiesce: the controller-manager settles Deployment statuses for
    # minutes at scale, and the operator follows with Ready conditions: wait
    # until nobody has written anything for a sustained window.
    tail = AuditTail(audit)
    quiet, quiet_s, quiet_writers = wait_quiet(tail, a.quiet_window, a.quiet_cap, set(namespaces))
    print(f"  quiet={quiet} after {quiet_s:.0f} s (writes meanwhile: {quiet_writers})", flush=True)
    before = resource_versions(api, set(namespaces))
    rss_after = sampler.rss_kb
    per_kind = object_costs(api, a.objcost, set(namespaces)) if a.objcost else {}
    t_stop = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    stop_s = time.monotonic() - t_stop
    sampler.stop = True
    sampler.join()
    # A no-op resync: restart the operator over the quiet world; count its
    # writes in the audit log and compare every resourceVersion.
    tail.read()
    proc2 = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, KUBECONFIG=env["KUBECONFIG"]))
    # A restart lists a world whose statuses are all set: its peak is
    # measured too.
    sampler2 = Sampler(proc2.pid)
    sampler2.start()
    restart_events = []
    t_restart = time.monotonic()
    last_req = t_restart
    while time.monotonic() - t_restart < max(60, converge_s * 2):
        time.sleep(1)
        evs = [ev for ev in tail.read() if not ev.get("userAgent", "").startswith(
            ("python-requests", "kube-controller-manager", "kube-apiserver", "kubectl"))]
        if any(ev.get("verb") != "watch" for ev in evs):
            last_req = time.monotonic()
        restart_events += evs
        # Listed, reconciled everything (which reads nothing from the
        # server when nothing is to be done) and then silent for 10 s.
        if time.monotonic() - t_restart >= 20 and time.monotonic() - last_req >= 10:
            break
    after = resource_versions(api, set(namespaces))
    proc2.send_signal(signal.SIGTERM)
    proc2.wait(timeout=60)
    sampler2.stop = True
    sampler2.join()
    restart_writes = operator_writes(restart_events)
    noop_writes = sum(1 for k in before if after.get(k) != before[k])

    res = {
        "objects": {"aigateways": a.ai, "toolgateways": a.tool, "toolroutes": a.routes},
        "converged": ok,
        "converge_seconds": round(converge_s, 2),
        "baseline_create_seconds": round(create_s, 2),
        "converge_to_create_ratio": round(converge_s / create_s, 2),
        "operator_api_requests": requests_made,
        "operator_api_requests_by_verb": verbs,
        "peak_rss_mb": round(sampler.hwm_kb / 1024, 1),
        "cpu_seconds": round(sampler.cpu_s, 2),
        "rss_at_quiet_mb": round(rss_after / 1024, 1),
        "restart_peak_rss_mb": round(sampler2.hwm_kb / 1024, 1),
        "noop_restart_writes": noop_writes,
        "noop_restart_operator_writes": restart_writes,
        "quiet": quiet,
        "quiet_wait_seconds": round(quiet_s, 1),
        "quiet_writers": quiet_writers,
        "stop_seconds": round(stop_s, 2),
        "api_timing": timing,
        "bytes_per_object": per_kind,
        "load_average": os.getloadavg()[0],
        "command": shown,
    }
    out = pathlib.Path(a.out)
    stem = f"controller-{a.label}" if a.label else "controller"
    (out / f"{stem}.json").write_text(json.dumps(res, indent=2) + "\n")
    md = [
        "# Controller benchmark",
        "",
        f"World: {a.ai} AiGateways, {a.tool} ToolGateways, {a.routes} ToolRoutes in {a.namespaces} namespaces, "
        "created before the operator starts (cold start).",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| converged | {ok} |",
        f"| time to every status set | {converge_s:.1f} s |",
        f"| baseline: API server accepting the {len(objs)} input objects | {create_s:.1f} s |",
        f"| ratio converge / baseline | {converge_s / create_s:.2f} |",
        f"| API requests by the operator | {requests_made} ({', '.join(f'{k} {v}' for k, v in sorted(verbs.items()))}) |",
        f"| API server latency of the operator's requests (p50 / p99 / mean) | {timing.get('latency_ms_p50')} / {timing.get('latency_ms_p99')} / {timing.get('latency_ms_mean')} ms |",
        f"| operator requests in flight on average (first to last request: {timing.get('requests_span_seconds')} s) | {timing.get('mean_in_flight')} |",
        f"| peak RSS | {sampler.hwm_kb / 1024:.1f} MB |",
        f"| CPU seconds | {sampler.cpu_s:.1f} |",
        f"| RSS once quiet | {rss_after / 1024:.1f} MB |",
        f"| peak RSS of the restart over the quiet world | {sampler2.hwm_kb / 1024:.1f} MB |",
        f"| world quiet (no writes by anyone for {a.quiet_window:.0f} s) | {quiet} after {quiet_s:.0f} s |",
        f"| writes by a restart over the quiet world (changed resourceVersions / operator writes in the audit log) | {noop_writes} / {restart_writes} |",
        f"| time to stop on SIGTERM | {stop_s:.2f} s |",
        "",
        "Heap bytes per object by kind (bench/controller/objcost.c, json-c trees measured with mallinfo2): "
        "the whole object as a tree / what the informer caches / the parsed copy the workers plan against:",
        "",
        "| kind | objects | JSON text | whole tree | cached projection | parsed (world) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {k} | {v['objects']} | {v.get('json_text_bytes', '')} | {v.get('full_tree_bytes', '')} "
          f"| {v.get('cached_projection_bytes', '')} | {v.get('world_parsed_bytes', '') if v.get('world_parsed_bytes', -1) >= 0 else '-'} |"
          for k, v in per_kind.items()],
        "",
        f"Command: `{' '.join(shown)}`",
        "",
    ]
    (out / f"{stem}.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if ok and noop_writes == 0 and restart_writes == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
