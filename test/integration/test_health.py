"""The Argo CD health check (deploy/health/health.lua) run in a real Lua
interpreter against live objects fetched with kubectl: Healthy, Progressing
and Degraded where Argo CD should show them, and the argocd-cm keys holding
exactly that script."""
import json
import pathlib
import shutil
import subprocess

import pytest
import yaml

from test_controller import ai_gateway, condition, get, kubelet_until_ready, tool_gateway, tool_route

REPO = pathlib.Path(__file__).resolve().parents[2]
HEALTH = REPO / "deploy" / "health" / "health.lua"
ARGOCD_CM = REPO / "deploy" / "health" / "argocd-cm.yaml"

# Reads the object as JSON on stdin, runs the check the way Argo CD does
# (the object as the global `obj`, the script's return value the verdict)
# and prints the verdict as JSON.
RUNNER = r"""
local json = require("dkjson")
local text = io.read("a")
local decoded, _, err = json.decode(text)
if err then error(err) end
obj = decoded
local check = assert(loadfile(arg[1]))
local hs = check()
io.write(json.encode({ status = hs.status, message = hs.message }))
"""


def lua_bin():
    for name in ("lua5.4", "lua5.3", "lua"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no Lua interpreter: run test/harness/install-deps.sh (lua5.4, lua-dkjson)")


def health(cluster, kind, name, ns, tmp_path):
    live = cluster.kubectl("-n", ns, "get", kind, name, "-o", "json").stdout
    runner = tmp_path / "run-health.lua"
    runner.write_text(RUNNER)
    p = subprocess.run([lua_bin(), str(runner), str(HEALTH)], input=live, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, f"the health check failed to run on {kind} {ns}/{name}:\n{p.stderr}"
    hs = json.loads(p.stdout)
    assert hs["status"] in ("Healthy", "Progressing", "Degraded"), hs
    return hs


def wait_health(cluster, kind, name, ns, want, tmp_path, timeout=60, contains=None):
    """Polls until the health is `want` and, given `contains`, its message
    says so (a status may say Progressing before the operator wrote one)."""
    def check():
        hs = health(cluster, kind, name, ns, tmp_path)
        return hs if hs["status"] == want and (contains is None or contains in hs["message"]) else None
    return cluster.wait_for(f"Argo CD health of {kind} {ns}/{name} to be {want}"
                            + (f" saying {contains!r}" if contains else ""), check, timeout=timeout,
                            interval=0.5)


def test_argocd_cm_holds_the_script_for_each_kind():
    cm = yaml.safe_load(ARGOCD_CM.read_text())
    want = {f"resource.customizations.health.runtime.agentic-layer.ai_{k}"
            for k in ("AiGateway", "ToolGateway", "ToolRoute")}
    assert set(cm["data"]) == want
    script = HEALTH.read_text()
    for key in want:
        assert cm["data"][key] == script, f"{key} differs from deploy/health/health.lua"


def test_health_of_an_object_without_status_is_progressing(tmp_path):
    runner = tmp_path / "run-health.lua"
    runner.write_text(RUNNER)
    obj = {"apiVersion": "runtime.agentic-layer.ai/v1alpha1", "kind": "AiGateway",
           "metadata": {"name": "x", "namespace": "y", "generation": 1}, "spec": {}}
    p = subprocess.run([lua_bin(), str(runner), str(HEALTH)], input=json.dumps(obj), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["status"] == "Progressing"


def test_ai_gateway_health_follows_the_live_object(cluster, operator, ns, tmp_path):
    cluster.apply(ai_gateway(ns))
    wait_health(cluster, "aigateway", "main", ns, "Progressing", tmp_path)
    cluster.wait_for("deployment", lambda: get(cluster, "deployment", "main", ns))
    kubelet_until_ready(cluster, "aigateway", "main", ns)
    hs = wait_health(cluster, "aigateway", "main", ns, "Healthy", tmp_path)
    assert "available" in hs["message"]
    # Rolling out a new template: Progressing until its pod is Ready.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o-mini", "openai"),)))
    wait_health(cluster, "aigateway", "main", ns, "Progressing", tmp_path)
    kubelet_until_ready(cluster, "aigateway", "main", ns)
    wait_health(cluster, "aigateway", "main", ns, "Healthy", tmp_path)
    # A config patch that cannot be applied: Degraded, saying why.
    cluster.apply(ai_gateway(ns, models=(("gpt-4o-mini", "openai"),),
                             annotations={"ai-gateway-litellm.agentic-layer.ai/config-patch": "model_list: 3"}))
    hs = wait_health(cluster, "aigateway", "main", ns, "Degraded", tmp_path)
    configured = condition(get(cluster, "aigateway", "main", ns), "AiGatewayConfigured")
    assert hs["message"] == f"{configured['reason']}: {configured['message']}"


def test_tool_gateway_and_route_health(cluster, operator, ns, tmp_path):
    cluster.apply(tool_gateway(ns, "gw"))
    cluster.apply(tool_route(ns, "r1", {"name": "gw"}))
    cluster.apply(tool_route(ns, "bad", {"name": "gw"}, {"toolServerRef": {"name": "nowhere"}}))
    wait_health(cluster, "toolgateway", "gw", ns, "Progressing", tmp_path)
    wait_health(cluster, "toolroute", "r1", ns, "Progressing", tmp_path, contains="GatewayNotReady")
    wait_health(cluster, "toolroute", "bad", ns, "Degraded", tmp_path, contains="UpstreamUnresolved")
    cluster.wait_for("deployment gw", lambda: get(cluster, "deployment", "gw", ns))
    kubelet_until_ready(cluster, "toolgateway", "gw", ns)
    wait_health(cluster, "toolgateway", "gw", ns, "Healthy", tmp_path)
    wait_health(cluster, "toolroute", "r1", ns, "Healthy", tmp_path)
    # Its gateway gone, the route waits for one: Progressing, not Healthy.
    cluster.kubectl("-n", ns, "delete", "toolgateway", "gw")
    wait_health(cluster, "toolroute", "r1", ns, "Progressing", tmp_path, contains="NoGateway")
