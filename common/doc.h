/* doc: bounded loading of YAML and JSON bytes into json-c trees.
 *
 * Everything from outside (files, admission requests, the config-patch
 * annotation) passes through here, so every dimension is capped before it
 * costs memory: total bytes, nesting depth, node count (which also bounds
 * alias expansion: an alias counts the nodes it copies), aliases, and the
 * length of one scalar. Duplicate mapping keys, non-scalar keys, NUL bytes
 * and invalid UTF-8 are errors.
 *
 * Plain YAML scalars resolve as PyYAML's SafeLoader does (yaml11.h: YAML
 * 1.1, yes/no/on/off are booleans, 1_000 an integer, 1e3 a string),
 * because LiteLLM reads the rendered config with PyYAML and a patch must
 * mean the same to us as to it. */
#ifndef GW_DOC_H
#define GW_DOC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct gw_load_limits {
    size_t max_bytes;
    unsigned max_depth;
    size_t max_nodes;
    size_t max_aliases;
    size_t max_scalar;
    size_t max_docs;
    /* Refuse what PyYAML reads as something JSON cannot say: plain keys
     * that are not strings to it (on, null, 123), plain dates, integers
     * beyond 64 bits. On for the config patch, which LiteLLM reads; off for
     * manifests, where such scalars stay strings as in Kubernetes. */
    bool strict_yaml11;
};

/* Defaults for whole manifests. */
extern const struct gw_load_limits GW_LIMITS_MANIFEST;
/* Tighter defaults for the config-patch annotation. */
extern const struct gw_load_limits GW_LIMITS_PATCH;

/* Parses every document of a YAML (or JSON) stream. Empty documents are
 * skipped. On success *ret_docs is a malloc'ed array of *ret_n owned trees
 * (free with gw_docs_free). On failure returns -EINVAL (bad input), -E2BIG
 * (a cap) or -ENOMEM, and *ret_err (caller frees) says where and why, e.g.
 * "line 3 column 5: duplicate key \"name\"". */
int gw_yaml_load_all(const char *buf, size_t len, const struct gw_load_limits *lim,
                     json_object ***ret_docs, size_t *ret_n, char **ret_err);
/* Like gw_yaml_load_all but exactly one document is expected; an empty
 * stream yields a NULL tree (JSON null). */
int gw_yaml_load_one(const char *buf, size_t len, const struct gw_load_limits *lim,
                     json_object **ret, char **ret_err);
void gw_docs_free(json_object **docs, size_t n);

/* Strict JSON with a depth cap, UTF-8 validation and no trailing bytes.
 * Also refused, each with the offset and the reason in *ret_err:
 * duplicate keys in one object, \u0000 in a string, lone UTF-16
 * surrogates, NaN and Infinity, numbers beyond the range of a double. */
int gw_json_parse(const char *buf, size_t len, unsigned max_depth,
                  json_object **ret, char **ret_err);

#endif
