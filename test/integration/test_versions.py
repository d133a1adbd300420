"""v1beta1 through a real kube-apiserver: the CRDs' webhook conversion
calls `serve` on loopback (test/harness/crd-conversion.sh sets
clientConfig.url and the local CA as caBundle), so every read in the other
version below travels kubectl -> kube-apiserver -> POST /convert -> etcd and
back.

While this module runs v1beta1 is served (the preferred version); at its
end the objects are removed and v1beta1 is unserved again, as the session
fixture left it.
"""
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from webhook_support import REPO, WebhookServer, operator_bin

GROUP = "runtime.agentic-layer.ai"
ALPHA = f"{GROUP}/v1alpha1"
BETA = f"{GROUP}/v1beta1"
CONVERSION = "crd-conversion.sh"
CARRIER = f"{GROUP}/conversion"
PATCH_ANNOTATION = "ai-gateway-litellm.agentic-layer.ai/config-patch"
HARNESS = REPO / "test" / "harness"
CRDS = REPO / "crds"
BETA_VALIDATING = "validate-v1beta1.versions-test.agentic-layer.ai"

COMMENTED_PATCH = """\
# longer timeout for the batch jobs
litellm_settings: {request_timeout: 600,   num_retries: 2}   # flow style
router_settings:
  routing_strategy: 'simple-shuffle'
"""


def run_harness(cluster, *args):
    env = dict(os.environ, LGO_BIN_DIR=str(cluster.bin_dir))
    p = subprocess.run([str(HARNESS / CONVERSION), *args], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p


def register_beta_validation(cluster, srv):
    """A validating webhook for v1beta1 writes (the API server then sends
    them as v1beta1, so denials carry v1beta1 field paths)."""
    import base64
    cfg = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "versions-test"},
        "webhooks": [{
            "name": BETA_VALIDATING, "admissionReviewVersions": ["v1"], "sideEffects": "None",
            "failurePolicy": "Fail", "timeoutSeconds": 5, "matchPolicy": "Exact",
            "clientConfig": {"url": f"{srv.url}/validate",
                             "caBundle": base64.b64encode(Path(srv.ca).read_bytes()).decode()},
            "rules": [{"apiGroups": [GROUP], "apiVersions": ["v1beta1"], "operations": ["CREATE", "UPDATE"],
                       "resources": ["aigateways", "toolgateways", "toolroutes"], "scope": "Namespaced"}],
        }],
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(cfg))


@pytest.fixture(scope="module")
def converter(cluster, tmp_path_factory):
    srv = WebhookServer(tmp_path_factory.mktemp("convert"), extra=["--log-requests"]).start()
    run_harness(cluster, cluster.kubeconfig, srv.url, str(srv.ca))
    register_beta_validation(cluster, srv)
    yield srv
    cluster.kubectl("delete", "validatingwebhookconfiguration", "versions-test", "--ignore-not-found", check=False)
    run_harness(cluster, "--unserve", cluster.kubeconfig)
    rc = srv.stop()
    assert rc == 0, f"serve exited with {rc}:\n{srv.log_text()[-4000:]}"


@pytest.fixture
def vns(cluster, converter, request):
    """A namespace whose objects are deleted while the converter still runs."""
    name = f"t-versions-{request.node.name[5:25].replace('_', '-').strip('-')}-{os.urandom(3).hex()}"
    cluster.kubectl("create", "namespace", name)
    yield name
    for plural in ("aigateways", "toolgateways", "toolroutes"):
        cluster.kubectl("delete", f"{plural}.v1alpha1.{GROUP}", "--all", "-n", name, "--wait=true", check=False)
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def get(cluster, version, plural, name, ns):
    out = cluster.kubectl("get", f"{plural}.{version}.{GROUP}", name, "-n", ns, "-o", "json").stdout
    return json.loads(out)


def apply(cluster, *objs, check=True):
    return cluster.kubectl("apply", "-f", "-", input="---\n".join(yaml.safe_dump(o) for o in objs), check=check)


