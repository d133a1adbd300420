#include "model_shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "k8sname.h"

static const char *const REF_FIELDS[] = { "apiVersion", "kind", "name", "namespace", "uid",
                                          "resourceVersion", "fieldPath", NULL };

void ms_check_name(struct mf_path *c, const char *key, const char *value,
                   const char *(*check)(const char *))
{
    if (!value || !*value)
        return;
    const char *why = check(value);
    if (!why)
        return;
    size_t old = mf_push_key(c, key);
    err_invalid_str(c->errs, c->path, value, why);
    mf_pop(c, old);
}

/* Parses an ObjectReference at the current path. */
void ms_ref_obj(struct mf_path *c, json_object *o, const char *want_kind, struct gw_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->set = true;
    mf_check_known(c, o, REF_FIELDS);
    ret->api_version = mf_str(c, o, "apiVersion", false, false);
    ret->kind = mf_str(c, o, "kind", false, false);
    ret->name = mf_str(c, o, "name", true, true);
    ret->ns = mf_str(c, o, "namespace", false, false);
    if (ret->kind && *ret->kind) {
        const char *allowed[] = { want_kind, NULL };
        mf_check_enum(c, "kind", ret->kind, allowed);
    }
    ms_check_name(c, "name", ret->name, k8s_check_dns1123_subdomain);
    ms_check_name(c, "namespace", ret->ns, k8s_check_dns1123_label);
    if (ret->api_version && *ret->api_version &&
        strncmp(ret->api_version, GW_GROUP "/", strlen(GW_GROUP) + 1) != 0) {
        size_t old = mf_push_key(c, "apiVersion");
        err_invalid_str(c->errs, c->path, ret->api_version, "must be in the group " GW_GROUP);
        mf_pop(c, old);
    }
}

void ms_ref(struct mf_path *c, json_object *parent, const char *key, bool required,
            const char *want_kind, struct gw_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = mf_field(c, parent, key, json_type_object, required);
    if (!o)
        return;
    size_t old = mf_push_key(c, key);
    ms_ref_obj(c, o, want_kind, ret);
    mf_pop(c, old);
}

json_object *ms_each_item(struct mf_path *c, json_object *parent, const char *key,
                          json_type want, ms_item_fn fn, void *arg)
{
    json_object *arr = mf_field(c, parent, key, json_type_array, false);
    if (!arr)
        return NULL;
    size_t n = json_object_array_length(arr);
    size_t old = mf_push_key(c, key);
    for (size_t i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(arr, i);
        size_t o2 = mf_push_index(c, i);
        if (!item || !json_object_is_type(item, want))
            err_type(c->errs, c->path, mf_type_name(item), want == json_type_object ? "object" : "string");
        else
            fn(c, item, i, arg);
        mf_pop(c, o2);
    }
    mf_pop(c, old);
    return arr;
}

struct ref_list { struct gw_ref *refs; size_t n; const char *kind; };

static void ref_item(struct mf_path *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    struct ref_list *l = arg;
    ms_ref_obj(c, item, l->kind, &l->refs[l->n++]);
}

struct gw_ref *ms_ref_list(struct mf_path *c, json_object *parent, const char *key,
                           const char *want_kind, size_t *ret_n)
{
    *ret_n = 0;
    json_object *arr = jobj_get(parent, key);
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    struct ref_list l = { .refs = calloc(n ? n : 1, sizeof(struct gw_ref)), .kind = want_kind };
    if (!l.refs)
        return NULL;
    ms_each_item(c, parent, key, json_type_object, ref_item, &l);
    *ret_n = l.n;
    return l.refs;
}

static void string_item(struct mf_path *c, json_object *item, size_t i, void *arg)
{
    (void)c;
    const char **out = arg;
    out[i] = json_object_get_string(item);
}

/* Reads an array of strings; entries of other types are reported and left
 * NULL, and compacted away. */
const char **ms_string_list(struct mf_path *c, json_object *parent, const char *key,
                            size_t *ret_n)
{
    *ret_n = 0;
    json_object *arr = jobj_get(parent, key);
    size_t n = arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
    const char **out = calloc(n ? n : 1, sizeof(*out));
    if (!out)
        return NULL;
    ms_each_item(c, parent, key, json_type_string, string_item, out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i])
            out[k++] = out[i];
    *ret_n = k;
    return out;
}

