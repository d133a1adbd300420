#include "model_field.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "textutil.h"

size_t mf_push(struct mf_path *c, const char *fmt, ...)
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

void mf_pop(struct mf_path *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

/* Appends n bytes, cut at the end of the path as vsnprintf would. Field
 * paths are formatted for every field read, errors or not: a plain copy
 * here, not printf. */
static void put(struct mf_path *c, const char *s, size_t n)
{
    size_t room = sizeof(c->path) - 1 - c->len;
    if (n > room)
        n = room;
    memcpy(c->path + c->len, s, n);
    c->len += n;
    c->path[c->len] = '\0';
}

/* Pushes ".key" (or "key" at the root), the key cut at 200 bytes. */
size_t mf_push_key(struct mf_path *c, const char *key)
{
    size_t old = c->len;
    if (c->len)
        put(c, ".", 1);
    put(c, key, strnlen(key, 200));
    return old;
}

size_t mf_push_index(struct mf_path *c, size_t i)
{
    char digits[24];
    size_t n = sizeof(digits);
    digits[--n] = ']';
    do
        digits[--n] = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    digits[--n] = '[';
    size_t old = c->len;
    put(c, digits + n, sizeof(digits) - n);
    return old;
}

const char *mf_type_name(json_object *o)
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

bool mf_has_member(json_object *obj, const char *key)
{
    return obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, NULL);
}

/* Returns obj[key] when it has type want. A null value counts as absent, as
 * the API server treats it. A wrong type or a missing required field is
 * reported and NULL returned. */
json_object *mf_field(struct mf_path *c, json_object *obj, const char *key,
                      json_type want, bool required)
{
    json_object *v = jobj_get(obj, key);
    size_t old = mf_push_key(c, key);
    if (!v) {
        if (required)
            err_required(c->errs, c->path, NULL);
    } else if (!json_object_is_type(v, want) &&
               !(want == json_type_double && json_object_is_type(v, json_type_int))) {
        static const char *const names[] = {
            [json_type_null] = "null", [json_type_boolean] = "boolean", [json_type_double] = "number",
            [json_type_int] = "integer", [json_type_object] = "object", [json_type_array] = "array",
            [json_type_string] = "string" };
        err_type(c->errs, c->path, mf_type_name(v), names[want]);
        v = NULL;
    }
    mf_pop(c, old);
    return v;
}

const char *mf_str(struct mf_path *c, json_object *obj, const char *key, bool required,
                   bool nonempty)
{
    json_object *v = mf_field(c, obj, key, json_type_string, required);
    if (!v)
        return NULL;
    const char *s = json_object_get_string(v);
    if (nonempty && !*s) {
        size_t old = mf_push_key(c, key);
        err_invalid_str(c->errs, c->path, s, "should be at least 1 chars long");
        mf_pop(c, old);
    }
    return s;
}

bool mf_bool(struct mf_path *c, json_object *obj, const char *key)
{
    json_object *v = mf_field(c, obj, key, json_type_boolean, false);
    return v && json_object_get_boolean(v);
}

void mf_check_known(struct mf_path *c, json_object *obj, const char *const *known)
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
        size_t old = mf_push_key(c, k);
        const char *near = gw_nearest(k, known);
        if (near)
            errlist_addf(c->errs, GW_E_FORBIDDEN, c->path, NULL, "unknown field; did you mean \"%s\"?", near);
        else
            errlist_add(c->errs, GW_E_FORBIDDEN, c->path, NULL, "unknown field");
        mf_pop(c, old);
    }
}

void mf_check_enum(struct mf_path *c, const char *key, const char *value,
                   const char *const *allowed)
{
    for (const char *const *p = allowed; *p; p++)
        if (strcmp(*p, value) == 0)
            return;
    size_t old = mf_push_key(c, key);
    err_not_supported(c->errs, c->path, value, allowed);
    mf_pop(c, old);
}

int64_t mf_int(struct mf_path *c, json_object *obj, const char *key, int64_t lo,
               int64_t hi, int64_t dflt, bool *ret_set)
{
    json_object *v = mf_field(c, obj, key, json_type_int, false);
    if (ret_set)
        *ret_set = v != NULL;
    if (!v)
        return dflt;
    int64_t n = json_object_get_int64(v);
    if (n < lo || n > hi) {
        size_t old = mf_push_key(c, key);
        char d[96];
        snprintf(d, sizeof(d), "must be between %lld and %lld", (long long)lo, (long long)hi);
        err_invalid_int(c->errs, c->path, n, d);
        mf_pop(c, old);
        return dflt;
    }
    return n;
}
