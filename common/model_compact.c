/* model_compact: parsed objects detached from their JSON trees. */
#include "model_compact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "textpack.h"

/* What of a parsed object borrows from its tree: the string fields, which
 * are copied into one block, and the JSON members the typed fields keep as
 * trees (env lists, label and annotation maps), which are held by
 * reference without the rest of the tree. */
struct slots {
    const char ***str;
    size_t n_str, cap_str;
    json_object **json[8];
    size_t n_json;
    bool failed;
};

static void add_str(struct slots *s, const char **field)
{
    if (!*field || s->failed)
        return;
    if (s->n_str == s->cap_str) {
        size_t cap = s->cap_str ? 2 * s->cap_str : 32;
        const char ***grown = realloc(s->str, cap * sizeof(*grown));
        if (!grown) {
            s->failed = true;
            return;
        }
        s->str = grown;
        s->cap_str = cap;
    }
    s->str[s->n_str++] = field;
}

static void add_json(struct slots *s, json_object **field)
{
    if (!*field)
        return;
    if (s->n_json == sizeof(s->json) / sizeof(s->json[0])) {
        s->failed = true; /* never let a tree go that a field still points into */
        return;
    }
    s->json[s->n_json++] = field;
}

static void add_ref(struct slots *s, struct gw_ref *r)
{
    add_str(s, &r->api_version);
    add_str(s, &r->kind);
    add_str(s, &r->name);
    add_str(s, &r->ns);
}

static void add_gateway_common(struct slots *s, struct gw_object *o, json_object **env, json_object **env_from,
                               struct gw_ref *guards, size_t n_guards, struct gw_extra_metadata *common,
                               struct gw_extra_metadata *pod)
{
    for (size_t i = 0; i < n_guards; i++)
        add_ref(s, &guards[i]);
    add_json(s, env);
    add_json(s, env_from);
    add_json(s, &common->labels);
    add_json(s, &common->annotations);
    add_json(s, &pod->labels);
    add_json(s, &pod->annotations);
    /* A ToolGateway's annotations mark the default one (resolve.h). */
    add_json(s, &o->meta.annotations);
}

static void collect(struct slots *s, struct gw_object *o)
{
    add_str(s, &o->meta.name);
    add_str(s, &o->meta.ns);
    add_str(s, &o->meta.uid);
    add_str(s, &o->meta.resource_version);
    add_str(s, &o->meta.creation_timestamp);
    if (o->kind == GW_KIND_TOOLROUTE) {
        struct gw_toolroute *r = &o->u.route;
        add_ref(s, &r->gateway);
        add_ref(s, &r->server);
        add_str(s, &r->external_url);
        for (size_t i = 0; i < r->n_allow; i++)
            add_str(s, &r->allow[i]);
        for (size_t i = 0; i < r->n_deny; i++)
            add_str(s, &r->deny[i]);
    } else if (o->kind == GW_KIND_AIGATEWAY) {
        struct gw_aigateway *a = &o->u.ai;
        add_str(s, &a->class_name);
        add_str(s, &a->config_patch);
        for (size_t i = 0; i < a->n_models; i++) {
            add_str(s, &a->models[i].name);
            add_str(s, &a->models[i].provider);
        }
        add_gateway_common(s, o, &a->env, &a->env_from, a->guardrails, a->n_guardrails, &a->common, &a->pod);
    } else {
        struct gw_toolgateway *t = &o->u.tool;
        add_str(s, &t->class_name);
        add_gateway_common(s, o, &t->env, &t->env_from, t->guardrails, t->n_guardrails, &t->common, &t->pod);
    }
}

/* What statuses repeat, in the order the API server writes a custom
 * resource (keys sorted): the condition keys, and the types, reasons and
 * fixed messages the controller writes (controller/status.h, plan.c). The
 * first 28 take one byte. Changing the list is safe: statuses are packed
 * and unpacked by the same binary. */
