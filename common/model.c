#include "model.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "k8sname.h"
#include "strbuf.h"
#include "textutil.h"

/* --- field paths ------------------------------------------------------- */

struct pctx {
    struct gw_errlist *errs;
    char path[1024];
    size_t len;
};

static size_t push(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct pctx *c, const char *fmt, ...)
{
    size_t old = c->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    c->len += (size_t)n;
    if (c->len >= sizeof(c->path))
        c->len = sizeof(c->path) - 1;
    return old;
}

static void pop(struct pctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

/* Pushes ".key" (or "key" at the root). */
static size_t push_key(struct pctx *c, const char *key)
{
    return push(c, c->len ? ".%.200s" : "%.200s", key);
}

static const char *type_name(json_object *o)
{
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_null: return "null";
    case json_type_boolean: return "boolean";
    case json_type_int: return "integer";
    case json_type_double: return "number";
    case json_type_string: return "string";
    case json_type_array: return "array";
    case json_type_object: return "object";
    }
    return "unknown";
}

static bool has_member(json_object *obj, const char *key)
{
    return obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, NULL);
}

/* Returns obj[key] when it has type want. A null value counts as absent, as
 * the API server treats it. A wrong type or a missing required field is
 * reported and NULL returned. */
static json_object *field(struct pctx *c, json_object *obj, const char *key,
                          json_type want, bool required)
{
    json_object *v = jobj_get(obj, key);
    size_t old = push_key(c, key);
    if (!v) {
        if (required)
            err_required(c->errs, c->path, NULL);
    } else if (!json_object_is_type(v, want) &&
               !(want == json_type_double && json_object_is_type(v, json_type_int))) {
        static const char *const names[] = {
            [json_type_null] = "null", [json_type_boolean] = "boolean", [json_type_double] = "number",
            [json_type_int] = "integer", [json_type_object] = "object", [json_type_array] = "array",
            [json_type_string] = "string" };
        err_type(c->errs, c->path, type_name(v), names[want]);
        v = NULL;
    }
    pop(c, old);
    return v;
}

static const char *str_field(struct pctx *c, json_object *obj, const char *key, bool required,
                             bool nonempty)
{
    json_object *v = field(c, obj, key, json_type_string, required);
    if (!v)
        return NULL;
    const char *s = json_object_get_string(v);
    if (nonempty && !*s) {
        size_t old = push_key(c, key);
        err_invalid_str(c->errs, c->path, s, "should be at least 1 chars long");
        pop(c, old);
    }
    return s;
}

static bool bool_field(struct pctx *c, json_object *obj, const char *key)
{
    json_object *v = field(c, obj, key, json_type_boolean, false);
    return v && json_object_get_boolean(v);
}

static void check_known(struct pctx *c, json_object *obj, const char *const *known)
{
    if (!obj || !json_object_is_type(obj, json_type_object))
        return;
    json_object_object_foreach(obj, k, v) {
        (void)v;
        bool ok = false;
        for (const char *const *p = known; *p && !ok; p++)
            ok = strcmp(*p, k) == 0;
        if (ok)
            continue;
        size_t old = push_key(c, k);
        const char *near = gw_nearest(k, known);
        if (near)
            errlist_addf(c->errs, GW_E_FORBIDDEN, c->path, NULL, "unknown field; did you mean \"%s\"?", near);
        else
            errlist_add(c->errs, GW_E_FORBIDDEN, c->path, NULL, "unknown field");
        pop(c, old);
    }
}

static void check_enum(struct pctx *c, const char *key, const char *value,
                       const char *const *allowed)
{
    for (const char *const *p = allowed; *p; p++)
        if (strcmp(*p, value) == 0)
            return;
    size_t old = push_key(c, key);
    err_not_supported(c->errs, c->path, value, allowed);
    pop(c, old);
}

static int64_t int_field(struct pctx *c, json_object *obj, const char *key, int64_t lo,
                         int64_t hi, int64_t dflt, bool *ret_set)
{
    json_object *v = field(c, obj, key, json_type_int, false);
    if (ret_set)
        *ret_set = v != NULL;
    if (!v)
        return dflt;
    int64_t n = json_object_get_int64(v);
    if (n < lo || n > hi) {
        size_t old = push_key(c, key);
        char d[96];
        snprintf(d, sizeof(d), "must be between %lld and %lld", (long long)lo, (long long)hi);
        err_invalid_int(c->errs, c->path, n, d);
        pop(c, old);
        return dflt;
    }
    return n;
}

