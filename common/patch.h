/* patch: the config-patch annotation, a YAML mapping deep-merged into the
 * LiteLLM config the operator generates.
 *
 * Merge rules: mappings merge recursively; null deletes a key; the
 * top-level lists model_list (by model_name) and guardrails (by
 * guardrail_name) merge item by item and append new items; any other list
 * is replaced. Users write only the delta. */
#ifndef GW_PATCH_H
#define GW_PATCH_H

#include <json-c/json.h>

#include "errlist.h"
#include "model.h"

#define GW_PATCH_FIELD "metadata.annotations[" GW_CONFIG_PATCH_ANNOTATION "]"

/* Parses the annotation text with the patch limits. It must be a mapping.
 * On failure *ret_err (caller frees) says why. */
int gw_patch_parse(const char *text, json_object **ret, char **ret_err);

/* Merges patch into base in place (patch is only read). */
int gw_config_merge(json_object *base, json_object *patch);

/* Appends warnings describing what patch does to base: keys it adds,
 * values it overrides ("overrides litellm_settings.request_timeout: 600 ->
 * 30"), keys it removes, unknown top-level keys with the nearest known one,
 * and literal secrets that should be os.environ/ references. */
void gw_patch_describe(json_object *base, json_object *patch, struct gw_errlist *warnings);

/* Checks that a merged config is still one LiteLLM can load: the shapes of
 * model_list, guardrails, mcp_servers and the settings mappings, and that
 * at least one model is left (it checks AiGateway configs, the only ones a
 * patch applies to). */
void gw_config_check(json_object *cfg, struct gw_errlist *errors);

#endif
