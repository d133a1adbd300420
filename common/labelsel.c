#include "labelsel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "k8sname.h"

enum sel_op { OP_BAD = 0, OP_IN, OP_NOT_IN, OP_EXISTS, OP_DOES_NOT_EXIST };

static const char *const OPERATORS[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };

static enum sel_op op_of(json_object *v)
{
    if (!json_object_is_type(v, json_type_string))
        return OP_BAD;
    const char *s = json_object_get_string(v);
    for (int i = 0; OPERATORS[i]; i++)
        if (strcmp(s, OPERATORS[i]) == 0)
            return (enum sel_op)(i + 1);
    return OP_BAD;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* --- checking ------------------------------------------------------------------ */

/* A field path below another; a path too long for out is cut (only a
 * message carries it). */
__attribute__((format(printf, 3, 4))) static void subpath(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        out[0] = '\0';
}

struct sel_check {
    struct gw_errlist *errors;
    int found;
    int r;                      /* -ENOMEM once adding failed */
};

static void add(struct sel_check *ck, enum gw_errtype t, const char *field, const char *value, const char *detail)
{
    ck->found++;
    if (errlist_add(ck->errors, t, field, value, detail) < 0)
        ck->r = -ENOMEM;
}

/* value formatted the API server's way: a quoted string. */
static void add_str(struct sel_check *ck, const char *field, const char *value, const char *detail)
{
    ck->found++;
    if (err_invalid_str(ck->errors, field, value, detail) < 0)
        ck->r = -ENOMEM;
}

static void check_key(struct sel_check *ck, const char *field, const char *key)
{
    const char *why = k8s_check_qualified_name(key);
    if (why)
        add_str(ck, field, key, why);
}

static void check_match_labels(struct sel_check *ck, json_object *ml, const char *path)
{
    char f[512];
    subpath(f, sizeof(f), "%s.matchLabels", path);
    if (!json_object_is_type(ml, json_type_object)) {
        add(ck, GW_E_TYPE, f, NULL, "must be a map of label keys to values");
        return;
    }
    if (json_object_object_length(ml) > GW_LABELSEL_MAX_REQUIREMENTS) {
        add(ck, GW_E_TOO_MANY, f, NULL, "must have at most 64 labels");
        return;
    }
    json_object_object_foreach(ml, k, v)
    {
        subpath(f, sizeof(f), "%s.matchLabels", path);
        check_key(ck, f, k);
        subpath(f, sizeof(f), "%s.matchLabels[%.253s]", path, k);
        if (!json_object_is_type(v, json_type_string))
            add(ck, GW_E_TYPE, f, NULL, "must be a string");
        else {
            const char *why = k8s_check_label_value(json_object_get_string(v));
            if (why)
                add_str(ck, f, json_object_get_string(v), why);
        }
    }
}

static void check_values(struct sel_check *ck, enum sel_op op, json_object *values, const char *path)
{
    char f[512];
    subpath(f, sizeof(f), "%s.values", path);
    if (values && !json_object_is_type(values, json_type_array)) {
        add(ck, GW_E_TYPE, f, NULL, "must be a list of strings");
        return;
    }
    size_t n = values ? json_object_array_length(values) : 0;
    if ((op == OP_IN || op == OP_NOT_IN) && n == 0)
        add(ck, GW_E_REQUIRED, f, NULL, "must be specified when `operator` is 'In' or 'NotIn'");
    if ((op == OP_EXISTS || op == OP_DOES_NOT_EXIST) && n > 0)
        add(ck, GW_E_FORBIDDEN, f, NULL, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    if (n > GW_LABELSEL_MAX_VALUES) {
        add(ck, GW_E_TOO_MANY, f, NULL, "must have at most 64 values");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(values, i);
        subpath(f, sizeof(f), "%s.values[%zu]", path, i);
        if (!json_object_is_type(v, json_type_string))
            add(ck, GW_E_TYPE, f, NULL, "must be a string");
        else if (op == OP_IN || op == OP_NOT_IN) {
            const char *why = k8s_check_label_value(json_object_get_string(v));
            if (why)
                add_str(ck, f, json_object_get_string(v), why);
        }
    }
}

static void check_expression(struct sel_check *ck, json_object *e, const char *path)
{
    char f[512];
    if (!json_object_is_type(e, json_type_object)) {
        add(ck, GW_E_TYPE, path, NULL, "must be an object {key, operator, values}");
        return;
    }
    json_object *key = member(e, "key"), *op = member(e, "operator");
    subpath(f, sizeof(f), "%s.key", path);
    if (!key)
        add(ck, GW_E_REQUIRED, f, NULL, NULL);
    else if (!json_object_is_type(key, json_type_string))
        add(ck, GW_E_TYPE, f, NULL, "must be a string");
    else
        check_key(ck, f, json_object_get_string(key));
    subpath(f, sizeof(f), "%s.operator", path);
    enum sel_op o = op_of(op);
    if (!op)
        add(ck, GW_E_REQUIRED, f, NULL, NULL);
    else if (o == OP_BAD) {
        ck->found++;
        if (err_not_supported(ck->errors, f, json_object_is_type(op, json_type_string) ? json_object_get_string(op)
                                                                                        : "",
                              OPERATORS) < 0)
            ck->r = -ENOMEM;
        return;
    }
    check_values(ck, o, member(e, "values"), path);
}

static void check_match_expressions(struct sel_check *ck, json_object *me, const char *path)
{
    char f[512];
    subpath(f, sizeof(f), "%s.matchExpressions", path);
    if (!json_object_is_type(me, json_type_array)) {
        add(ck, GW_E_TYPE, f, NULL, "must be a list of {key, operator, values}");
        return;
    }
    size_t n = json_object_array_length(me);
    if (n > GW_LABELSEL_MAX_REQUIREMENTS) {
        add(ck, GW_E_TOO_MANY, f, NULL, "must have at most 64 expressions");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        subpath(f, sizeof(f), "%s.matchExpressions[%zu]", path, i);
        check_expression(ck, json_object_array_get_idx(me, i), f);
    }
}

int gw_labelsel_check(json_object *sel, const char *path, struct gw_errlist *errors)
{
    struct sel_check ck = { .errors = errors };
    if (!json_object_is_type(sel, json_type_object)) {
        add(&ck, GW_E_TYPE, path, NULL, "must be a label selector {matchLabels, matchExpressions}");
        return ck.r < 0 ? ck.r : ck.found;
    }
    json_object_object_foreach(sel, k, v)
    {
        if (strcmp(k, "matchLabels") == 0) {
            if (v)
                check_match_labels(&ck, v, path);
        } else if (strcmp(k, "matchExpressions") == 0) {
            if (v)
                check_match_expressions(&ck, v, path);
        } else {
            char f[512];
            subpath(f, sizeof(f), "%s.%.200s", path, k);
            add(&ck, GW_E_FORBIDDEN, f, NULL, "unknown field (a label selector has matchLabels and matchExpressions)");
        }
    }
    return ck.r < 0 ? ck.r : ck.found;
}

/* --- matching ------------------------------------------------------------------ */

static const char *label_of(json_object *labels, const char *key)
{
    json_object *v = member(labels, key);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool in_values(json_object *values, const char *s)
{
    size_t n = json_object_array_length(values);
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(values, i);
        if (json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), s) == 0)
            return true;
    }
    return false;
}

