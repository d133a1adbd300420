#!/usr/bin/env python3
"""Print common/litellm_known.c for the LiteLLM installed in this interpreter.

Run it with the harness LiteLLM venv (test/harness/litellm-env.sh prints it):

    venv="$(test/harness/litellm-env.sh)"
    "$venv/bin/python" test/harness/gen-litellm-known.py > common/litellm_known.c

Two lists come out, both read from the installed package, never typed in:

* Provider prefixes: every value of litellm.types.utils.LlmProviders (what
  litellm.provider_list holds) plus the slugs of the JSON-configured
  OpenAI-compatible providers (litellm/llms/openai_like/providers.json via
  JSONProviderRegistry). get_llm_provider() accepts a "<prefix>/<model>"
  name for exactly these.

* Top-level config keys: the literal keys the proxy reads from the parsed
  config file. LiteLLM keeps no list of them, so they are collected from the
  source of litellm/proxy/proxy_server.py: starting at ProxyConfig.get_config
  and ProxyConfig.load_config, every config.get("k") / config["k"] /
  "k" in config on the variable holding the whole config, following
  self.<method>(...) calls that receive that variable; plus the sections of
  ProxyConfig's settings stores and the "include" key that
  litellm/proxy/common_utils/config_includes.py resolves before anything
  else. Keys LiteLLM only probes in order to warn that they are misplaced
  (enable_jwt_auth, litellm_jwtauth: "JWT auth settings must live under
  general_settings") are left out. LiteLLM itself ignores unknown top-level
  keys without a warning.

The script fails loudly (non-zero exit) if the source no longer has the
shape it walks, rather than printing a partial list.
"""

import ast
import os
import sys

# Importing litellm fetches the model cost map from GitHub unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")

import litellm  # noqa: E402
from litellm.types.utils import LlmProviders  # noqa: E402

# Probed by ProxyConfig._warn_on_misplaced_jwt_keys only to log that they are
# ignored at the top level.
MISPLACED_KEYS = {"enable_jwt_auth", "litellm_jwtauth"}


def fail(msg):
    print(f"gen-litellm-known.py: {msg}", file=sys.stderr)
    sys.exit(1)


def providers():
    names = {p.value for p in LlmProviders}
    if {p.value if hasattr(p, "value") else p for p in litellm.provider_list} != names:
        fail("litellm.provider_list and LlmProviders disagree")
    try:
        from litellm.llms.openai_like.json_loader import JSONProviderRegistry
    except ImportError:
        JSONProviderRegistry = None
    if JSONProviderRegistry is not None:
        JSONProviderRegistry.load()
        names |= set(JSONProviderRegistry._providers.keys())
    if "openai" not in names or "anthropic" not in names:
        fail("provider list looks wrong (no openai/anthropic)")
    return sorted(names)


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keys_read(fn, var):
    """Literal keys read from the mapping held in variable `var` inside fn."""
    keys = set()
    for n in ast.walk(fn):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("get", "pop")
                and isinstance(n.func.value, ast.Name) and n.func.value.id == var and n.args):
            k = _literal(n.args[0])
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == var:
            k = _literal(n.slice)
        elif (isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn))
              and isinstance(n.comparators[0], ast.Name) and n.comparators[0].id == var):
            k = _literal(n.left)
        else:
            k = None
        if k is not None:
            keys.add(k)
    return keys


def _callees(fn, var, methods):
    """(method, parameter) pairs for self.<method>(...) calls in fn that pass `var`."""
    out = []
    for n in ast.walk(fn):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"
                and n.func.attr in methods):
            continue
        target = methods[n.func.attr]
        params = [a.arg for a in target.args.args[1:]]  # drop self
        for i, a in enumerate(n.args):
            if isinstance(a, ast.Name) and a.id == var and i < len(params):
                out.append((n.func.attr, params[i]))
        for kw in n.keywords:
            if isinstance(kw.value, ast.Name) and kw.value.id == var and kw.arg:
                out.append((n.func.attr, kw.arg))
    return out


def top_level_keys():
    import litellm.proxy.proxy_server as ps
    from litellm.proxy.common_utils import config_includes

    tree = ast.parse(open(ps.__file__, encoding="utf-8").read())
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ProxyConfig"), None)
    if cls is None:
        fail("no class ProxyConfig in litellm/proxy/proxy_server.py")
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for start in ("get_config", "load_config"):
        if start not in methods:
            fail(f"no ProxyConfig.{start} in litellm/proxy/proxy_server.py")

    keys, seen = set(), set()
    todo = [("get_config", "config"), ("load_config", "config")]
    while todo:
        name, var = todo.pop()
        if (name, var) in seen:
            continue
        seen.add((name, var))
        keys |= _keys_read(methods[name], var)
        todo.extend(_callees(methods[name], var, methods))

    stores = getattr(ps.proxy_config, "_settings_stores", None)
    if not stores:
        fail("ProxyConfig has no settings stores (_settings_stores)")
    keys |= set(stores.keys())
    keys.add(config_includes.INCLUDE_KEY)
    keys -= MISPLACED_KEYS
    for must in ("model_list", "litellm_settings", "general_settings", "router_settings", "guardrails",
                 "mcp_servers", "environment_variables"):
        if must not in keys:
            fail(f"top-level key {must!r} not found; the source changed shape")
    return sorted(keys)


def c_list(name, items, comment):
    lines = [f"/* {comment} */", f"const char *const {name}[] = {{"]
    line = "   "
    for s in items + ["NULL"]:
        tok = (f'"{s}"' if s != "NULL" else s) + ","
        if len(line) + 1 + len(tok) > 100:
            lines.append(line)
            line = "   "
        line += " " + tok
    lines.append(line)
    lines.append("};")
    return "\n".join(lines)


def main():
    version = litellm.__version__ if hasattr(litellm, "__version__") else None
    if not version:
        from importlib.metadata import version as dist_version
        version = dist_version("litellm")
    provs = providers()
    keys = top_level_keys()
    print(f"""/* GENERATED by test/harness/gen-litellm-known.py from the installed LiteLLM {version}
 * (litellm[proxy]); do not edit by hand. To regenerate after changing LITELLM_VERSION:
 *   "$(test/harness/litellm-env.sh)/bin/python" test/harness/gen-litellm-known.py > common/litellm_known.c
 * Providers: litellm.types.utils.LlmProviders plus the JSONProviderRegistry slugs
 * (litellm/llms/openai_like/providers.json), {len(provs)} in all.
 * Top-level keys: what ProxyConfig.get_config/load_config (litellm/proxy/proxy_server.py)
 * read from the config, plus its settings-store sections and "include", {len(keys)} in all. */
#include "litellm_known.h"

#include <string.h>
""")
    print(c_list("litellm_providers", provs,
                 "Provider prefixes the pinned LiteLLM resolves in \"<provider>/<model>\"."))
    print()
    print(c_list("litellm_top_level_keys", keys,
                 "Top-level keys the pinned LiteLLM proxy reads from its config file."))
    print("""
static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

bool litellm_provider_known(const char *provider)
{
    return in_list(litellm_providers, provider);
}

bool litellm_top_level_key_known(const char *key)
{
    return in_list(litellm_top_level_keys, key);
}""")


if __name__ == "__main__":
    main()
