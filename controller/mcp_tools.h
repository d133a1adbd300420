/* mcp_tools: asks an MCP server which tools it has (initialize, then
 * tools/list over the streamable HTTP transport), so that glob tool filters
 * can be turned into the exact names LiteLLM matches.
 *
 * The URL comes from a ToolRoute, that is from any user who may create one,
 * and the operator can read Secrets: every call is bounded.
 *   - http and https only; no redirects; no proxy from the environment (the
 *     address check must see the real peer); no credentials of any kind
 *     (a URL with user:password is refused, no .netrc, no cookies).
 *   - Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10,
 *     fd00:ec2::254, 100.100.100.200, and the same behind IPv4-mapped or
 *     NAT64 IPv6) are refused at connect time, after name resolution, so a
 *     name that resolves (or re-resolves) to one is refused too; an option
 *     allows them.
 *   - A connect timeout, a total timeout for the whole exchange, 1 MiB per
 *     response, 10,000 tools, 20 pages, no retries.
 *   - Failures are said in our own words (HTTP status code, timeout, not
 *     MCP, refused address...): nothing the upstream sends is ever copied
 *     into an error, so nothing it says reaches a status, an Event or a log.
 *
 * Planning must not wait on upstreams: struct mcp_cache answers from
 * memory and fetches what is missing or stale on its own threads, in
 * parallel, calling back when an answer lands. The controller gathers the
 * lists a gateway needs from it (mcp_cache_answer) before it plans, and
 * hands them to the planner as data. */
#ifndef GW_MCP_TOOLS_H
#define GW_MCP_TOOLS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "tool_lists.h"

#define MCP_TOOLS_MAX 10000
#define MCP_MAX_RESPONSE (1u << 20)

struct mcp_options {
    long timeout_ms;            /* the whole exchange; 0 = 5,000 */
    long connect_timeout_ms;    /* each connection; 0 = min(timeout, 3,000) */
    bool allow_link_local;      /* call link-local and metadata addresses too */
};

/* Lists the tool names of the MCP server at url. transport is "http"
 * (streamable HTTP); "sse" upstreams are not listed (-EOPNOTSUPP). On success
 * *ret_names (n entries, each and the array freed by the caller) is set.
 * On failure *ret_err (caller frees) says why in our words, naming the step
 * ("initialize: HTTP 401"); -EACCES for a URL or address the bounds refuse,
 * -ETIMEDOUT, -EPROTO (not MCP), -EFBIG, -EIO otherwise. o may be NULL. */
int mcp_list_tools_opt(const char *url, const char *transport, const struct mcp_options *o, char ***ret_names,
                       size_t *ret_n, char **ret_err);

/* mcp_list_tools_opt with the default bounds and the given total timeout. */
int mcp_list_tools(const char *url, const char *transport, long timeout_ms, char ***ret_names, size_t *ret_n,
                   char **ret_err);

void mcp_tools_free(char **names, size_t n);

/* Whether the operator refuses to connect to this address (link-local or
 * a cloud metadata endpoint). *ret_why (static) says which. */
bool mcp_addr_refused(const struct sockaddr *sa, socklen_t len, const char **ret_why);

/* Whether url may be called at all: http or https, a host, no user or
 * password. NULL when fine, else why not (static). */
const char *mcp_url_refused(const char *url);

/* --- the tool-list cache -------------------------------------------------- */

/* Called on a fetcher thread when an answer for (url, transport) landed,
 * new or changed; typically it queues the gateways that wait for it. */
typedef void (*mcp_ready_fn)(void *ctx, const char *url, const char *transport);

struct mcp_cache_options {
    struct mcp_options call;
    unsigned fetchers;          /* parallel fetches; 0 = 4 */
    long ttl_ms;                /* an answer is refreshed after this; 0 = 300,000 */
    long retry_ms;              /* a failure is retried after this; 0 = 30,000 */
    size_t max_entries;         /* 0 = 4,096; the oldest goes first */
    mcp_ready_fn on_ready;      /* may be NULL */
    void *ctx;
};

struct mcp_cache;

/* Starts the fetcher threads. 0, -ENOMEM or -errno from pthread_create. */
int mcp_cache_new(const struct mcp_cache_options *o, struct mcp_cache **ret);

/* Stops the fetchers (a fetch in flight finishes within its timeout) and
 * frees everything. NULL is fine. */
void mcp_cache_free(struct mcp_cache *c);

/* Never blocks on the network. 0 with a copy of the names (free with
 * mcp_tools_free); a negative errno with *ret_err (caller frees) for a
 * cached failure; -EAGAIN when there is no answer yet: a fetch is queued and
 * on_ready is called when it lands. A stale answer is still given while its
 * refresh is queued. */
int mcp_cache_list_tools(struct mcp_cache *c, const char *url, const char *transport, char ***ret_names, size_t *ret_n,
                         char **ret_err);

/* Answers each of the n lists from the cache without waiting on the
 * network (mcp_cache_list_tools for each, replacing an earlier answer).
 * 0 or -ENOMEM. */
int mcp_cache_answer(struct mcp_cache *c, struct mcp_tool_list *lists, size_t n);

/* Fetches started so far (for tests and metrics). */
unsigned long mcp_cache_fetches(struct mcp_cache *c);

#endif
