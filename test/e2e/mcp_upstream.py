"""A real MCP server (the `mcp` SDK's MCPServer, formerly FastMCP) for the
end-to-end tests: a small issue tracker with five tools whose answers carry
a per-process nonce, so a test can tell which upstream answered.

  python mcp_upstream.py --transport http|sse --port PORT --nonce NONCE [--name NAME]

Streamable HTTP serves at /mcp, SSE at /sse (messages at /messages/). Every
tools/call is appended as one JSON line to --calls FILE when given.
"""
import argparse
import json
import sys

from mcp.server.mcpserver import MCPServer

TOOLS = ("get_issue", "list_issues", "search_code", "create_issue", "delete_repo")


def build(name, nonce, calls_file):
    server = MCPServer(name)

    def record(tool, **args):
        if calls_file:
            with open(calls_file, "a") as f:
                f.write(json.dumps({"tool": tool, "args": args}) + "\n")

    @server.tool(description="Get one issue by number.")
    def get_issue(number: int) -> str:
        record("get_issue", number=number)
        return f"issue #{number}: the build is red (server={name} nonce={nonce})"

    @server.tool(description="List open issues.")
    def list_issues(state: str = "open") -> str:
        record("list_issues", state=state)
        return f"{state} issues: #1, #2, #3 (server={name} nonce={nonce})"

    @server.tool(description="Search the code base.")
    def search_code(query: str) -> str:
        record("search_code", query=query)
        return f"3 matches for {query!r} (server={name} nonce={nonce})"

    @server.tool(description="Open a new issue.")
    def create_issue(title: str) -> str:
        record("create_issue", title=title)
        return f"created issue {title!r} (server={name} nonce={nonce})"

    @server.tool(description="Delete the repository. Dangerous.")
    def delete_repo(confirm: bool = False) -> str:
        record("delete_repo", confirm=confirm)
        return f"repository deleted (server={name} nonce={nonce})"

    return server


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--transport", choices=("http", "sse"), required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--nonce", required=True)
    ap.add_argument("--name", default="issues")
    ap.add_argument("--calls", default=None)
    a = ap.parse_args(argv)
    server = build(a.name, a.nonce, a.calls)
    if a.transport == "http":
        server.run("streamable-http", host="127.0.0.1", port=a.port)
    else:
        server.run("sse", host="127.0.0.1", port=a.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