/* --- shared shapes ------------------------------------------------------ */

static const char *const REF_FIELDS[] = { "apiVersion", "kind", "name", "namespace", "uid",
                                          "resourceVersion", "fieldPath", NULL };

static void check_name_at(struct pctx *c, const char *key, const char *value,
                          const char *(*check)(const char *))
{
    if (!value || !*value)
        return;
    const char *why = check(value);
    if (!why)
        return;
    size_t old = push_key(c, key);
    err_invalid_str(c->errs, c->path, value, why);
    pop(c, old);
}

/* Parses an ObjectReference at the current path. */
static void parse_ref_obj(struct pctx *c, json_object *o, const char *want_kind, struct gw_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->set = true;
    check_known(c, o, REF_FIELDS);
    ret->api_version = str_field(c, o, "apiVersion", false, false);
    ret->kind = str_field(c, o, "kind", false, false);
    ret->name = str_field(c, o, "name", true, true);
    ret->ns = str_field(c, o, "namespace", false, false);
    if (ret->kind && *ret->kind) {
        const char *allowed[] = { want_kind, NULL };
        check_enum(c, "kind", ret->kind, allowed);
    }
    check_name_at(c, "name", ret->name, k8s_check_dns1123_subdomain);
    check_name_at(c, "namespace", ret->ns, k8s_check_dns1123_label);
    if (ret->api_version && *ret->api_version &&
        strncmp(ret->api_version, GW_GROUP "/", strlen(GW_GROUP) + 1) != 0) {
        size_t old = push_key(c, "apiVersion");
        err_invalid_str(c->errs, c->path, ret->api_version, "must be in the group " GW_GROUP);
        pop(c, old);
    }
}

static void parse_ref(struct pctx *c, json_object *parent, const char *key, bool required,
                      const char *want_kind, struct gw_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = field(c, parent, key, json_type_object, required);
    if (!o)
        return;
    size_t old = push_key(c, key);
    parse_ref_obj(c, o, want_kind, ret);
    pop(c, old);
}

/* Walks an array field, calling fn on each element at path key[i]. A NULL
 * return means the field was absent or not an array (already reported). */
typedef void (*item_fn)(struct pctx *c, json_object *item, size_t i, void *arg);

static json_object *each_item(struct pctx *c, json_object *parent, const char *key,
                              json_type want, item_fn fn, void *arg)
{
    json_object *arr = field(c, parent, key, json_type_array, false);
    if (!arr)
        return NULL;
    size_t n = json_object_array_length(arr);
    size_t old = push_key(c, key);
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(arr, i);
        size_t o2 = push(c, "[%zu]", i);
        if (!item || !json_object_is_type(item, want))
            err_type(c->errs, c->path, type_name(item), want == json_type_object ? "object" : "string");
        else
            fn(c, item, i, arg);
        pop(c, o2);
    }
    pop(c, old);
    return arr;
}

struct ref_list { struct gw_ref *refs; size_t n; const char *kind; };

static void ref_item(struct pctx *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    struct ref_list *l = arg;
    parse_ref_obj(c, item, l->kind, &l->refs[l->n++]);
}

static struct gw_ref *parse_ref_list(struct pctx *c, json_object *parent, const char *key,
                                     const char *want_kind, size_t *ret_n)
{
    *ret_n = 0;
    json_object *arr = jobj_get(parent, key);
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    struct ref_list l = { .refs = calloc(n ? n : 1, sizeof(struct gw_ref)), .kind = want_kind };
    if (!l.refs)
        return NULL;
    each_item(c, parent, key, json_type_object, ref_item, &l);
    *ret_n = l.n;
    return l.refs;
}

static void string_item(struct pctx *c, json_object *item, size_t i, void *arg)
{
    (void)c;
    const char **out = arg;
    out[i] = json_object_get_string(item);
}

/* Reads an array of strings; entries of other types are reported and left
 * NULL, and compacted away. */