void ms_string_map(struct mf_path *c, json_object *parent, const char *key, json_object **ret)
{
    *ret = mf_field(c, parent, key, json_type_object, false);
    if (!*ret)
        return;
    size_t old = mf_push_key(c, key);
    json_object_object_foreach(*ret, k, v) {
        if (!v || !json_object_is_type(v, json_type_string)) {
            size_t o2 = mf_push(c, "[%.200s]", k);
            err_type(c->errs, c->path, mf_type_name(v), "string");
            mf_pop(c, o2);
        }
    }
    mf_pop(c, old);
}

void ms_extra_metadata(struct mf_path *c, json_object *spec, const char *key,
                       struct gw_extra_metadata *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = mf_field(c, spec, key, json_type_object, false);
    if (!o)
        return;
    size_t old = mf_push_key(c, key);
    static const char *const known[] = { "labels", "annotations", NULL };
    mf_check_known(c, o, known);
    ms_string_map(c, o, "labels", &ret->labels);
    ms_string_map(c, o, "annotations", &ret->annotations);
    mf_pop(c, old);
}

void ms_key_selector(struct mf_path *c, json_object *parent, const char *key, bool key_required,
                     struct gw_secret_key_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = mf_field(c, parent, key, json_type_object, false);
    if (!o)
        return;
    size_t old = mf_push_key(c, key);
    static const char *const known[] = { "name", "key", "optional", NULL };
    mf_check_known(c, o, known);
    ret->set = true;
    ret->name = mf_str(c, o, "name", true, true);
    ret->key = mf_str(c, o, "key", key_required, true);
    ret->optional = mf_bool(c, o, "optional");
    ms_check_name(c, "name", ret->name, k8s_check_dns1123_subdomain);
    mf_pop(c, old);
}

static void env_item(struct mf_path *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    (void)arg;
    static const char *const known[] = { "name", "value", "valueFrom", NULL };
    mf_check_known(c, item, known);
    const char *name = mf_str(c, item, "name", true, false);
    if (name) {
        const char *why = k8s_check_env_name(name);
        if (why) {
            size_t old = mf_push_key(c, "name");
            err_invalid_str(c->errs, c->path, name, why);
            mf_pop(c, old);
        }
    }
    mf_str(c, item, "value", false, false);
    json_object *from = mf_field(c, item, "valueFrom", json_type_object, false);
    if (!from)
        return;
    if (mf_has_member(item, "value") && *json_object_get_string(jobj_get(item, "value"))) {
        size_t old = mf_push_key(c, "valueFrom");
        err_invalid_str(c->errs, c->path, "", "may not be specified when `value` is not empty");
        mf_pop(c, old);
    }
    size_t old = mf_push_key(c, "valueFrom");
    static const char *const sources[] = { "configMapKeyRef", "secretKeyRef", "fieldRef",
                                           "resourceFieldRef", "fileKeyRef", NULL };
    mf_check_known(c, from, sources);
    size_t nsrc = 0;
    for (const char *const *s = sources; *s; s++)
        nsrc += mf_has_member(from, *s);
    if (nsrc != 1)
        err_invalid_str(c->errs, c->path, "", "may not have more than one field specified at a time");
    struct gw_secret_key_ref ref;
    ms_key_selector(c, from, "secretKeyRef", true, &ref);
    ms_key_selector(c, from, "configMapKeyRef", true, &ref);
    mf_pop(c, old);
}

static void env_from_item(struct mf_path *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    (void)arg;
    static const char *const known[] = { "prefix", "configMapRef", "secretRef", NULL };
    mf_check_known(c, item, known);
    mf_str(c, item, "prefix", false, false);
    static const char *const ref_known[] = { "name", "optional", NULL };
    int nsrc = 0;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "secretRef" : "configMapRef";
        json_object *o = mf_field(c, item, key, json_type_object, false);
        if (!o)
            continue;
        nsrc++;
        size_t old = mf_push_key(c, key);
        mf_check_known(c, o, ref_known);
        const char *name = mf_str(c, o, "name", true, true);
        ms_check_name(c, "name", name, k8s_check_dns1123_subdomain);
        mf_bool(c, o, "optional");
        mf_pop(c, old);
    }
    if (nsrc != 1)
        err_invalid_str(c->errs, c->path, "", "must specify exactly one of configMapRef or secretRef");
}

void ms_env(struct mf_path *c, json_object *spec, json_object **ret_env, json_object **ret_from)
{
    *ret_env = ms_each_item(c, spec, "env", json_type_object, env_item, NULL);
    *ret_from = ms_each_item(c, spec, "envFrom", json_type_object, env_from_item, NULL);
}
