/* render_hash: what rolls a gateway's pods when a referenced Secret
 * changes: the names of the Secrets its pods read and the hash of their
 * versions (the pod template's secret-hash annotation). */
#ifndef GW_RENDER_HASH_H
#define GW_RENDER_HASH_H

#include <stddef.h>

#include "render_types.h"

/* Names of the Secrets the gateway's pods read (api-key-secrets, guard
 * provider secrets, env and envFrom Secret references), sorted, unique, in
 * the gateway's namespace. Caller frees the array and the strings. */
int gw_referenced_secrets(const struct gw_render_input *in, char ***ret_names, size_t *ret_n);

/* Lower-case hex SHA-256 over the versions sorted by namespace/name, so
 * the order they were found in does not matter. Returns 0 or -ENOMEM. */
int gw_secret_hash(const struct gw_secret_version *v, size_t n, char out[65]);

#endif
