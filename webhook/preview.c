/* POST /preview: the LiteLLM config a gateway renders to, patch merged,
 * before anything is applied. The body is one gateway, or a v1 List of the
 * gateway and the objects it references (Guards, GuardrailProviders,
 * ToolRoutes, ToolServers, Secrets as metadata, Namespaces for
 * allowedRoutes selectors), resolved exactly as the offline `render`
 * command and the controller resolve them. Objects may be written in
 * either served version; a v1beta1 one is read the way the controller
 * reads it, through the storage version and its conversion annotation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "convert.h"
#include "doc.h"
#include "render.h"
#include "reply.h"
#include "resolve.h"
#include "validate.h"
#include "jsonutil.h"

#define PREVIEW_MAX_ITEMS 1000
#define PREVIEW_DEFAULT_NS "default"

struct preview {
    struct gw_object **objs;
    size_t n;
};

static void preview_free(struct preview *p)
{
    for (size_t i = 0; i < p->n; i++)
        gw_object_free(p->objs[i]);
    free(p->objs);
}

static bool is_list(json_object *root)
{
    const char *kind = jobj_get_str(root, "kind");
    return kind && strcmp(kind, "List") == 0 && jobj_get(root, "items");
}

/* Refuses an object of kind with its errors, worded like a denial. */
static int invalid_kind(struct wh_reply *out, const char *kind, const char *name, const char *where,
                        struct gw_errlist *errors)
{
    json_object *st = wh_invalid_status(kind, name, errors);
    if (st && (wh_put_str(st, "apiVersion", "v1") < 0 || wh_put_str(st, "kind", "Status") < 0)) {
        json_object_put(st);
        st = NULL;
    }
    out->verdict = WH_V_DENIED;
    out->n_errors = errors->n + errors->dropped;
    wh_summarize(out, "preview %s%s%s %s: %zu error%s", where, *where ? ": " : "", kind, name, out->n_errors,
                 out->n_errors == 1 ? "" : "s");
    return wh_reply_json(out, 422, st);
}

static int invalid(struct wh_reply *out, const struct gw_object *o, const char *where, struct gw_errlist *errors)
{
    return invalid_kind(out, o ? gw_kind_name(o->kind) : "object", o && o->meta.name ? o->meta.name : "", where,
                        errors);
}

/* A v1beta1 object of ours is checked as admission checks it (paths in
 * v1beta1), then turned into what the API server stores and the
 * controller reads: v1alpha1 with the v1beta1-only fields in the
 * conversion annotation (convert.h). 0 (it may now be parsed), 1 when *out
 * holds the answer, or -ENOMEM. */
static int beta_to_storage(json_object *it, const char *where, struct gw_errlist *warnings, struct wh_reply *out)
{
    const char *api = jobj_get_str(it, "apiVersion"), *kind = jobj_get_str(it, "kind");
    if (gw_api_version_of(api) != GW_API_V1BETA1 || gw_convert_kind_of(api, kind) == GW_KIND_UNKNOWN)
        return 0;
    const char *ns = jobj_get_str(jobj_get(it, "metadata"), "namespace");
    struct gw_errlist errors;
    errlist_init(&errors);
    int r = gw_validate_any(it, ns ? ns : PREVIEW_DEFAULT_NS, &errors, warnings);
    if (r == 0 && errors.n > 0) {
        const char *name = jobj_get_str(jobj_get(it, "metadata"), "name");
        r = invalid_kind(out, kind, name ? name : "", where, &errors) < 0 ? -ENOMEM : 1;
    } else if (r == 0) {
        r = gw_convert_in_place(it, GW_API_V1ALPHA1, &errors);
        if (r == -EINVAL)
            r = wh_bad_request(out, 400, "%s%s%s", where, *where ? ": " : "",
                               errors.n ? errors.items[0].message : "cannot be converted") < 0 ? -ENOMEM : 1;
    } else if (r == -EINVAL) {
        r = 0; /* parsing says what is wrong */
    }
    errlist_free(&errors);
    return r;
}

/* Parses and checks every item; 1 when *out already holds the answer. */
static int load_items(json_object *root, struct preview *p, struct gw_errlist *warnings, struct wh_reply *out)
{
    json_object *items = root;
    size_t n = 1;
    bool list = is_list(root);
    if (list) {
        items = jobj_get(root, "items");
        if (!json_object_is_type(items, json_type_array))
            return wh_bad_request(out, 400, "items: must be a list of objects") < 0 ? -ENOMEM : 1;
        n = json_object_array_length(items);
        if (n > PREVIEW_MAX_ITEMS)
            return wh_bad_request(out, 400, "items: more than %d objects", PREVIEW_MAX_ITEMS) < 0 ? -ENOMEM : 1;
    }
    p->objs = calloc(n ? n : 1, sizeof(*p->objs));
    if (!p->objs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *it = list ? json_object_array_get_idx(items, i) : root;
        char where[32] = "";
        if (list)
            snprintf(where, sizeof(where), "items[%zu]", i);
        bool beta = gw_api_version_of(jobj_get_str(it, "apiVersion")) == GW_API_V1BETA1;
        int r = beta_to_storage(it, where, warnings, out);
        if (r != 0)
            return r;
        struct gw_errlist errors;
        errlist_init(&errors);
        struct gw_object *o = NULL;
        r = gw_object_parse(it, &o, &errors);
        if (r == 0 && gw_object_read_beta(o, &errors) < 0) {
            gw_object_free(o);
            r = -ENOMEM;
        }
        if (r == -ENOMEM) {
            errlist_free(&errors);
            return -ENOMEM;
        }
        if (r < 0) {
            r = wh_bad_request(out, 400, "%s%s%s", where, *where ? ": " : "",
                               errors.n ? errors.items[0].message : "not an object of " GW_GROUP);
            errlist_free(&errors);
            return r < 0 ? -ENOMEM : 1;
        }
        p->objs[p->n++] = o;
        if (!o->meta.ns && gw_kind_namespaced(o->kind))
            o->meta.ns = PREVIEW_DEFAULT_NS;
        /* v1beta1 objects were validated before conversion, in their paths. */
        if (o->kind != GW_KIND_SECRET && o->kind != GW_KIND_NAMESPACE && !beta)
            gw_validate_object(o, &errors, warnings);
        if (errors.n > 0) {
            r = invalid(out, o, where, &errors);
            errlist_free(&errors);
            return r < 0 ? -ENOMEM : 1;
        }
        errlist_free(&errors);
    }
    return 0;
}

