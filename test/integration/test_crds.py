"""Schema tests for crds/ against a real kube-apiserver.

The session fixture installs crds/ before these tests run; no webhook of the
operator is registered for this file, so every verdict here is the API
server's own (OpenAPI schema, defaults, CEL). Each refusal is paired with an
accepted control object that differs only in the offending field, so a test
fails if the rule is missing as well as if the schema refuses too much.
"""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

GROUP = "runtime.agentic-layer.ai"
API_VERSION = f"{GROUP}/v1alpha1"

# plural -> (kind, scope, print columns as (name, type, jsonPath) or [])
EXPECTED_CRDS = {
    "aigateways": ("AiGateway", "Namespaced", [
        ("Class", "string", ".spec.aiGatewayClassName"),
        ("Models", "string", ".status.models"),
        ("Ready", "string", '.status.conditions[?(@.type=="AiGatewayReady")].status'),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]),
    "toolgateways": ("ToolGateway", "Namespaced", [
        ("Class", "string", ".spec.toolGatewayClassName"),
        ("Routes", "integer", ".status.attachedRoutes"),
        ("Ready", "string", '.status.conditions[?(@.type=="ToolGatewayReady")].status'),
        ("URL", "string", ".status.url"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]),
    "toolroutes": ("ToolRoute", "Namespaced", [
        ("Gateway", "string", ".spec.toolGatewayRef.name"),
        ("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
        ("URL", "string", ".status.url"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]),
    "aigatewayclasses": ("AiGatewayClass", "Cluster", [
        ("Controller", "string", ".spec.controller"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]),
    "toolgatewayclasses": ("ToolGatewayClass", "Cluster", [
        ("Controller", "string", ".spec.controller"),
        ("Age", "date", ".metadata.creationTimestamp"),
    ]),
    "guards": ("Guard", "Namespaced", []),
    "guardrailproviders": ("GuardrailProvider", "Namespaced", []),
    "toolservers": ("ToolServer", "Namespaced", []),
}
KIND_TO_PLURAL = {kind: plural for plural, (kind, _, _) in EXPECTED_CRDS.items()}

# The namespaces deploy/samples/*.yaml use; every one is rewritten to the test's.
SAMPLE_NAMESPACES = {"ai-gateway", "tool-gateway", "tools"}


# ---------------------------------------------------------------- helpers

def get_json(cluster, *args):
    out = cluster.kubectl("get", *args, "-o", "json").stdout
    return json.loads(out)


def crd_json(cluster, plural):
    return get_json(cluster, "crd", f"{plural}.{GROUP}")


def spec_at(crd, *path):
    """Walks openAPIV3Schema properties: spec_at(crd, 'spec', 'port')."""
    node = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for name in path:
        node = node["properties"][name]
    return node


def dump_all(docs):
    return yaml.safe_dump_all(docs, sort_keys=False)


def apply(cluster, ns, doc, *extra):
    return cluster.kubectl("apply", "-n", ns, *extra, "-f", "-",
                           input=dump_all([doc]), check=False)


def is_subset(small, big):
    """True when every value in `small` is present, equal, in `big`."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(
            k in big and is_subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list):
        return (isinstance(big, list) and len(small) == len(big)
                and all(is_subset(a, b) for a, b in zip(small, big)))
    return small == big


# ------------------------------------------------- (1) the CRDs themselves

def test_crds_dir_holds_exactly_our_kinds(cluster):
    """crds/ defines the eight kinds, one file each, all listed in kustomization.yaml."""
    crd_dir = Path(cluster.repo) / "crds"
    found = {}
    for path in sorted(crd_dir.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(docs) == 1, f"{path.name}: expected one CRD, found {len(docs)}"
        assert docs[0]["kind"] == "CustomResourceDefinition", path.name
        found[docs[0]["metadata"]["name"]] = path.name
    assert set(found) == {f"{p}.{GROUP}" for p in EXPECTED_CRDS}
    for name, file in found.items():
        assert file == f"{GROUP}_{name.split('.')[0]}.yaml"
    kust = yaml.safe_load((crd_dir / "kustomization.yaml").read_text())
    assert sorted(kust["resources"]) == sorted(found.values())


@pytest.mark.parametrize("plural", sorted(EXPECTED_CRDS))
def test_crd_installed_as_specified(cluster, plural):
    kind, scope, columns = EXPECTED_CRDS[plural]
    crd = crd_json(cluster, plural)
    conds = {c["type"]: c["status"] for c in crd["status"].get("conditions", [])}
    assert conds.get("Established") == "True", conds
    assert conds.get("NamesAccepted") == "True", conds

    spec = crd["spec"]
    assert spec["group"] == GROUP
    assert spec["scope"] == scope
    names = spec["names"]
    assert (names["kind"], names["listKind"], names["plural"], names["singular"]) == (
        kind, kind + "List", plural, kind.lower())
    # Upstream defines no short names or categories; adding some could clash
    # with other operators of the ecosystem.
    assert "shortNames" not in names and "categories" not in names

    assert [(v["name"], v["served"], v["storage"]) for v in spec["versions"]
            if v["name"] == "v1alpha1"] == [("v1alpha1", True, True)]
    v1alpha1 = next(v for v in spec["versions"] if v["name"] == "v1alpha1")
    assert v1alpha1.get("subresources") == {"status": {}}
    got_columns = [(c["name"], c["type"], c["jsonPath"])
                   for c in v1alpha1.get("additionalPrinterColumns", [])]
    assert got_columns == columns
    assert "v1alpha1" in crd["status"]["storedVersions"]

    conditions = spec_at(crd, "status", "conditions")
    assert conditions["x-kubernetes-list-type"] == "map"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    assert set(conditions["items"]["required"]) == {
        "type", "status", "reason", "message", "lastTransitionTime"}


def test_crd_schema_facts(cluster):
    """Spot checks of the published schema (defaults and constraints)."""
    gw = crd_json(cluster, "aigateways")
    port = spec_at(gw, "spec", "port")
    assert (port["default"], port["minimum"], port["maximum"]) == (80, 1, 65535)
    assert spec_at(gw, "spec")["required"] == ["aiModels"]
    assert spec_at(gw, "spec", "aiModels")["minItems"] == 1

    route = crd_json(cluster, "toolroutes")
    rules = spec_at(route, "spec", "upstream")["x-kubernetes-validations"]
    assert [r["rule"] for r in rules] == [
        "(has(self.toolServerRef) ? 1 : 0) + (has(self.external) ? 1 : 0) == 1"]
    url = spec_at(route, "spec", "upstream", "external", "url")
    assert (url["format"], url["pattern"]) == ("uri", "^https?://.+")

    ts = crd_json(cluster, "toolservers")
    assert spec_at(ts, "spec", "transportType")["default"] == "http"
    assert spec_at(ts, "spec", "protocol")["default"] == "mcp"
    assert set(spec_at(ts, "spec")["properties"]) == {
        "protocol", "transportType", "image", "imagePullSecrets", "command", "args",
        "port", "path", "replicas", "env", "envFrom", "resources",
        "commonMetadata", "podMetadata"}


# ------------------------------------------------------- (2) the samples

def sample_files():
    root = Path(__file__).resolve().parents[2] / "deploy" / "samples"
    return sorted(p for p in root.glob("*.yaml") if p.name != "00-namespaces.yaml")


def rewrite_namespaces(node, ns):
    """Replaces every `namespace: <sample namespace>` anywhere in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "namespace" and value in SAMPLE_NAMESPACES:
                node[key] = ns
            else:
                rewrite_namespaces(value, ns)
    elif isinstance(node, list):
        for item in node:
            rewrite_namespaces(item, ns)


def expected_defaults(doc):
    """The spec the API server must store: the sample's plus the schema defaults."""
    spec = copy.deepcopy(doc.get("spec", {}))
    if doc["kind"] == "AiGateway":
        spec.setdefault("port", 80)
    elif doc["kind"] == "ToolServer":
        spec.setdefault("protocol", "mcp")
        spec.setdefault("transportType", "http")
    return spec


def test_samples_only_use_the_sample_namespaces(cluster):
    """The rewrite below covers every namespace the samples use (00-namespaces.yaml)."""
    root = Path(cluster.repo) / "deploy" / "samples"
    declared = {d["metadata"]["name"]
                for d in yaml.safe_load_all((root / "00-namespaces.yaml").read_text()) if d}
    assert declared == SAMPLE_NAMESPACES
    used = set()
    for path in sample_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                used.add(doc["metadata"].get("namespace"))
    assert used <= SAMPLE_NAMESPACES, used


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_sample_is_accepted_with_defaults(cluster, ns, path):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs, f"{path.name} is empty"
    for doc in docs:
        rewrite_namespaces(doc, ns)
    keys = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys)), f"{path.name}: names collide in one namespace: {keys}"

    res = cluster.kubectl("apply", "-f", "-", input=dump_all(docs), check=False)
    assert res.returncode == 0, res.stderr
    # Strict field validation would fail on a field our schema lacks; a
    # warning would mean the server dropped or ignored something.
    assert "Warning" not in res.stderr, res.stderr

    ours = [d for d in docs if d["apiVersion"] == API_VERSION]
    assert ours, f"{path.name} holds none of our kinds"
    for doc in ours:
        plural = KIND_TO_PLURAL[doc["kind"]]
        stored = get_json(cluster, f"{plural}.{GROUP}", doc["metadata"]["name"], "-n", ns)
        assert stored["spec"] == expected_defaults(doc), (
            f"{doc['kind']}/{doc['metadata']['name']}: stored spec differs from sample + defaults")
        assert is_subset(doc["metadata"].get("annotations", {}),
                         stored["metadata"].get("annotations", {}))


def test_sample_tool_routes_print_columns(cluster, ns):
    path = Path(cluster.repo) / "deploy" / "samples" / "tool-gateway.yaml"
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for doc in docs:
        rewrite_namespaces(doc, ns)
        # A class no controller owns: an operator running beside these
        # schema tests leaves the gateway and its routes' status alone.
        if doc["kind"] == "ToolGateway":
            doc["spec"]["toolGatewayClassName"] = "schema-test-unowned"
    cluster.kubectl("apply", "-f", "-", input=dump_all(docs))
    routes = [d for d in docs if d["kind"] == "ToolRoute"]
    assert routes
    url = "http://tools.example.svc.cluster.local/mcp/x"
    name = routes[0]["metadata"]["name"]
    cluster.kubectl("patch", f"toolroutes.{GROUP}", name, "-n", ns, "--subresource=status",
                    "--type=merge", "-p", json.dumps({"status": {"url": url}}))
    out = cluster.kubectl("get", f"toolroutes.{GROUP}", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "GATEWAY", "READY", "URL", "AGE"]
    # Cells may be empty (no Ready condition yet): cut at the header's offsets.
    starts = [out[0].index(h) for h in out[0].split()] + [None]
    rows = {}
    for line in out[1:]:
        cells = [line[starts[i]:starts[i + 1]].strip() for i in range(len(starts) - 1)]
        rows[cells[0]] = cells
    for route in routes:
        gateway = route["spec"]["toolGatewayRef"]["name"]
        assert rows[route["metadata"]["name"]][1] == gateway
    assert rows[name][3] == url


# ------------------------------------------- defaults and status handling

def test_defaults_fill_omitted_fields(cluster, ns):
    gw = {"apiVersion": API_VERSION, "kind": "AiGateway", "metadata": {"name": "defaults"},
          "spec": {"aiModels": [{"name": "gpt-4o", "provider": "openai"}],
                   "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"key": "k"}}}]}}
    ts = {"apiVersion": API_VERSION, "kind": "ToolServer", "metadata": {"name": "defaults"},
          "spec": {"image": "example/mcp:1", "port": 8000}}
    for doc in (gw, ts):
        res = apply(cluster, ns, doc)
        assert res.returncode == 0, res.stderr
    got = get_json(cluster, f"aigateways.{GROUP}", "defaults", "-n", ns)["spec"]
    assert got["port"] == 80
    # Core EnvVar schema carries its own default (secretKeyRef.name: "").
    assert got["env"][0]["valueFrom"]["secretKeyRef"] == {"key": "k", "name": ""}
    got = get_json(cluster, f"toolservers.{GROUP}", "defaults", "-n", ns)["spec"]
    assert (got["protocol"], got["transportType"]) == ("mcp", "http")
    assert "path" not in got  # empty path means /mcp or /sse; the schema adds none


def test_presidio_language_is_not_defaulted_by_the_schema(cluster, ns):
    """Upstream's CRD has no default for it (its controller reads empty as en);
    storing a default here would make our CRD differ from the ecosystem's."""
    guard = {"apiVersion": API_VERSION, "kind": "Guard", "metadata": {"name": "pii"},
             "spec": {"mode": ["pre_call"], "providerRef": {"name": "presidio"},
                      "presidio": {"entityActions": {"EMAIL_ADDRESS": "MASK"}}}}
    res = apply(cluster, ns, guard)
    assert res.returncode == 0, res.stderr
    got = get_json(cluster, f"guards.{GROUP}", "pii", "-n", ns)["spec"]["presidio"]
    assert got == {"entityActions": {"EMAIL_ADDRESS": "MASK"}}


def test_status_is_a_subresource_and_conditions_are_keyed_by_type(cluster, ns):
    # The route names a gateway of a class no controller owns, so an operator
    # running beside these schema tests leaves its status alone.
    unowned = {"apiVersion": API_VERSION, "kind": "ToolGateway", "metadata": {"name": "unowned"},
               "spec": {"toolGatewayClassName": "schema-test-unowned"}}
    assert apply(cluster, ns, unowned).returncode == 0
    route = {"apiVersion": API_VERSION, "kind": "ToolRoute", "metadata": {"name": "st"},
             "spec": {"toolGatewayRef": {"name": "unowned"},
                      "upstream": {"external": {"url": "https://mcp.example.com/mcp"}}},
             "status": {"url": "http://ignored"}}
    res = apply(cluster, ns, route)
    assert res.returncode == 0, res.stderr
    got = get_json(cluster, f"toolroutes.{GROUP}", "st", "-n", ns)
    assert "url" not in got.get("status", {}), "status written through the main resource"

    cond = {"type": "Ready", "status": "True", "reason": "Reconciled", "message": "ok",
            "lastTransitionTime": "2025-01-01T00:00:00Z"}
    patch = {"status": {"conditions": [cond, dict(cond, status="False")]}}
    res = cluster.kubectl("patch", f"toolroutes.{GROUP}", "st", "-n", ns, "--subresource=status",
                          "--type=merge", "-p", json.dumps(patch), check=False)
    assert res.returncode != 0
    assert 'status.conditions[1]: Duplicate value: {"type":"Ready"}' in res.stderr, res.stderr

    patch = {"status": {"url": "http://gw/mcp/st", "conditions": [cond]}}
    cluster.kubectl("patch", f"toolroutes.{GROUP}", "st", "-n", ns, "--subresource=status",
                    "--type=merge", "-p", json.dumps(patch))
    got = get_json(cluster, f"toolroutes.{GROUP}", "st", "-n", ns)
    assert got["status"]["url"] == "http://gw/mcp/st"
    assert [c["type"] for c in got["status"]["conditions"]] == ["Ready"]


# ------------------------------------------------------ (3) refusals

def obj(kind, spec, name="x"):
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


MODELS = [{"name": "gpt-4o", "provider": "openai"}]
PROVIDER_REF = {"name": "presidio"}
SERVER_REF = {"name": "weather"}
EXTERNAL = {"url": "https://mcp.example.com/mcp"}
CEL_MSG = "exactly one of toolServerRef or external must be set"

# id -> (refused object, accepted control that differs only in the bad field,
#        patterns the API server's message must contain, field path first)
REFUSALS = {
    "aigateway-port-0": (
        obj("AiGateway", {"port": 0, "aiModels": MODELS}),
        obj("AiGateway", {"port": 1, "aiModels": MODELS}),
        [r"spec\.port: Invalid value: 0: spec\.port in body should be greater than or equal to 1"]),
    "aigateway-port-65536": (
        obj("AiGateway", {"port": 65536, "aiModels": MODELS}),
        obj("AiGateway", {"port": 65535, "aiModels": MODELS}),
        [r"spec\.port: Invalid value: 65536: spec\.port in body should be less than or equal to 65535"]),
    "aigateway-aimodels-empty": (
        obj("AiGateway", {"aiModels": []}),
        obj("AiGateway", {"aiModels": MODELS}),
        [r"spec\.aiModels: Invalid value: 0: spec\.aiModels in body should have at least 1 items"]),
    "aigateway-aimodels-missing": (
        obj("AiGateway", {"port": 8080}),
        obj("AiGateway", {"port": 8080, "aiModels": MODELS}),
        [r"spec\.aiModels: Required value"]),
    "aigateway-model-without-name": (
        obj("AiGateway", {"aiModels": [{"provider": "openai"}]}),
        obj("AiGateway", {"aiModels": [{"provider": "openai", "name": "gpt-4o"}]}),
        [r"spec\.aiModels\[0\]\.name: Required value"]),
    "aigateway-model-empty-provider": (
        obj("AiGateway", {"aiModels": [{"name": "gpt-4o", "provider": ""}]}),
        obj("AiGateway", {"aiModels": [{"name": "gpt-4o", "provider": "o"}]}),
        [r'spec\.aiModels\[0\]\.provider: Invalid value: "": '
         r"spec\.aiModels\[0\]\.provider in body should be at least 1 chars long"]),
    "toolroute-both-upstreams": (
        obj("ToolRoute", {"upstream": {"toolServerRef": SERVER_REF, "external": EXTERNAL}}),
        obj("ToolRoute", {"upstream": {"toolServerRef": SERVER_REF}}),
        [r"spec\.upstream: Invalid value: .*" + re.escape(CEL_MSG)]),
    "toolroute-no-upstream-chosen": (
        obj("ToolRoute", {"upstream": {}}),
        obj("ToolRoute", {"upstream": {"external": EXTERNAL}}),
        [r"spec\.upstream: Invalid value: .*" + re.escape(CEL_MSG)]),
    "toolroute-upstream-missing": (
        obj("ToolRoute", {"toolFilter": {"allow": ["a*"]}}),
        obj("ToolRoute", {"toolFilter": {"allow": ["a*"]}, "upstream": {"external": EXTERNAL}}),
        [r"spec\.upstream: Required value"]),
    "toolroute-url-ftp": (
        obj("ToolRoute", {"upstream": {"external": {"url": "ftp://mcp.example.com/mcp"}}}),
        obj("ToolRoute", {"upstream": {"external": {"url": "http://mcp.example.com/mcp"}}}),
        [r'spec\.upstream\.external\.url: Invalid value: "ftp://mcp\.example\.com/mcp": '
         r"spec\.upstream\.external\.url in body should match '\^https\?://\.\+'"]),
    "toolroute-url-no-scheme": (
        obj("ToolRoute", {"upstream": {"external": {"url": "mcp.example.com/mcp"}}}),
        obj("ToolRoute", {"upstream": {"external": {"url": "https://mcp.example.com/mcp"}}}),
        [r'spec\.upstream\.external\.url: Invalid value: "mcp\.example\.com/mcp": '
         r"spec\.upstream\.external\.url in body should match '\^https\?://\.\+'"]),
    "toolroute-url-scheme-only": (
        obj("ToolRoute", {"upstream": {"external": {"url": "https://"}}}),
        obj("ToolRoute", {"upstream": {"external": {"url": "https://m"}}}),
        [r'spec\.upstream\.external\.url: Invalid value: "https://": '
         r"spec\.upstream\.external\.url in body should match '\^https\?://\.\+'"]),
    "toolroute-external-without-url": (
        obj("ToolRoute", {"upstream": {"external": {}}}),
        obj("ToolRoute", {"upstream": {"external": EXTERNAL}}),
        [r"spec\.upstream\.external\.url: Required value"]),
    "guard-mode-bad-enum": (
        obj("Guard", {"mode": ["pre_call", "before_call"], "providerRef": PROVIDER_REF}),
        obj("Guard", {"mode": ["pre_call", "during_call"], "providerRef": PROVIDER_REF}),
        [r'spec\.mode\[1\]: Unsupported value: "before_call": '
         r'supported values: "pre_call", "post_call", "during_call"']),
    "guard-mode-empty": (
        obj("Guard", {"mode": [], "providerRef": PROVIDER_REF}),
        obj("Guard", {"mode": ["post_call"], "providerRef": PROVIDER_REF}),
        [r"spec\.mode: Invalid value: 0: spec\.mode in body should have at least 1 items"]),
    "guard-mode-duplicate": (
        obj("Guard", {"mode": ["pre_call", "pre_call"], "providerRef": PROVIDER_REF}),
        obj("Guard", {"mode": ["pre_call"], "providerRef": PROVIDER_REF}),
        [r'spec\.mode\[1\]: Duplicate value: "pre_call"']),
    "guard-provider-ref-missing": (
        obj("Guard", {"mode": ["pre_call"]}),
        obj("Guard", {"mode": ["pre_call"], "providerRef": PROVIDER_REF}),
        [r"spec\.providerRef: Required value"]),
    "guard-bedrock-without-id": (
        obj("Guard", {"mode": ["pre_call"], "providerRef": PROVIDER_REF,
                      "bedrock": {"guardrailVersion": "1"}}),
        obj("Guard", {"mode": ["pre_call"], "providerRef": PROVIDER_REF,
                      "bedrock": {"guardrailVersion": "1", "guardrailId": "gr"}}),
        [r"spec\.bedrock\.guardrailId: Required value"]),
    "guardrailprovider-bad-type": (
        obj("GuardrailProvider", {"type": "llama-guard-api"}),
        obj("GuardrailProvider", {"type": "presidio-api"}),
        [r'spec\.type: Unsupported value: "llama-guard-api": '
         r'supported values: "openai-moderation-api", "bedrock-api", "presidio-api"']),
    "guardrailprovider-presidio-without-baseurl": (
        obj("GuardrailProvider", {"type": "presidio-api", "presidio": {}}),
        obj("GuardrailProvider", {"type": "presidio-api",
                                  "presidio": {"baseUrl": "http://presidio:3000"}}),
        [r"spec\.presidio\.baseUrl: Required value"]),
    "guardrailprovider-bedrock-without-region": (
        obj("GuardrailProvider", {"type": "bedrock-api", "bedrock": {}}),
        obj("GuardrailProvider", {"type": "bedrock-api", "bedrock": {"region": "eu-central-1"}}),
        [r"spec\.bedrock\.region: Required value"]),
    "toolserver-port-0": (
        obj("ToolServer", {"image": "example/mcp:1", "port": 0}),
        obj("ToolServer", {"image": "example/mcp:1", "port": 1}),
        [r"spec\.port: Invalid value: 0: spec\.port in body should be greater than or equal to 1"]),
    "toolserver-path-without-slash": (
        obj("ToolServer", {"image": "example/mcp:1", "port": 8000, "path": "mcp"}),
        obj("ToolServer", {"image": "example/mcp:1", "port": 8000, "path": "/mcp"}),
        [r'spec\.path: Invalid value: "mcp": spec\.path in body should match \'\^/\.\*\'']),
    "toolserver-transport-bad-enum": (
        obj("ToolServer", {"image": "example/mcp:1", "transportType": "stdio"}),
        obj("ToolServer", {"image": "example/mcp:1", "transportType": "sse"}),
        [r'spec\.transportType: Unsupported value: "stdio": supported values: "http", "sse"']),
    "toolserver-image-empty": (
        obj("ToolServer", {"image": ""}),
        obj("ToolServer", {"image": "i"}),
        [r'spec\.image: Invalid value: "": spec\.image in body should be at least 1 chars long']),
    "toolserver-replicas-negative": (
        obj("ToolServer", {"image": "example/mcp:1", "replicas": -1}),
        obj("ToolServer", {"image": "example/mcp:1", "replicas": 0}),
        [r"spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0"]),
}


def assert_refused(res, kind, patterns, name="x"):
    assert res.returncode != 0, f"accepted, expected a refusal:\n{res.stdout}"
    assert f'The {kind} "{name}" is invalid' in res.stderr, res.stderr
    for pattern in patterns:
        assert re.search(pattern, res.stderr), f"{pattern!r} not in:\n{res.stderr}"


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_schema_refuses(cluster, ns, case):
    bad, good, patterns = REFUSALS[case]
    kind = bad["kind"]
    resource = f"{KIND_TO_PLURAL[kind]}.{GROUP}"

    res = apply(cluster, ns, bad, "--dry-run=server")
    assert_refused(res, kind, patterns)

    res = apply(cluster, ns, bad)
    assert_refused(res, kind, patterns)
    res = cluster.kubectl("get", resource, "x", "-n", ns, check=False)
    assert res.returncode != 0 and "NotFound" in res.stderr, "refused object was stored"

    # The control differs only in the offending field and must pass.
    res = apply(cluster, ns, good, "--dry-run=server")
    assert res.returncode == 0, f"control object refused:\n{res.stderr}"
    res = apply(cluster, ns, good)
    assert res.returncode == 0, f"control object refused:\n{res.stderr}"


def test_class_requires_controller(cluster, ns):
    """Cluster-scoped; the control object gets a unique name and is removed."""
    for kind, plural in (("AiGatewayClass", "aigatewayclasses"),
                         ("ToolGatewayClass", "toolgatewayclasses")):
        name = f"crd-test-{plural}-{ns[-6:]}"
        bad = obj(kind, {}, name=name)
        good = obj(kind, {"controller": "example.com/controller"}, name=name)
        try:
            for extra in (("--dry-run=server",), ()):
                res = cluster.kubectl("apply", *extra, "-f", "-", input=dump_all([bad]),
                                      check=False)
                assert_refused(res, kind, [r"spec\.controller: Required value"], name=name)
            res = cluster.kubectl("apply", "-f", "-", input=dump_all([good]), check=False)
            assert res.returncode == 0, res.stderr
            out = cluster.kubectl("get", f"{plural}.{GROUP}", name).stdout.splitlines()
            assert out[0].split() == ["NAME", "CONTROLLER", "AGE"]
            assert out[1].split()[:2] == [name, "example.com/controller"]
            got = get_json(cluster, f"{plural}.{GROUP}", name)
            assert "namespace" not in got["metadata"]
        finally:
            cluster.kubectl("delete", f"{plural}.{GROUP}", name, "--ignore-not-found", check=False)
