/* yamlout: deterministic YAML text from a json-c tree.
 *
 * Mapping keys are sorted bytewise, strings are double-quoted, numbers and
 * booleans plain, floats in a fixed format that always reads back as a float.
 * Same tree, same bytes: the config hash depends on it. */
#ifndef GW_YAMLOUT_H
#define GW_YAMLOUT_H

#include <json-c/json.h>
#include <stddef.h>

/* Appends one YAML document (no "---" marker) to *ret (malloc'ed, caller
 * frees). Returns 0, -ENOMEM or -EINVAL (emitter failure). */
int gw_yaml_emit(json_object *o, char **ret, size_t *ret_len);

/* Deterministic compact JSON with sorted keys (caller frees). */
int gw_json_emit_sorted(json_object *o, char **ret, size_t *ret_len);

#endif