static bool expression_holds(json_object *e, json_object *labels)
{
    const char *have = label_of(labels, json_object_get_string(member(e, "key")));
    json_object *values = member(e, "values");
    switch (op_of(member(e, "operator"))) {
    case OP_IN: return have && in_values(values, have);
    case OP_NOT_IN: return !have || !in_values(values, have);
    case OP_EXISTS: return have != NULL;
    case OP_DOES_NOT_EXIST: return have == NULL;
    default: return false;
    }
}

bool gw_labelsel_matches(json_object *sel, json_object *labels)
{
    if (!sel)
        return false;
    struct gw_errlist scratch;
    errlist_init(&scratch);
    int bad = gw_labelsel_check(sel, "selector", &scratch);
    errlist_free(&scratch);
    if (bad != 0)
        return false;
    json_object *ml = member(sel, "matchLabels");
    if (ml) {
        json_object_object_foreach(ml, k, v)
        {
            const char *have = label_of(labels, k);
            if (!have || strcmp(have, json_object_get_string(v)) != 0)
                return false;
        }
    }
    json_object *me = member(sel, "matchExpressions");
    size_t n = me ? json_object_array_length(me) : 0;
    for (size_t i = 0; i < n; i++)
        if (!expression_holds(json_object_array_get_idx(me, i), labels))
            return false;
    return true;
}
