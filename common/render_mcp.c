#include "render_mcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "strset.h"
#include "textutil.h"

static char *key_plain(const struct gw_object *r, bool force_hash)
{
    char id[600], h[65];
    snprintf(id, sizeof(id), "%s/%s", r->meta.ns ? r->meta.ns : "", r->meta.name ? r->meta.name : "");
    struct strbuf sb;
    sb_init(&sb, 1024);
    for (const char *s = id; *s; s++)
        sb_addc(&sb, isalnum_ascii(*s) ? *s : '_');
    if (sb_failed(&sb))
        return sb_detach(&sb, NULL);
    if (!force_hash && sb.len <= GW_MCP_KEY_MAX)
        return sb_detach(&sb, NULL);
    gw_sha256_hex(id, strlen(id), h);
    size_t keep = GW_MCP_KEY_MAX - 9;
    if (sb.len > keep) {
        sb.len = keep;
        sb.buf[keep] = '\0';
    }
    sb_addf(&sb, "_%.8s", h);
    return sb_detach(&sb, NULL);
}

static int route_age_cmp(const struct gw_object *a, const struct gw_object *b)
{
    const char *ta = a->meta.creation_timestamp ? a->meta.creation_timestamp : "~";
    const char *tb = b->meta.creation_timestamp ? b->meta.creation_timestamp : "~";
    int c = strcmp(ta, tb);
    if (c)
        return c;
    c = strcmp(a->meta.ns ? a->meta.ns : "", b->meta.ns ? b->meta.ns : "");
    return c ? c : strcmp(a->meta.name ? a->meta.name : "", b->meta.name ? b->meta.name : "");
}

struct aged_route {
    const struct gw_object *route;
    size_t index;
};

static int aged_cmp(const void *a, const void *b)
{
    const struct aged_route *x = a, *y = b;
    int c = route_age_cmp(x->route, y->route);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* A route's spec.serverName (v1beta1) when it is a valid key (letters,
 * digits, '_'; at most GW_MCP_KEY_MAX, as admission checks), else NULL. */
static const char *route_server_name(const struct gw_object *route)
{
    const char *n = route->beta ? route->beta->server_name : NULL;
    size_t len = n ? strlen(n) : 0;
    if (len == 0 || len > GW_MCP_KEY_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (!isalnum_ascii(n[i]) && n[i] != '_')
            return NULL;
    return n;
}

/* The key route claims among the keys taken so far (added to taken): its
 * spec.serverName (v1beta1) when set, which is used as written or not at
 * all; else its plain key, else the hashed form; else NULL. -ENOMEM on
 * failure. */
static int claim_key(const struct gw_object *route, struct gw_strset *taken, char **ret)
{
    *ret = NULL;
    const char *named = route_server_name(route);
    for (int attempt = 0; attempt < (named ? 1 : 2); attempt++) {
        char *k = named ? strdup(named) : key_plain(route, attempt == 1);
        if (!k)
            return -ENOMEM;
        int r = gw_strset_add(taken, k, 0, NULL);
        if (r == 1) {
            *ret = k;
            return 0;
        }
        free(k);
        if (r < 0)
            return r;
    }
    return 0;
}

int gw_route_keys(const struct gw_object *const *routes, size_t n, char ***ret_keys)
{
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    struct aged_route *order = calloc(n ? n : 1, sizeof(*order));
    struct gw_strset taken;
    gw_strset_init(&taken);
    int rc = keys && order ? 0 : -ENOMEM;
    /* Oldest first, so the first to claim a key keeps it. */
    for (size_t i = 0; i < n && rc == 0; i++)
        order[i] = (struct aged_route){ routes[i], i };
    if (rc == 0 && n > 1)
        qsort(order, n, sizeof(*order), aged_cmp);
    for (size_t oi = 0; oi < n && rc == 0; oi++)
        rc = claim_key(order[oi].route, &taken, &keys[order[oi].index]);
    gw_strset_free(&taken);
    free(order);
    if (rc) {
        for (size_t i = 0; keys && i < n; i++)
            free(keys[i]);
        free(keys);
        return rc;
    }
    *ret_keys = keys;
    return 0;
}

static bool matches_any(const char *const *pats, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (gw_glob_match(pats[i], name))
            return true;
    return false;
}

static bool all_literal(const char *const *pats, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!gw_glob_is_literal(pats[i]))
            return false;
    return true;
}

bool gw_route_filter_needs_tools(const struct gw_object *route)
{
    const struct gw_toolroute *r = &route->u.route;
    return !all_literal(r->allow, r->n_allow) || !all_literal(r->deny, r->n_deny);
}

