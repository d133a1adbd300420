/* render_guards: Guards and their GuardrailProviders to LiteLLM's
 * guardrails list, plus the env variables that carry the providers'
 * secrets into the pod (the ConfigMap only ever says os.environ/...). */
#ifndef GW_RENDER_GUARDS_H
#define GW_RENDER_GUARDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"
#include "jsonutil.h"
#include "render_types.h"

/* The guardrails list for guards (spec.guardrails order). For a tool
 * gateway the modes become LiteLLM's MCP hooks and modes a guardrail type
 * has no MCP hook for are left out with a warning. Env vars for provider
 * secrets are appended to env. A Guard or provider that did not resolve, or
 * does not fit, is reported in errors. warnings may be NULL. */
json_object *render_guardrails(struct jobj_builder *b, const struct gw_object *gw,
                               const struct gw_resolved_guard *guards, size_t n, bool tool_gateway,
                               json_object *env, struct gw_errlist *errors, struct gw_errlist *warnings);

#endif