static const char **parse_string_list(struct pctx *c, json_object *parent, const char *key,
                                      size_t *ret_n)
{
    *ret_n = 0;
    json_object *arr = jobj_get(parent, key);
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    const char **out = calloc(n ? n : 1, sizeof(*out));
    if (!out)
        return NULL;
    each_item(c, parent, key, json_type_string, string_item, out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i])
            out[k++] = out[i];
    *ret_n = k;
    return out;
}

static void parse_string_map(struct pctx *c, json_object *parent, const char *key, json_object **ret)
{
    *ret = field(c, parent, key, json_type_object, false);
    if (!*ret)
        return;
    size_t old = push_key(c, key);
    json_object_object_foreach(*ret, k, v) {
        if (!v || !json_object_is_type(v, json_type_string)) {
            size_t o2 = push(c, "[%.200s]", k);
            err_type(c->errs, c->path, type_name(v), "string");
            pop(c, o2);
        }
    }
    pop(c, old);
}

static void parse_extra_metadata(struct pctx *c, json_object *spec, const char *key,
                                 struct gw_extra_metadata *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = field(c, spec, key, json_type_object, false);
    if (!o)
        return;
    size_t old = push_key(c, key);
    static const char *const known[] = { "labels", "annotations", NULL };
    check_known(c, o, known);
    parse_string_map(c, o, "labels", &ret->labels);
    parse_string_map(c, o, "annotations", &ret->annotations);
    pop(c, old);
}

static void parse_key_selector(struct pctx *c, json_object *parent, const char *key, bool key_required,
                               struct gw_secret_key_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = field(c, parent, key, json_type_object, false);
    if (!o)
        return;
    size_t old = push_key(c, key);
    static const char *const known[] = { "name", "key", "optional", NULL };
    check_known(c, o, known);
    ret->set = true;
    ret->name = str_field(c, o, "name", true, true);
    ret->key = str_field(c, o, "key", key_required, true);
    ret->optional = bool_field(c, o, "optional");
    check_name_at(c, "name", ret->name, k8s_check_dns1123_subdomain);
    pop(c, old);
}

static void env_item(struct pctx *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    (void)arg;
    static const char *const known[] = { "name", "value", "valueFrom", NULL };
    check_known(c, item, known);
    const char *name = str_field(c, item, "name", true, false);
    if (name) {
        const char *why = k8s_check_env_name(name);
        if (why) {
            size_t old = push_key(c, "name");
            err_invalid_str(c->errs, c->path, name, why);
            pop(c, old);
        }
    }
    str_field(c, item, "value", false, false);
    json_object *from = field(c, item, "valueFrom", json_type_object, false);
    if (!from)
        return;
    if (has_member(item, "value") && *json_object_get_string(jobj_get(item, "value"))) {
        size_t old = push_key(c, "valueFrom");
        err_invalid_str(c->errs, c->path, "", "may not be specified when `value` is not empty");
        pop(c, old);
    }
    size_t old = push_key(c, "valueFrom");
    static const char *const sources[] = { "configMapKeyRef", "secretKeyRef", "fieldRef",
                                           "resourceFieldRef", "fileKeyRef", NULL };
    check_known(c, from, sources);
    size_t nsrc = 0;
    for (const char *const *s = sources; *s; s++)
        nsrc += has_member(from, *s);
    if (nsrc != 1)
        err_invalid_str(c->errs, c->path, "", "may not have more than one field specified at a time");
    struct gw_secret_key_ref ref;
    parse_key_selector(c, from, "secretKeyRef", true, &ref);
    parse_key_selector(c, from, "configMapKeyRef", true, &ref);
    pop(c, old);
}

static void env_from_item(struct pctx *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    (void)arg;
    static const char *const known[] = { "prefix", "configMapRef", "secretRef", NULL };
    check_known(c, item, known);
    str_field(c, item, "prefix", false, false);
    static const char *const ref_known[] = { "name", "optional", NULL };
    int nsrc = 0;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "secretRef" : "configMapRef";
        json_object *o = field(c, item, key, json_type_object, false);
        if (!o)
            continue;
        nsrc++;
        size_t old = push_key(c, key);
        check_known(c, o, ref_known);
        const char *name = str_field(c, o, "name", true, true);
        check_name_at(c, "name", name, k8s_check_dns1123_subdomain);
        bool_field(c, o, "optional");
        pop(c, old);
    }
    if (nsrc != 1)
        err_invalid_str(c->errs, c->path, "", "must specify exactly one of configMapRef or secretRef");
}

