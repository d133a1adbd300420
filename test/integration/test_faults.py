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
from test_controller import ai_gateway, condition, get, lease_holder
from test_runtime import apply_many, configured, wait_quiet, writes_nothing_on_restart


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
        # --v 2: the webhook logs every connection it closes and why, so a
        # failed probe can be told apart (keeper, library, handler).
        op = operator_factory("through-etcd", extra=("--workers", "1", "--v", "2"))
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
            "\n".join(probe.failures[:20]) + "\nthe webhook's log meanwhile:\n" + probe.webhook_log()
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

TAMPER_ROUNDS = 30


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

FAILOVER_GATEWAYS = 30
FREEZES = 3
LEASE_ARGS = ("--leader-elect", "--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1",
              "--workers", "4")


def terms(lease_writes, ids):
    """Each replica's terms, [start, end) by the API server's clock, from
    the Lease writes that landed: a term starts with a replica's write that
    follows the other's (or the first) and ends with the other's next."""
    out = {i: [] for i in ids}
    holder, since = None, None
    for ev in lease_writes:
        who = ev["_who"]
        at = parse_time(ev["requestReceivedTimestamp"])
        if who != holder:
            if holder is not None:
                out[holder].append((since, at))
            holder, since = who, at
    if holder is not None:
        out[holder].append((since, None))
    return out


def test_leader_failover_mid_convergence(cluster, operator, operator_factory, ns, tmp_path):
    """Two replicas with leader election, each with an identity of its own,
    while a client keeps changing gateways. The leader is frozen (SIGSTOP)
    past its lease, mid-convergence; the other takes over; the frozen one is
    thawed while the new leader converges, and must notice it no longer
    leads before it writes. Repeated a few times, alternating. Afterwards
    everything is converged, and every write of a replica that landed (the
    API server's audit log says who wrote what when) lies inside one of its
    own terms."""
    operator.stop()
    ids = {"replica-a": Identity(cluster, tmp_path, ns, "replica-a"),
           "replica-b": Identity(cluster, tmp_path, ns, "replica-b")}
    reps, changer = {}, None
    try:
        names = apply_many(cluster, ns, FAILOVER_GATEWAYS)
        since = audit_offset(cluster)
        for who, ident in ids.items():
            reps[who] = operator_factory(who, extra=LEASE_ARGS + (
                "--leader-election-namespace", ns, "--identity", who, "--kubeconfig", ident.kubeconfig))
        cluster.wait_for("a leader", lambda: lease_holder(cluster, ns) in ids, timeout=30)

        def change(i):
            name = names[(i * 7) % len(names)]
            patch = {"spec": {"aiModels": [{"name": f"model-{i}", "provider": "openai"}]}}
            return cluster.kubectl("-n", ns, "patch", "aigateway", name, "--type=merge", "-p", json.dumps(patch),
                                   check=False, timeout=30).returncode == 0
        changer = Changer(change, interval=0.2)
        changer.start()

        def writes_of(who, offset):
            return [e for e in audit_writes(cluster, offset, ids[who].username, ns)
                    if landed(e) and e["objectRef"].get("resource") != "leases"]
        for _ in range(FREEZES):
            leader = lease_holder(cluster, ns)
            other = next(w for w in ids if w != leader)
            mark = audit_offset(cluster)
            cluster.wait_for(f"{leader} writing", lambda: len(writes_of(leader, mark)) >= 2, timeout=60)
            stepped = reps[leader].log_text().count("no longer the leader")
            reps[leader].proc.send_signal(signal.SIGSTOP)
            cluster.wait_for(f"{other} takes over", lambda: lease_holder(cluster, ns) == other, timeout=60)
            mark = audit_offset(cluster)
            cluster.wait_for(f"{other} writing", lambda: len(writes_of(other, mark)) >= 2, timeout=60)
            reps[leader].proc.send_signal(signal.SIGCONT)
            cluster.wait_for(f"{leader} notices", lambda: reps[leader].log_text().count("no longer the leader")
                             > stepped, timeout=30)
        changer.stop()
        want = models_of(cluster, ns)

        def converged():
            if configured(cluster, ns) != set(names):
                return False
            return all(f'"openai/{m}"' in config_text(cluster, n, ns) for n in names for m in want[n])
        cluster.wait_for("every gateway converged to its last change", converged, timeout=180, interval=1)
        for who, rep in reps.items():
            assert rep.proc.poll() is None, f"{who} exited:\n" + rep.log_text()[-3000:]

        everything = audit_writes(cluster, since, namespace=ns)
        user_of = {ident.username: who for who, ident in ids.items()}
        mine = [dict(e, _who=user_of[e["user"]["username"]]) for e in everything
                if landed(e) and e["user"]["username"] in user_of]
        spans = terms([e for e in mine if e["objectRef"].get("resource") == "leases"], ids)
        assert all(len(spans[w]) >= 2 for w in ids), f"too few terms to prove anything: {spans}"
        outside = []
        for e in mine:
            if e["objectRef"].get("resource") == "leases":
                continue
            at = parse_time(e["requestReceivedTimestamp"])
            if not any(start <= at and (end is None or at < end) for start, end in spans[e["_who"]]):
                outside.append(f"{e['_who']}: {describe(e)}")
        assert not outside, f"writes outside the writer's terms {spans}:\n" + "\n".join(outside)
        for rep in reps.values():
            assert rep.stop() == 0
    finally:
        if changer:
            changer.stop()
        for rep in reps.values():
            if rep.proc and rep.proc.poll() is None:
                rep.proc.send_signal(signal.SIGCONT)
        for ident in ids.values():
            ident.delete()
        operator.start()
