#include "resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"
#include "render_hash.h"

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

const struct gw_object *gw_find(const struct gw_objset *set, enum gw_kind kind, const char *ns, const char *name)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct gw_object *o = set->items[i];
        if (o->kind == kind && str_eq(o->meta.name, name) && (!gw_kind_namespaced(kind) || str_eq(o->meta.ns, ns)))
            return o;
    }
    return NULL;
}

int gw_resolve_guards(const struct gw_object *gw, const struct gw_objset *set, struct gw_resolved_guard **ret,
                      size_t *ret_n)
{
    const struct gw_ref *refs = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.guardrails : gw->u.tool.guardrails;
    size_t n = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.n_guardrails : gw->u.tool.n_guardrails;
    struct gw_resolved_guard *out = calloc(n ? n : 1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct gw_object *g = gw_find(set, GW_KIND_GUARD, gw_ref_ns(&refs[i], gw->meta.ns), refs[i].name);
        out[i].guard = g;
        if (g && g->u.guard.provider.set)
            out[i].provider = gw_find(set, GW_KIND_GUARDRAILPROVIDER, gw_ref_ns(&g->u.guard.provider, g->meta.ns),
                                      g->u.guard.provider.name);
    }
    *ret = out;
    *ret_n = n;
    return 0;
}

const struct gw_object *gw_default_toolgateway(const struct gw_objset *set, const char **ret_why)
{
    const struct gw_object *only = NULL, *marked = NULL;
    size_t n = 0, n_marked = 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct gw_object *o = set->items[i];
        if (o->kind != GW_KIND_TOOLGATEWAY)
            continue;
        n++;
        only = o;
        json_object *a = o->meta.annotations ? json_object_object_get(o->meta.annotations,
                                                                      GW_DEFAULT_TOOLGATEWAY_ANNOTATION) : NULL;
        if (a && json_object_is_type(a, json_type_string) && strcmp(json_object_get_string(a), "true") == 0) {
            n_marked++;
            marked = o;
        }
    }
    if (n_marked == 1)
        return marked;
    if (n_marked > 1) {
        if (ret_why)
            *ret_why = "more than one ToolGateway is marked " GW_DEFAULT_TOOLGATEWAY_ANNOTATION "=true";
        return NULL;
    }
    if (n == 1)
        return only;
    if (ret_why)
        *ret_why = n == 0 ? "no ToolGateway of ours exists"
                          : "several ToolGateways exist and none is marked " GW_DEFAULT_TOOLGATEWAY_ANNOTATION "=true";
    return NULL;
}

const struct gw_object *gw_route_gateway(const struct gw_object *route, const struct gw_objset *set,
                                         const char **ret_why)
{
    const struct gw_ref *ref = &route->u.route.gateway;
    if (!ref->set)
        return gw_default_toolgateway(set, ret_why);
    const struct gw_object *gw = gw_find(set, GW_KIND_TOOLGATEWAY, gw_ref_ns(ref, route->meta.ns), ref->name);
    if (!gw && ret_why)
        *ret_why = "the referenced ToolGateway was not found";
    return gw;
}

/* The Namespace objects of a set, found once per gateway rather than once
 * per route (sets hold thousands of routes, and few namespaces). */
struct ns_index {
    const struct gw_object **items;
    size_t n;
};

static int ns_index_build(const struct gw_object *gw, const struct gw_objset *set, struct ns_index *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!gw_selects_namespaces(gw))
        return 0;
    ret->items = calloc(set->n ? set->n : 1, sizeof(*ret->items));
    if (!ret->items)
        return -ENOMEM;
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i]->kind == GW_KIND_NAMESPACE)
            ret->items[ret->n++] = set->items[i];
    return 0;
}

static const struct gw_object *ns_index_find(const struct ns_index *x, const char *name)
{
    for (size_t i = 0; i < x->n; i++)
        if (str_eq(x->items[i]->meta.name, name))
            return x->items[i];
    return NULL;
}

bool gw_selects_namespaces(const struct gw_object *gw)
{
    return gw->kind == GW_KIND_TOOLGATEWAY && gw->beta && gw->beta->routes_from == GW_ROUTES_SELECTOR;
}

static bool route_allowed(const struct gw_object *gw, const struct gw_object *route, const struct ns_index *nsx,
                          bool *ret_labels_unknown, const char **ret_why)
{
    enum gw_routes_from from = gw->beta ? gw->beta->routes_from : GW_ROUTES_ALL;
    *ret_labels_unknown = false;
    switch (from) {
    case GW_ROUTES_ALL:
        return true;
    case GW_ROUTES_SAME:
        if (str_eq(gw->meta.ns, route->meta.ns))
            return true;
        *ret_why = "the ToolGateway's allowedRoutes.namespaces.from is Same and the route is in another namespace";
        return false;
    case GW_ROUTES_SELECTOR:
    default: {
        const struct gw_object *ns = ns_index_find(nsx, route->meta.ns);
        if (!ns) {
            *ret_labels_unknown = true;
            *ret_why = "the ToolGateway's allowedRoutes.namespaces.from is Selector and the labels of the route's "
                       "namespace are not known to the controller (it reads them only where it may list and "
                       "watch namespaces: cluster-wide, or with --namespace the watched namespaces by name), so "
                       "no route of it is admitted";
            return false;
        }
        if (gw_labelsel_matches(gw->beta->routes_selector, ns->meta.labels))
            return true;
        *ret_why = "the labels of the route's namespace do not match the ToolGateway's "
                   "allowedRoutes.namespaces.selector";
        return false;
    }
    }
}