static void parse_env(struct pctx *c, json_object *spec, json_object **ret_env, json_object **ret_from)
{
    *ret_env = each_item(c, spec, "env", json_type_object, env_item, NULL);
    *ret_from = each_item(c, spec, "envFrom", json_type_object, env_from_item, NULL);
}

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

static void parse_models(struct pctx *c, json_object *spec, struct gw_aigateway *ai)
{
    json_object *arr = field(c, spec, "aiModels", json_type_array, true);
    if (!arr)
        return;
    size_t n = json_object_array_length(arr);
    size_t old = push_key(c, "aiModels");
    if (n == 0)
        errlist_add(c->errs, GW_E_INVALID, c->path, "0", "should have at least 1 items");
    ai->models = calloc(n ? n : 1, sizeof(*ai->models));
    for (size_t i = 0; i < n && ai->models; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        size_t o2 = push(c, "[%zu]", i);
        if (!m || !json_object_is_type(m, json_type_object)) {
            err_type(c->errs, c->path, type_name(m), "object");
        } else {
            static const char *const known[] = { "name", "provider", NULL };
            check_known(c, m, known);
            struct gw_ai_model *am = &ai->models[ai->n_models++];
            am->name = str_field(c, m, "name", true, true);
            am->provider = str_field(c, m, "provider", true, true);
        }
        pop(c, o2);
    }
    pop(c, old);
}

static void parse_aigateway(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_aigateway *ai = &o->u.ai;
    static const char *const known[] = { "aiGatewayClassName", "port", "aiModels", "env", "envFrom",
                                         "guardrails", "commonMetadata", "podMetadata", NULL };
    check_known(c, spec, known);
    ai->class_name = str_field(c, spec, "aiGatewayClassName", false, false);
    ai->port = int_field(c, spec, "port", 1, 65535, 80, &ai->port_set);
    parse_models(c, spec, ai);
    parse_env(c, spec, &ai->env, &ai->env_from);
    ai->guardrails = parse_ref_list(c, spec, "guardrails", "Guard", &ai->n_guardrails);
    parse_extra_metadata(c, spec, "commonMetadata", &ai->common);
    parse_extra_metadata(c, spec, "podMetadata", &ai->pod);
    json_object *p = jobj_get(o->meta.annotations, GW_CONFIG_PATCH_ANNOTATION);
    if (p && json_object_is_type(p, json_type_string))
        ai->config_patch = json_object_get_string(p);
}

static void parse_toolgateway(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolgateway *tg = &o->u.tool;
    static const char *const known[] = { "toolGatewayClassName", "env", "envFrom", "guardrails",
                                         "commonMetadata", "podMetadata", NULL };
    check_known(c, spec, known);
    tg->class_name = str_field(c, spec, "toolGatewayClassName", false, false);
    parse_env(c, spec, &tg->env, &tg->env_from);
    tg->guardrails = parse_ref_list(c, spec, "guardrails", "Guard", &tg->n_guardrails);
    parse_extra_metadata(c, spec, "commonMetadata", &tg->common);
    parse_extra_metadata(c, spec, "podMetadata", &tg->pod);
}

static void parse_toolroute(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolroute *r = &o->u.route;
    static const char *const known[] = { "toolGatewayRef", "upstream", "toolFilter", NULL };
    check_known(c, spec, known);
    parse_ref(c, spec, "toolGatewayRef", false, "ToolGateway", &r->gateway);
    json_object *up = field(c, spec, "upstream", json_type_object, true);
    if (up) {
        size_t old = push_key(c, "upstream");
        static const char *const up_known[] = { "toolServerRef", "external", NULL };
        check_known(c, up, up_known);
        parse_ref(c, up, "toolServerRef", false, "ToolServer", &r->server);
        json_object *ext = field(c, up, "external", json_type_object, false);
        if (ext) {
            size_t o2 = push_key(c, "external");
            static const char *const ext_known[] = { "url", NULL };
            check_known(c, ext, ext_known);
            r->external_url = str_field(c, ext, "url", true, false);
            pop(c, o2);
        }
        if (has_member(up, "toolServerRef") == has_member(up, "external"))
            err_invalid_str(c->errs, c->path, "object", "exactly one of toolServerRef or external must be set");
        pop(c, old);
    }
    json_object *tf = field(c, spec, "toolFilter", json_type_object, false);
    if (tf) {
        size_t old = push_key(c, "toolFilter");
        static const char *const tf_known[] = { "allow", "deny", NULL };
        check_known(c, tf, tf_known);
        r->allow = parse_string_list(c, tf, "allow", &r->n_allow);
        r->deny = parse_string_list(c, tf, "deny", &r->n_deny);
        pop(c, old);
    }
}

