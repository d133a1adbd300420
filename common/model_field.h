/* model_field: reading one field of a custom resource at a field path, the
 * way the CRD schema judges it. Every problem is appended to the path's
 * error list with the path ("spec.aiModels[0].name"); the readers return
 * what they could read (NULL, a default) and never stop early, so one parse
 * reports every problem. Values are borrowed from the json-c tree. */
#ifndef GW_MODEL_FIELD_H
#define GW_MODEL_FIELD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"

/* The field path being read and where its problems go. The path is
 * bounded: a deeper path is cut, never overrun. */
struct mf_path {
    struct gw_errlist *errs;
    char path[1024];
    size_t len;
};

/* Appends a printf-formatted step to the path; returns the length to give
 * mf_pop to go back. */
size_t mf_push(struct mf_path *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mf_pop(struct mf_path *c, size_t old);
/* Pushes ".key" (or "key" at the root). */
size_t mf_push_key(struct mf_path *c, const char *key);
/* Pushes "[i]". */
size_t mf_push_index(struct mf_path *c, size_t i);

/* "string", "integer", ... as messages name a JSON type; "null" for NULL. */
const char *mf_type_name(json_object *o);
bool mf_has_member(json_object *obj, const char *key);

/* Returns obj[key] when it has type want. A null value counts as absent, as
 * the API server treats it. A wrong type or a missing required field is
 * reported and NULL returned. */
json_object *mf_field(struct mf_path *c, json_object *obj, const char *key, json_type want, bool required);
/* A string field; nonempty reports "" as too short. */
const char *mf_str(struct mf_path *c, json_object *obj, const char *key, bool required, bool nonempty);
/* A boolean field; false when absent. */
bool mf_bool(struct mf_path *c, json_object *obj, const char *key);
/* An integer field within [lo, hi]; dflt when absent or out of range
 * (reported). *ret_set (may be NULL) says whether it was there. */
int64_t mf_int(struct mf_path *c, json_object *obj, const char *key, int64_t lo, int64_t hi, int64_t dflt,
               bool *ret_set);

/* Reports each member of obj not in known (NULL-terminated), suggesting
 * the nearest known name. */
void mf_check_known(struct mf_path *c, json_object *obj, const char *const *known);
/* Reports value at key when it is not one of allowed (NULL-terminated). */
void mf_check_enum(struct mf_path *c, const char *key, const char *value, const char *const *allowed);

#endif
