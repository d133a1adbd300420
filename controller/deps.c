#include "deps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_keys_release(struct ctl_keys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        free(k->items[i]);
    free(k->items);
    memset(k, 0, sizeof(*k));
}

int ctl_keys_add(struct ctl_keys *k, const char *kind, const char *ns, const char *name)
{
    char buf[600];
    int len = snprintf(buf, sizeof(buf), "%s/%s/%s", kind, ns ? ns : "", name ? name : "");
    if (len < 0 || (size_t)len >= sizeof(buf))
        return -EINVAL;
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->items[i], buf) == 0)
            return 0;
    if (k->n == k->alloc) {
        size_t na = k->alloc ? k->alloc * 2 : 8;
        char **it = realloc(k->items, na * sizeof(*it));
        if (!it)
            return -ENOMEM;
        k->items = it;
        k->alloc = na;
    }
    k->items[k->n] = strdup(buf);
    if (!k->items[k->n])
        return -ENOMEM;
    k->n++;
    return 0;
}

static int add_obj(struct ctl_keys *k, const struct gw_object *o)
{
    return ctl_keys_add(k, gw_kind_name(o->kind), o->meta.ns, o->meta.name);
}

static const struct gw_ref *guard_refs(const struct gw_object *gw, size_t *n)
{
    if (gw->kind == GW_KIND_AIGATEWAY) {
        *n = gw->u.ai.n_guardrails;
        return gw->u.ai.guardrails;
    }
    *n = gw->u.tool.n_guardrails;
    return gw->u.tool.guardrails;
}

/* Gateways whose spec.guardrails name the Guard ns/name. */
static int gateways_using_guard(const struct gw_objset *w, const char *ns, const char *name, struct ctl_keys *out)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct gw_object *gw = w->items[i];
        if (gw->kind != GW_KIND_AIGATEWAY && gw->kind != GW_KIND_TOOLGATEWAY)
            continue;
        size_t n = 0;
        const struct gw_ref *refs = guard_refs(gw, &n);
        for (size_t j = 0; j < n; j++) {
            if (refs[j].name && strcmp(refs[j].name, name) == 0 && strcmp(gw_ref_ns(&refs[j], gw->meta.ns), ns) == 0) {
                int r = add_obj(out, gw);
                if (r < 0)
                    return r;
                break;
            }
        }
    }
    return 0;
}

/* A route's gateway, or the route itself when it attaches to none. */
static int route_target(const struct gw_objset *w, const struct gw_object *route, struct ctl_keys *out)
{
    const struct gw_object *gw = gw_route_gateway(route, w, NULL);
    return gw ? add_obj(out, gw) : add_obj(out, route);
}

static int all_of_kind(const struct gw_objset *w, enum gw_kind kind, const char *ns, struct ctl_keys *out)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct gw_object *o = w->items[i];
        if (o->kind != kind || (ns && (!o->meta.ns || strcmp(o->meta.ns, ns) != 0)))
            continue;
        int r = add_obj(out, o);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The gateways whose Guards use the GuardrailProvider p. */
static int gateways_using_provider(const struct gw_objset *w, const struct gw_object *p, struct ctl_keys *out)
{
    int r = 0;
    for (size_t i = 0; i < w->n && r == 0; i++) {
        const struct gw_object *g = w->items[i];
        if (g->kind == GW_KIND_GUARD && g->u.guard.provider.name &&
            strcmp(g->u.guard.provider.name, p->meta.name) == 0 &&
            strcmp(gw_ref_ns(&g->u.guard.provider, g->meta.ns), p->meta.ns) == 0)
            r = gateways_using_guard(w, g->meta.ns, g->meta.name, out);
    }
    return r;
}

/* The gateways of the routes whose upstream is the ToolServer ts. */
static int gateways_routing_to(const struct gw_objset *w, const struct gw_object *ts, struct ctl_keys *out)
{
    int r = 0;
    for (size_t i = 0; i < w->n && r == 0; i++) {
        const struct gw_object *rt = w->items[i];
        if (rt->kind == GW_KIND_TOOLROUTE && rt->u.route.server.set && rt->u.route.server.name &&
            strcmp(rt->u.route.server.name, ts->meta.name) == 0 &&
            strcmp(gw_ref_ns(&rt->u.route.server, rt->meta.ns), ts->meta.ns) == 0)
            r = route_target(w, rt, out);
    }
    return r;
}

