#include "defaults.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "convert.h"
#include "errlist.h"
#include "reply.h"
#include "jsonutil.h"

struct ops {
    json_object *arr;
    bool oom;
};

/* Adds v under k; takes v either way. */
static int put(json_object *o, const char *k, json_object *v)
{
    if (!v || json_object_object_add(o, k, v) < 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* Appends {"op":"add","path":path,"value":value}; takes value. */
static void add_op(struct ops *ops, const char *path, json_object *value)
{
    json_object *op = json_object_new_object();
    if (!op || put(op, "op", json_object_new_string("add")) < 0 ||
        put(op, "path", json_object_new_string(path)) < 0) {
        json_object_put(value);
        goto fail;
    }
    if (put(op, "value", value) < 0 || json_object_array_add(ops->arr, op) < 0)
        goto fail;
    return;
fail:
    json_object_put(op);
    ops->oom = true;
}

int wh_default_ops(json_object *obj, enum gw_kind kind, json_object **ret_ops)
{
    struct ops ops = { .arr = json_object_new_array() };
    if (!ops.arr)
        return -ENOMEM;
    json_object *spec = jobj_get(obj, "spec");
    if (spec && json_object_is_type(spec, json_type_object)) {
        switch (kind) {
        case GW_KIND_AIGATEWAY:
            if (!jobj_get(spec, "port"))
                add_op(&ops, "/spec/port", json_object_new_int(WH_DEFAULT_PORT));
            break;
        default:
            break;
        }
    }
    if (ops.oom) {
        json_object_put(ops.arr);
        return -ENOMEM;
    }
    *ret_ops = ops.arr;
    return 0;
}

/* --- mutation of v1beta1 objects --------------------------------------------------- */

int wh_beta_default_ops(json_object *beta, json_object **ret_ops)
{
    struct gw_errlist errs;
    errlist_init(&errs);
    json_object *alpha = NULL, *ops = NULL;
    int r = gw_convert(beta, GW_API_V1ALPHA1, &alpha, &errs);
    errlist_free(&errs);
    if (r < 0)
        return r;
    enum gw_kind kind = gw_convert_kind_of(jobj_get_str(alpha, "apiVersion"), jobj_get_str(alpha, "kind"));
    /* The only default, spec.port, has the same path in both versions. */
    r = wh_default_ops(alpha, kind, &ops);
    json_object_put(alpha);
    if (r < 0)
        return r;
    *ret_ops = ops;
    return 0;
}
