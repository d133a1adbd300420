"""Faults against the real control plane while the operator converges a
world: etcd going away and coming back under the API server, a competing
writer changing what the operator owns, and leader failover mid-way.
Afterwards every object is converged, nothing is lost or duplicated, and
the operator's writes (from the API server's audit log) stay bounded and
come only from the replica that leads."""
import json
import os
import signal
import subprocess
import time

from conftest import HARNESS
from faults_support import (Changer, Identity, WebhookProbe, audit_offset, audit_writes, describe, landed,
                            parse_time)
from test_controller import ai_gateway, condition, get, lease_holder, template_annotations
from test_runtime import apply_many, assert_converged_once, configured, wait_quiet, writes_nothing_on_restart


def etcd(cluster, action):
    subprocess.run([str(HARNESS / "restart-etcd.sh"), action], check=True,
                   env=dict(os.environ, LGO_STATE_DIR=str(cluster.state_dir)))


def config_text(cluster, name, ns):
    cm = get(cluster, "configmap", f"{name}-config", ns)
    return (cm or {}).get("data", {}).get("config.yaml", "")


def models_of(cluster, ns):
    """Each gateway's model names as the API server holds them."""
    return {g["metadata"]["name"]: [m["name"] for m in g["spec"]["aiModels"]]
            for g in cluster.get_json("aigateways", namespace=ns)["items"]}


# --- etcd restart -------------------------------------------------------------------

ETCD_GATEWAYS = 24


def test_etcd_restart_while_converging_and_changing(cluster, operator, operator_factory, ns):
    """etcd stops under a running API server while the operator converges
    and a client keeps changing gateways; it comes back on the same data.
    The operator neither crashes nor loses a change, the webhook answers
    throughout, and a restart afterwards writes nothing."""
    operator.stop()  # the session's operator would converge everything by itself
    changer = probe = None
    try:
        names = apply_many(cluster, ns, ETCD_GATEWAYS)
        op = operator_factory("through-etcd", extra=("--workers", "1"))
        probe = WebhookProbe(op)
        probe.start()
        cluster.wait_for("some gateways converged", lambda: len(configured(cluster, ns)) >= 3, timeout=60)

        def change(i):
            name = names[(i * 7) % len(names)]
            patch = {"spec": {"aiModels": [{"name": f"model-{i}", "provider": "openai"}]}}
            return cluster.kubectl("-n", ns, "patch", "aigateway", name, "--type=merge", "-p", json.dumps(patch),
                                   "--request-timeout=5s", check=False, timeout=30).returncode == 0
        changer = Changer(change)
        changer.start()
        cluster.wait_for("changes landing", lambda: changer.done >= 3, timeout=60)
        etcd(cluster, "--stop")
        time.sleep(4)
        assert op.proc.poll() is None, "the operator exited while etcd was down:\n" + op.log_text()[-3000:]
        etcd(cluster, "--start")
        landed_before = changer.done
        cluster.wait_for("changes landing again", lambda: changer.done >= landed_before + 3, timeout=90)
        changer.stop()
        assert changer.failed >= 1, "no change was refused while etcd was down: the test proved nothing"

        want = models_of(cluster, ns)

        def converged():
            if configured(cluster, ns) != set(names):
                return False
            return all(f'"openai/{m}"' in config_text(cluster, n, ns) for n in names for m in want[n])
        cluster.wait_for("every gateway converged to its last change", converged, timeout=240, interval=2)
        wait_quiet(cluster, ns)
        assert op.proc.poll() is None, "the operator exited:\n" + op.log_text()[-3000:]
        deployments = {d["metadata"]["name"] for d in cluster.get_json("deployments", namespace=ns)["items"]}
        assert deployments == set(names), deployments ^ set(names)
        probe.stop()
        assert probe.answers >= 10, f"the webhook answered only {probe.answers} times"
        assert not probe.failures, "the webhook failed to answer while etcd was away:\n" + \
            "\n".join(probe.failures[:20])
        assert op.stop() == 0
        writes_nothing_on_restart(cluster, operator_factory, ns, "etcd")
    finally:
        if changer:
            changer.stop()
        if probe:
            probe.stop()
        if not cluster.kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0:
            etcd(cluster, "--start")
        operator.start()