int ctl_affected_keys(const struct gw_objset *w, const struct gw_object *o, const struct gw_object *old,
                      struct ctl_keys *out)
{
    int r = 0;
    switch (o->kind) {
    case GW_KIND_AIGATEWAY:
        return add_obj(out, o);
    case GW_KIND_TOOLGATEWAY:
        /* Also every route: which gateway is the default may have changed. */
        r = add_obj(out, o);
        for (size_t i = 0; i < w->n && r == 0; i++)
            if (w->items[i]->kind == GW_KIND_TOOLROUTE)
                r = route_target(w, w->items[i], out);
        return r;
    case GW_KIND_TOOLROUTE:
        r = route_target(w, o, out);
        if (r == 0 && old)
            r = route_target(w, old, out);
        return r;
    case GW_KIND_GUARD:
        return gateways_using_guard(w, o->meta.ns, o->meta.name, out);
    case GW_KIND_GUARDRAILPROVIDER:
        return gateways_using_provider(w, o, out);
    case GW_KIND_TOOLSERVER:
        return gateways_routing_to(w, o, out);
    case GW_KIND_SECRET:
        /* Gateways read Secrets of their own namespace only. */
        r = all_of_kind(w, GW_KIND_AIGATEWAY, o->meta.ns, out);
        return r ? r : all_of_kind(w, GW_KIND_TOOLGATEWAY, o->meta.ns, out);
    case GW_KIND_NAMESPACE:
        /* Namespace labels matter only to allowedRoutes selectors. */
        for (size_t i = 0; i < w->n && r == 0; i++)
            if (gw_selects_namespaces(w->items[i]))
                r = add_obj(out, w->items[i]);
        return r;
    case GW_KIND_AIGATEWAYCLASS:
        return all_of_kind(w, GW_KIND_AIGATEWAY, NULL, out);
    case GW_KIND_TOOLGATEWAYCLASS:
        r = all_of_kind(w, GW_KIND_TOOLGATEWAY, NULL, out);
        for (size_t i = 0; i < w->n && r == 0; i++)
            if (w->items[i]->kind == GW_KIND_TOOLROUTE)
                r = route_target(w, w->items[i], out);
        return r;
    default:
        return 0;
    }
}

static const char *label(json_object *obj, const char *key)
{
    json_object *md = NULL, *labels = NULL, *v = NULL;
    if (!json_object_object_get_ex(obj, "metadata", &md) || !json_object_object_get_ex(md, "labels", &labels) ||
        !json_object_object_get_ex(labels, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int ctl_owner_key(json_object *child, struct ctl_keys *out)
{
    const char *managed = label(child, "app.kubernetes.io/managed-by");
    const char *component = label(child, "app.kubernetes.io/component");
    const char *instance = label(child, "app.kubernetes.io/instance");
    json_object *md = NULL, *ns = NULL;
    if (!managed || strcmp(managed, "litellm-gateway-operator") != 0 || !component || !instance ||
        !json_object_object_get_ex(child, "metadata", &md) || !json_object_object_get_ex(md, "namespace", &ns))
        return -ENOENT;
    const char *kind = strcmp(component, "ai-gateway") == 0     ? "AiGateway"
                       : strcmp(component, "tool-gateway") == 0 ? "ToolGateway"
                                                                : NULL;
    if (!kind)
        return -ENOENT;
    return ctl_keys_add(out, kind, json_object_get_string(ns), instance);
}

int ctl_key_split(char *buf, const char **kind, const char **ns, const char **name)
{
    char *a = strchr(buf, '/');
    char *b = a ? strchr(a + 1, '/') : NULL;
    if (!a || !b || !b[1])
        return -EINVAL;
    *a = '\0';
    *b = '\0';
    *kind = buf;
    *ns = a + 1;
    *name = b + 1;
    return 0;
}

enum gw_kind ctl_kind_by_name(const char *name)
{
    for (int k = GW_KIND_AIGATEWAY; k < GW_KIND__MAX; k++)
        if (strcmp(gw_kind_name((enum gw_kind)k), name) == 0)
            return (enum gw_kind)k;
    return GW_KIND_UNKNOWN;
}

int ctl_key_object(enum gw_kind kind, const char *ns, const char *name, struct ctl_key *ret)
{
    if (kind == GW_KIND_UNKNOWN || !name || !*name)
        return -EINVAL;
    int a = snprintf(ret->ns, sizeof(ret->ns), "%s", ns ? ns : "");
    int b = snprintf(ret->name, sizeof(ret->name), "%s", name);
    if (a < 0 || (size_t)a >= sizeof(ret->ns) || b < 0 || (size_t)b >= sizeof(ret->name))
        return -EINVAL;
    ret->op = CTL_KEY_OBJECT;
    ret->kind = kind;
    return 0;
}

int ctl_key_encode(const struct ctl_key *k, char *buf, size_t cap)
{
    int n;
    if (k->op == CTL_KEY_RESYNC)
        n = snprintf(buf, cap, "Resync");
    else if (k->op == CTL_KEY_EVERY)
        n = snprintf(buf, cap, "%s/*/*", gw_kind_name(k->kind));
    else
        n = snprintf(buf, cap, "%s/%s/%s", gw_kind_name(k->kind), k->ns, k->name);
    return n < 0 || (size_t)n >= cap ? -EINVAL : 0;
}

int ctl_key_decode(const char *s, struct ctl_key *ret)
{
    if (strcmp(s, "Resync") == 0) {
        memset(ret, 0, sizeof(*ret));
        ret->op = CTL_KEY_RESYNC;
        return 0;
    }
    char buf[600];
    const char *kind, *ns, *name;
    int n = snprintf(buf, sizeof(buf), "%s", s);
    if (n < 0 || (size_t)n >= sizeof(buf) || ctl_key_split(buf, &kind, &ns, &name) < 0)
        return -EINVAL;
    enum gw_kind k = ctl_kind_by_name(kind);
    if (k == GW_KIND_UNKNOWN)
        return -EINVAL;
    if (strcmp(ns, "*") == 0 && strcmp(name, "*") == 0) {
        memset(ret, 0, sizeof(*ret));
        ret->op = CTL_KEY_EVERY;
        ret->kind = k;
        return 0;
    }
    return ctl_key_object(k, ns, name, ret);
}
