#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "k8sname.h"
#include "model_kinds.h"
#include "model_shape.h"
#include "strbuf.h"

/* --- kinds -------------------------------------------------------------- */

static const struct {
    const char *kind;
    bool namespaced;
} KINDS[GW_KIND__MAX] = {
    [GW_KIND_AIGATEWAY] = { "AiGateway", true },
    [GW_KIND_TOOLGATEWAY] = { "ToolGateway", true },
    [GW_KIND_TOOLROUTE] = { "ToolRoute", true },
    [GW_KIND_AIGATEWAYCLASS] = { "AiGatewayClass", false },
    [GW_KIND_TOOLGATEWAYCLASS] = { "ToolGatewayClass", false },
    [GW_KIND_GUARD] = { "Guard", true },
    [GW_KIND_GUARDRAILPROVIDER] = { "GuardrailProvider", true },
    [GW_KIND_TOOLSERVER] = { "ToolServer", true },
    [GW_KIND_SECRET] = { "Secret", true },
    [GW_KIND_NAMESPACE] = { "Namespace", false },
};

const char *gw_kind_name(enum gw_kind k)
{
    return k > GW_KIND_UNKNOWN && k < GW_KIND__MAX ? KINDS[k].kind : "Unknown";
}

const char *gw_kind_api_version(enum gw_kind k)
{
    return k == GW_KIND_SECRET || k == GW_KIND_NAMESPACE ? "v1" : GW_V1ALPHA1;
}

bool gw_kind_namespaced(enum gw_kind k)
{
    return k > GW_KIND_UNKNOWN && k < GW_KIND__MAX && KINDS[k].namespaced;
}

enum gw_kind gw_kind_of(const char *api_version, const char *kind)
{
    if (!api_version || !kind)
        return GW_KIND_UNKNOWN;
    if (strcmp(api_version, "v1") == 0 && strcmp(kind, "Secret") == 0)
        return GW_KIND_SECRET;
    if (strcmp(api_version, "v1") == 0 && strcmp(kind, "Namespace") == 0)
        return GW_KIND_NAMESPACE;
    if (strcmp(api_version, GW_V1ALPHA1) != 0)
        return GW_KIND_UNKNOWN;
    for (int k = GW_KIND_AIGATEWAY; k < GW_KIND__MAX; k++)
        if (k != GW_KIND_SECRET && k != GW_KIND_NAMESPACE && strcmp(KINDS[k].kind, kind) == 0)
            return (enum gw_kind)k;
    return GW_KIND_UNKNOWN;
}

/* --- objects ------------------------------------------------------------ */

static void parse_meta(struct mf_path *c, json_object *root, enum gw_kind kind, struct gw_meta *m)
{
    json_object *md = mf_field(c, root, "metadata", json_type_object, true);
    if (!md)
        return;
    size_t old = mf_push_key(c, "metadata");
    m->name = mf_str(c, md, "name", true, true);
    m->ns = mf_str(c, md, "namespace", false, false);
    m->uid = mf_str(c, md, "uid", false, false);
    m->resource_version = mf_str(c, md, "resourceVersion", false, false);
    m->creation_timestamp = mf_str(c, md, "creationTimestamp", false, false);
    json_object *gen = mf_field(c, md, "generation", json_type_int, false);
    m->generation = gen ? json_object_get_int64(gen) : 0;
    json_object *deleting = json_object_object_get(md, "deletionTimestamp");
    m->deleting = deleting && json_object_is_type(deleting, json_type_string);
    ms_string_map(c, md, "labels", &m->labels);
    ms_string_map(c, md, "annotations", &m->annotations);
    if (m->name && *m->name) {
        /* Gateways name a Service, which must be a DNS-1035 label. */
        bool gateway = kind == GW_KIND_AIGATEWAY || kind == GW_KIND_TOOLGATEWAY;
        ms_check_name(c, "name", m->name, gateway ? k8s_check_dns1035_label : k8s_check_dns1123_subdomain);
    }
    if (m->ns && *m->ns && !gw_kind_namespaced(kind)) {
        size_t o2 = mf_push_key(c, "namespace");
        err_forbidden(c->errs, c->path, "not allowed on this type");
        mf_pop(c, o2);
    }
    ms_check_name(c, "namespace", m->ns, k8s_check_dns1123_label);
    mf_pop(c, old);
}

void gw_beta_fields_free(struct gw_beta_fields *f)
{
    if (!f)
        return;
    json_object_put(f->resources);
    json_object_put(f->routes_selector);
    free(f->server_name);
    for (size_t i = 0; i < f->n_models; i++) {
        free(f->models[i].name);
        free(f->models[i].model);
        free(f->models[i].api_base);
        free(f->models[i].key_secret);
        free(f->models[i].key_key);
    }
    free(f->models);
    memset(f, 0, sizeof(*f));
}

/* apiVersion and kind: present, non-empty strings. */
static int check_ident(json_object *root, struct gw_errlist *errs)
{
    static const char *const ident[] = { "apiVersion", "kind" };
    for (size_t i = 0; i < 2; i++) {
        json_object *v = jobj_get(root, ident[i]);
        if (!v || (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))) {
            err_required(errs, ident[i], NULL);
            return -EINVAL;
        }
        if (!json_object_is_type(v, json_type_string)) {
            err_type(errs, ident[i], mf_type_name(v), "string");
            return -EINVAL;
        }
    }
    return 0;
}

