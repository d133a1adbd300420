#include "cache_project.h"

#include "jsonutil.h"

static void keep_member(struct jobj_builder *b, json_object *dst, json_object *src, const char *key)
{
    json_object *v = jobj_get(src, key);
    if (v)
        jobj_set(b, dst, key, jobj_new_copy(b, v));
}

/* The projection as the cache keeps it: its compact JSON text in one string
 * node, a fraction of the tree's size (json-c spends about a kilobyte on
 * every JSON object node). */
static json_object *finish(struct jobj_builder *b, json_object *o)
{
    json_object *text = NULL;
    if (jobj_builder_err(b) == 0 && o) {
        size_t len = 0;
        const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        text = s ? json_object_new_string_len(s, (int)len) : NULL;
    }
    json_object_put(o);
    return text;
}

json_object *ctl_cached_tree(json_object *cached)
{
    if (!cached)
        return NULL;
    if (!json_object_is_type(cached, json_type_string)) {
        json_object *copy = NULL;
        return json_object_deep_copy(cached, &copy, NULL) == 0 ? copy : NULL;
    }
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, json_object_get_string(cached), json_object_get_string_len(cached));
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

/* apiVersion, kind and the identifying metadata. */
static json_object *identity(struct jobj_builder *b, json_object *obj, bool annotations)
{
    json_object *o = jobj_new_obj(b), *md = jobj_new_obj(b), *src = jobj_get(obj, "metadata");
    keep_member(b, o, obj, "apiVersion");
    keep_member(b, o, obj, "kind");
    keep_member(b, md, src, "name");
    keep_member(b, md, src, "namespace");
    keep_member(b, md, src, "resourceVersion");
    if (annotations)
        keep_member(b, md, src, "annotations");
    jobj_set(b, o, "metadata", md);
    return o;
}

json_object *ctl_project_identity(json_object *obj)
{
    struct jobj_builder b = { 0 };
    return finish(&b, identity(&b, obj, false));
}

json_object *ctl_project_labels(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, false);
    keep_member(&b, jobj_get(o, "metadata"), jobj_get(obj, "metadata"), "labels");
    return finish(&b, o);
}

json_object *ctl_project_route(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, false), *spec = jobj_new_obj(&b);
    keep_member(&b, spec, jobj_get(obj, "spec"), "toolGatewayRef");
    jobj_set(&b, o, "spec", spec);
    return finish(&b, o);
}

json_object *ctl_project_toolgateway(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, true);
    keep_member(&b, o, obj, "spec");
    return finish(&b, o);
}

/* A child as applied: everything but the server's own bookkeeping. */
static json_object *child_common(struct jobj_builder *b, json_object *obj)
{
    json_object *o = jobj_new_copy(b, obj), *md = jobj_get(o, "metadata");
    if (!o)
        return NULL;
    static const char *const server_set[] = { "uid", "creationTimestamp", "selfLink", NULL };
    for (size_t i = 0; server_set[i]; i++)
        json_object_object_del(md, server_set[i]);
    json_object_object_del(o, "status");
    return o;
}

json_object *ctl_project_child(json_object *obj)
{
    struct jobj_builder b = { 0 };
    return finish(&b, child_common(&b, obj));
}

/* Readiness reads the replica counts, observedGeneration and the
 * conditions' type and reason. */
json_object *ctl_project_deployment(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = child_common(&b, obj), *st = jobj_new_obj(&b), *src = jobj_get(obj, "status");
    static const char *const counts[] = { "observedGeneration", "replicas", "updatedReplicas", "availableReplicas",
                                          NULL };
    for (size_t i = 0; counts[i]; i++)
        keep_member(&b, st, src, counts[i]);
    json_object *conds = jobj_get_arr(src, "conditions");
    if (conds) {
        json_object *arr = jobj_new_arr(&b);
        for (size_t i = 0; i < json_object_array_length(conds); i++) {
            json_object *c = json_object_array_get_idx(conds, i), *k = jobj_new_obj(&b);
            keep_member(&b, k, c, "type");
            keep_member(&b, k, c, "reason");
            jobj_push(&b, arr, k);
        }
        jobj_set(&b, st, "conditions", arr);
    }
    if (o)
        jobj_set(&b, o, "status", st);
    else
        json_object_put(st);
    return finish(&b, o);
}

