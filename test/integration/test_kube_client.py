"""The Kubernetes client layer against the real API server: REST calls with
client certificates and with tokens, watches, informers through API server
restarts and 410 Gone, and leader election between processes.

The checks themselves are C programs (test/integration/c/test_api_*.c, built
into $GW_BUILD_DIR/integration-c, default build/). This file gives them the
cluster, a fresh namespace and credentials, drives the interactive ones over
stdin/stdout (cutting connections with a TCP proxy, restarting the API
server, killing a leader) and checks with kubectl what they did.
"""
import json
import os
import pathlib
import queue
import socket
import subprocess
import threading
import time
import uuid

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("GW_BUILD_DIR", REPO / "build"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD
ITEST = BUILD / "integration-c"

LEASE_S = 3.0     # the C electors' lease duration
RENEW_S = 2.0     # and renew deadline
RETRY_S = 0.4     # and retry period


def program(name):
    exe = ITEST / name
    if not exe.exists():
        pytest.fail(f"{exe} is missing: build it first (cmake --build {BUILD})")
    return str(exe)


def c_env(cluster, ns, kubeconfig=None, tests=None, **extra):
    env = dict(cluster.env, KUBECONFIG=str(kubeconfig or cluster.kubeconfig), GW_TEST_NS=ns,
               CMOCKA_MESSAGE_OUTPUT="stdout")
    env.pop("GW_TEST_INTERACTIVE", None)
    if tests:
        env["GW_TEST_FILTER"] = ",".join(tests)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_c(cluster, name, ns, tests=None, kubeconfig=None, check=True, timeout=240, **extra):
    p = subprocess.run([program(name)], env=c_env(cluster, ns, kubeconfig, tests, **extra),
                       capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    if check:
        assert p.returncode == 0, f"{name} failed ({p.returncode}):\n{out}"
        assert "FAILED" not in p.stdout, out
    return p.returncode, out


class Interactive:
    """A C program in interactive mode: lines in, timestamped lines out."""

    def __init__(self, cluster, name, ns, test, kubeconfig=None, **extra):
        env = c_env(cluster, ns, kubeconfig, [test], GW_TEST_INTERACTIVE=1, **extra)
        self.proc = subprocess.Popen([program(name)], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.lines = queue.Queue()
        self.transcript = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.transcript.append(line)
            self.lines.put((time.monotonic(), line))
        self.lines.put((time.monotonic(), None))

    def expect(self, prefix, timeout=60):
        """Returns (time, line) of the next line starting with prefix."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                at, line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} within {timeout}s:\n" + "\n".join(self.transcript))
            if line is None:
                raise AssertionError(f"exited ({self.proc.wait()}) before {prefix!r}:\n"
                                     + "\n".join(self.transcript))
            if line.startswith(prefix):
                return at, line

    def no_line(self, prefix, seconds):
        """Asserts that no line starting with prefix comes within seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                _, line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                return
            assert line is None or not line.startswith(prefix), \
                f"unexpected {line!r}:\n" + "\n".join(self.transcript)

    def ask(self, command, prefix, timeout=90):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.expect(prefix, timeout)[1]

    def finish(self, timeout=30):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            except OSError:
                pass
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        assert rc == 0, f"exit {rc}:\n" + "\n".join(self.transcript)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Proxy:
    """A TCP forwarder in front of the API server that can cut every
    connection and refuse new ones (pause) until resumed."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.paused = False
        self.conns = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.paused:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            self._drop(s)

    def _drop(self, s):
        with self.lock:
            self.conns.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self):
        with self.lock:
            conns = list(self.conns)
        for s in conns:
            self._drop(s)

    def pause(self):
        self.paused = True
        self.cut()

    def resume(self):
        self.paused = False

    def close(self):
        self.closed = True
        self.cut()
        self.listener.close()


# --- kubeconfigs ------------------------------------------------------------

def cluster_entry(cluster):
    cfg = yaml.safe_load(pathlib.Path(cluster.kubeconfig).read_text())
    ctx = next(c for c in cfg["contexts"] if c["name"] == cfg["current-context"])["context"]
    return cfg, next(c for c in cfg["clusters"] if c["name"] == ctx["cluster"])["cluster"]


def write_kubeconfig(path, cluster_fields, user_fields, namespace=None):
    ctx = {"cluster": "c", "user": "u"}
    if namespace:
        ctx["namespace"] = namespace
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "x",
        "clusters": [{"name": "c", "cluster": cluster_fields}],
        "users": [{"name": "u", "user": user_fields}],
        "contexts": [{"name": "x", "context": ctx}]}))
    return path


def proxied_kubeconfig(cluster, tmp_path, proxy):
    cfg, entry = cluster_entry(cluster)
    entry["server"] = f"https://127.0.0.1:{proxy.port}"
    path = tmp_path / f"proxied-{proxy.port}.kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture
def proxy(cluster):
    host, port = cluster_entry(cluster)[1]["server"].removeprefix("https://").rsplit(":", 1)
    p = Proxy((host, int(port)))
    yield p
    p.close()


def service_account_token(cluster, ns):
    cluster.kubectl("-n", ns, "create", "serviceaccount", "client-test")
    cluster.kubectl("-n", ns, "create", "rolebinding", "client-test", "--clusterrole=edit",
                    f"--serviceaccount={ns}:client-test")
    return cluster.kubectl("-n", ns, "create", "token", "client-test", "--duration=1h").stdout.strip()


def fresh_namespace(cluster, prefix):
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    cluster.kubectl("create", "namespace", name)
    return name


def restart_or_cut(cluster, proxy=None):
    """Restarts the API server when the fixture can; else cuts the proxy's
    connections. Returns True when the server really restarted."""
    restart = getattr(cluster, "restart_apiserver", None)
    if restart:
        restart(down_seconds=2)
        return True
    assert proxy is not None, "the cluster fixture cannot restart the API server"
    proxy.cut()
    return False


def with_managed_fields(cluster, ns, kind, name):
    return json.loads(cluster.kubectl("-n", ns, "get", kind, name, "-o", "json",
                                      "--show-managed-fields").stdout)


def configmap(cluster, ns, name, value, labels="app=follow"):
    cluster.kubectl("-n", ns, "create", "configmap", name, f"--from-literal=v={value}")
    cluster.kubectl("-n", ns, "label", "configmap", name, labels)


def set_value(cluster, ns, name, value):
    cluster.kubectl("-n", ns, "patch", "configmap", name, "--type=merge",
                    "-p", json.dumps({"data": {"v": value}}))


# --- REST -------------------------------------------------------------------

def test_rest_calls_with_client_certificate(cluster, ns):
    run_c(cluster, "test_api_client", ns)
    applied = with_managed_fields(cluster, ns, "configmap", "applied")
    managers = {(m["manager"], m["operation"]) for m in applied["metadata"]["managedFields"]}
    assert ("litellm-gateway-operator", "Apply") in managers
    assert applied["data"] == {"v": "2"}
    assert cluster.kubectl("-n", ns, "get", "configmap", "patched", check=False).returncode != 0
    assert cluster.get_json("configmap", "versioned", ns)["data"] == {"v": "2"}


TOKEN_TESTS = ["test_create_conflict_and_missing", "test_update_with_stale_version_conflicts",
               "test_apply_twice_changes_nothing", "test_json_patch_and_delete",
               "test_pagination", "test_metadata_only_list_has_no_data"]


def test_rest_calls_with_token_and_token_file(cluster, ns, tmp_path):
    token = service_account_token(cluster, ns)
    _, entry = cluster_entry(cluster)
    ca = {k: v for k, v in entry.items() if k.startswith("certificate-authority")}
    kc = write_kubeconfig(tmp_path / "token.kubeconfig", {"server": entry["server"], **ca}, {"token": token})
    run_c(cluster, "test_api_client", ns, TOKEN_TESTS, kubeconfig=kc)
    assert with_managed_fields(cluster, ns, "configmap", "applied")["metadata"]["managedFields"][0][
        "manager"] == "litellm-gateway-operator"

    # tokenFile (the service-account layout) with verification turned off.
    other = fresh_namespace(cluster, "t-tokenfile")
    try:
        cluster.kubectl("-n", other, "create", "rolebinding", "client-test", "--clusterrole=edit",
                        f"--serviceaccount={ns}:client-test")
        (tmp_path / "token").write_text(token + "\n")
        kc2 = write_kubeconfig(tmp_path / "tokenfile.kubeconfig",
                               {"server": entry["server"], "insecure-skip-tls-verify": True},
                               {"tokenFile": "token"})
        run_c(cluster, "test_api_client", other, TOKEN_TESTS, kubeconfig=kc2)
    finally:
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


def test_bad_token_reads_as_unauthorized(cluster, ns, tmp_path):
    _, entry = cluster_entry(cluster)
    ca = {k: v for k, v in entry.items() if k.startswith("certificate-authority")}
    kc = write_kubeconfig(tmp_path / "bad.kubeconfig", {"server": entry["server"], **ca},
                          {"token": "not-a-token"})
    rc, out = run_c(cluster, "test_api_client", ns, ["test_get_and_list"], kubeconfig=kc, check=False)
    assert rc != 0
    assert "= -13: Unauthorized: Unauthorized" in out


def test_unknown_ca_is_refused(cluster, ns, tmp_path):
    _, entry = cluster_entry(cluster)
    kc = write_kubeconfig(tmp_path / "noca.kubeconfig", {"server": entry["server"]}, {"token": "x"})
    rc, out = run_c(cluster, "test_api_client", ns, ["test_get_and_list"], kubeconfig=kc, check=False)
    assert rc != 0
    assert "= -71: " in out and "certificate" in out, out


# --- watch ------------------------------------------------------------------

def test_watch_delivers_events_and_bookmarks(cluster, ns):
    run_c(cluster, "test_api_watch", ns, ["test_watch_delivers_changes_and_bookmarks"])


def test_watch_from_before_a_restart_is_gone(cluster, ns):
    if not getattr(cluster, "restart_apiserver", None):
        pytest.skip("the cluster fixture cannot restart the API server")
    old = cluster.get_json("configmaps", namespace=ns)["metadata"]["resourceVersion"]
    cluster.kubectl("-n", ns, "create", "configmap", "newer")
    # The restarted server's watch cache starts after `old`.
    cluster.restart_apiserver()
    run_c(cluster, "test_api_watch", ns, ["test_too_old_resource_version_is_gone"], GW_TEST_OLD_RV=old)


# --- informer ---------------------------------------------------------------

def test_informer_lists_watches_and_selects(cluster, ns):
    run_c(cluster, "test_api_informer", ns,
          ["test_informer_lists_then_watches", "test_informer_secrets_metadata_only"])


def test_informer_survives_apiserver_restart(cluster, ns, proxy, tmp_path):
    configmap(cluster, ns, "a", "1")
    configmap(cluster, ns, "b", "1")
    # Through the proxy, so that a fixture without restarts can still cut
    # the watch.
    inf = Interactive(cluster, "test_api_informer", ns, "test_informer_interactive",
                      kubeconfig=proxied_kubeconfig(cluster, tmp_path, proxy))
    try:
        assert inf.expect("READY")[1].startswith("READY a=1 b=1 ")
        restart_or_cut(cluster, proxy)
        configmap(cluster, ns, "c", "1")
        set_value(cluster, ns, "a", "2")
        cluster.kubectl("-n", ns, "delete", "configmap", "b")
        assert inf.ask("expect a=2 b=absent c=1", ("OK", "TIMEOUT")) == "OK"
        events = inf.ask("events", "EVENTS")
        for e in ("add a 1;", "add b 1;", "update a 1>2;", "delete b 1;", "add c 1;"):
            assert e in events, events
        stats = dict(kv.split("=") for kv in inf.ask("stats", "STATS").split()[1:])
        assert int(stats["watches"]) >= 2, stats
        inf.finish()
    finally:
        inf.kill()


def test_informer_relists_after_gone_and_misses_nothing(cluster, ns, proxy, tmp_path):
    for name in ("x1", "x2", "x3"):
        configmap(cluster, ns, name, "1")
    inf = Interactive(cluster, "test_api_informer", ns, "test_informer_interactive",
                      kubeconfig=proxied_kubeconfig(cluster, tmp_path, proxy))
    try:
        assert inf.expect("READY")[1].startswith("READY x1=1 x2=1 x3=1 ")
        inf.ask("events", "EVENTS")
        # Cut off, the informer misses all of this...
        proxy.pause()
        cluster.kubectl("-n", ns, "delete", "configmap", "x1")
        set_value(cluster, ns, "x2", "2")
        configmap(cluster, ns, "x4", "1")
        configmap(cluster, ns, "x5", "1")
        cluster.kubectl("-n", ns, "delete", "configmap", "x5")
        # ...and then its resourceVersion expires: a restarted API server's
        # watch cache begins after it.
        restarted = restart_or_cut(cluster, proxy)
        proxy.resume()
        assert inf.ask("expect x1=absent x2=2 x3=1 x4=1 x5=absent", ("OK", "TIMEOUT")) == "OK"
        events = inf.ask("events", "EVENTS")
        # The relist turns what changed into ordinary events, deletes included,
        # and nothing that came and went while cut off.
        for e in ("delete x1 1;", "update x2 1>2;", "add x4 1;"):
            assert e in events, events
        assert "x3" not in events and "x5" not in events, events
        stats = dict(kv.split("=") for kv in inf.ask("stats", "STATS").split()[1:])
        if restarted:
            assert int(stats["relists_gone"]) >= 1, stats
        inf.finish()
    finally:
        inf.kill()


# --- leader election --------------------------------------------------------

def lease_holder(cluster, ns, name):
    lease = cluster.get_json("lease", name, ns)
    return lease["spec"].get("holderIdentity", "")


def test_two_electors_in_one_process(cluster, ns):
    run_c(cluster, "test_api_leader", ns,
          ["test_one_leader_and_quick_handover", "test_bad_durations_are_refused"])
    assert lease_holder(cluster, ns, "handover") == ""


def elector(cluster, ns, identity, lease, kubeconfig=None):
    e = Interactive(cluster, "test_api_leader", ns, "test_elector_interactive", kubeconfig=kubeconfig,
                    GW_TEST_LEASE=lease, GW_TEST_IDENTITY=identity)
    e.expect("IDENTITY")
    return e


def test_killed_leader_is_replaced_within_the_lease(cluster, ns):
    p1 = elector(cluster, ns, "p1", "procs")
    p2 = None
    try:
        p1.expect("LEADING p1", timeout=15)
        p2 = elector(cluster, ns, "p2", "procs")
        p2.no_line("LEADING", 2 * LEASE_S)
        assert lease_holder(cluster, ns, "procs") == "p1"
        killed = time.monotonic()
        p1.kill()   # no release: p2 must wait out the lease
        at, _ = p2.expect("LEADING p2", timeout=4 * LEASE_S)
        assert at - killed < LEASE_S + 3 * RETRY_S + 1.0, f"took {at - killed:.1f}s"
        assert lease_holder(cluster, ns, "procs") == "p2"
        p2.finish()
        assert "STOPPED p2" in p2.transcript and "RELEASED" in p2.transcript
        assert lease_holder(cluster, ns, "procs") == ""
    finally:
        p1.kill()
        if p2:
            p2.kill()


def test_cut_off_leader_stops_before_another_starts(cluster, ns, proxy, tmp_path):
    p1 = elector(cluster, ns, "cut", "cutoff", kubeconfig=proxied_kubeconfig(cluster, tmp_path, proxy))
    p2 = None
    try:
        p1.expect("LEADING cut", timeout=15)
        p2 = elector(cluster, ns, "direct", "cutoff")
        p2.no_line("LEADING", 1.0)
        cut = time.monotonic()
        proxy.pause()
        stopped_at, _ = p1.expect("STOPPED cut", timeout=2 * LEASE_S)
        leading_at, _ = p2.expect("LEADING direct", timeout=4 * LEASE_S)
        # Reconciling stops within the renew deadline, before the lease can
        # run out and before the other replica starts.
        assert stopped_at - cut < RENEW_S + 1.0, f"stopped after {stopped_at - cut:.1f}s"
        assert stopped_at < leading_at
        proxy.resume()
        # Back online, the old leader sees a valid lease and stays a follower.
        p1.no_line("LEADING", 2 * LEASE_S)
        assert lease_holder(cluster, ns, "cutoff") == "direct"
        p1.finish()
        p2.finish()
        assert lease_holder(cluster, ns, "cutoff") == ""
    finally:
        p1.kill()
        if p2:
            p2.kill()