# --- a competing writer -----------------------------------------------------------

TAMPER_ROUNDS = 40


def test_a_competing_writer_is_outlasted_without_a_write_storm(cluster, operator, operator_factory, ns, tmp_path):
    """Another client keeps overwriting what the operator owns (the
    ConfigMap's data, the Service's target port) and the gateway's status. The
    operator puts each back, converges once the other writer stops, and
    writes at most about once per foreign write (counted in the API server's
    audit log), never in a loop; once converged it writes nothing."""
    operator.stop()
    me = Identity(cluster, tmp_path, ns, "op")
    tamper = None
    try:
        op = operator_factory("contested", extra=("--kubeconfig", me.kubeconfig))
        cluster.apply(ai_gateway(ns))
        cluster.wait_for("the gateway configured", lambda: configured(cluster, ns) == {"main"}, timeout=60)
        wait_quiet(cluster, ns, quiet=3)
        want_config = config_text(cluster, "main", ns)
        want_ports = get(cluster, "service", "main", ns)["spec"]["ports"]
        want_cond = condition(get(cluster, "aigateway", "main", ns), "AiGatewayConfigured")
        assert want_config and want_cond["status"] == "True"
        since = audit_offset(cluster)

        def step(i):
            k = ["-n", ns]
            if i % 3 == 0:
                args = k + ["patch", "configmap", "main-config", "--type=merge",
                            "-p", json.dumps({"data": {"config.yaml": f"tampered: {i}\n"}})]
            elif i % 3 == 1:
                args = k + ["patch", "service", "main", "--type=json", "-p", json.dumps(
                    [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 10000 + i}])]
            else:
                cond = dict(want_cond, status="False", reason="Tampered", message=f"round {i}")
                args = k + ["patch", "aigateway", "main", "--subresource=status", "--type=merge",
                            "-p", json.dumps({"status": {"conditions": [cond]}})]
            return cluster.kubectl(*args, check=False).returncode == 0
        tamper = Changer(step, interval=0.1, limit=TAMPER_ROUNDS)
        tamper.start()
        tamper.join(timeout=300)
        assert tamper.done == TAMPER_ROUNDS, f"only {tamper.done} of {TAMPER_ROUNDS} foreign writes landed"

        def restored():
            c = condition(get(cluster, "aigateway", "main", ns), "AiGatewayConfigured")
            wrong = [what for what, ok in (
                ("config", config_text(cluster, "main", ns) == want_config),
                ("condition", c and c["status"] == "True"),
                ("ports", get(cluster, "service", "main", ns)["spec"]["ports"] == want_ports)) if not ok]
            return wrong
        try:
            cluster.wait_for("the operator's state restored", lambda: not restored(), timeout=60)
        except AssertionError as e:
            raise AssertionError(f"{e}: still foreign: {restored()}\n{op.log_text()[-3000:]}") from None
        wait_quiet(cluster, ns, quiet=5)
        mine = audit_writes(cluster, since, me.username, ns)
        events = [e for e in mine if e["objectRef"].get("resource") == "events"]
        puts = [e for e in mine if e not in events]
        # One write puts back one foreign change (coalescing only makes it
        # fewer); at most one Event says so.
        listing = "\n".join(describe(e) for e in mine)
        assert len(puts) <= TAMPER_ROUNDS + 2, f"{len(puts)} writes for {TAMPER_ROUNDS} foreign ones:\n{listing}"
        assert len(events) <= len(puts), f"{len(events)} Events for {len(puts)} writes:\n{listing}"
        assert len([e for e in puts if landed(e)]) >= 3, "the operator put nothing back"
        # Converged: it writes nothing more.
        quiet_from = audit_offset(cluster)
        time.sleep(5)
        more = audit_writes(cluster, quiet_from, me.username, ns)
        assert not more, "writes after convergence:\n" + "\n".join(describe(e) for e in more)
        assert op.stop() == 0
    finally:
        if tamper:
            tamper.stop()
        me.delete()
        operator.start()