static void join_patterns(struct strbuf *sb, const char *const *pats, size_t n, bool globs_only)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (globs_only && gw_glob_is_literal(pats[i]))
            continue;
        sb_adds(sb, first ? "" : ", ");
        sb_add_quoted(sb, pats[i]);
        first = false;
    }
}

/* Literal allow (and deny) names: the allowed ones not denied, each once,
 * in the order given. Hash sets keep it linear. */
static bool literal_allow(struct jobj_builder *b, const char *const *allow, size_t n_allow,
                          const char *const *deny, size_t n_deny, json_object *server, struct strbuf *msg)
{
    struct gw_strset seen, denied;
    gw_strset_init(&seen);
    gw_strset_init(&denied);
    for (size_t i = 0; i < n_deny; i++)
        if (gw_strset_add(&denied, deny[i], i, NULL) < 0)
            jobj_builder_fail(b, -ENOMEM);
    json_object *allowed = jobj_new_arr(b);
    size_t kept = 0;
    for (size_t i = 0; i < n_allow && !jobj_builder_err(b); i++) {
        int added = gw_strset_add(&seen, allow[i], i, NULL);
        if (added < 0)
            jobj_builder_fail(b, added);
        if (added <= 0 || gw_strset_find(&denied, allow[i], NULL))
            continue;
        jobj_push(b, allowed, jobj_new_str(b, allow[i]));
        kept++;
    }
    gw_strset_free(&seen);
    gw_strset_free(&denied);
    if (kept == 0) {
        json_object_put(allowed);
        sb_adds(msg, "deny removes every allowed tool; the route is not exposed");
        return false;
    }
    jobj_set(b, server, "allowed_tools", allowed);
    sb_addf(msg, "exactly %zu allowed tool%s exposed", kept, kept == 1 ? "" : "s");
    return true;
}

/* Maps allow/deny onto LiteLLM's exact-name allowed_tools and
 * disallowed_tools so that what LiteLLM exposes equals what the filter
 * means. Globs are expanded when the upstream's tool names are known;
 * otherwise a glob cannot be enforced and the route is left out (failing
 * closed), with a message that says so. Returns false in that case. */
static bool tool_filter(struct jobj_builder *b, const struct gw_route_input *ri, json_object *server, struct strbuf *msg)
{
    const struct gw_toolroute *r = &ri->route->u.route;
    const char *const *allow = (const char *const *)r->allow, *const *deny = (const char *const *)r->deny;
    if (r->n_allow == 0 && r->n_deny == 0) {
        sb_adds(msg, "all upstream tools are exposed");
        return true;
    }
    bool literal = all_literal(allow, r->n_allow) && all_literal(deny, r->n_deny);
    if (!literal && ri->known_tools) {
        json_object *allowed = jobj_new_arr(b);
        size_t kept = 0;
        for (size_t i = 0; i < ri->n_known_tools; i++) {
            const char *t = ri->known_tools[i];
            if ((r->n_allow == 0 || matches_any(allow, r->n_allow, t)) && !matches_any(deny, r->n_deny, t)) {
                jobj_push(b, allowed, jobj_new_str(b, t));
                kept++;
            }
        }
        if (kept == 0) {
            json_object_put(allowed);
            sb_addf(msg, "the filter leaves none of the upstream's %zu tools", ri->n_known_tools);
            return false;
        }
        jobj_set(b, server, "allowed_tools", allowed);
        sb_addf(msg, "filter expanded against the upstream's tools: %zu of %zu exposed", kept, ri->n_known_tools);
        return true;
    }
    if (!literal) {
        sb_adds(msg, "LiteLLM " GW_LITELLM_VERSION " matches exact tool names only, so the patterns ");
        join_patterns(msg, allow, r->n_allow, true);
        if (!all_literal(allow, r->n_allow) && !all_literal(deny, r->n_deny))
            sb_adds(msg, ", ");
        join_patterns(msg, deny, r->n_deny, true);
        sb_adds(msg, " cannot be enforced until the upstream's tools are listed; the route is not exposed");
        return false;
    }
    if (r->n_allow > 0)
        return literal_allow(b, allow, r->n_allow, deny, r->n_deny, server, msg);
    json_object *denied = jobj_new_arr(b);
    for (size_t i = 0; i < r->n_deny; i++)
        jobj_push(b, denied, jobj_new_str(b, deny[i]));
    jobj_set(b, server, "disallowed_tools", denied);
    sb_addf(msg, "all upstream tools except %zu denied", r->n_deny);
    return true;
}

