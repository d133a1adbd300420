/* mcp_tools: asks an MCP server which tools it has (initialize, then
 * tools/list over the streamable HTTP transport), so that glob tool filters
 * can be turned into the exact names LiteLLM matches.
 *
 * One call is one short-lived session: bounded in time (timeout_ms for the
 * whole exchange), in size (1 MiB per response, 10,000 tools, 20 pages) and
 * without retries; the caller caches the answer. */
#ifndef GW_MCP_TOOLS_H
#define GW_MCP_TOOLS_H
#include <stddef.h>

#define MCP_TOOLS_MAX 10000

/* Lists the tool names of the MCP server at url. transport is "http"
 * (streamable HTTP); "sse" upstreams are not listed (-EOPNOTSUPP). On success
 * *ret_names (n entries, each and the array freed by the caller) is set.
 * On failure *ret_err (caller frees) says why, naming the step. */
int mcp_list_tools(const char *url, const char *transport, long timeout_ms, char ***ret_names, size_t *ret_n,
                   char **ret_err);

void mcp_tools_free(char **names, size_t n);

#endif