static int take_warnings(struct wh_reply *out, const struct gw_errlist *a, const struct gw_errlist *b)
{
    size_t n = a->n + b->n;
    if (n > WH_MAX_WARNINGS)
        n = WH_MAX_WARNINGS;
    if (n == 0)
        return 0;
    out->warnings = calloc(n, sizeof(*out->warnings));
    if (!out->warnings)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct gw_issue *it = i < a->n ? &a->items[i] : &b->items[i - a->n];
        out->warnings[i] = strdup(it->message);
        if (!out->warnings[i])
            return -ENOMEM;
        out->n_warnings++;
    }
    return 0;
}

/* Routes that name gw but that its allowedRoutes does not admit: a
 * warning each, with the reason the route's status would give. */
static int warn_refused(const struct gw_object *gw, const struct gw_objset *set, struct gw_errlist *warnings)
{
    struct gw_refused_route *refused = NULL;
    size_t n = 0;
    int r = gw_refused_routes(gw, set, &refused, &n);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = errlist_addf(warnings, GW_E_NOTE, "spec.allowedRoutes", NULL, "ToolRoute %s/%s is not admitted: %s%s",
                         refused[i].route->meta.ns, refused[i].route->meta.name, refused[i].why,
                         refused[i].labels_unknown ? " (add the route's Namespace to the List)" : "");
    free(refused);
    return r;
}

static int render_preview(const struct preview *p, const struct gw_object *gw, struct gw_errlist *warnings,
                          struct wh_reply *out)
{
    struct gw_objset set = { (const struct gw_object *const *)p->objs, p->n };
    struct gw_render_input in = { .gateway = gw };
    struct gw_resolved_guard *guards = NULL;
    struct gw_route_input *routes = NULL;
    struct gw_secret_version *secrets = NULL;
    struct gw_render_output ro;
    memset(&ro, 0, sizeof(ro));
    int r = gw_resolve_guards(gw, &set, &guards, &in.n_guards);
    in.guards = guards;
    if (r == 0 && gw->kind == GW_KIND_TOOLGATEWAY)
        r = gw_attached_routes(gw, &set, &routes, &in.n_routes);
    if (r == 0 && gw->kind == GW_KIND_TOOLGATEWAY)
        r = warn_refused(gw, &set, warnings);
    in.routes = routes;
    if (r == 0)
        r = gw_secret_versions(&in, &set, &secrets, &in.n_secrets);
    in.secrets = secrets;
    if (r == 0)
        r = gw_render(&in, &ro);
    if (r == -EINVAL && ro.errors.n > 0) {
        r = invalid(out, gw, "", &ro.errors);
    } else if (r == 0) {
        out->body = ro.config_yaml;
        out->body_len = strlen(ro.config_yaml);
        ro.config_yaml = NULL;
        out->status = 200;
        out->content_type = "application/yaml; charset=utf-8";
        out->verdict = WH_V_ALLOWED;
        r = take_warnings(out, warnings, &ro.warnings);
        char label[256];
        wh_summarize(out, "preview %s: %zu bytes, %zu warning%s", gw_object_label(gw, label, sizeof(label)),
                     out->body_len, out->n_warnings, out->n_warnings == 1 ? "" : "s");
    } else if (r != -ENOMEM) {
        r = wh_reply_error(out, 500, "rendering failed");
    }
    gw_render_output_release(&ro);
    free(guards);
    free(routes);
    free(secrets);
    return r < 0 ? -ENOMEM : 0;
}

int wh_preview(const char *body, size_t len, struct wh_reply *out)
{
    wh_reply_init(out);
    if (len == 0)
        return wh_bad_request(out, 400, "empty request body: expected an AiGateway or ToolGateway as JSON");
    json_object *root = NULL;
    char *err = NULL;
    int r = gw_json_parse(body, len, WH_JSON_MAX_DEPTH, &root, &err);
    if (r < 0)
        return wh_unparsed(out, r, err) < 0 ? -ENOMEM : 0;
    struct preview p = { 0 };
    struct gw_errlist warnings;
    errlist_init(&warnings);
    r = load_items(root, &p, &warnings, out);
    if (r == 0) {
        const struct gw_object *gw = NULL;
        for (size_t i = 0; i < p.n && !gw; i++)
            if (p.objs[i]->kind == GW_KIND_AIGATEWAY || p.objs[i]->kind == GW_KIND_TOOLGATEWAY)
                gw = p.objs[i];
        if (gw) {
            if (gw->kind == GW_KIND_AIGATEWAY)
                out->kind = WH_K_AIGATEWAY;
            else
                out->kind = WH_K_TOOLGATEWAY;
            r = render_preview(&p, gw, &warnings, out);
        } else {
            r = wh_bad_request(out, 400, "nothing to preview: the body holds no AiGateway or ToolGateway");
        }
    }
    errlist_free(&warnings);
    preview_free(&p);
    json_object_put(root);
    return r < 0 ? -ENOMEM : 0;
}
