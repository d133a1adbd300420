#include "convert.h"
#include "labelsel.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "strbuf.h"
#include "validate.h"
#include "yamlout.h"

#define PATCH_FIELD "metadata.annotations[" GW_CONFIG_PATCH_ANNOTATION "]"
#define CARRIER_MAX_BYTES GW_CONVERSION_CARRIER_MAX_BYTES
#define CARRIER_MAX_DEPTH GW_CONVERSION_CARRIER_MAX_DEPTH

/* --- names ------------------------------------------------------------------ */

enum gw_api_version gw_api_version_of(const char *api_version)
{
    if (!api_version)
        return GW_API_OTHER;
    if (strcmp(api_version, GW_V1ALPHA1) == 0)
        return GW_API_V1ALPHA1;
    if (strcmp(api_version, GW_V1BETA1) == 0)
        return GW_API_V1BETA1;
    return GW_API_OTHER;
}

const char *gw_api_version_string(enum gw_api_version v)
{
    return v == GW_API_V1ALPHA1 ? GW_V1ALPHA1 : v == GW_API_V1BETA1 ? GW_V1BETA1 : "";
}

enum gw_kind gw_convert_kind_of(const char *api_version, const char *kind)
{
    if (gw_api_version_of(api_version) == GW_API_OTHER || !kind)
        return GW_KIND_UNKNOWN;
    if (strcmp(kind, "AiGateway") == 0)
        return GW_KIND_AIGATEWAY;
    if (strcmp(kind, "ToolGateway") == 0)
        return GW_KIND_TOOLGATEWAY;
    if (strcmp(kind, "ToolRoute") == 0)
        return GW_KIND_TOOLROUTE;
    return GW_KIND_UNKNOWN;
}

const struct gw_rename GW_RENAMES[] = {
    { GW_KIND_AIGATEWAY, "aiGatewayClassName", "className" },
    { GW_KIND_AIGATEWAY, "aiModels", "models" },
    { GW_KIND_TOOLGATEWAY, "toolGatewayClassName", "className" },
    { GW_KIND_TOOLROUTE, "toolGatewayRef", "gatewayRef" },
};
const size_t GW_N_RENAMES = sizeof(GW_RENAMES) / sizeof(GW_RENAMES[0]);

/* spec members only v1beta1 has, carried in the annotation (configPatch
 * has its own home and is handled apart). */
static const char *const CARRIED_AI[] = { "replicas", "resources", NULL };
static const char *const CARRIED_TG[] = { "replicas", "resources", "allowedRoutes", NULL };
static const char *const CARRIED_TR[] = { "serverName", NULL };
const char *const GW_CONVERT_MODEL_EXTRAS[] = { "model", "apiBase", "apiKeySecretRef", NULL };

const char *const *gw_convert_carried_fields(enum gw_kind k)
{
    return k == GW_KIND_AIGATEWAY ? CARRIED_AI : k == GW_KIND_TOOLGATEWAY ? CARRIED_TG : CARRIED_TR;
}

bool gw_convert_has_config_patch(enum gw_kind k)
{
    return k == GW_KIND_AIGATEWAY || k == GW_KIND_TOOLGATEWAY;
}

static bool in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return true;
    return false;
}

/* --- small json-c helpers ------------------------------------------------------ */

static json_object *member(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v))
        return v;
    return NULL;
}

static const char *str_member(json_object *o, const char *k)
{
    json_object *v = member(o, k);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool has_member(json_object *o, const char *k)
{
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, NULL);
}

