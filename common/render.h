/* render: gateway objects to the LiteLLM config and the Kubernetes objects
 * that run it. Pure: no I/O, no clocks; same input, same bytes.
 *
 * One gateway becomes
 *   ConfigMap <gw>-config (key config.yaml: the generated config, patch merged)
 *   Deployment <gw> (selector app=<gw>; config-hash and secret-hash annotations
 *     on the pod template roll the pods, since LiteLLM does not hot-reload)
 *   Service <gw> (AiGateway: spec.port -> 4000; ToolGateway: 80 -> 4000). */
#ifndef GW_RENDER_H
#define GW_RENDER_H

#include <json-c/json.h>

#include "errlist.h"
#include "model.h"
#include "render_env.h"
#include "render_hash.h"
#include "render_k8s.h"
#include "render_mcp.h"
#include "render_types.h"

/* Renders everything for one gateway. Returns 0 on success; -EINVAL when
 * the gateway cannot be rendered (out->errors says why: a Guard that did
 * not resolve, a broken patch...); -ENOMEM. Release out with
 * gw_render_output_release() either way. */
int gw_render(const struct gw_render_input *in, struct gw_render_output *out);
void gw_render_output_release(struct gw_render_output *out);

/* The config the gateway's spec alone produces (no patch). guards may be
 * NULL; errors may be NULL. Used by the webhook to preview a patch. */
int gw_render_ai_base_config(const struct gw_object *gw, const struct gw_resolved_guard *guards,
                             size_t n_guards, json_object **ret, struct gw_errlist *errors);

/* The OTLP endpoint that applies to a gateway: the config patch's
 * environment_variables.OTEL_EXPORTER_OTLP_ENDPOINT when the merged config
 * has it (an empty string turns tracing off for that gateway), else
 * operator_default. NULL when tracing is off. Borrowed from cfg or
 * operator_default. */
const char *gw_render_otlp_endpoint(json_object *cfg, const char *operator_default);

#endif
