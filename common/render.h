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
#include <stdbool.h>

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

/* The default --litellm-image: the repository at the pinned version. */
const char *gw_default_image(void);

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

/* Names of the Secrets the gateway's pods read (api-key-secrets, guard
 * provider secrets, env and envFrom Secret references), sorted, unique, in
 * the gateway's namespace. Caller frees the array and the strings. */
int gw_referenced_secrets(const struct gw_render_input *in, char ***ret_names, size_t *ret_n);

/* MCP server keys for routes: "<ns>_<name>" with every character outside
 * [A-Za-z0-9_] replaced by '_', bounded by GW_MCP_KEY_MAX (longer ones keep a
 * prefix plus an 8-hex hash of "ns/name"). When keys collide, the oldest
 * route (creationTimestamp, then ns/name) keeps the plain key and the others
 * get the hashed form, so a route's URL does not change when a newcomer
 * collides with it. ret_keys has n entries (caller frees each and the
 * array); an entry is NULL when even the hashed key collided. */
int gw_route_keys(const struct gw_object *const *routes, size_t n, char ***ret_keys);

/* The upstream endpoint of a route (its external URL, or its ToolServer's
 * in-cluster Service URL; an empty path is /mcp for http, /sse for sse) and
 * the LiteLLM transport for it. ri->server must be set for a toolServerRef
 * route. Caller frees; NULL when out of memory. */
char *gw_route_upstream_url(const struct gw_route_input *ri, const char **ret_transport);

/* Whether a route's tool filter has a pattern that is not a literal name,
 * so that enforcing it needs the upstream's tool list. */
bool gw_route_filter_needs_tools(const struct gw_object *route);

/* The env variable a provider's API key is read from: OPENAI_API_KEY. */
int gw_provider_env_name(const char *provider, char *out, size_t cap);

#endif
