"""A real MCP client (the `mcp` SDK over streamable HTTP) wrapped for tests:
initialize, tools/list, tools/call, one session per call of `session()`."""
import asyncio

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


class MCPFailure(Exception):
    pass


class Session:
    def __init__(self, server_name, tools, results):
        self.server_name = server_name   # serverInfo.name from initialize
        self.tools = tools               # tool names from tools/list
        self.results = results           # {tool: (is_error, text)} from tools/call

    def text(self, tool):
        return self.results[tool][1]


def _leaf(e):
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    return e


async def _session(url, headers, calls, timeout):
    http = httpx2.AsyncClient(headers=headers or {}, timeout=timeout)
    async with http:
        async with Client(streamable_http_client(url, http_client=http)) as c:
            info = getattr(c, "server_info", None) or getattr(c, "initialize_result", None)
            name = getattr(info, "name", None) or getattr(getattr(info, "server_info", None), "name", None)
            listed = await c.list_tools()
            tools = [t.name for t in listed.tools]
            results = {}
            for tool, args in calls:
                r = await c.call_tool(tool, args)
                text = "\n".join(getattr(x, "text", "") for x in (r.content or []))
                results[tool] = (bool(r.is_error), text)
            return Session(name, tools, results)


def session(url, headers=None, calls=(), timeout=60):
    """Runs initialize, tools/list and each (tool, args) of calls against url.
    Raises MCPFailure with the server's reason when the session fails."""
    try:
        return asyncio.run(_session(url, headers, list(calls), timeout))
    except BaseException as e:  # ExceptionGroup from the SDK's task groups
        if isinstance(e, KeyboardInterrupt):
            raise
        leaf = _leaf(e)
        raise MCPFailure(f"{type(leaf).__name__}: {leaf}") from None