/* Adds v (taken) under k; 0 or -ENOMEM. */
static int put(json_object *o, const char *k, json_object *v)
{
    if (!v)
        return -ENOMEM;
    if (json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* Adds a new reference to v under k. */
static int put_ref(json_object *o, const char *k, json_object *v)
{
    json_object_get(v);
    if (json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

static int put_str(json_object *o, const char *k, const char *s, size_t len)
{
    return put(o, k, json_object_new_string_len(s, (int)len));
}

bool gw_json_same(json_object *a, json_object *b)
{
    enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
    bool na = ta == json_type_int || ta == json_type_double, nb = tb == json_type_int || tb == json_type_double;
    if (na && nb) {
        if (ta == json_type_int && tb == json_type_int)
            return json_object_get_int64(a) == json_object_get_int64(b) &&
                   json_object_get_uint64(a) == json_object_get_uint64(b);
        return json_object_get_double(a) == json_object_get_double(b);
    }
    if (ta != tb)
        return false;
    switch (ta) {
    case json_type_null:
        return true;
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string: {
        int la = json_object_get_string_len(a), lb = json_object_get_string_len(b);
        return la == lb && memcmp(json_object_get_string(a), json_object_get_string(b), (size_t)la) == 0;
    }
    case json_type_array: {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!gw_json_same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return false;
        return true;
    }
    case json_type_object: {
        if (json_object_object_length(a) != json_object_object_length(b))
            return false;
        json_object_object_foreach(a, k, v)
        {
            json_object *w = NULL;
            if (!json_object_object_get_ex(b, k, &w) || !gw_json_same(v, w))
                return false;
        }
        return true;
    }
    default:
        return false;
    }
}

/* --- the conversion state ------------------------------------------------------- */

struct conv {
    enum gw_kind kind;
    json_object *obj;          /* the copy being converted (owned) */
    json_object *ann;          /* its metadata.annotations, or NULL */
    json_object *spec;         /* its spec when that is an object, or NULL */
    struct gw_errlist *errors;
    size_t n_errors_before;
    const struct gw_convert_hooks *hooks;  /* may be NULL */
};

static bool conv_failed(const struct conv *c)
{
    return c->errors->n + c->errors->dropped > c->n_errors_before;
}

/* Reads the conversion annotation as a JSON object (*ret NULL when it is
 * absent). A value that is not a JSON object is an error. */
static int carrier_read(struct conv *c, json_object **ret)
{
    *ret = NULL;
    json_object *v = member(c->ann, GW_CONVERSION_ANNOTATION);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return err_type(c->errors, GW_CONVERSION_FIELD, json_type_to_name(json_object_get_type(v)), "string");
    const char *s = json_object_get_string(v);
    size_t len = (size_t)json_object_get_string_len(v);
    if (len > CARRIER_MAX_BYTES)
        return err_invalid_str(c->errors, GW_CONVERSION_FIELD, "...", "longer than 256 KiB");
    char *perr = NULL;
    json_object *root = NULL;
    int r = c->hooks && c->hooks->json_parse ? c->hooks->json_parse(s, len, CARRIER_MAX_DEPTH, &root, &perr)
                                             : gw_json_parse(s, len, CARRIER_MAX_DEPTH, &root, &perr);
    if (r == -ENOMEM) {
        free(perr);
        return r;
    }
    if (r < 0 || !json_object_is_type(root, json_type_object)) {
        r = errlist_addf(c->errors, GW_E_INVALID, GW_CONVERSION_FIELD, NULL,
                         "not the JSON object the conversion writes (%s); remove the annotation or restore it",
                         r < 0 ? (perr ? perr : "parse error") : "not an object");
        free(perr);
        json_object_put(root);
        return r;
    }
    *ret = root;
    return 0;
}

static int carrier_unknown(struct conv *c, const char *key, const char *where)
{
    return errlist_addf(c->errors, GW_E_NOT_SUPPORTED, GW_CONVERSION_FIELD, NULL,
                        "member \"%.100s\" is not one the conversion writes on a %s object (hand-edited?)", key,
                        where);
}

/* Builds a new spec with the keys renamed in place (order kept). A key that
 * already has the target name is an error: it belongs to the other version. */
static int rename_spec(struct conv *c, bool to_beta)
{
    json_object *ns = json_object_new_object();
    if (!ns)
        return -ENOMEM;
    json_object_object_foreach(c->spec, k, v)
    {
        const char *name = k;
        for (size_t i = 0; i < GW_N_RENAMES; i++) {
            if (GW_RENAMES[i].kind != c->kind)
                continue;
            const char *from = to_beta ? GW_RENAMES[i].alpha : GW_RENAMES[i].beta;
            const char *to = to_beta ? GW_RENAMES[i].beta : GW_RENAMES[i].alpha;
            if (strcmp(k, from) == 0)
                name = to;
            else if (strcmp(k, to) == 0) {
                char field[160];
                snprintf(field, sizeof(field), "spec.%s", k);
                if (errlist_addf(c->errors, GW_E_FORBIDDEN, field, NULL, "not a field of %s; %s calls it spec.%s",
                                 to_beta ? "v1alpha1" : "v1beta1", to_beta ? "v1alpha1" : "v1beta1", from) < 0)
                    goto oom;
                name = NULL;
            }
        }
        if (name && put_ref(ns, name, v) < 0)
            goto oom;
    }
    if (json_object_object_add(c->obj, "spec", ns) != 0)
        goto oom;
    c->spec = ns;
    return 0;
oom:
    json_object_put(ns);
    return -ENOMEM;
}

/* An annotations map that ends up empty is removed. */
static void drop_empty_annotations(struct conv *c)
{
    if (c->ann && json_object_object_length(c->ann) == 0) {
        json_object_object_del(member(c->obj, "metadata"), "annotations");
        c->ann = NULL;
    }
}

static int ensure_annotations(struct conv *c)
{
    if (c->ann)
        return 0;
    json_object *md = member(c->obj, "metadata");
    if (!md || !json_object_is_type(md, json_type_object))
        return err_required(c->errors, "metadata", "the object has no metadata to carry fields in");
    json_object *a = json_object_new_object();
    if (put(md, "annotations", a) < 0)
        return -ENOMEM;
    c->ann = a;
    return 0;
}

static int set_carrier(struct conv *c, json_object *carrier)
{
    if (json_object_object_length(carrier) == 0)
        return 0;
    int r = ensure_annotations(c);
    if (r < 0 || conv_failed(c))
        return r;
    size_t len = 0;
    const char *s = json_object_to_json_string_length(carrier, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                      &len);
    if (!s)
        return -ENOMEM;
    return put_str(c->ann, GW_CONVERSION_ANNOTATION, s, len);
}

/* Parses the config-patch text as a YAML mapping: 1 with *ret set, 0 when
 * it is not one (it then stays an annotation), -ENOMEM. */
static int patch_parse(const char *text, size_t len, json_object **ret)
{
    char *err = NULL;
    json_object *o = NULL;
    int r = gw_yaml_load_one(text, len, &GW_LIMITS_PATCH, &o, &err);
    free(err);
    if (r == -ENOMEM)
        return r;
    if (r < 0 || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return 0;
    }
    *ret = o;
    return 1;
}

/* --- v1alpha1 -> v1beta1 ----------------------------------------------------- */

static int alpha_forbid_beta_fields(struct conv *c)
{
    int r = 0;
    for (const char *const *f = gw_convert_carried_fields(c->kind); *f && r == 0; f++)
        if (has_member(c->spec, *f)) {
            char field[64];
            snprintf(field, sizeof(field), "spec.%s", *f);
            r = err_forbidden(c->errors, field, "a v1beta1 field; write the object as " GW_V1BETA1);
        }
    if (r == 0 && gw_convert_has_config_patch(c->kind) && has_member(c->spec, "configPatch"))
        r = errlist_addf(c->errors, GW_E_FORBIDDEN, "spec.configPatch", NULL,
                         "a v1beta1 field; v1alpha1 takes the patch in the %s annotation", GW_CONFIG_PATCH_ANNOTATION);
    json_object *models = member(c->spec, "aiModels");
    if (c->kind != GW_KIND_AIGATEWAY || !json_object_is_type(models, json_type_array))
        return r;
    for (size_t i = 0; r == 0 && i < json_object_array_length(models); i++)
        for (const char *const *f = GW_CONVERT_MODEL_EXTRAS; *f && r == 0; f++)
            if (has_member(json_object_array_get_idx(models, i), *f)) {
                char field[96];
                snprintf(field, sizeof(field), "spec.aiModels[%zu].%s", i, *f);
                r = err_forbidden(c->errors, field, "a v1beta1 field; write the object as " GW_V1BETA1);
            }
    return r;
}

/* The n-th carried model entry named `name`, or NULL. */
static json_object *carried_model(json_object *carried, const char *name, size_t nth)
{
    for (size_t i = 0; i < json_object_array_length(carried); i++) {
        json_object *e = json_object_array_get_idx(carried, i);
        const char *en = str_member(e, "name");
        if (en && strcmp(en, name) == 0 && nth-- == 0)
            return e;
    }
    return NULL;
}

static int check_carried_models(struct conv *c, json_object *carried)
{
    if (!json_object_is_type(carried, json_type_array))
        return err_type(c->errors, GW_CONVERSION_FIELD, "spec.models is not an array", "array");
    for (size_t i = 0; i < json_object_array_length(carried); i++) {
        json_object *e = json_object_array_get_idx(carried, i);
        if (!json_object_is_type(e, json_type_object) || !str_member(e, "name"))
            return errlist_addf(c->errors, GW_E_INVALID, GW_CONVERSION_FIELD, NULL,
                                "spec.models[%zu] must be an object with a name", i);
        json_object_object_foreach(e, k, v)
        {
            (void)v;
            if (strcmp(k, "name") != 0 && !in_list(GW_CONVERT_MODEL_EXTRAS, k))
                return errlist_addf(c->errors, GW_E_NOT_SUPPORTED, GW_CONVERSION_FIELD, NULL,
                                    "spec.models[%zu].%.100s is not a field the conversion carries", i, k);
        }
    }
    return 0;
}

static int merge_carried_models(struct conv *c, json_object *carried)
{
    int r = check_carried_models(c, carried);
    json_object *models = member(c->spec, "models");
    if (r < 0 || conv_failed(c) || !json_object_is_type(models, json_type_array))
        return r;
    size_t n = json_object_array_length(models);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(models, i);
        const char *name = str_member(m, "name");
        if (!name)
            continue;
        size_t nth = 0;
        for (size_t j = 0; j < i; j++) {
            const char *pn = str_member(json_object_array_get_idx(models, j), "name");
            nth += pn && strcmp(pn, name) == 0;
        }
        json_object *e = carried_model(carried, name, nth);
        if (!e)
            continue;
        json_object_object_foreach(e, k, v)
        {
            if (strcmp(k, "name") != 0 && put_ref(m, k, v) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static int merge_carried_spec(struct conv *c, json_object *cspec)
{
    if (!json_object_is_type(cspec, json_type_object))
        return err_type(c->errors, GW_CONVERSION_FIELD, "spec is not an object", "object");
    if (!c->spec) {
        json_object *s = json_object_new_object();
        if (put(c->obj, "spec", s) < 0)
            return -ENOMEM;
        c->spec = s;
    }
    json_object_object_foreach(cspec, k, v)
    {
        int r;
        if (c->kind == GW_KIND_AIGATEWAY && strcmp(k, "models") == 0)
            r = merge_carried_models(c, v);
        else if (in_list(gw_convert_carried_fields(c->kind), k))
            r = put_ref(c->spec, k, v);
        else
            r = errlist_addf(c->errors, GW_E_NOT_SUPPORTED, GW_CONVERSION_FIELD, NULL,
                             "spec.%.100s is not a field the conversion carries for %s (hand-edited?)", k,
                             gw_kind_name(c->kind));
        if (r < 0)
            return r;
    }
    return 0;
}

/* The A-side carrier members, checked before anything is applied. */
struct alpha_carrier {
    json_object *spec;                 /* "spec" */
    json_object *patch_annotation;     /* "configPatchAnnotation": string */
    bool patch_from_annotation;        /* "configPatchFromAnnotation": true */
};

static int alpha_carrier_parse(struct conv *c, json_object *carrier, struct alpha_carrier *ac)
{
    memset(ac, 0, sizeof(*ac));
    if (!carrier)
        return 0;
    json_object_object_foreach(carrier, k, v)
    {
        int r = 0;
        if (strcmp(k, "spec") == 0)
            ac->spec = v;
        else if (strcmp(k, "configPatchAnnotation") == 0 && gw_convert_has_config_patch(c->kind) &&
                 json_object_is_type(v, json_type_string))
            ac->patch_annotation = v;
        else if (strcmp(k, "configPatchFromAnnotation") == 0 && gw_convert_has_config_patch(c->kind) &&
                 json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v))
            ac->patch_from_annotation = true;
        else
            r = carrier_unknown(c, k, GW_V1ALPHA1);
        if (r < 0)
            return r;
    }
    if (ac->patch_annotation && ac->patch_from_annotation)
        return errlist_addf(c->errors, GW_E_INVALID, GW_CONVERSION_FIELD, NULL,
                            "configPatchAnnotation and configPatchFromAnnotation exclude each other (hand-edited?)");
    return 0;
}

/* Reads a config-patch text: 1 with *ret (a mapping) and *ret_same (our
 * emitter writes it back identically), 0 when it is no YAML mapping, or
 * -ENOMEM. The memo, when there is one, is asked first and told after. */
static int read_patch(struct conv *c, const char *text, size_t len, json_object **ret, bool *ret_same)
{
    *ret = NULL;
    *ret_same = false;
    if (c->hooks && c->hooks->lookup) {
        int m = c->hooks->lookup(c->hooks->ctx, text, len, ret, ret_same);
        if (m != 0)
            return m < 0 ? m : *ret ? 1 : 0;
    }
    json_object *patch = NULL;
    int r = patch_parse(text, len, &patch);
    if (r < 0)
        return r;
    bool same = false;
    if (r == 1) {
        char *out = NULL;
        size_t out_len = 0;
        int e = gw_yaml_emit(patch, &out, &out_len);
        same = e == 0 && out_len == len && memcmp(out, text, len) == 0;
        free(out);
        if (e == -ENOMEM) {
            json_object_put(patch);
            return e;
        }
    }
    if (c->hooks && c->hooks->store)
        c->hooks->store(c->hooks->ctx, text, len, patch, same);
    *ret = patch;
    *ret_same = same;
    return r;
}

/* The config-patch annotation becomes spec.configPatch when it is a YAML
 * mapping; anything else stays an annotation. */
static int alpha_patch_to_beta(struct conv *c, const struct alpha_carrier *ac, json_object *beta_carrier)
{
    json_object *pv = member(c->ann, GW_CONFIG_PATCH_ANNOTATION);
    bool moved = false;
    int r = 0;
    if (pv && json_object_is_type(pv, json_type_string) && !ac->patch_from_annotation) {
        const char *text = json_object_get_string(pv);
        size_t len = (size_t)json_object_get_string_len(pv);
        json_object *patch = NULL;
        bool same = false;
        r = read_patch(c, text, len, &patch, &same);
        if (r < 0)
            return r;
        if (r == 1) {
            /* Keeps the original text in the v1beta1 annotation when our
             * emitter would not write it identically. */
            r = same ? 0 : put_str(beta_carrier, "configPatchText", text, len);
            if (r < 0) {
                json_object_put(patch);
                return r;
            }
            if ((r = put(c->spec, "configPatch", patch)) < 0)
                return r;
            json_object_object_del(c->ann, GW_CONFIG_PATCH_ANNOTATION);
            moved = true;
        }
        r = 0;
    }
    if (ac->patch_annotation && (moved || !pv)) {
        if ((r = ensure_annotations(c)) < 0 || conv_failed(c))
            return r;
        r = put_ref(c->ann, GW_CONFIG_PATCH_ANNOTATION, ac->patch_annotation);
    }
    return r;
}

static int alpha_to_beta(struct conv *c)
{
    json_object *carrier = NULL, *beta_carrier = NULL;
    struct alpha_carrier ac;
    int r = carrier_read(c, &carrier);
    if (r < 0 || conv_failed(c))
        goto out;
    r = alpha_carrier_parse(c, carrier, &ac);
    if (r < 0 || conv_failed(c))
        goto out;
    if (c->spec) {
        r = alpha_forbid_beta_fields(c);
        if (r == 0 && !conv_failed(c))
            r = rename_spec(c, true);
        if (r < 0 || conv_failed(c))
            goto out;
    }
    if (ac.spec && (r = merge_carried_spec(c, ac.spec)) < 0)
        goto out;
    if (conv_failed(c))
        goto out;
    if (c->ann)
        json_object_object_del(c->ann, GW_CONVERSION_ANNOTATION);
    r = -ENOMEM;
    beta_carrier = json_object_new_object();
    if (!beta_carrier)
        goto out;
    r = 0;
    if (gw_convert_has_config_patch(c->kind) && c->spec)
        r = alpha_patch_to_beta(c, &ac, beta_carrier);
    if (r == 0 && !conv_failed(c))
        r = set_carrier(c, beta_carrier);
    if (r == 0)
        drop_empty_annotations(c);
out:
    json_object_put(carrier);
    json_object_put(beta_carrier);
    return r;
}

/* --- v1beta1 -> v1alpha1 ----------------------------------------------------- */

static int beta_carrier_text(struct conv *c, json_object *carrier, json_object **ret_text)
{
    *ret_text = NULL;
    if (!carrier)
        return 0;
    json_object_object_foreach(carrier, k, v)
    {
        if (strcmp(k, "configPatchText") == 0 && gw_convert_has_config_patch(c->kind) && json_object_is_type(v, json_type_string))
            *ret_text = v;
        else if (carrier_unknown(c, k, GW_V1BETA1) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Moves the per-model fields into carried.models. */
static int beta_models_out(struct conv *c, json_object *cspec)
{
    json_object *models = member(c->spec, "aiModels");
    if (!json_object_is_type(models, json_type_array))
        return 0;
    json_object *out = NULL;
    size_t n = json_object_array_length(models);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(models, i);
        const char *name = str_member(m, "name");
        /* Entries are matched back by name and occurrence: when a name
         * repeats, every model of that name gets an entry, extras or not. */
        bool any = false;
        for (size_t j = 0; j < n && !any; j++) {
            json_object *o = json_object_array_get_idx(models, j);
            const char *on = str_member(o, "name");
            if (j != i && (!name || !on || strcmp(on, name) != 0))
                continue;
            for (const char *const *f = GW_CONVERT_MODEL_EXTRAS; *f; f++)
                any |= has_member(o, *f);
        }
        if (!any)
            continue;
        if (!name) {
            char field[64];
            snprintf(field, sizeof(field), "spec.models[%zu].name", i);
            if (err_required(c->errors, field, "needed to carry model, apiBase and apiKeySecretRef in v1alpha1") < 0)
                return -ENOMEM;
            continue;
        }
        if (!out) {
            out = json_object_new_array();
            if (put(cspec, "models", out) < 0)
                return -ENOMEM;
        }
        json_object *e = json_object_new_object();
        if (!e || json_object_array_add(out, e) != 0) {
            json_object_put(e);
            return -ENOMEM;
        }
        if (put_str(e, "name", name, strlen(name)) < 0)
            return -ENOMEM;
        for (const char *const *f = GW_CONVERT_MODEL_EXTRAS; *f; f++) {
            json_object *v = member(m, *f);
            if (!v && !has_member(m, *f))
                continue;
            if (put_ref(e, *f, v) < 0)
                return -ENOMEM;
            json_object_object_del(m, *f);
        }
    }
    return 0;
}

static int beta_patch_to_alpha(struct conv *c, json_object *text, json_object *carried)
{
    json_object *ann_patch = member(c->ann, GW_CONFIG_PATCH_ANNOTATION);
    json_object *patch = NULL;
    bool same = false; /* only alpha_patch_to_beta needs it */
    bool has_patch = json_object_object_get_ex(c->spec, "configPatch", &patch);
    if (!has_patch) {
        json_object *parsed = NULL;
        int r = 0;
        if (ann_patch && json_object_is_type(ann_patch, json_type_string))
            r = read_patch(c, json_object_get_string(ann_patch), (size_t)json_object_get_string_len(ann_patch), &parsed,
                           &same);
        json_object_put(parsed);
        if (r == 1)
            r = put(carried, "configPatchFromAnnotation", json_object_new_boolean(1));
        return r < 0 ? r : 0;
    }
    if (!json_object_is_type(patch, json_type_object))
        return err_type(c->errors, "spec.configPatch", json_type_to_name(json_object_get_type(patch)), "object");
    int r = 0;
    json_object *parsed = NULL;
    if (text)
        r = read_patch(c, json_object_get_string(text), (size_t)json_object_get_string_len(text), &parsed, &same);
    if (r < 0)
        return r;
    bool keep_text = r == 1 && gw_json_same(parsed, patch);
    json_object_put(parsed);
    if (ann_patch && put_ref(carried, "configPatchAnnotation", ann_patch) < 0)
        return -ENOMEM;
    if ((r = ensure_annotations(c)) < 0 || conv_failed(c))
        return r;
    if (keep_text) {
        r = put_ref(c->ann, GW_CONFIG_PATCH_ANNOTATION, text);
    } else {
        char *out = NULL;
        size_t len = 0;
        r = gw_yaml_emit(patch, &out, &len);
        if (r == -EINVAL)
            return err_invalid_str(c->errors, "spec.configPatch", "...", "cannot be written as YAML");
        if (r == 0)
            r = put_str(c->ann, GW_CONFIG_PATCH_ANNOTATION, out, len);
        free(out);
    }
    if (r == 0)
        json_object_object_del(c->spec, "configPatch");
    return r;
}

static int beta_to_alpha(struct conv *c)
{
    json_object *carrier = NULL, *text = NULL, *carried = NULL, *cspec = NULL;
    int r = carrier_read(c, &carrier);
    if (r == 0 && !conv_failed(c))
        r = beta_carrier_text(c, carrier, &text);
    if (r < 0 || conv_failed(c) || !c->spec)
        goto finish;
    r = rename_spec(c, false);
    if (r < 0 || conv_failed(c))
        goto finish;
    r = -ENOMEM;
    carried = json_object_new_object();
    cspec = json_object_new_object();
    if (!carried || !cspec)
        goto finish;
    r = c->kind == GW_KIND_AIGATEWAY ? beta_models_out(c, cspec) : 0;
    for (const char *const *f = gw_convert_carried_fields(c->kind); *f && r == 0; f++) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(c->spec, *f, &v))
            continue;
        r = put_ref(cspec, *f, v);
        json_object_object_del(c->spec, *f);
    }
    if (r == 0 && gw_convert_has_config_patch(c->kind))
        r = beta_patch_to_alpha(c, text, carried);
    if (r < 0 || conv_failed(c))
        goto finish;
    if (c->ann)
        json_object_object_del(c->ann, GW_CONVERSION_ANNOTATION);
    if (json_object_object_length(cspec) > 0) {
        r = put(carried, "spec", cspec);
        cspec = NULL;
        if (r < 0)
            goto finish;
    }
    r = set_carrier(c, carried);
finish:
    if (r == 0 && !conv_failed(c)) {
        if (c->ann && !c->spec)
            json_object_object_del(c->ann, GW_CONVERSION_ANNOTATION);
        drop_empty_annotations(c);
    }
    json_object_put(carrier);
    json_object_put(carried);
    json_object_put(cspec);
    return r;
}

/* --- entry points ------------------------------------------------------------- */

int gw_convert_in_place(json_object *obj, enum gw_api_version to, struct gw_errlist *errors)
{
    return gw_convert_in_place_hooked(obj, to, NULL, errors);
}

int gw_convert_in_place_hooked(json_object *obj, enum gw_api_version to, const struct gw_convert_hooks *hooks,
                               struct gw_errlist *errors)
{
    const char *api = str_member(obj, "apiVersion"), *kind_s = str_member(obj, "kind");
    enum gw_kind kind = gw_convert_kind_of(api, kind_s);
    enum gw_api_version from = gw_api_version_of(api);
    if (kind == GW_KIND_UNKNOWN || to == GW_API_OTHER) {
        int r = errlist_addf(errors, GW_E_NOT_SUPPORTED, "", NULL,
                             "cannot convert %.100s %.100s: only AiGateway, ToolGateway and ToolRoute of %s and %s convert",
                             api ? api : "(no apiVersion)", kind_s ? kind_s : "(no kind)", GW_V1ALPHA1, GW_V1BETA1);
        return r < 0 ? r : -EINVAL;
    }
    if (from == to)
        return 0;
    struct conv c = { .kind = kind, .obj = obj, .errors = errors, .n_errors_before = errors->n + errors->dropped,
                      .hooks = hooks };
    if (put_str(obj, "apiVersion", gw_api_version_string(to), strlen(gw_api_version_string(to))) < 0)
        return -ENOMEM;
    json_object *ann = member(member(obj, "metadata"), "annotations");
    c.ann = json_object_is_type(ann, json_type_object) ? ann : NULL;
    json_object *spec = member(obj, "spec");
    c.spec = json_object_is_type(spec, json_type_object) ? spec : NULL;
    int r = to == GW_API_V1BETA1 ? alpha_to_beta(&c) : beta_to_alpha(&c);
    if (r == 0 && conv_failed(&c))
        r = -EINVAL;
    return r;
}

int gw_convert(json_object *obj, enum gw_api_version to, json_object **ret, struct gw_errlist *errors)
{
    json_object *copy = NULL;
    if (json_object_deep_copy(obj, &copy, NULL) != 0)
        return -ENOMEM;
    int r = gw_convert_in_place(copy, to, errors);
    if (r < 0) {
        json_object_put(copy);
        return r;
    }
    *ret = copy;
    return 0;
}

/* --- field paths in the user's version ------------------------------------------ */

char *gw_convert_path_to_beta(enum gw_kind kind, const char *path)
{
    struct strbuf sb;
    sb_init(&sb, 64 << 10);
    const char *rest = path;
    if (strncmp(path, PATCH_FIELD, strlen(PATCH_FIELD)) == 0 && gw_convert_has_config_patch(kind)) {
        sb_adds(&sb, "spec.configPatch");
        rest = path + strlen(PATCH_FIELD);
    } else {
        for (size_t i = 0; i < GW_N_RENAMES; i++) {
            if (GW_RENAMES[i].kind != kind || strncmp(path, "spec.", 5) != 0)
                continue;
            size_t n = strlen(GW_RENAMES[i].alpha);
            if (strncmp(path + 5, GW_RENAMES[i].alpha, n) != 0)
                continue;
            char next = path[5 + n];
            if (next == '\0' || next == '.' || next == '[') {
                sb_addf(&sb, "spec.%s", GW_RENAMES[i].beta);
                rest = path + 5 + n;
                break;
            }
        }
    }
    sb_adds(&sb, rest);
    return sb_detach(&sb, NULL);
}

int gw_convert_errlist_to_beta(enum gw_kind kind, struct gw_errlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct gw_issue *it = &l->items[i];
        char *field = gw_convert_path_to_beta(kind, it->field ? it->field : "");
        if (!field)
            return -ENOMEM;
        if (it->field && strcmp(field, it->field) == 0) {
            free(field);
            continue;
        }
        struct strbuf sb;
        sb_init(&sb, 128 << 10);
        if (*field)
            sb_addf(&sb, "%s: ", field);
        sb_adds(&sb, it->body ? it->body : "");
        char *msg = sb_detach(&sb, NULL);
        if (!msg) {
            free(field);
            return -ENOMEM;
        }
        free(it->field);
        free(it->message);
        it->field = field;
        it->message = msg;
    }
    return 0;
}

/* --- the fields only v1beta1 has --------------------------------------------------- */

struct check {
    struct gw_errlist *errors;
    const char *prefix;
};

static void check_add(struct check *ck, enum gw_errtype t, const char *field, const char *value, const char *detail)
{
    if (!ck->prefix) {
        errlist_add(ck->errors, t, field, value, detail);
        return;
    }
    /* Fields that came from the annotation: the annotation is the path,
     * the carried field is named in the message. */
    errlist_addf(ck->errors, GW_E_INVALID, ck->prefix, NULL, "%s: %s%s%s", field, value ? value : "",
                 value ? ": " : "", detail ? detail : "");
}

static bool is_string_nonempty(json_object *v)
{
    return json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0;
}

static bool valid_server_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 24)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool valid_http_url(const char *s)
{
    const char *rest = NULL;
    if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    if (!rest || !*rest || *rest == '/')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

static void check_secret_ref(struct check *ck, json_object *ref, const char *field)
{
    char f[128];
    if (!json_object_is_type(ref, json_type_object)) {
        check_add(ck, GW_E_TYPE, field, NULL, "must be an object with name and key");
        return;
    }
    static const char *const req[] = { "name", "key" };
    for (int i = 0; i < 2; i++)
        if (!is_string_nonempty(member(ref, req[i]))) {
            snprintf(f, sizeof(f), "%s.%s", field, req[i]);
            check_add(ck, GW_E_REQUIRED, f, NULL, "the Secret's name and key are both required");
        }
    json_object *opt = member(ref, "optional");
    if (opt && !json_object_is_type(opt, json_type_boolean)) {
        snprintf(f, sizeof(f), "%s.optional", field);
        check_add(ck, GW_E_TYPE, f, NULL, "must be a boolean");
    }
}

static void check_models(struct check *ck, json_object *models)
{
    if (!json_object_is_type(models, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(models); i++) {
        json_object *m = json_object_array_get_idx(models, i);
        char f[96];
        json_object *v;
        if ((v = member(m, "model")) && !is_string_nonempty(v)) {
            snprintf(f, sizeof(f), "spec.models[%zu].model", i);
            check_add(ck, GW_E_INVALID, f, NULL, "must be a non-empty string (the upstream model id)");
        }
        if ((v = member(m, "apiBase"))) {
            snprintf(f, sizeof(f), "spec.models[%zu].apiBase", i);
            if (!json_object_is_type(v, json_type_string) || !valid_http_url(json_object_get_string(v)))
                check_add(ck, GW_E_INVALID, f, NULL, "must be an http:// or https:// URL");
        }
        if ((v = member(m, "apiKeySecretRef"))) {
            snprintf(f, sizeof(f), "spec.models[%zu].apiKeySecretRef", i);
            check_secret_ref(ck, v, f);
        }
    }
}

/* The selector's problems, at their paths (or under the annotation). */
static void check_selector(struct check *ck, json_object *sel)
{
    struct gw_errlist found;
    errlist_init(&found);
    gw_labelsel_check(sel, "spec.allowedRoutes.namespaces.selector", &found);
    for (size_t i = 0; ck->prefix && i < found.n; i++)
        check_add(ck, found.items[i].type, found.items[i].field, NULL, found.items[i].body);
    if (!ck->prefix)
        errlist_concat(ck->errors, &found);
    errlist_free(&found);
}

static void check_allowed_routes(struct check *ck, json_object *ar)
{
    if (!ar)
        return;
    json_object *nsel = member(ar, "namespaces");
    if (!json_object_is_type(ar, json_type_object) || (nsel && !json_object_is_type(nsel, json_type_object))) {
        check_add(ck, GW_E_TYPE, "spec.allowedRoutes", NULL, "must be an object {namespaces: {from, selector}}");
        return;
    }
    json_object *from = member(nsel, "from");
    const char *fs = json_object_is_type(from, json_type_string) ? json_object_get_string(from) : NULL;
    if (from && (!fs || (strcmp(fs, "All") != 0 && strcmp(fs, "Same") != 0 && strcmp(fs, "Selector") != 0))) {
        static const char *const supported[] = { "All", "Same", "Selector", NULL };
        if (ck->prefix)
            check_add(ck, GW_E_NOT_SUPPORTED, "spec.allowedRoutes.namespaces.from", NULL,
                      "supported values: \"All\", \"Same\", \"Selector\"");
        else
            err_not_supported(ck->errors, "spec.allowedRoutes.namespaces.from", fs ? fs : "", supported);
        return;
    }
    bool selector = fs && strcmp(fs, "Selector") == 0;
    json_object *sel = member(nsel, "selector");
    if (selector && !json_object_is_type(sel, json_type_object))
        check_add(ck, GW_E_REQUIRED, "spec.allowedRoutes.namespaces.selector", NULL, "required when from is Selector");
    else if (selector)
        check_selector(ck, sel);
    else if (!selector && sel)
        check_add(ck, GW_E_FORBIDDEN, "spec.allowedRoutes.namespaces.selector", NULL, "only allowed when from is Selector");
}

void gw_convert_check_beta_fields(json_object *beta, const char *prefix, struct gw_errlist *errors)
{
    struct check ck = { .errors = errors, .prefix = prefix };
    enum gw_kind kind = gw_convert_kind_of(str_member(beta, "apiVersion"), str_member(beta, "kind"));
    json_object *spec = member(beta, "spec"), *v;
    if (!json_object_is_type(spec, json_type_object))
        return;
    if ((v = member(spec, "replicas")) || has_member(spec, "replicas")) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
            json_object_get_int64(v) > INT32_MAX)
            check_add(&ck, GW_E_INVALID, "spec.replicas", NULL, "must be an integer between 0 and 2147483647");
    }
    if ((v = member(spec, "resources")) && !json_object_is_type(v, json_type_object))
        check_add(&ck, GW_E_TYPE, "spec.resources", NULL, "must be an object (limits, requests)");
    if ((v = member(spec, "configPatch")) && !json_object_is_type(v, json_type_object))
        check_add(&ck, GW_E_TYPE, "spec.configPatch", NULL, "must be a mapping of LiteLLM config keys");
    if (kind == GW_KIND_AIGATEWAY)
        check_models(&ck, member(spec, "models"));
    if (kind == GW_KIND_TOOLGATEWAY)
        check_allowed_routes(&ck, member(spec, "allowedRoutes"));
    if (kind == GW_KIND_TOOLROUTE && (v = member(spec, "serverName")) &&
        (!json_object_is_type(v, json_type_string) || !valid_server_name(json_object_get_string(v))))
        check_add(&ck, GW_E_INVALID, "spec.serverName", NULL,
                  "must be 1 to 24 letters, digits or underscores (it becomes the mcp_servers key and URL segment)");
}

/* --- admission for both versions --------------------------------------------------- */

static int validate_alpha(json_object *root, enum gw_kind kind, const char *ns,
                          const struct gw_patch_review_cache *cache, struct gw_errlist *errors,
                          struct gw_errlist *warnings)
{
    int r = gw_validate_cached(root, ns, cache, errors, warnings);
    if (r < 0 || kind == GW_KIND_UNKNOWN || !member(member(member(root, "metadata"), "annotations"),
                                                    GW_CONVERSION_ANNOTATION))
        return r;
    /* What the annotation carries must be what the conversion writes, and
     * valid as the v1beta1 fields it stands for. */
    json_object *beta = NULL;
    r = gw_convert(root, GW_API_V1BETA1, &beta, errors);
    if (r == -EINVAL)
        return 0;
    if (r < 0)
        return r;
    gw_convert_check_beta_fields(beta, GW_CONVERSION_FIELD, errors);
    json_object_put(beta);
    return 0;
}

int gw_validate_any(json_object *root, const char *ns, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    return gw_validate_any_cached(root, ns, NULL, errors, warnings);
}

int gw_validate_any_cached(json_object *root, const char *ns, const struct gw_patch_review_cache *cache,
                           struct gw_errlist *errors, struct gw_errlist *warnings)
{
    const char *api = str_member(root, "apiVersion");
    enum gw_kind kind = gw_convert_kind_of(api, str_member(root, "kind"));
    if (gw_api_version_of(api) != GW_API_V1BETA1 || kind == GW_KIND_UNKNOWN)
        return validate_alpha(root, kind, ns, cache, errors, warnings);
    json_object *alpha = NULL;
    int r = gw_convert(root, GW_API_V1ALPHA1, &alpha, errors);
    if (r == -EINVAL)
        return 0;
    if (r < 0)
        return r;
    struct gw_errlist e, w;
    errlist_init(&e);
    errlist_init(&w);
    r = gw_validate_cached(alpha, ns, cache, &e, &w);
    json_object_put(alpha);
    if (r >= 0 || r == -EINVAL) {
        int m = gw_convert_errlist_to_beta(kind, &e);
        if (m == 0)
            m = gw_convert_errlist_to_beta(kind, &w);
        if (m == 0)
            m = errlist_concat(errors, &e);
        if (m == 0)
            m = errlist_concat(warnings, &w);
        if (m < 0)
            r = m;
    }
    errlist_free(&e);
    errlist_free(&w);
    if (r < 0)
        return r;
    gw_convert_check_beta_fields(root, NULL, errors);
    return 0;
}

/* --- what the controller reads ------------------------------------------------------ */

static char *dup_str_member(json_object *o, const char *k, int *r)
{
    const char *s = str_member(o, k);
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *r = -ENOMEM;
    return d;
}

static int beta_models_of(json_object *models, struct gw_beta_fields *f)
{
    size_t n = json_object_is_type(models, json_type_array) ? json_object_array_length(models) : 0;
    if (n == 0)
        return 0;
    f->models = calloc(n, sizeof(*f->models));
    if (!f->models)
        return -ENOMEM;
    f->n_models = n;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        json_object *m = json_object_array_get_idx(models, i), *ref = member(m, "apiKeySecretRef");
        struct gw_beta_model *bm = &f->models[i];
        bm->name = dup_str_member(m, "name", &r);
        bm->model = dup_str_member(m, "model", &r);
        bm->api_base = dup_str_member(m, "apiBase", &r);
        bm->key_secret = dup_str_member(ref, "name", &r);
        bm->key_key = dup_str_member(ref, "key", &r);
        bm->key_optional = json_object_get_boolean(member(ref, "optional"));
    }
    return r;
}

int gw_beta_fields_of(json_object *obj, struct gw_beta_fields *ret, struct gw_errlist *errors)
{
    json_object *beta = NULL;
    int r = gw_convert(obj, GW_API_V1BETA1, &beta, errors);
    if (r < 0)
        return r;
    struct gw_beta_fields f;
    memset(&f, 0, sizeof(f));
    json_object *spec = member(beta, "spec"), *v;
    if ((v = member(spec, "replicas")) && json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0 &&
        json_object_get_int64(v) <= INT32_MAX) {
        f.has_replicas = true;
        f.replicas = (int32_t)json_object_get_int64(v);
    }
    if ((v = member(spec, "resources")) && json_object_is_type(v, json_type_object))
        f.resources = json_object_get(v);
    json_object *nsel = member(member(spec, "allowedRoutes"), "namespaces");
    const char *from = str_member(nsel, "from");
    if (from && strcmp(from, "Same") == 0)
        f.routes_from = GW_ROUTES_SAME;
    else if (from && strcmp(from, "Selector") == 0) {
        f.routes_from = GW_ROUTES_SELECTOR;
        if ((v = member(nsel, "selector")))
            f.routes_selector = json_object_get(v);
    }
    f.server_name = dup_str_member(spec, "serverName", &r);
    if (r == 0)
        r = beta_models_of(member(spec, "models"), &f);
    json_object_put(beta);
    if (r < 0) {
        gw_beta_fields_free(&f);
        return r;
    }
    *ret = f;
    return 0;
}

int gw_object_read_beta(struct gw_object *o, struct gw_errlist *errs)
{
    if (o->kind != GW_KIND_AIGATEWAY && o->kind != GW_KIND_TOOLGATEWAY && o->kind != GW_KIND_TOOLROUTE)
        return 0;
    if (!member(o->meta.annotations, GW_CONVERSION_ANNOTATION) || o->beta)
        return 0;
    struct gw_beta_fields *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    struct gw_errlist why;
    errlist_init(&why);
    int r = gw_beta_fields_of(o->root, f, &why);
    if (r == 0) {
        o->beta = f;
    } else {
        free(f);
        o->beta_invalid = r != -ENOMEM;
        for (size_t i = 0; i < why.n && r != -ENOMEM; i++)
            errlist_add(errs, GW_E_NOTE, why.items[i].field, NULL, why.items[i].body);
        if (r != -ENOMEM && why.n == 0)
            errlist_add(errs, GW_E_INVALID, GW_CONVERSION_FIELD, NULL, "the conversion annotation cannot be read");
    }
    errlist_free(&why);
    return r == -ENOMEM ? r : 0;
}