static void parse_class(struct pctx *c, json_object *spec, struct gw_object *o, const char *annotation)
{
    static const char *const known[] = { "controller", NULL };
    check_known(c, spec, known);
    o->u.cls.controller = str_field(c, spec, "controller", true, true);
    json_object *d = jobj_get(o->meta.annotations, annotation);
    o->u.cls.is_default = d && json_object_is_type(d, json_type_string) &&
                          strcmp(json_object_get_string(d), "true") == 0;
}

static void mode_item(struct pctx *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    unsigned *modes = arg;
    static const char *const names[] = { "pre_call", "during_call", "post_call", NULL };
    static const unsigned bits[] = { GW_MODE_PRE_CALL, GW_MODE_DURING_CALL, GW_MODE_POST_CALL };
    const char *m = json_object_get_string(item);
    for (int k = 0; names[k]; k++) {
        if (strcmp(m, names[k]) == 0) {
            if (*modes & bits[k])
                err_duplicate(c->errs, c->path, m);
            *modes |= bits[k];
            return;
        }
    }
    err_not_supported(c->errs, c->path, m, names);
}

static void parse_guard(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_guard *g = &o->u.guard;
    static const char *const known[] = { "mode", "description", "providerRef", "openaiModeration",
                                         "bedrock", "presidio", NULL };
    check_known(c, spec, known);
    json_object *modes = each_item(c, spec, "mode", json_type_string, mode_item, &g->modes);
    if (!has_member(spec, "mode")) {
        size_t old = push_key(c, "mode");
        err_required(c->errs, c->path, NULL);
        pop(c, old);
    } else if (modes && json_object_array_length(modes) == 0) {
        size_t old = push_key(c, "mode");
        errlist_add(c->errs, GW_E_INVALID, c->path, "0", "should have at least 1 items");
        pop(c, old);
    }
    g->description = str_field(c, spec, "description", false, false);
    parse_ref(c, spec, "providerRef", false, "GuardrailProvider", &g->provider);
    int blocks = 0;
    json_object *om = field(c, spec, "openaiModeration", json_type_object, false);
    if (om) {
        blocks++;
        g->type = GW_GUARD_OPENAI_MODERATION;
        size_t old = push_key(c, "openaiModeration");
        static const char *const k2[] = { "model", NULL };
        check_known(c, om, k2);
        g->openai_model = str_field(c, om, "model", false, false);
        pop(c, old);
    }
    json_object *br = field(c, spec, "bedrock", json_type_object, false);
    if (br) {
        blocks++;
        g->type = GW_GUARD_BEDROCK;
        size_t old = push_key(c, "bedrock");
        static const char *const k2[] = { "guardrailId", "guardrailVersion", NULL };
        check_known(c, br, k2);
        g->bedrock_id = str_field(c, br, "guardrailId", true, true);
        g->bedrock_version = str_field(c, br, "guardrailVersion", false, false);
        pop(c, old);
    }
    json_object *pr = field(c, spec, "presidio", json_type_object, false);
    g->presidio_language = "en";
    if (pr) {
        blocks++;
        g->type = GW_GUARD_PRESIDIO;
        size_t old = push_key(c, "presidio");
        static const char *const k2[] = { "language", "scoreThresholds", "entityActions", NULL };
        check_known(c, pr, k2);
        const char *lang = str_field(c, pr, "language", false, false);
        if (lang)
            g->presidio_language = lang;
        parse_string_map(c, pr, "scoreThresholds", &g->presidio_thresholds);
        parse_string_map(c, pr, "entityActions", &g->presidio_actions);
        pop(c, old);
    }
    if (blocks > 1)
        err_invalid_str(c->errs, c->path, "object",
                        "at most one of openaiModeration, bedrock or presidio may be set");
}