char *gw_route_upstream_url(const struct gw_route_input *ri, const char **ret_transport)
{
    const struct gw_toolroute *r = &ri->route->u.route;
    if (r->external_url) {
        *ret_transport = "http";
        size_t n = strlen(r->external_url);
        if (n >= 4 && strcmp(r->external_url + n - 4, "/sse") == 0)
            *ret_transport = "sse";
        return strdup(r->external_url);
    }
    const struct gw_object *s = ri->server;
    const struct gw_toolserver *ts = &s->u.server;
    bool sse = ts->transport && strcmp(ts->transport, "sse") == 0;
    *ret_transport = sse ? "sse" : "http";
    const char *path = ts->path && *ts->path ? ts->path : sse ? "/sse" : "/mcp";
    return sb_dupf(1 << 20, "http://%s.%s.svc.cluster.local:%lld%s", s->meta.name, s->meta.ns, (long long)ts->port, path);
}

static void route_result_set(struct gw_route_result *res, enum gw_route_state st, const char *reason,
                             const char *msg)
{
    res->state = st;
    free(res->reason);
    free(res->message);
    res->reason = strdup(reason);
    res->message = strdup(msg);
}

/* The mcp_servers entry of one route whose key is res->key; NULL when the
 * route is left out (res says why). */
static json_object *route_server(struct jobj_builder *b, const struct gw_object *gw,
                                 const struct gw_route_input *ri, struct gw_route_result *res)
{
    if (!res->key) {
        const char *named = route_server_name(ri->route);
        char m[200];
        if (named)
            snprintf(m, sizeof(m), "its serverName \"%s\" is the MCP server key of an older route", named);
        route_result_set(res, GW_ROUTE_DUPLICATE, "DuplicateServerName",
                         named ? m : "its MCP server key collides with another route's even after hashing");
        return NULL;
    }
    if (!ri->route->u.route.external_url && !ri->server) {
        const struct gw_ref *sr = &ri->route->u.route.server;
        char m[600];
        snprintf(m, sizeof(m), "ToolServer %s/%s not found", gw_ref_ns(sr, ri->route->meta.ns),
                 sr->name ? sr->name : "");
        route_result_set(res, GW_ROUTE_UNRESOLVED, "UpstreamUnresolved", m);
        return NULL;
    }
    json_object *srv = jobj_new_obj(b);
    const char *transport = "http";
    char *url = gw_route_upstream_url(ri, &transport);
    jobj_set(b, srv, "url", jobj_new_str(b, url ? url : ""));
    jobj_set(b, srv, "transport", jobj_new_str(b, transport));
    /* Without it LiteLLM refuses every key, the agents' pseudo keys
     * included, access to the server. */
    jobj_set(b, srv, "allow_all_keys", jobj_new_bool(b, true));
    free(url);
    char d[600];
    snprintf(d, sizeof(d), "ToolRoute %s/%s", ri->route->meta.ns, ri->route->meta.name);
    jobj_set(b, srv, "description", jobj_new_str(b, d));
    struct strbuf msg;
    sb_init(&msg, 8192);
    if (!tool_filter(b, ri, srv, &msg)) {
        json_object_put(srv);
        route_result_set(res, GW_ROUTE_FILTER_UNENFORCEABLE, "ToolFilterUnenforceable", sb_str(&msg));
        sb_release(&msg);
        return NULL;
    }
    res->url = sb_dupf(1 << 20, "http://%s.%s.svc.cluster.local/mcp/%s", gw->meta.name, gw->meta.ns, res->key);
    route_result_set(res, GW_ROUTE_READY, "Reconciled", sb_str(&msg));
    sb_release(&msg);
    return srv;
}

json_object *render_mcp_servers(struct jobj_builder *b, const struct gw_render_input *in,
                                struct gw_route_result *results)
{
    json_object *servers = jobj_new_obj(b);
    const struct gw_object **routes = calloc(in->n_routes ? in->n_routes : 1, sizeof(*routes));
    char **keys = NULL;
    if (!routes) {
        jobj_builder_fail(b, -ENOMEM);
        return servers;
    }
    for (size_t i = 0; i < in->n_routes; i++)
        routes[i] = in->routes[i].route;
    int r = gw_route_keys(routes, in->n_routes, &keys);
    free(routes);
    if (r < 0) {
        jobj_builder_fail(b, r);
        return servers;
    }
    for (size_t i = 0; i < in->n_routes; i++) {
        results[i].key = keys[i];
        json_object *srv = route_server(b, in->gateway, &in->routes[i], &results[i]);
        if (srv)
            jobj_set(b, servers, results[i].key, srv);
    }
    free(keys);
    return servers;
}