def beta_aigateway(ns, name="gw"):
    return {
        "apiVersion": BETA, "kind": "AiGateway",
        "metadata": {"name": name, "namespace": ns, "labels": {"team": "a"}, "annotations": {"note": "kept"}},
        "spec": {
            "className": "versions-test-unowned",
            "port": 8080,
            "models": [
                {"name": "gpt-4o", "provider": "openai", "model": "gpt-4o-2024-08-06",
                 "apiBase": "https://a.example/v1", "apiKeySecretRef": {"name": "keys", "key": "team-a"}},
                {"name": "claude", "provider": "anthropic"},
            ],
            "replicas": 3,
            "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
            "configPatch": {"litellm_settings": {"request_timeout": 30}},
        },
    }


def alpha_commented(ns, name="commented"):
    return {
        "apiVersion": ALPHA, "kind": "AiGateway",
        "metadata": {"name": name, "namespace": ns, "annotations": {PATCH_ANNOTATION: COMMENTED_PATCH}},
        "spec": {"aiGatewayClassName": "versions-test-unowned",
                 "aiModels": [{"name": "m", "provider": "openai"}]},
    }


# ---------------------------------------------------------------- discovery

def test_both_versions_served_and_v1beta1_preferred(cluster, converter):
    group = json.loads(cluster.kubectl("get", "--raw", f"/apis/{GROUP}").stdout)
    versions = [v["version"] for v in group["versions"]]
    assert {"v1alpha1", "v1beta1"} <= set(versions)
    assert group["preferredVersion"]["version"] == "v1beta1"
    crd = json.loads(cluster.kubectl("get", "crd", f"aigateways.{GROUP}", "-o", "json").stdout)
    assert [(v["name"], v["served"], v["storage"]) for v in crd["spec"]["versions"]] == [
        ("v1alpha1", True, True), ("v1beta1", True, False)]
    assert crd["spec"]["conversion"]["strategy"] == "Webhook"
    assert crd["spec"]["conversion"]["webhook"]["conversionReviewVersions"] == ["v1"]