# --- leader failover mid-convergence ----------------------------------------------

FAILOVER_GATEWAYS = 40
LEASE_ARGS = ("--leader-elect", "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1",
              "--workers", "1")


def test_leader_failover_mid_convergence(cluster, operator, operator_factory, ns, tmp_path):
    """Two replicas with leader election, each with an identity of its own.
    The leader is frozen (SIGSTOP) mid-convergence, past its lease; the other
    takes over and converges everything. The frozen one is then thawed in the
    middle of that: it must notice it no longer leads before writing, so no
    write of it lands after the takeover (the API server's audit log says
    who wrote what when)."""
    operator.stop()
    a_id = Identity(cluster, tmp_path, ns, "replica-a")
    b_id = Identity(cluster, tmp_path, ns, "replica-b")
    a = None
    try:
        names = apply_many(cluster, ns, FAILOVER_GATEWAYS)
        since = audit_offset(cluster)
        lease = ("--leader-election-namespace", ns)
        a = operator_factory("a", extra=LEASE_ARGS + lease + ("--identity", "replica-a", "--kubeconfig",
                                                               a_id.kubeconfig))
        cluster.wait_for("a leads", lambda: lease_holder(cluster, ns) == "replica-a", timeout=30)
        b = operator_factory("b", extra=LEASE_ARGS + lease + ("--identity", "replica-b", "--kubeconfig",
                                                               b_id.kubeconfig))
        cluster.wait_for("a converging", lambda: len(configured(cluster, ns)) >= 3, timeout=60)
        a.proc.send_signal(signal.SIGSTOP)
        assert len(configured(cluster, ns)) < len(names), "converged before the freeze: the test proves nothing"
        cluster.wait_for("b takes over", lambda: lease_holder(cluster, ns) == "replica-b", timeout=60)

        def b_writes():
            return [e for e in audit_writes(cluster, since, b_id.username, ns)
                    if landed(e) and e["objectRef"].get("resource") != "leases"]
        cluster.wait_for("b converging", lambda: len(b_writes()) >= 3, timeout=60)
        a.proc.send_signal(signal.SIGCONT)
        cluster.wait_for("a notices", lambda: "no longer the leader" in a.log_text(), timeout=30)
        cluster.wait_for("every gateway converged", lambda: configured(cluster, ns) == set(names), timeout=180,
                         interval=1)
        wait_quiet(cluster, ns)
        assert_converged_once(cluster, ns, names)

        # The takeover: b's first write of the Lease that landed. Every write
        # of a's that landed was received before it.
        takeover = next(parse_time(e["requestReceivedTimestamp"])
                        for e in audit_writes(cluster, since, b_id.username, ns)
                        if landed(e) and e["objectRef"].get("resource") == "leases")
        a_writes = [e for e in audit_writes(cluster, since, a_id.username, ns) if landed(e)]
        assert [e for e in a_writes if e["objectRef"].get("resource") != "leases"], "a wrote nothing"
        late = [e for e in a_writes if parse_time(e["requestReceivedTimestamp"]) >= takeover]
        assert not late, f"writes of the old leader after the takeover at {takeover}:\n" + \
            "\n".join(describe(e) for e in late)
        assert lease_holder(cluster, ns) == "replica-b"
        assert a.stop() == 0 and b.stop() == 0
    finally:
        if a and a.proc and a.proc.poll() is None:
            a.proc.send_signal(signal.SIGCONT)
        a_id.delete()
        b_id.delete()
        operator.start()