/* Says why (api, kind) is none of ours: a version of our group we do not
 * serve, or a kind we do not know. */
static void report_unknown_kind(const char *api, const char *kind, struct gw_errlist *errs)
{
    size_t glen = strlen(GW_GROUP);
    bool our_group = strncmp(api, GW_GROUP, glen) == 0 && (api[glen] == '/' || api[glen] == '\0');
    if (our_group && gw_kind_of(GW_V1ALPHA1, kind) != GW_KIND_UNKNOWN) {
        static const char *const served[] = { GW_V1ALPHA1, NULL };
        err_not_supported(errs, "apiVersion", api, served);
        return;
    }
    struct strbuf d;
    sb_init(&d, 1024);
    sb_addf(&d, "%.100s is not a kind of %s", kind, GW_V1ALPHA1);
    err_invalid_str(errs, "kind", kind, sb_str(&d));
    sb_release(&d);
}

/* The top level and spec of an object of ours (not a Secret). */
static void parse_body(struct mf_path *c, json_object *root, struct gw_object *o)
{
    static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
    mf_check_known(c, root, top);
    json_object *spec = mf_field(c, root, "spec", json_type_object, true);
    json_object *empty = NULL;
    if (!spec) {
        empty = json_object_new_object();
        spec = empty;
    }
    size_t old = mf_push_key(c, "spec");
    mk_parse_spec(c, spec, o);
    mf_pop(c, old);
    /* Typed fields borrow from root; an empty placeholder spec holds nothing
     * they point into, so it can go now. */
    json_object_put(empty);
}

int gw_object_parse(json_object *root, struct gw_object **ret, struct gw_errlist *errs)
{
    struct mf_path c = { .errs = errs };
    if (!root || !json_object_is_type(root, json_type_object)) {
        err_type(errs, "", mf_type_name(root), "object");
        return -EINVAL;
    }
    if (check_ident(root, errs) < 0)
        return -EINVAL;
    const char *api = json_object_get_string(jobj_get(root, "apiVersion"));
    const char *kind = json_object_get_string(jobj_get(root, "kind"));
    enum gw_kind k = gw_kind_of(api, kind);
    if (k == GW_KIND_UNKNOWN) {
        report_unknown_kind(api, kind, errs);
        return -EINVAL;
    }
    struct gw_object *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->kind = k;
    o->root = json_object_get(root);
    parse_meta(&c, root, k, &o->meta);
    if (k != GW_KIND_SECRET && k != GW_KIND_NAMESPACE)
        parse_body(&c, root, o);
    *ret = o;
    return 0;
}

void gw_object_free(struct gw_object *o)
{
    if (!o)
        return;
    gw_beta_fields_free(o->beta);
    free(o->beta);
    switch (o->kind) {
    case GW_KIND_AIGATEWAY:
        free(o->u.ai.models);
        free(o->u.ai.guardrails);
        break;
    case GW_KIND_TOOLGATEWAY:
        free(o->u.tool.guardrails);
        break;
    case GW_KIND_TOOLROUTE:
        free(o->u.route.allow);
        free(o->u.route.deny);
        break;
    default:
        break;
    }
    json_object_put(o->root);
    free(o->detached);
    json_object_put(o->held);
    free(o);
}

const char *gw_object_label(const struct gw_object *o, char *buf, size_t cap)
{
    const char *name = o->meta.name ? o->meta.name : "(unnamed)";
    if (o->meta.ns && *o->meta.ns)
        snprintf(buf, cap, "%s %s/%s", gw_kind_name(o->kind), o->meta.ns, name);
    else
        snprintf(buf, cap, "%s %s", gw_kind_name(o->kind), name);
    return buf;
}

static const char *const GUARD_TYPES[] = { NULL, "openai-moderation-api", "bedrock-api", "presidio-api" };
static const char *const GUARD_BLOCKS[] = { NULL, "openaiModeration", "bedrock", "presidio" };

const char *gw_guard_type_name(enum gw_guard_type t)
{
    return (unsigned)t < sizeof(GUARD_TYPES) / sizeof(GUARD_TYPES[0]) ? GUARD_TYPES[t] : NULL;
}

const char *gw_guard_block_name(enum gw_guard_type t)
{
    return (unsigned)t < sizeof(GUARD_BLOCKS) / sizeof(GUARD_BLOCKS[0]) ? GUARD_BLOCKS[t] : NULL;
}

void gw_guard_provider_check(const struct gw_object *guard, const struct gw_object *provider,
                             const char *field, struct gw_errlist *errors)
{
    const struct gw_guard *g = &guard->u.guard;
    const struct gw_guardrail_provider *p = &provider->u.provider;
    if (g->type == GW_GUARD_NONE || p->type == GW_GUARD_NONE || g->type == p->type)
        return;
    char d[256];
    snprintf(d, sizeof(d), "Guard %s/%s sets spec.%s but its provider %s/%s has type %s", guard->meta.ns,
             guard->meta.name, gw_guard_block_name(g->type), provider->meta.ns, provider->meta.name,
             gw_guard_type_name(p->type));
    err_invalid_str(errors, field, guard->meta.name, d);
}
