/* model_types: the typed structs of our custom resources, as
 * gw_object_parse (model.h) fills them. Strings are borrowed from the
 * json-c tree the object keeps a reference to, except in the v1beta1
 * fields, which own theirs. Kept apart from model.h so that the parsers of
 * the single kinds (model_kinds.h) can fill them without depending on the
 * module that calls them. */
#ifndef GW_MODEL_TYPES_H
#define GW_MODEL_TYPES_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_GROUP "runtime.agentic-layer.ai"
#define GW_V1ALPHA1 GW_GROUP "/v1alpha1"

#define GW_AIGW_CLASS_DEFAULT_ANNOTATION "aigatewayclass.kubernetes.io/is-default-class"
#define GW_TOOLGW_CLASS_DEFAULT_ANNOTATION "toolgatewayclass.kubernetes.io/is-default-class"
#define GW_CONFIG_PATCH_ANNOTATION "ai-gateway-litellm.agentic-layer.ai/config-patch"
#define GW_AI_CONTROLLER_NAME "aigateway.agentic-layer.ai/ai-gateway-litellm-controller"
#define GW_TOOL_CONTROLLER_NAME "litellm.agentic-layer.ai/tool-gateway-litellm-controller"
#define GW_CLASS_NAME "litellm"

enum gw_kind {
    GW_KIND_UNKNOWN = 0,
    GW_KIND_AIGATEWAY,
    GW_KIND_TOOLGATEWAY,
    GW_KIND_TOOLROUTE,
    GW_KIND_AIGATEWAYCLASS,
    GW_KIND_TOOLGATEWAYCLASS,
    GW_KIND_GUARD,
    GW_KIND_GUARDRAILPROVIDER,
    GW_KIND_TOOLSERVER,
    GW_KIND_SECRET,          /* read for the secret hash: metadata only */
    GW_KIND_NAMESPACE,       /* read for allowedRoutes selectors: metadata only */
    GW_KIND__MAX,
};

struct gw_meta {
    const char *name;
    const char *ns;              /* NULL when absent (defaulted by caller) */
    const char *uid;
    const char *resource_version;
    const char *creation_timestamp;
    int64_t generation;
    bool deleting;               /* metadata.deletionTimestamp is set */
    json_object *labels;         /* borrowed; may be NULL */
    json_object *annotations;    /* borrowed; may be NULL */
};

/* core/v1 ObjectReference as the contract uses it. */
struct gw_ref {
    bool set;
    const char *api_version;
    const char *kind;
    const char *name;
    const char *ns;              /* NULL = the referrer's namespace */
};

/* core/v1 SecretKeySelector. */
struct gw_secret_key_ref {
    bool set;
    const char *name;
    const char *key;
    bool optional;
};

struct gw_extra_metadata {
    json_object *labels;         /* string->string, borrowed */
    json_object *annotations;
};

struct gw_ai_model {
    const char *name;
    const char *provider;
};

struct gw_aigateway {
    const char *class_name;
    int64_t port;                /* 80 when absent */
    bool port_set;
    struct gw_ai_model *models;
    size_t n_models;
    json_object *env;            /* array of core EnvVar, borrowed */
    json_object *env_from;       /* array of core EnvFromSource */
    struct gw_ref *guardrails;
    size_t n_guardrails;
    struct gw_extra_metadata common;
    struct gw_extra_metadata pod;
    const char *config_patch;    /* annotation text or NULL */
};

struct gw_toolgateway {
    const char *class_name;
    json_object *env;
    json_object *env_from;
    struct gw_ref *guardrails;
    size_t n_guardrails;
    struct gw_extra_metadata common;
    struct gw_extra_metadata pod;
};

struct gw_toolroute {
    struct gw_ref gateway;       /* .set false = attach to the default */
    struct gw_ref server;        /* upstream.toolServerRef */
    const char *external_url;    /* upstream.external.url */
    const char **allow;
    size_t n_allow;
    const char **deny;
    size_t n_deny;
};

struct gw_class {
    const char *controller;
    bool is_default;
};