static void parse_provider(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_guardrail_provider *p = &o->u.provider;
    static const char *const known[] = { "type", "openaiModeration", "bedrock", "presidio", NULL };
    check_known(c, spec, known);
    static const char *const types[] = { "openai-moderation-api", "bedrock-api", "presidio-api", NULL };
    const char *type = str_field(c, spec, "type", true, false);
    if (type) {
        check_enum(c, "type", type, types);
        for (int k = 0; types[k]; k++)
            if (strcmp(type, types[k]) == 0)
                p->type = (enum gw_guard_type)(k + 1);
    }
    json_object *om = field(c, spec, "openaiModeration", json_type_object, false);
    if (om) {
        size_t old = push_key(c, "openaiModeration");
        static const char *const k2[] = { "baseUrl", "apiKeySecretRef", NULL };
        check_known(c, om, k2);
        p->openai_base_url = str_field(c, om, "baseUrl", false, false);
        parse_key_selector(c, om, "apiKeySecretRef", true, &p->openai_key);
        pop(c, old);
    }
    json_object *br = field(c, spec, "bedrock", json_type_object, false);
    if (br) {
        size_t old = push_key(c, "bedrock");
        static const char *const k2[] = { "region", "credentialsSecretRef", NULL };
        check_known(c, br, k2);
        p->bedrock_region = str_field(c, br, "region", true, true);
        json_object *cr = field(c, br, "credentialsSecretRef", json_type_object, false);
        if (cr) {
            size_t o2 = push_key(c, "credentialsSecretRef");
            static const char *const k3[] = { "name", "namespace", NULL };
            check_known(c, cr, k3);
            p->bedrock_secret_name = str_field(c, cr, "name", true, true);
            p->bedrock_secret_ns = str_field(c, cr, "namespace", false, false);
            check_name_at(c, "name", p->bedrock_secret_name, k8s_check_dns1123_subdomain);
            check_name_at(c, "namespace", p->bedrock_secret_ns, k8s_check_dns1123_label);
            pop(c, o2);
        }
        pop(c, old);
    }
    json_object *pr = field(c, spec, "presidio", json_type_object, false);
    if (pr) {
        size_t old = push_key(c, "presidio");
        static const char *const k2[] = { "baseUrl", "apiKeySecretRef", NULL };
        check_known(c, pr, k2);
        p->presidio_base_url = str_field(c, pr, "baseUrl", true, true);
        parse_key_selector(c, pr, "apiKeySecretRef", true, &p->presidio_key);
        pop(c, old);
    }
}

static void parse_toolserver(struct pctx *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolserver *s = &o->u.server;
    /* A ToolServer carries a whole workload description we do not read;
     * only the fields that make its endpoint are checked. */
    static const char *const protocols[] = { "mcp", NULL };
    static const char *const transports[] = { "http", "sse", NULL };
    s->protocol = str_field(c, spec, "protocol", false, false);
    if (s->protocol)
        check_enum(c, "protocol", s->protocol, protocols);
    s->transport = str_field(c, spec, "transportType", false, false);
    if (s->transport)
        check_enum(c, "transportType", s->transport, transports);
    else
        s->transport = "http";
    s->port = int_field(c, spec, "port", 1, 65535, 0, NULL);
    if (!has_member(spec, "port")) {
        size_t old = push_key(c, "port");
        err_required(c->errs, c->path, NULL);
        pop(c, old);
    }
    s->path = str_field(c, spec, "path", false, false);
    if (s->path && *s->path && s->path[0] != '/') {
        size_t old = push_key(c, "path");
        err_invalid_str(c->errs, c->path, s->path, "should match '^/.*'");
        pop(c, old);
    }
}

/* --- objects ------------------------------------------------------------ */

