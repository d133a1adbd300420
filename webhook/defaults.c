#include "defaults.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct ops {
    json_object *arr;
    bool oom;
};

static json_object *obj_member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/* A member that is absent, null or an empty string still needs its default. */
static bool missing(json_object *parent, const char *key)
{
    json_object *v = obj_member(parent, key);
    return !v || (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0);
}

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

/* Fills namespace and kind of the reference object at path. */
static void ref_defaults(struct ops *ops, json_object *ref, const char *path, const char *kind, const char *ns)
{
    if (!ref || !json_object_is_type(ref, json_type_object))
        return;
    char p[256];
    if (missing(ref, "kind")) {
        snprintf(p, sizeof(p), "%s/kind", path);
        add_op(ops, p, json_object_new_string(kind));
    }
    if (ns && *ns && missing(ref, "namespace")) {
        snprintf(p, sizeof(p), "%s/namespace", path);
        add_op(ops, p, json_object_new_string(ns));
    }
}

static void guardrail_defaults(struct ops *ops, json_object *spec, const char *ns)
{
    json_object *arr = obj_member(spec, "guardrails");
    if (!arr || !json_object_is_type(arr, json_type_array))
        return;
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof(p), "/spec/guardrails/%zu", i);
        ref_defaults(ops, json_object_array_get_idx(arr, i), p, "Guard", ns);
    }
}

int wh_default_ops(json_object *obj, enum gw_kind kind, const char *ns, json_object **ret_ops)
{
    struct ops ops = { .arr = json_object_new_array() };
    if (!ops.arr)
        return -ENOMEM;
    json_object *spec = obj_member(obj, "spec");
    if (spec && json_object_is_type(spec, json_type_object)) {
        switch (kind) {
        case GW_KIND_AIGATEWAY:
            if (!obj_member(spec, "port"))
                add_op(&ops, "/spec/port", json_object_new_int(WH_DEFAULT_PORT));
            guardrail_defaults(&ops, spec, ns);
            break;
        case GW_KIND_TOOLGATEWAY:
            guardrail_defaults(&ops, spec, ns);
            break;
        case GW_KIND_TOOLROUTE:
            ref_defaults(&ops, obj_member(spec, "toolGatewayRef"), "/spec/toolGatewayRef", "ToolGateway", ns);
            ref_defaults(&ops, obj_member(obj_member(spec, "upstream"), "toolServerRef"),
                         "/spec/upstream/toolServerRef", "ToolServer", ns);
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
