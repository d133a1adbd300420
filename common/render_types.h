/* render_types: what rendering takes and gives, shared by the render_*
 * modules and their callers (resolve, the controller, the offline
 * commands). Declarations only. */
#ifndef GW_RENDER_TYPES_H
#define GW_RENDER_TYPES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"
#include "model.h"

#define GW_LITELLM_PORT 4000
#define GW_CONFIG_DIR "/app/config"
#define GW_CONFIG_KEY "config.yaml"
#define GW_ANN_CONFIG_HASH "gateway.agentic-layer.ai/config-hash"
#define GW_ANN_SECRET_HASH "gateway.agentic-layer.ai/secret-hash"
#define GW_PROVIDER_KEYS_SECRET "api-key-secrets"
#define GW_FIELD_MANAGER "litellm-gateway-operator"
#define GW_DEFAULT_IMAGE_REPO "ghcr.io/berriai/litellm"
/* Longest MCP server key: LiteLLM names tools "<key>-<tool>", and clients
 * such as OpenAI's function calling take names of at most 64 characters,
 * so a short key leaves room for the tool's own name. */
#define GW_MCP_KEY_MAX 24

/* A Guard with the GuardrailProvider it references (provider NULL when it
 * did not resolve; rendering then reports it). */
struct gw_resolved_guard {
    const struct gw_object *guard;
    const struct gw_object *provider;
};

/* A ToolRoute attached to the gateway, with its ToolServer when the upstream
 * is a toolServerRef (NULL when it did not resolve), and optionally the
 * upstream's tool names (from tools/list) so glob filters can be expanded. */
struct gw_route_input {
    const struct gw_object *route;
    const struct gw_object *server;
    const char *const *known_tools;
    size_t n_known_tools;
};

enum gw_route_state {
    GW_ROUTE_READY = 0,
    GW_ROUTE_UNRESOLVED,        /* upstream did not resolve: left out */
    GW_ROUTE_FILTER_UNENFORCEABLE, /* filter cannot be expressed: left out */
    GW_ROUTE_DUPLICATE,         /* key collided even after hashing */
};

/* What happened to one route; strings owned by the result. */
struct gw_route_result {
    enum gw_route_state state;
    char *key;                  /* mcp_servers key */
    char *url;                  /* status.url (NULL unless ready) */
    char *reason;               /* condition reason */
    char *message;              /* condition message: what LiteLLM enforces */
};

/* The identity of a referenced Secret, hashed into the secret-hash. */
struct gw_secret_version {
    const char *ns;
    const char *name;
    const char *uid;
    const char *resource_version;
};

struct gw_render_input {
    const struct gw_object *gateway;          /* AiGateway or ToolGateway */
    const struct gw_resolved_guard *guards;   /* in spec.guardrails order */
    size_t n_guards;
    const struct gw_route_input *routes;      /* ToolGateway only */
    size_t n_routes;
    const struct gw_secret_version *secrets;  /* referenced Secrets found */
    size_t n_secrets;
    const char *image;                        /* NULL = gw_default_image() */
    const char *otlp_endpoint;                /* NULL = no tracing unless the patch sets one */
};

struct gw_render_output {
    char *config_yaml;
    json_object *configmap;
    json_object *deployment;
    json_object *service;
    char config_hash[65];
    char secret_hash[65];
    struct gw_route_result *routes;           /* n_routes entries */
    size_t n_routes;
    char *gateway_url;                        /* ToolGateway status.url */
    struct gw_errlist errors;                 /* why rendering failed */
    struct gw_errlist warnings;               /* patch advice, guard notes */
};

#endif