static const char *const STATUS_WORDS[] = {
    "{\"lastTransitionTime\":\"",
    "\",\"message\":\"",
    "\",\"observedGeneration\":",
    ",\"reason\":\"",
    "\",\"status\":\"True\",\"type\":\"",
    "\",\"status\":\"False\",\"type\":\"",
    "\"},",
    "\"}],\"observedGeneration\":",
    "{\"conditions\":[",
    "Accepted",
    "Ready",
    "Reconciling",
    "Stalled",
    "ResolutionFailed",
    "GatewayNotReady",
    "NotReconciling",
    "NotStalled",
    "Resolved",
    "Reconciled",
    "nothing is failing",
    "nothing is in progress",
    "the upstream resolved",
    "attached to ToolGateway ",
    "the ToolGateway ",
    " is not ready yet (its Ready condition says why)",
    "DeploymentRollingOut",
    ",\"url\":\"",
    "ToolGateway",
    /* two bytes */
    "AiGateway",
    "Configured",
    "ConfigurationApplied",
    "ConfigGenerationFailed",
    "UpstreamUnresolved",
    "DuplicateServerName",
    "NotAllowedByListeners",
    "NamespaceLabelsUnknown",
    "not accepted by ToolGateway ",
    "NotAttempted",
    "the route is not accepted by its gateway",
    "WorkloadFailed",
    "GuardrailsResolutionFailed",
    "ConfigPatchInvalid",
    "the Deployment does not exist yet",
    "the Deployment controller has not yet observed generation ",
    " replicas updated and available",
    " replicas updated, ",
    " available, old replicas still running",
    "applying a new pod template",
    "creating the Deployment",
    "; the rollout exceeded its progress deadline",
    ",\"attachedRoutes\":",
    ",\"models\":\"",
    "\"}]",
    ".svc.cluster.local",
    "http://",
};

static const struct tp_dict STATUS_DICT = { STATUS_WORDS, sizeof(STATUS_WORDS) / sizeof(STATUS_WORDS[0]) };

/* Most bytes a packed status may unpack to: more than any status the API
 * server's request limit lets through. */
#define STATUS_TEXT_CAP ((size_t)4 << 20)

/* Copies every collected string and the packed status into one block. */
static char *copy_strings(struct slots *s, const char *status, const char **ret_status)
{
    size_t size = status ? strlen(status) + 1 : 1;
    for (size_t i = 0; i < s->n_str; i++)
        size += strlen(*s->str[i]) + 1;
    char *block = malloc(size);
    if (!block)
        return NULL;
    char *at = block;
    for (size_t i = 0; i < s->n_str; i++) {
        size_t len = strlen(*s->str[i]) + 1;
        memcpy(at, *s->str[i], len);
        *s->str[i] = at;
        at += len;
    }
    *ret_status = NULL;
    if (status) {
        memcpy(at, status, strlen(status) + 1);
        *ret_status = at;
    }
    return block;
}

/* o's status as packed text (the caller frees; NULL with 0 when it has
 * none), or -ENOMEM. Slashes are left unescaped: the parse reads the same. */
static int pack_status(const struct gw_object *o, char **ret)
{
    json_object *status = json_object_object_get(o->root, "status");
    *ret = NULL;
    if (!status)
        return 0;
    size_t len = 0, plen = 0;
    const char *text = json_object_to_json_string_length(
        status, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!text)
        return -ENOMEM;
    int r = tp_pack(&STATUS_DICT, text, len, ret, &plen);
    return r == -EINVAL ? -ENOMEM : r; /* json-c escapes NUL bytes: cannot be EINVAL */
}

static bool detachable(enum gw_kind k)
{
    return k == GW_KIND_TOOLROUTE || k == GW_KIND_AIGATEWAY || k == GW_KIND_TOOLGATEWAY;
}

int gw_object_detach(struct gw_object *o)
{
    if (!o || !detachable(o->kind) || !o->root)
        return 0;
    struct slots s = { 0 };
    collect(&s, o);
    json_object *held = s.n_json ? json_object_new_array_ext((int)s.n_json) : NULL;
    char *st = NULL;
    const char *status_packed = NULL;
    int r = pack_status(o, &st);
    char *block = r < 0 || s.failed || (s.n_json && !held) ? NULL : copy_strings(&s, st, &status_packed);
    free(st);
    if (!block) {
        free(s.str);
        json_object_put(held);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s.n_json; i++)
        json_object_array_add(held, json_object_get(*s.json[i])); /* room reserved: cannot fail */
    free(s.str);
    o->detached = block;
    o->status_packed = status_packed;
    o->held = held;
    o->meta.labels = NULL;
    if (o->kind == GW_KIND_TOOLROUTE)
        o->meta.annotations = NULL;
    json_object_put(o->root);
    o->root = NULL;
    return 0;
}

json_object *gw_object_status(const struct gw_object *o, json_object **owned)
{
    *owned = NULL;
    if (!o)
        return NULL;
    if (o->root)
        return json_object_object_get(o->root, "status");
    if (!o->status_packed)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    if (tp_unpack(&STATUS_DICT, o->status_packed, strlen(o->status_packed), STATUS_TEXT_CAP, &text, &len) < 0)
        return NULL;
    *owned = json_tokener_parse(text);
    free(text);
    return *owned;
}

size_t gw_object_status_size(const struct gw_object *o)
{
    return o && o->status_packed ? strlen(o->status_packed) + 1 : 0;
}
