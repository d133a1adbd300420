/* model_shape: the shapes several of our kinds share, read at a field path
 * (model_field.h): object references, arrays walked item by item, string
 * lists and maps, extra metadata, Secret key selectors, container env.
 * Problems go to the path's error list; what is returned is borrowed from
 * the json-c tree, except arrays the caller frees (said at each). */
#ifndef GW_MODEL_SHAPE_H
#define GW_MODEL_SHAPE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "model_field.h"
#include "model_types.h"

/* Reports value at key when check (a k8sname.h check) says why it is not
 * a valid name. NULL and "" are left to the required-field check. */
void ms_check_name(struct mf_path *c, const char *key, const char *value, const char *(*check)(const char *));

/* Parses an ObjectReference at the current path; want_kind (may be NULL)
 * is the kind it must name. */
void ms_ref_obj(struct mf_path *c, json_object *o, const char *want_kind, struct gw_ref *ret);
/* The ObjectReference at parent[key]. */
void ms_ref(struct mf_path *c, json_object *parent, const char *key, bool required, const char *want_kind,
            struct gw_ref *ret);

/* Walks an array field, calling fn on each element at path key[i]. A NULL
 * return means the field was absent or not an array (already reported). */
typedef void (*ms_item_fn)(struct mf_path *c, json_object *item, size_t i, void *arg);
json_object *ms_each_item(struct mf_path *c, json_object *parent, const char *key, json_type want, ms_item_fn fn,
                          void *arg);

/* An array of ObjectReferences (caller frees the array; NULL when absent). */
struct gw_ref *ms_ref_list(struct mf_path *c, json_object *parent, const char *key, const char *want_kind,
                           size_t *ret_n);
/* Reads an array of strings; entries of other types are reported and left
 * out (caller frees the array; NULL when absent). */
const char **ms_string_list(struct mf_path *c, json_object *parent, const char *key, size_t *ret_n);
/* A string-to-string map (labels, annotations); NULL when absent. */
void ms_string_map(struct mf_path *c, json_object *parent, const char *key, json_object **ret);
/* commonMetadata / podMetadata: labels and annotations. */
void ms_extra_metadata(struct mf_path *c, json_object *spec, const char *key, struct gw_extra_metadata *ret);
/* A core SecretKeySelector at parent[key]. */
void ms_key_selector(struct mf_path *c, json_object *parent, const char *key, bool key_required,
                     struct gw_secret_key_ref *ret);
/* spec.env and spec.envFrom as core EnvVar / EnvFromSource arrays. */
void ms_env(struct mf_path *c, json_object *spec, json_object **ret_env, json_object **ret_from);

#endif
