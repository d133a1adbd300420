"""The admission webhooks through a real kube-apiserver and real kubectl.

`serve` runs on loopback and test/harness/register-webhooks.sh registers it
with the API server (clientConfig.url and the local CA), exactly the
configurations of deploy/webhook/webhooks.yaml otherwise. Every verdict here
travels: kubectl -> kube-apiserver -> mutating webhook -> schema ->
validating webhook -> kubectl's printing.

The registration is cluster-wide; it is removed when this module ends, so
other modules see the API server's own verdicts only.
"""
import copy
import json
import os
import subprocess
import time

import pytest
import yaml

from webhook_support import (API_VERSION, MUTATING_WEBHOOK, REGISTER, REPO, VALIDATING_WEBHOOK, WebhookServer,
                             operator_bin)

SAMPLES = REPO / "deploy" / "samples"
DENIED_BY = f'admission webhook "{VALIDATING_WEBHOOK}" denied the request'


@pytest.fixture(scope="module")
def webhook(cluster, tmp_path_factory):
    srv = WebhookServer(tmp_path_factory.mktemp("webhook"), extra=["--log-requests"]).start()
    env = dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir))
    p = subprocess.run([str(REGISTER), cluster.kubeconfig, srv.url, str(srv.ca)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    yield srv
    subprocess.run([str(REGISTER), "--delete", cluster.kubeconfig], env=env, capture_output=True, timeout=60)
    rc = srv.stop()
    assert rc == 0, f"serve exited with {rc}:\n{srv.log_text()[-4000:]}"


def dump(*objs):
    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objs)


def offline_errors(obj):
    """What `litellm-gateway-operator validate` says about obj: the lines
    "<field>: <message>" after "error: "."""
    p = subprocess.run([operator_bin(), "validate", "-f", "-"], input=dump(obj), capture_output=True, text=True)
    return [line.split(": error: ", 1)[1] for line in p.stderr.splitlines() if ": error: " in line]


def aigw(ns, name="gw", **spec):
    spec.setdefault("aiModels", [{"name": "gpt-4o", "provider": "openai"}])
    return {"apiVersion": API_VERSION, "kind": "AiGateway", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def route(ns, name="r", **spec):
    return {"apiVersion": API_VERSION, "kind": "ToolRoute", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def toolgw(ns, name="tg", **spec):
    return {"apiVersion": API_VERSION, "kind": "ToolGateway", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def with_annotation(obj, key, value):
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("annotations", {})[key] = value
    return obj


PATCH = "ai-gateway-litellm.agentic-layer.ai/config-patch"

# Objects the CRD schema lets through and only the webhook refuses.
BAD = {
    "duplicate-and-unroutable-model": lambda ns: aigw(ns, "bad", aiModels=[
        {"name": "gpt-4o", "provider": "openai"}, {"name": "gpt-4o", "provider": "openai"},
        {"name": "my model", "provider": "openai"}]),
    "selector-label": lambda ns: aigw(ns, podMetadata={"labels": {"app": "mine"}}),
    "operator-annotation": lambda ns: aigw(ns, podMetadata={"annotations": {"gateway.agentic-layer.ai/config-hash": "x"}}),
    "bad-label-key": lambda ns: toolgw(ns, commonMetadata={"labels": {"bad key!": "x"}}),
    # Namespaces spelled out: the mutating webhook fills them in before
    # validation, and the duplicate's message names the namespace then.
    "guardrail-twice-and-wrong-kind": lambda ns: aigw(ns, guardrails=[
        {"name": "pii", "namespace": ns}, {"name": "pii", "namespace": ns}, {"name": "s", "kind": "Secret"}]),
    "service-name": lambda ns: aigw(ns, "9gw"),
    "provider-charset": lambda ns: aigw(ns, aiModels=[{"name": "m", "provider": "Open.AI"}]),
    "patch-not-a-mapping": lambda ns: with_annotation(aigw(ns), PATCH, "- a\n- b\n"),
    "patch-breaks-config": lambda ns: with_annotation(aigw(ns), PATCH, "model_list: null\n"),
    "route-credentials-and-glob": lambda ns: route(ns, upstream={"external": {"url": "https://user:secret@mcp.example.com/mcp"}},
                                                   toolFilter={"allow": ["get_[issue"]}),
    "route-url-port": lambda ns: route(ns, upstream={"external": {"url": "http:///mcp"}}),
}


def test_registered_like_deploy(cluster, webhook):
    """The harness registers what deploy/webhook declares, but for the URL."""
    declared = {d["kind"]: d for d in yaml.safe_load_all((REPO / "deploy" / "webhook" / "webhooks.yaml").read_text())}
    for kind, resource in (("ValidatingWebhookConfiguration", "validatingwebhookconfiguration"),
                           ("MutatingWebhookConfiguration", "mutatingwebhookconfiguration")):
        live = cluster.get_json(resource, "litellm-gateway-operator")
        assert len(live["webhooks"]) == len(declared[kind]["webhooks"]) == 1
        want, got = declared[kind]["webhooks"][0], live["webhooks"][0]
        for key in ("name", "admissionReviewVersions", "sideEffects", "failurePolicy", "timeoutSeconds",
                    "matchPolicy", "rules"):
            assert got[key] == want[key], key
        assert want["clientConfig"]["service"]["path"] == "/" + got["clientConfig"]["url"].rsplit("/", 1)[1]
        assert got["clientConfig"]["url"].startswith(webhook.url)
        if "reinvocationPolicy" in want:
            assert got["reinvocationPolicy"] == want["reinvocationPolicy"]
    assert declared["ValidatingWebhookConfiguration"]["webhooks"][0]["name"] == VALIDATING_WEBHOOK
    assert declared["MutatingWebhookConfiguration"]["webhooks"][0]["name"] == MUTATING_WEBHOOK


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("dry_run", [False, True], ids=["apply", "dry-run=server"])
def test_refused_with_every_field_path(cluster, webhook, ns, case, dry_run):
    obj = BAD[case](ns)
    want = offline_errors(obj)
    assert want, f"the offline validate command accepts {case}"
    p = cluster.apply(dump(obj), dry_run=dry_run, check=False)
    assert p.returncode != 0, p.stdout
    # kubectl prints an Invalid status as "The <Kind> "<name>" is invalid:"
    # and one "* <field>: <message>" per cause, worded as `validate` does.
    assert f'The {obj["kind"]} "{obj["metadata"]["name"]}" is invalid' in p.stderr, p.stderr
    for msg in want:
        assert msg in p.stderr, f"missing {msg!r} in:\n{p.stderr}"
    got = cluster.kubectl("get", obj["kind"].lower(), obj["metadata"]["name"], "-n", ns, check=False)
    assert got.returncode != 0, "a refused object was stored"


def test_refusals_name_the_webhook(cluster, webhook, ns):
    """With more than one object kubectl prints each whole message: the
    webhook's name, the object and every field path."""
    a, b = BAD["duplicate-and-unroutable-model"](ns), BAD["route-credentials-and-glob"](ns)
    for server_side in (False, True):
        p = cluster.apply(dump(a, b), server_side=server_side, check=False)
        assert p.returncode != 0
        assert p.stderr.count(DENIED_BY) == 2, p.stderr
        assert (f'{DENIED_BY}: AiGateway.runtime.agentic-layer.ai "bad" is invalid: [spec.aiModels[1].name: '
                'Duplicate value: "gpt-4o", spec.aiModels[2].name: Invalid value: "my model"') in p.stderr
        assert (f'{DENIED_BY}: ToolRoute.runtime.agentic-layer.ai "r" is invalid: [spec.upstream.external.url: '
                'Invalid value: "https://user:secret@mcp.example.com/mcp"') in p.stderr


def retarget(docs, mapping):
    """Moves sample objects into the test's namespaces (references too)."""
    out = []
    for d in docs:
        if d is None or d.get("kind") == "Namespace":
            continue
        d = copy.deepcopy(d)

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == "namespace" and v in mapping:
                        o[k] = mapping[v]
                    else:
                        walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(d)
        out.append(d)
    return out


def test_invalid_samples_refused(cluster, webhook, ns):
    route_bad = retarget(yaml.safe_load_all((SAMPLES / "invalid" / "tool-route-bad.yaml").read_text()),
                         {"tools": ns})
    p = cluster.apply(dump(*route_bad), check=False)
    assert p.returncode != 0
    for msg in ('spec.upstream.external.url: Invalid value: "https://user:secret@mcp.example.com/mcp": must not '
                "contain user info", 'spec.toolFilter.allow[0]: Invalid value: "get_[issue": unterminated character'):
        assert msg in p.stderr, p.stderr
    # The AiGateway sample passes the CRD schema; every finding is the webhook's.
    gw_bad = retarget(yaml.safe_load_all((SAMPLES / "invalid" / "ai-gateway-bad.yaml").read_text()),
                      {"ai-gateway": ns})
    p = cluster.apply(dump(*gw_bad), check=False)
    assert p.returncode != 0
    for msg in offline_errors(gw_bad[0]):
        assert msg in p.stderr, p.stderr


@pytest.fixture
def sample_namespaces(cluster, request):
    """Three namespaces standing in for the samples' ai-gateway,
    tool-gateway and tools."""
    names = {}
    for orig in ("ai-gateway", "tool-gateway", "tools"):
        name = f"wh-{orig}-{os.urandom(3).hex()}"
        cluster.kubectl("create", "namespace", name)
        names[orig] = name
    yield names
    for name in names.values():
        cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.mark.parametrize("sample", ["ai-gateway-basic.yaml", "ai-gateway-guarded.yaml", "ai-gateway-patched.yaml",
                                    "tool-gateway.yaml"])
def test_valid_samples_accepted(cluster, webhook, sample_namespaces, sample):
    docs = retarget(yaml.safe_load_all((SAMPLES / sample).read_text()), sample_namespaces)
    p = cluster.apply(dump(*docs), dry_run=True, check=False)
    assert p.returncode == 0, p.stderr
    assert "(server dry run)" in p.stdout
    p = cluster.apply(dump(*docs), check=False)
    assert p.returncode == 0, p.stderr
    for d in docs:
        if d["apiVersion"] == API_VERSION:
            cluster.get_json(d["kind"].lower(), d["metadata"]["name"], d["metadata"]["namespace"])
    # Applying the same files again changes nothing and is accepted.
    p = cluster.apply(dump(*docs), check=False)
    assert p.returncode == 0, p.stderr


def test_defaults_never_inside_references(cluster, webhook, ns):
    """The webhook writes nothing inside what the user owns: references keep
    exactly the fields written (the controller resolves their namespace and
    kind); spec.port is the CRD's default."""
    cluster.apply(dump(
        {"apiVersion": API_VERSION, "kind": "AiGateway", "metadata": {"name": "gw", "namespace": ns},
         "spec": {"aiModels": [{"name": "gpt-4o", "provider": "openai"}],
                  "guardrails": [{"name": "pii"}, {"name": "mod", "namespace": "guards"}]}},
        toolgw(ns, guardrails=[{"name": "pii"}]),
        route(ns, toolGatewayRef={"name": "tg"}, upstream={"toolServerRef": {"name": "weather"}})))
    gw = yaml.safe_load(cluster.kubectl("get", "aigateway", "gw", "-n", ns, "-o", "yaml").stdout)
    assert gw["spec"]["port"] == 80
    assert gw["spec"]["guardrails"] == [{"name": "pii"}, {"name": "mod", "namespace": "guards"}]
    tg = cluster.get_json("toolgateway", "tg", ns)
    assert tg["spec"]["guardrails"] == [{"name": "pii"}]
    r = cluster.get_json("toolroute", "r", ns)
    assert r["spec"]["toolGatewayRef"] == {"name": "tg"}
    assert r["spec"]["upstream"]["toolServerRef"] == {"name": "weather"}
    # Stable: a second apply of the same file is unchanged (kubectl sends
    # nothing, the spec keeps its generation; the controller may still be
    # writing the route's status meanwhile, which moves resourceVersion).
    before = r["metadata"]["generation"]
    p = cluster.apply(dump(route(ns, toolGatewayRef={"name": "tg"}, upstream={"toolServerRef": {"name": "weather"}})))
    assert "unchanged" in p.stdout, p.stdout
    assert cluster.get_json("toolroute", "r", ns)["metadata"]["generation"] == before


SAMPLE_FILES = ["ai-gateway-basic.yaml", "ai-gateway-guarded.yaml", "ai-gateway-patched.yaml", "tool-gateway.yaml"]


def our_objects(docs):
    return [d for d in docs if d["apiVersion"] == API_VERSION]


def resource_versions(cluster, docs):
    return {(d["kind"], d["metadata"]["name"]): cluster.get_json(d["kind"].lower(), d["metadata"]["name"],
                                                                   d["metadata"]["namespace"])["metadata"]["resourceVersion"]
            for d in our_objects(docs)}


def settled_resource_versions(cluster, docs, quiet=3.0, timeout=90.0):
    """The objects' resourceVersions once nothing has written them for
    `quiet` seconds (a controller running in the same cluster writes their
    status while it converges)."""
    deadline = time.monotonic() + timeout
    last, since = resource_versions(cluster, docs), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = resource_versions(cluster, docs)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"the objects never stopped changing: {last}")


@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_reapply_changes_nothing(cluster, webhook, sample_namespaces, sample):
    """Every sample re-applied client-side and server-side is `unchanged`
    with the same resourceVersion, `kubectl diff` finds nothing, and moving
    from client-side to server-side apply needs no --force-conflicts."""
    docs = retarget(yaml.safe_load_all((SAMPLES / sample).read_text()), sample_namespaces)
    text = dump(*docs)
    cluster.apply(text)
    rv = settled_resource_versions(cluster, docs)
    p = cluster.apply(text)
    for d in our_objects(docs):
        assert f'{d["kind"].lower()}.runtime.agentic-layer.ai/{d["metadata"]["name"]} unchanged' in p.stdout, p.stdout
    assert resource_versions(cluster, docs) == rv
    d = cluster.kubectl("diff", "-f", "-", input=text, check=False)
    assert d.returncode == 0 and d.stdout == "", d.stdout + d.stderr
    # Client-side -> server-side: no conflict with kubectl-client-side-apply
    # (the first server-side apply records the new field manager; the
    # spec is the same).
    specs = {k: cluster.get_json(k[0].lower(), k[1], d["metadata"]["namespace"])["spec"]
             for d in our_objects(docs) for k in [(d["kind"], d["metadata"]["name"])]}
    p = cluster.apply(text, server_side=True, check=False)
    assert p.returncode == 0, p.stderr
    assert "conflict" not in (p.stdout + p.stderr).lower()
    assert {k: cluster.get_json(k[0].lower(), k[1], d["metadata"]["namespace"])["spec"]
            for d in our_objects(docs) for k in [(d["kind"], d["metadata"]["name"])]} == specs
    rv = settled_resource_versions(cluster, docs)
    cluster.apply(text, server_side=True)
    assert resource_versions(cluster, docs) == rv
    d = cluster.kubectl("diff", "--server-side", "-f", "-", input=text, check=False)
    assert d.returncode == 0 and d.stdout == "", d.stdout + d.stderr


def test_warnings_printed(cluster, webhook, ns):
    obj = with_annotation(aigw(ns, aiModels=[{"name": "gpt-4o", "provider": "opnai"}]), PATCH,
                          "litellm_settings:\n  request_timeout: 30\ngeneral_settings:\n  master_key: sk-1234\n")
    p = cluster.apply(dump(obj))
    warnings = [line[len("Warning: "):] for line in p.stderr.splitlines() if line.startswith("Warning: ")]
    assert any(w.startswith('spec.aiModels[0].provider: Invalid value: "opnai": not a provider LiteLLM')
               and w.endswith('did you mean "openai"?') for w in warnings), p.stderr
    pf = f"metadata.annotations[{PATCH}]: "
    assert pf + "overrides litellm_settings.request_timeout: 600 -> 30" in warnings, p.stderr
    assert any(w.startswith(pf + "general_settings.master_key looks like a literal secret") for w in warnings)
    assert "aigateway.runtime.agentic-layer.ai/gw created" in p.stdout


def test_update_is_validated(cluster, webhook, ns):
    cluster.apply(dump(aigw(ns)))
    bad = aigw(ns, aiModels=[{"name": "a", "provider": "openai"}, {"name": "a", "provider": "openai"}])
    p = cluster.apply(dump(bad), check=False)
    assert p.returncode != 0
    assert 'spec.aiModels[1].name: Duplicate value: "a"' in p.stderr
    live = cluster.get_json("aigateway", "gw", ns)
    assert [m["name"] for m in live["spec"]["aiModels"]] == ["gpt-4o"]
    # An edit through kubectl patch goes through the same webhook.
    p = cluster.kubectl("patch", "aigateway", "gw", "-n", ns, "--type=merge", "-p",
                        json.dumps({"spec": {"podMetadata": {"labels": {"app": "x"}}}}), check=False)
    assert p.returncode != 0
    assert 'spec.podMetadata.labels[app]: Forbidden: the label "app" is the Deployment\'s selector' in p.stderr
    # Deleting is never blocked.
    cluster.kubectl("delete", "aigateway", "gw", "-n", ns)


def test_webhook_counted_in_metrics(cluster, webhook, ns):
    cluster.apply(dump(aigw(ns, "counted")))
    m = webhook.metrics()
    assert 'endpoint="validate",kind="AiGateway",operation="CREATE",verdict="allowed"' in m
    # The CRD defaults spec.port and the webhook writes nothing inside
    # references: the mutating webhook allows without a patch.
    assert 'endpoint="mutate",kind="AiGateway",operation="CREATE",verdict="allowed"' in m
    assert 'verdict="denied"' in m
