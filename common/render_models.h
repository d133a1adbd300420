/* render_models: an AiGateway's models to LiteLLM's model_list, and the
 * litellm_settings the operator sets for every gateway. */
#ifndef GW_RENDER_MODELS_H
#define GW_RENDER_MODELS_H

#include <json-c/json.h>

#include "jsonutil.h"
#include "model.h"

/* model_list: one item per spec.aiModels entry, model "<provider>/<model>"
 * (model = the upstream id, default the name), api_base when set, api_key
 * os.environ/<PROVIDER>_API_KEY or, for a model with its own key
 * (apiKeySecretRef), os.environ/<gw_model_key_env_name>. gw is an
 * AiGateway. */
json_object *render_model_list(struct jobj_builder *b, const struct gw_object *gw);

/* The v1beta1-only fields of the i-th spec.aiModels entry of an AiGateway
 * (borrowed from gw), or NULL when it has none. */
const struct gw_beta_model *gw_ai_model_beta(const struct gw_object *gw, size_t i);

/* The environment variable that carries a model's own API key (m has
 * key_secret): "GW_MODEL_KEY_" and 16 hex digits of a digest of the Secret
 * name, key and optional flag, so the same reference gives the same name
 * and different references different names. out holds at least
 * GW_MODEL_KEY_ENV_LEN bytes. */
#define GW_MODEL_KEY_ENV_LEN 32
void gw_model_key_env_name(const struct gw_beta_model *m, char out[GW_MODEL_KEY_ENV_LEN]);

/* litellm_settings: request_timeout 600 and the prometheus callback, plus
 * otel when otlp is true. */
json_object *render_litellm_settings(struct jobj_builder *b, bool otlp);

#endif
