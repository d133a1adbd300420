"""LiteLLM starts on every golden config (test/testdata/golden/) and on
every sample as the operator binary renders it now (deploy/samples/; a
sample whose render equals its golden file is not started twice), played as
the pod from the objects applied to the API server, and nothing in the
config is unknown to it.

LiteLLM ignores most unknown keys silently, so two checks:
  - its start-up log has no warning about a key or value it did not take;
  - every key is one LiteLLM's own types know (litellm_keys.py asks the
    installed LiteLLM: MCPServerConfig, guardrail LitellmParams, Router
    arguments, litellm module settings, LiteLLM_Params)."""
import json
import os
import pathlib
import re
import subprocess
import time

import pytest
import yaml

from conftest import REPO

GOLDEN_DIR = REPO / "test" / "testdata" / "golden"
SAMPLES = REPO / "deploy" / "samples"
BIN = os.environ.get("GW_OPERATOR_BIN", str(REPO / "build" / "litellm-gateway-operator"))

# Warnings LiteLLM prints for any config, about things we do not render.
BENIGN = (
    re.compile(r"trusted_proxy_ranges is not set"),
    # the samples' upstreams do not exist on this machine
    re.compile(r"(Error listing|Failed to get) tools from"),
)
SUSPICIOUS = re.compile(r"unknown|not a valid|ignor|unrecogni[sz]ed|unsupported|not supported|invalid|"
                        r"deprecated|no such|unexpected|not recogni[sz]ed|missing|skipping|failed", re.I)


def _docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def _cases():
    cases = []
    for g in sorted(GOLDEN_DIR.glob("*.yaml")):
        cases.append(pytest.param(("golden", g.name, g.read_text()), id=f"golden-{g.stem}"))
    for s in sorted(SAMPLES.glob("*.yaml")):
        if s.name.startswith("00-"):
            continue
        p = subprocess.run([BIN, "render", "-f", str(s)], capture_output=True, text=True)
        golden = GOLDEN_DIR / s.name
        same = golden.exists() and _docs(golden.read_text()) == _docs(p.stdout)
        marks = [pytest.mark.skip(reason="renders exactly as its golden file")] if same else []
        if p.returncode != 0:
            cases.append(pytest.param(("sample", s.name, None), id=f"sample-{s.stem}",
                                      marks=[pytest.mark.xfail(reason=f"render failed: {p.stderr[:300]}",
                                                               strict=False)]))
            continue
        cases.append(pytest.param(("sample", s.name, p.stdout), id=f"sample-{s.stem}", marks=marks))
    return cases


CASES = _cases()


def config_of(text):
    return next(d for d in _docs(text) if d["kind"] == "ConfigMap")["data"]["config.yaml"]


@pytest.fixture(scope="module")
def unknown_keys(venv, tmp_path_factory):
    d = tmp_path_factory.mktemp("configs")
    files = {}
    for case in CASES:
        kind, name, text = case.values[0]
        if text is None:
            continue
        f = d / f"{kind}-{name}"
        f.write_text(config_of(text))
        files[str(f)] = (kind, name)
    p = subprocess.run([str(venv / "bin" / "python"), str(pathlib.Path(__file__).parent / "litellm_keys.py"),
                        *files], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return {files[k]: v for k, v in json.loads(p.stdout.strip().splitlines()[-1]).items()}


@pytest.mark.parametrize("case", CASES)
def test_every_key_is_known_to_litellm(case, unknown_keys):
    kind, name, _ = case
    problems = unknown_keys[(kind, name)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("case", CASES)
def test_litellm_starts_on_the_config(case, cluster, namespace, pods):
    kind, name, text = case
    docs = _docs(text)
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    ns, gw = deploy["metadata"]["namespace"], deploy["metadata"]["name"]
    namespace(ns)
    sample = SAMPLES / name
    if sample.exists():
        secrets = [d for d in _docs(sample.read_text()) if d.get("kind") == "Secret"]
        if secrets:
            cluster.apply(yaml.safe_dump_all(secrets))
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=litellm-gateway-operator",
                    "-f", "-", input=yaml.safe_dump_all(docs))
    pod = pods(ns, gw)
    try:
        time.sleep(1.5)  # what LiteLLM logs right after start-up counts too
        log = pod.log_text()
        assert "Application startup complete" in log
        complaints = [l for l in log.splitlines()
                      if re.search(r"WARNING|ERROR|Exception|Traceback", l) and SUSPICIOUS.search(l)
                      and not any(b.search(l) for b in BENIGN)]
        assert not complaints, "LiteLLM complained about the config:\n" + "\n".join(complaints)
    finally:
        pod.stop()
