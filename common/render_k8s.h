/* render_k8s: the Kubernetes objects that run one gateway: ConfigMap
 * <gw>-config, Deployment <gw> and Service <gw>, with the standard labels,
 * the user's commonMetadata/podMetadata and an owner reference. */
#ifndef GW_RENDER_K8S_H
#define GW_RENDER_K8S_H

#include <json-c/json.h>
#include <stdbool.h>

#include "jsonutil.h"
#include "render_types.h"

/* The default --litellm-image: the repository at the pinned version. */
const char *gw_default_image(void);

/* What the Deployment is built from; everything borrowed. */
struct render_workload {
    const struct gw_object *gw;
    const char *image;
    json_object *guard_env;      /* EnvVars for guardrail secrets (array) */
    const char *config_hash;
    const char *secret_hash;
    bool master_key;             /* the config sets general_settings.master_key */
    const char *otlp_endpoint;   /* NULL: no tracing environment */
};

json_object *render_configmap(struct jobj_builder *b, const struct gw_object *gw, const char *yaml);
json_object *render_deployment(struct jobj_builder *b, const struct render_workload *w);
json_object *render_service(struct jobj_builder *b, const struct gw_object *gw);

#endif
