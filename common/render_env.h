/* render_env: container environment variables, the lowest of the render
 * modules: the names provider keys are read from and the EnvVar objects
 * that carry them. */
#ifndef GW_RENDER_ENV_H
#define GW_RENDER_ENV_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "jsonutil.h"

/* The env variable a provider's API key is read from: OPENAI_API_KEY.
 * Returns 0 or -E2BIG when it does not fit cap. */
int gw_provider_env_name(const char *provider, char *out, size_t cap);

/* Appends {name, valueFrom.secretKeyRef{name: secret, key}} to env. */
void render_env_from_secret(struct jobj_builder *b, json_object *env, const char *name,
                            const char *secret, const char *key, bool optional);
/* Appends {name, value} to env. */
void render_env_literal(struct jobj_builder *b, json_object *env, const char *name,
                        const char *value);

#endif