enum gw_guard_mode {
    GW_MODE_PRE_CALL = 1 << 0,
    GW_MODE_DURING_CALL = 1 << 1,
    GW_MODE_POST_CALL = 1 << 2,
};

enum gw_guard_type {
    GW_GUARD_NONE = 0,
    GW_GUARD_OPENAI_MODERATION,
    GW_GUARD_BEDROCK,
    GW_GUARD_PRESIDIO,
};

struct gw_guard {
    unsigned modes;              /* gw_guard_mode bits */
    const char *description;
    struct gw_ref provider;
    enum gw_guard_type type;     /* which block is set */
    const char *openai_model;
    const char *bedrock_id;
    const char *bedrock_version;
    const char *presidio_language;      /* "en" when absent */
    json_object *presidio_thresholds;   /* entity -> "0.5", borrowed */
    json_object *presidio_actions;      /* entity -> MASK|BLOCK, borrowed */
};

struct gw_guardrail_provider {
    enum gw_guard_type type;
    const char *openai_base_url;
    struct gw_secret_key_ref openai_key;
    const char *bedrock_region;
    const char *bedrock_secret_name;     /* credentialsSecretRef */
    const char *bedrock_secret_ns;
    const char *presidio_base_url;
    struct gw_secret_key_ref presidio_key;
};

struct gw_toolserver {
    const char *protocol;
    const char *transport;       /* "http" when absent */
    int64_t port;
    const char *path;            /* NULL when absent */
};

/* The annotation on a v1alpha1 object that carries what only v1beta1 has
 * (see convert.h), and its field path for messages. */
#define GW_CONVERSION_ANNOTATION "runtime.agentic-layer.ai/conversion"
#define GW_CONVERSION_FIELD "metadata.annotations[" GW_CONVERSION_ANNOTATION "]"

/* The v1beta1-only fields of a v1alpha1 object, as the controller needs
 * them (read by gw_beta_fields_of / gw_object_read_beta in convert.h). Strings and json_object references are owned by the struct. */
enum gw_routes_from {
    GW_ROUTES_ALL = 0,      /* unset or All: today's behaviour */
    GW_ROUTES_SAME,
    GW_ROUTES_SELECTOR,
};

struct gw_beta_model {
    char *name;             /* spec.aiModels[i].name */
    char *model;            /* upstream model id; NULL = the name */
    char *api_base;         /* NULL = the provider's default */
    char *key_secret;       /* apiKeySecretRef.name; NULL = <PROVIDER>_API_KEY from api-key-secrets */
    char *key_key;          /* apiKeySecretRef.key */
    bool key_optional;      /* apiKeySecretRef.optional */
};

struct gw_beta_fields {
    bool has_replicas;
    int32_t replicas;
    json_object *resources;         /* core ResourceRequirements as written, or NULL */
    enum gw_routes_from routes_from;
    json_object *routes_selector;   /* LabelSelector for GW_ROUTES_SELECTOR, or NULL */
    char *server_name;              /* ToolRoute spec.serverName, or NULL */
    struct gw_beta_model *models;   /* one per spec.aiModels entry, same order */
    size_t n_models;
};

struct gw_object {
    enum gw_kind kind;
    json_object *root;           /* own reference; NULL once detached (model_compact.h) */
    char *detached;              /* a detached object's strings and packed status, owned */
    const char *status_packed;   /* a detached object's status, packed (model_compact.h), or NULL */
    json_object *held;           /* a detached object's member trees still read (an array), owned */
    struct gw_meta meta;
    /* AiGateway, ToolGateway, ToolRoute: the fields only v1beta1 has, read
     * from the conversion annotation (owned; NULL when the object carries
     * none). beta_invalid: the annotation is there but cannot be read (the
     * parse errors say why); the object then has no beta fields. */
    struct gw_beta_fields *beta;
    bool beta_invalid;
    union {
        struct gw_aigateway ai;
        struct gw_toolgateway tool;
        struct gw_toolroute route;
        struct gw_class cls;
        struct gw_guard guard;
        struct gw_guardrail_provider provider;
        struct gw_toolserver server;
    } u;
};

#endif