static void parse_meta(struct pctx *c, json_object *root, enum gw_kind kind, struct gw_meta *m)
{
    json_object *md = field(c, root, "metadata", json_type_object, true);
    if (!md)
        return;
    size_t old = push_key(c, "metadata");
    m->name = str_field(c, md, "name", true, true);
    m->ns = str_field(c, md, "namespace", false, false);
    m->uid = str_field(c, md, "uid", false, false);
    m->resource_version = str_field(c, md, "resourceVersion", false, false);
    m->creation_timestamp = str_field(c, md, "creationTimestamp", false, false);
    json_object *gen = field(c, md, "generation", json_type_int, false);
    m->generation = gen ? json_object_get_int64(gen) : 0;
    parse_string_map(c, md, "labels", &m->labels);
    parse_string_map(c, md, "annotations", &m->annotations);
    if (m->name && *m->name) {
        /* Gateways name a Service, which must be a DNS-1035 label. */
        bool gateway = kind == GW_KIND_AIGATEWAY || kind == GW_KIND_TOOLGATEWAY;
        check_name_at(c, "name", m->name, gateway ? k8s_check_dns1035_label : k8s_check_dns1123_subdomain);
    }
    if (m->ns && *m->ns && !gw_kind_namespaced(kind)) {
        size_t o2 = push_key(c, "namespace");
        err_forbidden(c->errs, c->path, "not allowed on this type");
        pop(c, o2);
    }
    check_name_at(c, "namespace", m->ns, k8s_check_dns1123_label);
    pop(c, old);
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

int gw_object_parse(json_object *root, struct gw_object **ret, struct gw_errlist *errs)
{
    struct pctx c = { .errs = errs };
    if (!root || !json_object_is_type(root, json_type_object)) {
        err_type(errs, "", type_name(root), "object");
        return -EINVAL;
    }
    const char *api = json_object_get_string(jobj_get(root, "apiVersion"));
    const char *kind = json_object_get_string(jobj_get(root, "kind"));
    static const char *const ident[] = { "apiVersion", "kind" };
    for (size_t i = 0; i < 2; i++) {
        json_object *v = jobj_get(root, ident[i]);
        if (!v || (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))) {
            err_required(errs, ident[i], NULL);
            return -EINVAL;
        }
        if (!json_object_is_type(v, json_type_string)) {
            err_type(errs, ident[i], type_name(v), "string");
            return -EINVAL;
        }
    }
    enum gw_kind k = gw_kind_of(api, kind);
    if (k == GW_KIND_UNKNOWN) {
        struct strbuf d;
        sb_init(&d, 1024);
        size_t glen = strlen(GW_GROUP);
        bool our_group = strncmp(api, GW_GROUP, glen) == 0 && (api[glen] == '/' || api[glen] == '\0');
        if (our_group && gw_kind_of(GW_V1ALPHA1, kind) != GW_KIND_UNKNOWN) {
            static const char *const served[] = { GW_V1ALPHA1, NULL };
            err_not_supported(errs, "apiVersion", api, served);
        } else {
            sb_addf(&d, "%.100s is not a kind of %s", kind, GW_V1ALPHA1);
            err_invalid_str(errs, "kind", kind, sb_str(&d));
        }
        sb_release(&d);
        return -EINVAL;
    }
    struct gw_object *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->kind = k;
    o->root = json_object_get(root);
    parse_meta(&c, root, k, &o->meta);
    if (k == GW_KIND_SECRET || k == GW_KIND_NAMESPACE) {
        *ret = o;
        return 0;
    }
    static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
    check_known(&c, root, top);
    json_object *spec = field(&c, root, "spec", json_type_object, true);
    json_object *empty = NULL;
    if (!spec) {
        empty = json_object_new_object();
        spec = empty;
    }
    size_t old = push_key(&c, "spec");
    switch (k) {
    case GW_KIND_AIGATEWAY: parse_aigateway(&c, spec, o); break;
    case GW_KIND_TOOLGATEWAY: parse_toolgateway(&c, spec, o); break;
    case GW_KIND_TOOLROUTE: parse_toolroute(&c, spec, o); break;
    case GW_KIND_AIGATEWAYCLASS: parse_class(&c, spec, o, GW_AIGW_CLASS_DEFAULT_ANNOTATION); break;
    case GW_KIND_TOOLGATEWAYCLASS: parse_class(&c, spec, o, GW_TOOLGW_CLASS_DEFAULT_ANNOTATION); break;
    case GW_KIND_GUARD: parse_guard(&c, spec, o); break;
    case GW_KIND_GUARDRAILPROVIDER: parse_provider(&c, spec, o); break;
    case GW_KIND_TOOLSERVER: parse_toolserver(&c, spec, o); break;
    default: break;
    }
    pop(&c, old);
    /* Typed fields borrow from root; an empty placeholder spec holds nothing
     * they point into, so it can go now. */
    json_object_put(empty);
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
