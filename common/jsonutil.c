#include "jsonutil.h"

#include <errno.h>
#include <stddef.h>

json_object *jobj_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object))
        return NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *jobj_get_str(json_object *o, const char *key)
{
    json_object *v = jobj_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

json_object *jobj_get_obj(json_object *o, const char *key)
{
    json_object *v = jobj_get(o, key);
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

json_object *jobj_get_arr(json_object *o, const char *key)
{
    json_object *v = jobj_get(o, key);
    return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

int jobj_builder_fail(struct jobj_builder *b, int err)
{
    if (!b->err)
        b->err = err;
    return b->err;
}

static json_object *checked(struct jobj_builder *b, json_object *o)
{
    if (!o)
        jobj_builder_fail(b, -ENOMEM);
    return o;
}

json_object *jobj_new_obj(struct jobj_builder *b) { return checked(b, json_object_new_object()); }
json_object *jobj_new_arr(struct jobj_builder *b) { return checked(b, json_object_new_array()); }
json_object *jobj_new_str(struct jobj_builder *b, const char *s) { return checked(b, json_object_new_string(s)); }
json_object *jobj_new_int(struct jobj_builder *b, int64_t v) { return checked(b, json_object_new_int64(v)); }
json_object *jobj_new_bool(struct jobj_builder *b, bool v) { return checked(b, json_object_new_boolean(v)); }
json_object *jobj_new_double(struct jobj_builder *b, double v) { return checked(b, json_object_new_double(v)); }

json_object *jobj_new_copy(struct jobj_builder *b, json_object *o)
{
    json_object *c = NULL;
    if (!o)
        return NULL;
    if (json_object_deep_copy(o, &c, NULL) < 0 || !c) {
        json_object_put(c);
        jobj_builder_fail(b, -ENOMEM);
        return NULL;
    }
    return c;
}

void jobj_set(struct jobj_builder *b, json_object *o, const char *key, json_object *v)
{
    if (!o || !v || json_object_object_add(o, key, v) < 0) {
        json_object_put(v);
        jobj_builder_fail(b, -ENOMEM);
    }
}

void jobj_push(struct jobj_builder *b, json_object *a, json_object *v)
{
    if (!a || !v || json_object_array_add(a, v) < 0) {
        json_object_put(v);
        jobj_builder_fail(b, -ENOMEM);
    }
}
