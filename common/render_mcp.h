/* render_mcp: ToolRoutes to LiteLLM's mcp_servers: the server keys, the
 * upstream URLs and transports, and tool filters mapped onto the exact
 * names LiteLLM matches. */
#ifndef GW_RENDER_MCP_H
#define GW_RENDER_MCP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "jsonutil.h"
#include "render_types.h"

/* The mcp_servers mapping for in->routes; results (in->n_routes entries,
 * zeroed by the caller) says what happened to each route. Strings in
 * results are owned by them (gw_render_output_release frees them). */
json_object *render_mcp_servers(struct jobj_builder *b, const struct gw_render_input *in,
                                struct gw_route_result *results);

/* MCP server keys for routes: "<ns>_<name>" with every character outside
 * [A-Za-z0-9_] replaced by '_', bounded by GW_MCP_KEY_MAX (longer ones keep a
 * prefix plus an 8-hex hash of "ns/name"). When keys collide, the oldest
 * route (creationTimestamp, then ns/name) keeps the plain key and the others
 * get the hashed form, so a route's URL does not change when a newcomer
 * collides with it. ret_keys has n entries (caller frees each and the
 * array); an entry is NULL when even the hashed key collided. */
int gw_route_keys(const struct gw_object *const *routes, size_t n, char ***ret_keys);

/* The upstream endpoint of a route (its external URL, or its ToolServer's
 * in-cluster Service URL; an empty path is /mcp for http, /sse for sse) and
 * the LiteLLM transport for it. ri->server must be set for a toolServerRef
 * route. Caller frees; NULL when out of memory. */
char *gw_route_upstream_url(const struct gw_route_input *ri, const char **ret_transport);

/* Whether a route's tool filter has a pattern that is not a literal name,
 * so that enforcing it needs the upstream's tool list. */
bool gw_route_filter_needs_tools(const struct gw_object *route);

#endif
