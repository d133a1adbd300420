"""Lists the keys of a LiteLLM config that the installed LiteLLM does not
know. LiteLLM ignores most unknown keys silently (litellm_settings even
become module attributes), so its log alone cannot show a misspelt or
misplaced key; this asks LiteLLM's own types instead.

  python litellm_keys.py CONFIG.yaml...  -> JSON {file: ["key path: problem", ...]}

Run it with the LiteLLM virtualenv's python.
"""
import inspect
import json
import os
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")

import yaml  # noqa: E402

import litellm  # noqa: E402
from litellm.proxy._experimental.mcp_server.mcp_server_manager import MCPServerConfig  # noqa: E402
from litellm.router import Router  # noqa: E402
from litellm.types.guardrails import LitellmParams  # noqa: E402
from litellm.types.router import LiteLLM_Params  # noqa: E402

# What ProxyConfig.load_config reads (config.get("...") in proxy_server.py).
TOP_LEVEL = {
    "agent_list", "assistant_settings", "callback_settings", "credential_list", "environment_variables",
    "files_settings", "finetune_settings", "general_settings", "guardrails", "litellm_settings",
    "mcp_servers", "mcp_tools", "model_list", "pass_through_endpoints", "plugins", "policies",
    "policy_attachments", "prompts", "router_settings", "sandbox_tools", "search_tools",
    "vector_store_registry", "worker_registry", "mcp_aliases",
}


def typed_dict_keys(td):
    keys = set()
    for klass in getattr(td, "__mro__", (td,)):
        keys |= set(getattr(klass, "__annotations__", {}))
    keys |= set(getattr(td, "__required_keys__", set())) | set(getattr(td, "__optional_keys__", set()))
    return keys


def guardrail_config_keys(guardrail):
    """Fields of the guardrail type's own config model, when it has one."""
    try:
        from litellm.proxy.guardrails.guardrail_registry import guardrail_class_registry
    except ImportError:
        return set()
    klass = guardrail_class_registry.get(guardrail)
    get_model = getattr(klass, "get_config_model", None) if klass else None
    model = get_model() if get_model else None
    return set(getattr(model, "model_fields", {}) or {})


def check(cfg):
    problems = []
    for k in cfg:
        if k not in TOP_LEVEL:
            problems.append(f"{k}: unknown top-level key")
    for k in (cfg.get("litellm_settings") or {}):
        if not hasattr(litellm, k):
            problems.append(f"litellm_settings.{k}: litellm has no such setting")
    router_args = set(inspect.signature(Router.__init__).parameters) - {"self"}
    for k in (cfg.get("router_settings") or {}):
        if k not in router_args:
            problems.append(f"router_settings.{k}: not a Router argument")
    model_fields = set(LiteLLM_Params.model_fields)
    for i, m in enumerate(cfg.get("model_list") or []):
        for k in (m.get("litellm_params") or {}):
            if k not in model_fields:
                problems.append(f"model_list[{i}].litellm_params.{k}: not a LiteLLM_Params field")
    mcp_keys = typed_dict_keys(MCPServerConfig)
    for name, server in (cfg.get("mcp_servers") or {}).items():
        for k in server or {}:
            if k not in mcp_keys:
                problems.append(f"mcp_servers.{name}.{k}: not an MCPServerConfig key")
    guard_fields = set(LitellmParams.model_fields)
    for i, g in enumerate(cfg.get("guardrails") or []):
        params = g.get("litellm_params") or {}
        known = guard_fields | guardrail_config_keys(params.get("guardrail"))
        for k in params:
            if k not in known:
                problems.append(f"guardrails[{i}] ({g.get('guardrail_name')}).litellm_params.{k}: "
                                f"not a guardrail parameter")
    return problems


def main(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            out[path] = check(yaml.safe_load(f) or {})
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