static int route_cmp(const void *a, const void *b)
{
    const struct gw_route_input *x = a, *y = b;
    int c = strcmp(x->route->meta.ns, y->route->meta.ns);
    return c ? c : strcmp(x->route->meta.name, y->route->meta.name);
}

/* Whether route r names gw, or attaches to the default and gw is it. */
static bool route_names_gateway(const struct gw_object *r, const struct gw_object *gw, const struct gw_object *def)
{
    if (r->kind != GW_KIND_TOOLROUTE || !r->meta.ns || !r->meta.name)
        return false;
    const struct gw_ref *ref = &r->u.route.gateway;
    return ref->set ? ref->name && gw->meta.name && strcmp(ref->name, gw->meta.name) == 0 && gw->meta.ns &&
                          strcmp(gw_ref_ns(ref, r->meta.ns), gw->meta.ns) == 0
                    : def == gw;
}

static int refused_cmp(const void *a, const void *b)
{
    const struct gw_refused_route *x = a, *y = b;
    int c = strcmp(x->route->meta.ns, y->route->meta.ns);
    return c ? c : strcmp(x->route->meta.name, y->route->meta.name);
}

int gw_gateway_routes(const struct gw_object *gw, const struct gw_objset *set, struct gw_route_input **ret_attached,
                      size_t *ret_n_attached, struct gw_refused_route **ret_refused, size_t *ret_n_refused)
{
    size_t na = 0, nr = 0, cap = set->n ? set->n : 1;
    struct gw_route_input *att = ret_attached ? calloc(cap, sizeof(*att)) : NULL;
    struct gw_refused_route *ref = ret_refused ? calloc(cap, sizeof(*ref)) : NULL;
    struct ns_index nsx = { 0 };
    if ((ret_attached && !att) || (ret_refused && !ref) || ns_index_build(gw, set, &nsx) < 0) {
        free(att);
        free(ref);
        return -ENOMEM;
    }
    /* One pass: routes name gw explicitly, or attach to the default (found
     * once, not per route: sets hold thousands of routes). */
    const struct gw_object *def = gw_default_toolgateway(set, NULL);
    for (size_t i = 0; i < set->n; i++) {
        const struct gw_object *r = set->items[i];
        struct gw_refused_route rr = { .route = r };
        if (!route_names_gateway(r, gw, def))
            continue;
        if (!route_allowed(gw, r, &nsx, &rr.labels_unknown, &rr.why)) {
            if (ref)
                ref[nr++] = rr;
        } else if (att) {
            att[na].route = r;
            if (r->u.route.server.set)
                att[na].server = gw_find(set, GW_KIND_TOOLSERVER, gw_ref_ns(&r->u.route.server, r->meta.ns),
                                         r->u.route.server.name);
            na++;
        }
    }
    free(nsx.items);
    if (att) {
        qsort(att, na, sizeof(*att), route_cmp);
        *ret_attached = att;
        *ret_n_attached = na;
    }
    if (ref) {
        qsort(ref, nr, sizeof(*ref), refused_cmp);
        *ret_refused = ref;
        *ret_n_refused = nr;
    }
    return 0;
}

int gw_attached_routes(const struct gw_object *gw, const struct gw_objset *set, struct gw_route_input **ret,
                       size_t *ret_n)
{
    return gw_gateway_routes(gw, set, ret, ret_n, NULL, NULL);
}

int gw_refused_routes(const struct gw_object *gw, const struct gw_objset *set, struct gw_refused_route **ret,
                      size_t *ret_n)
{
    return gw_gateway_routes(gw, set, NULL, NULL, ret, ret_n);
}

bool gw_route_allowed(const struct gw_object *gw, const struct gw_object *route, const struct gw_objset *set,
                      bool *ret_labels_unknown, const char **ret_why)
{
    /* One Namespace is looked for: no index needed. */
    const struct gw_object *ns = gw_find(set, GW_KIND_NAMESPACE, NULL, route->meta.ns);
    struct ns_index one = { &ns, ns ? 1 : 0 };
    return route_allowed(gw, route, &one, ret_labels_unknown, ret_why);
}

int gw_secret_versions(const struct gw_render_input *in, const struct gw_objset *set,
                       struct gw_secret_version **ret, size_t *ret_n)
{
    char **names = NULL;
    size_t n = 0;
    int r = gw_referenced_secrets(in, &names, &n);
    if (r)
        return r;
    struct gw_secret_version *out = calloc(n ? n : 1, sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; out && i < n; i++) {
        const struct gw_object *s = gw_find(set, GW_KIND_SECRET, in->gateway->meta.ns, names[i]);
        if (s)
            out[k++] = (struct gw_secret_version){ s->meta.ns, s->meta.name, s->meta.uid, s->meta.resource_version };
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (!out)
        return -ENOMEM;
    *ret = out;
    *ret_n = k;
    return 0;
}