def test_crds_generated_part_is_current():
    """crds/gen-v1beta1.py --check: the v1beta1 schema follows the v1alpha1 one."""
    import sys
    p = subprocess.run([sys.executable, str(CRDS / "gen-v1beta1.py"), "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------- round trips

def test_create_v1beta1_read_v1alpha1_and_back(cluster, vns):
    want = beta_aigateway(vns)
    apply(cluster, want)
    alpha = get(cluster, "v1alpha1", "aigateways", "gw", vns)
    assert alpha["apiVersion"] == ALPHA
    assert alpha["spec"]["aiGatewayClassName"] == "versions-test-unowned"
    assert alpha["spec"]["aiModels"] == [{"name": "gpt-4o", "provider": "openai"},
                                         {"name": "claude", "provider": "anthropic"}]
    assert "replicas" not in alpha["spec"] and "models" not in alpha["spec"]
    carried = json.loads(alpha["metadata"]["annotations"][CARRIER])
    assert carried == {"spec": {
        "models": [{"name": "gpt-4o", "model": "gpt-4o-2024-08-06", "apiBase": "https://a.example/v1",
                    "apiKeySecretRef": {"name": "keys", "key": "team-a"}}],
        "replicas": 3, "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}}
    assert yaml.safe_load(alpha["metadata"]["annotations"][PATCH_ANNOTATION]) == {
        "litellm_settings": {"request_timeout": 30}}
    assert alpha["metadata"]["labels"] == {"team": "a"}
    assert alpha["metadata"]["annotations"]["note"] == "kept"

    beta = get(cluster, "v1beta1", "aigateways", "gw", vns)
    assert beta["apiVersion"] == BETA
    assert beta["spec"] == want["spec"]
    annotations = beta["metadata"]["annotations"]
    assert CARRIER not in annotations and PATCH_ANNOTATION not in annotations
    assert annotations["note"] == "kept"


def test_v1alpha1_commented_patch_kept_byte_for_byte(cluster, vns):
    apply(cluster, alpha_commented(vns))
    beta = get(cluster, "v1beta1", "aigateways", "commented", vns)
    assert beta["spec"]["configPatch"] == {"litellm_settings": {"request_timeout": 600, "num_retries": 2},
                                           "router_settings": {"routing_strategy": "simple-shuffle"}}
    assert beta["spec"]["className"] == "versions-test-unowned"
    # Written back through v1beta1 (a label added), the annotation text survives.
    cluster.kubectl("label", f"aigateways.v1beta1.{GROUP}", "commented", "-n", vns, "touched=yes")
    alpha = get(cluster, "v1alpha1", "aigateways", "commented", vns)
    assert alpha["metadata"]["annotations"][PATCH_ANNOTATION] == COMMENTED_PATCH
    assert alpha["metadata"]["labels"] == {"touched": "yes"}
    assert CARRIER not in alpha["metadata"]["annotations"]


def test_list_in_both_versions(cluster, vns):
    objs = [beta_aigateway(vns, f"gw-{i}") for i in range(12)] + [alpha_commented(vns, f"a-{i}") for i in range(12)]
    apply(cluster, *objs)
    for version, models_key in (("v1alpha1", "aiModels"), ("v1beta1", "models")):
        items = json.loads(cluster.kubectl("get", f"aigateways.{version}.{GROUP}", "-n", vns, "-o", "json",
                                           "--chunk-size=5").stdout)["items"]
        assert len(items) == 24
        assert all(it["apiVersion"] == f"{GROUP}/{version}" for it in items)
        assert all(models_key in it["spec"] for it in items)
    # The print columns read status (written here as the controller would).
    cluster.kubectl("patch", f"aigateways.v1beta1.{GROUP}", "gw-0", "-n", vns, "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": {"models": "gpt-4o,claude", "conditions": [
                        {"type": "AiGatewayReady", "status": "True", "reason": "Reconciled", "message": "ok",
                         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))
    for version in ("v1beta1", "v1alpha1"):
        table = cluster.kubectl("get", f"aigateways.{version}.{GROUP}", "-n", vns).stdout.splitlines()
        assert table[0].split() == ["NAME", "CLASS", "MODELS", "READY", "AGE"]
        rows = {line.split()[0]: line.split() for line in table[1:]}
        assert rows["gw-0"][1:4] == ["versions-test-unowned", "gpt-4o,claude", "True"]


def test_bare_resource_name_reads_v1beta1(cluster, vns):
    apply(cluster, alpha_commented(vns))
    got = json.loads(cluster.kubectl("get", "aigateways", "commented", "-n", vns, "-o", "json").stdout)
    assert got["apiVersion"] == BETA
    assert "models" in got["spec"]


def test_watch_in_v1beta1_sees_v1alpha1_writes(cluster, vns):
    apply(cluster, alpha_commented(vns, "watched"))
    rv = get(cluster, "v1alpha1", "aigateways", "watched", vns)["metadata"]["resourceVersion"]
    path = (f"/apis/{GROUP}/v1beta1/namespaces/{vns}/aigateways?watch=1&resourceVersion={rv}"
            f"&timeoutSeconds=20&fieldSelector=metadata.name%3Dwatched")
    proc = subprocess.Popen([str(cluster.bin_dir / "kubectl"), "get", "--raw", path], env=cluster.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = []

    def read():
        for line in proc.stdout:
            events.append(json.loads(line))

    t = threading.Thread(target=read, daemon=True)
    t.start()
    try:
        time.sleep(1.0)
        cluster.kubectl("patch", f"aigateways.v1alpha1.{GROUP}", "watched", "-n", vns, "--type=merge",
                        "-p", json.dumps({"spec": {"port": 9090}}))
        cluster.wait_for("a v1beta1 watch event with port 9090", lambda: any(
            e["object"]["apiVersion"] == BETA and e["object"]["spec"].get("port") == 9090 for e in events),
            timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    modified = [e for e in events if e["type"] == "MODIFIED"]
    assert modified and modified[-1]["object"]["spec"]["models"] == [{"name": "m", "provider": "openai"}]


def test_patch_in_one_version_read_in_the_other(cluster, vns):
    apply(cluster, beta_aigateway(vns))
    # v1beta1 patch of a field v1alpha1 has no home for
    cluster.kubectl("patch", f"aigateways.v1beta1.{GROUP}", "gw", "-n", vns, "--type=merge",
                    "-p", json.dumps({"spec": {"replicas": 5}}))
    alpha = get(cluster, "v1alpha1", "aigateways", "gw", vns)
    assert json.loads(alpha["metadata"]["annotations"][CARRIER])["spec"]["replicas"] == 5
    # v1alpha1 patch of a shared field keeps the v1beta1-only ones
    cluster.kubectl("patch", f"aigateways.v1alpha1.{GROUP}", "gw", "-n", vns, "--type=merge",
                    "-p", json.dumps({"spec": {"port": 9000}}))
    beta = get(cluster, "v1beta1", "aigateways", "gw", vns)
    assert beta["spec"]["port"] == 9000
    assert beta["spec"]["replicas"] == 5
    assert beta["spec"]["models"][0]["apiBase"] == "https://a.example/v1"
    # a v1alpha1 edit of the patch annotation shows as configPatch
    cluster.kubectl("annotate", "--overwrite", f"aigateways.v1alpha1.{GROUP}", "gw", "-n", vns,
                    f"{PATCH_ANNOTATION}=litellm_settings: {{request_timeout: 45}}")
    beta = get(cluster, "v1beta1", "aigateways", "gw", vns)
    assert beta["spec"]["configPatch"] == {"litellm_settings": {"request_timeout": 45}}


@pytest.mark.parametrize("server_side", [False, True])
def test_reapplying_a_v1beta1_manifest_changes_nothing(cluster, vns, server_side):
    """GitOps: the same v1beta1 manifest applied again (through two
    conversions each time) leaves the stored object as it was."""
    extra = ["--server-side", "--field-manager=gitops"] if server_side else []
    gw = beta_aigateway(vns)
    gw["metadata"]["annotations"]["extra"] = "kept-too"
    patched = alpha_commented(vns, "patched")
    text = "---\n".join(yaml.safe_dump(o) for o in (gw, patched))
    cluster.kubectl("apply", *extra, "-f", "-", input=text)
    rv = {n: get(cluster, "v1alpha1", "aigateways", n, vns)["metadata"]["resourceVersion"] for n in ("gw", "patched")}
    for _ in range(2):
        out = cluster.kubectl("apply", *extra, "-f", "-", input=text).stdout
        assert "configured" not in out, out
    assert {n: get(cluster, "v1alpha1", "aigateways", n, vns)["metadata"]["resourceVersion"]
            for n in ("gw", "patched")} == rv
    diff = cluster.kubectl("diff", *extra, "-f", "-", input=text, check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr


def test_toolgateway_and_route_round_trip(cluster, vns):
    tg = {"apiVersion": BETA, "kind": "ToolGateway", "metadata": {"name": "tg", "namespace": vns},
          "spec": {"className": "versions-test-unowned",
                   "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"t": "a"}}}}}}
    route = {"apiVersion": BETA, "kind": "ToolRoute", "metadata": {"name": "r", "namespace": vns},
             "spec": {"gatewayRef": {"name": "tg"}, "serverName": "weather_1",
                      "upstream": {"external": {"url": "https://mcp.example/mcp"}}}}
    apply(cluster, tg, route)
    a_route = get(cluster, "v1alpha1", "toolroutes", "r", vns)
    assert a_route["spec"]["toolGatewayRef"]["name"] == "tg"
    assert json.loads(a_route["metadata"]["annotations"][CARRIER]) == {"spec": {"serverName": "weather_1"}}
    b_route = get(cluster, "v1beta1", "toolroutes", "r", vns)
    assert b_route["spec"]["serverName"] == "weather_1" and b_route["spec"]["gatewayRef"]["name"] == "tg"
    b_tg = get(cluster, "v1beta1", "toolgateways", "tg", vns)
    assert b_tg["spec"]["allowedRoutes"] == tg["spec"]["allowedRoutes"]
    table = cluster.kubectl("get", f"toolroutes.v1beta1.{GROUP}", "-n", vns).stdout.splitlines()
    assert table[0].split() == ["NAME", "GATEWAY", "READY", "URL", "AGE"]
    assert table[1].split()[:2] == ["r", "tg"]
    table = cluster.kubectl("get", f"toolgateways.v1beta1.{GROUP}", "-n", vns).stdout.splitlines()
    assert table[0].split() == ["NAME", "CLASS", "ROUTES", "READY", "URL", "AGE"]


def test_schema_refuses_bad_v1beta1_fields(cluster, vns):
    route = {"apiVersion": BETA, "kind": "ToolRoute", "metadata": {"name": "bad", "namespace": vns},
             "spec": {"serverName": "has-dash", "upstream": {"external": {"url": "https://x/mcp"}}}}
    p = apply(cluster, route, check=False)
    assert p.returncode != 0 and "spec.serverName" in p.stderr, p.stderr
    tg = {"apiVersion": BETA, "kind": "ToolGateway", "metadata": {"name": "bad", "namespace": vns},
          "spec": {"allowedRoutes": {"namespaces": {"from": "Selector"}}}}
    p = apply(cluster, tg, check=False)
    assert p.returncode != 0 and "selector is required when from is Selector" in p.stderr, p.stderr


def test_admission_of_v1beta1_names_v1beta1_paths(cluster, converter, vns):
    gw = beta_aigateway(vns, "refused")
    gw["spec"]["configPatch"] = {"model_list": "not a list"}
    series = ('litellm_gateway_operator_webhook_requests_total{endpoint="validate",kind="AiGateway",'
              'operation="CREATE",verdict="denied"}')
    before = converter.metric(series)
    p = apply(cluster, gw, check=False)
    assert p.returncode != 0
    # kubectl prints only the causes of a single Invalid error: the path is
    # the v1beta1 one, and the denial was this webhook's.
    assert "The AiGateway \"refused\" is invalid: spec.configPatch: Invalid value: \"model_list\"" in p.stderr, p.stderr
    assert "annotations[" not in p.stderr
    assert converter.metric(series) > before


def test_corrupt_carrier_fails_conversion_with_the_reason(cluster, vns):
    bad = alpha_commented(vns, "corrupt")
    bad["metadata"]["annotations"][CARRIER] = '{"spec":{"replicas":'
    apply(cluster, bad)
    p = cluster.kubectl("get", f"aigateways.v1beta1.{GROUP}", "corrupt", "-n", vns, "-o", "json", check=False)
    assert p.returncode != 0
    assert f"metadata.annotations[{CARRIER}]" in p.stderr and "not the JSON object the conversion writes" in p.stderr, \
        p.stderr
    # still readable in the storage version, and fixable there
    assert get(cluster, "v1alpha1", "aigateways", "corrupt", vns)["metadata"]["name"] == "corrupt"
    cluster.kubectl("annotate", f"aigateways.v1alpha1.{GROUP}", "corrupt", "-n", vns, f"{CARRIER}-")
    assert get(cluster, "v1beta1", "aigateways", "corrupt", vns)["spec"]["configPatch"]


def test_explain_both_versions(cluster, converter):
    out = cluster.kubectl("explain", "aigateways.spec.models", f"--api-version={BETA}").stdout
    for field in ("apiBase", "apiKeySecretRef", "model", "provider"):
        assert field in out, out
    out = cluster.kubectl("explain", "aigateways.spec", f"--api-version={BETA}").stdout
    for field in ("className", "configPatch", "replicas", "resources"):
        assert field in out, out
    out = cluster.kubectl("explain", "aigateways.spec", f"--api-version={ALPHA}").stdout
    assert "aiModels" in out and "aiGatewayClassName" in out and "replicas" not in out, out
    out = cluster.kubectl("explain", "toolroutes.spec", f"--api-version={BETA}").stdout
    assert "serverName" in out and "gatewayRef" in out, out
    out = cluster.kubectl("explain", "toolgateways.spec.allowedRoutes.namespaces", f"--api-version={BETA}").stdout
    assert "selector" in out and "from" in out, out


def test_object_written_before_v1beta1_reads_as_v1beta1(cluster, converter, vns):
    """The AiGateway CRD as it was before v1beta1 (the hand-written v1alpha1
    part of the file), an object stored then, and the CRD of today."""
    path = CRDS / f"{GROUP}_aigateways.yaml"
    text = path.read_text()
    marker = "    # --- v1beta1 and conversion"
    old = yaml.safe_load(text.split(marker, 1)[0])
    assert [v["name"] for v in old["spec"]["versions"]] == ["v1alpha1"]
    live = json.loads(cluster.kubectl("get", "crd", f"aigateways.{GROUP}", "-o", "json").stdout)
    live["spec"]["versions"] = old["spec"]["versions"]
    live["spec"]["conversion"] = {"strategy": "None"}
    try:
        cluster.kubectl("replace", "-f", "-", input=json.dumps(live))
        cluster.wait_for("v1beta1 gone from discovery", lambda: "aigateways" not in cluster.kubectl(
            "get", "--raw", f"/apis/{GROUP}/v1beta1", check=False).stdout, timeout=30)
        apply(cluster, alpha_commented(vns, "old"))
    finally:
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
        run_harness(cluster, cluster.kubeconfig, converter.url, str(converter.ca))
    beta = get(cluster, "v1beta1", "aigateways", "old", vns)
    assert beta["spec"]["models"] == [{"name": "m", "provider": "openai"}]
    assert beta["spec"]["configPatch"]["router_settings"] == {"routing_strategy": "simple-shuffle"}
    assert get(cluster, "v1alpha1", "aigateways", "old", vns)["metadata"]["annotations"][PATCH_ANNOTATION] == \
        COMMENTED_PATCH


def test_conversion_metrics(cluster, converter, vns):
    apply(cluster, alpha_commented(vns, "counted"))
    before = converter.metric('litellm_gateway_operator_webhook_requests_total{endpoint="convert",kind="AiGateway",'
                              'operation="none",verdict="allowed"}')
    get(cluster, "v1beta1", "aigateways", "counted", vns)
    cluster.wait_for("the convert request counted", lambda: converter.metric(
        'litellm_gateway_operator_webhook_requests_total{endpoint="convert",kind="AiGateway",operation="none",verdict="allowed"}')
        > before)


def test_convert_command_on_the_samples(tmp_path):
    """`convert` to v1beta1 and back gives the samples again; other documents byte for byte."""
    samples = REPO / "deploy" / "samples"
    beta_dir = tmp_path / "beta"
    p = subprocess.run([operator_bin(), "convert", "-f", str(samples), "--to", "v1beta1"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    ours = [d for d in docs if d["kind"] in ("AiGateway", "ToolGateway", "ToolRoute")]
    assert ours and all(d["apiVersion"] == BETA for d in ours)
    beta_dir.mkdir()
    (beta_dir / "all.yaml").write_text(p.stdout)
    back = subprocess.run([operator_bin(), "convert", "-f", str(beta_dir / "all.yaml"), "--to", "v1alpha1"],
                          capture_output=True, text=True)
    assert back.returncode == 0, back.stderr
    want = []

    def walk(d):  # the command's order: names sorted, directories entered in place
        for f in sorted(d.iterdir(), key=lambda x: x.name.encode()):
            if f.is_dir():
                walk(f)
            elif f.suffix in (".yaml", ".yml", ".json"):
                want.extend(x for x in yaml.safe_load_all(f.read_text()) if x)
    walk(samples)
    assert [d for d in yaml.safe_load_all(back.stdout) if d] == want
    ns_text = (samples / "00-namespaces.yaml").read_text()
    assert ns_text in p.stdout
    # refused: nothing on stdout, exit 1, the field path on stderr
    bad = 'apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\nmetadata: {name: x}\n' \
          'spec: {replicas: 2, aiModels: [{name: m, provider: p}]}\n'
    p = subprocess.run([operator_bin(), "convert", "-f", "-", "--to", "v1beta1"], input=bad,
                       capture_output=True, text=True)
    assert p.returncode == 1 and p.stdout == ""
    assert "spec.replicas: Forbidden: a v1beta1 field" in p.stderr
