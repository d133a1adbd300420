/* tool_lists: the MCP upstreams' tool lists one plan needs, as data. The
 * planner names them (ctl_plan_tool_needs in plan.h), the tool-list cache
 * answers them from memory (mcp_cache_answer in mcp_tools.h), and the
 * planner reads the answers: planning itself calls nothing. */
#ifndef GW_TOOL_LISTS_H
#define GW_TOOL_LISTS_H
#include <stddef.h>

/* One upstream's tool list: the request (url, transport) and its answer. */
struct mcp_tool_list {
    char *url;                  /* owned */
    const char *transport;      /* static: "http" or "sse" */
    int status;                 /* 0: names holds the list; -EAGAIN: being fetched;
                                 * another negative errno: failed, error says why */
    char **names;               /* owned, n entries */
    size_t n;
    char *error;                /* owned; NULL unless the fetch failed */
};

/* Frees the answer of one list (names, error) and marks it unanswered
 * (-EAGAIN); the request stays. */
void mcp_tool_list_clear(struct mcp_tool_list *l);

/* Frees lists (n entries) and everything they hold. NULL is fine. */
void mcp_tool_lists_free(struct mcp_tool_list *lists, size_t n);

#endif
