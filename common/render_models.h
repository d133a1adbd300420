/* render_models: an AiGateway's models to LiteLLM's model_list, and the
 * litellm_settings the operator sets for every gateway. */
#ifndef GW_RENDER_MODELS_H
#define GW_RENDER_MODELS_H

#include <json-c/json.h>

#include "jsonutil.h"
#include "model.h"

/* model_list: one item per spec.aiModels entry, model "<provider>/<name>",
 * api_key os.environ/<PROVIDER>_API_KEY. */
json_object *render_model_list(struct jobj_builder *b, const struct gw_aigateway *ai);

/* litellm_settings: request_timeout 600 and the prometheus callback, plus
 * otel when otlp is true. */
json_object *render_litellm_settings(struct jobj_builder *b, bool otlp);

#endif
