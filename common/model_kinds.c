#include "model_kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "k8sname.h"
#include "model_shape.h"
#include "textutil.h"

static void parse_models(struct mf_path *c, json_object *spec, struct gw_aigateway *ai)
{
    json_object *arr = mf_field(c, spec, "aiModels", json_type_array, true);
    if (!arr)
        return;
    size_t n = json_object_array_length(arr);
    size_t old = mf_push_key(c, "aiModels");
    if (n == 0)
        errlist_add(c->errs, GW_E_INVALID, c->path, "0", "should have at least 1 items");
    ai->models = calloc(n ? n : 1, sizeof(*ai->models));
    for (size_t i = 0; i < n && ai->models; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        size_t o2 = mf_push_index(c, i);
        if (!m || !json_object_is_type(m, json_type_object)) {
            err_type(c->errs, c->path, mf_type_name(m), "object");
        } else {
            static const char *const known[] = { "name", "provider", NULL };
            mf_check_known(c, m, known);
            struct gw_ai_model *am = &ai->models[ai->n_models++];
            am->name = mf_str(c, m, "name", true, true);
            am->provider = mf_str(c, m, "provider", true, true);
        }
        mf_pop(c, o2);
    }
    mf_pop(c, old);
}

static void parse_aigateway(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_aigateway *ai = &o->u.ai;
    static const char *const known[] = { "aiGatewayClassName", "port", "aiModels", "env", "envFrom",
                                         "guardrails", "commonMetadata", "podMetadata", NULL };
    mf_check_known(c, spec, known);
    ai->class_name = mf_str(c, spec, "aiGatewayClassName", false, false);
    ai->port = mf_int(c, spec, "port", 1, 65535, 80, &ai->port_set);
    parse_models(c, spec, ai);
    ms_env(c, spec, &ai->env, &ai->env_from);
    ai->guardrails = ms_ref_list(c, spec, "guardrails", "Guard", &ai->n_guardrails);
    ms_extra_metadata(c, spec, "commonMetadata", &ai->common);
    ms_extra_metadata(c, spec, "podMetadata", &ai->pod);
    json_object *p = jobj_get(o->meta.annotations, GW_CONFIG_PATCH_ANNOTATION);
    if (p && json_object_is_type(p, json_type_string))
        ai->config_patch = json_object_get_string(p);
}

static void parse_toolgateway(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolgateway *tg = &o->u.tool;
    static const char *const known[] = { "toolGatewayClassName", "env", "envFrom", "guardrails",
                                         "commonMetadata", "podMetadata", NULL };
    mf_check_known(c, spec, known);
    tg->class_name = mf_str(c, spec, "toolGatewayClassName", false, false);
    ms_env(c, spec, &tg->env, &tg->env_from);
    tg->guardrails = ms_ref_list(c, spec, "guardrails", "Guard", &tg->n_guardrails);
    ms_extra_metadata(c, spec, "commonMetadata", &tg->common);
    ms_extra_metadata(c, spec, "podMetadata", &tg->pod);
}

static void parse_toolroute(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolroute *r = &o->u.route;
    static const char *const known[] = { "toolGatewayRef", "upstream", "toolFilter", NULL };
    mf_check_known(c, spec, known);
    ms_ref(c, spec, "toolGatewayRef", false, "ToolGateway", &r->gateway);
    json_object *up = mf_field(c, spec, "upstream", json_type_object, true);
    if (up) {
        size_t old = mf_push_key(c, "upstream");
        static const char *const up_known[] = { "toolServerRef", "external", NULL };
        mf_check_known(c, up, up_known);
        ms_ref(c, up, "toolServerRef", false, "ToolServer", &r->server);
        json_object *ext = mf_field(c, up, "external", json_type_object, false);
        if (ext) {
            size_t o2 = mf_push_key(c, "external");
            static const char *const ext_known[] = { "url", NULL };
            mf_check_known(c, ext, ext_known);
            r->external_url = mf_str(c, ext, "url", true, false);
            mf_pop(c, o2);
        }
        if (mf_has_member(up, "toolServerRef") == mf_has_member(up, "external"))
            err_invalid_str(c->errs, c->path, "object", "exactly one of toolServerRef or external must be set");
        mf_pop(c, old);
    }
    json_object *tf = mf_field(c, spec, "toolFilter", json_type_object, false);
    if (tf) {
        size_t old = mf_push_key(c, "toolFilter");
        static const char *const tf_known[] = { "allow", "deny", NULL };
        mf_check_known(c, tf, tf_known);
        r->allow = ms_string_list(c, tf, "allow", &r->n_allow);
        r->deny = ms_string_list(c, tf, "deny", &r->n_deny);
        mf_pop(c, old);
    }
}

static void parse_class(struct mf_path *c, json_object *spec, struct gw_object *o, const char *annotation)
{
    static const char *const known[] = { "controller", NULL };
    mf_check_known(c, spec, known);
    o->u.cls.controller = mf_str(c, spec, "controller", true, true);
    json_object *d = jobj_get(o->meta.annotations, annotation);
    o->u.cls.is_default = d && json_object_is_type(d, json_type_string) &&
                          strcmp(json_object_get_string(d), "true") == 0;
}

static void mode_item(struct mf_path *c, json_object *item, size_t i, void *arg)
{
    (void)i;
    unsigned *modes = arg;
    static const char *const names[] = { "pre_call", "during_call", "post_call", NULL };
    static const unsigned bits[] = { GW_MODE_PRE_CALL, GW_MODE_DURING_CALL, GW_MODE_POST_CALL };
    const char *m = json_object_get_string(item);
    for (int k = 0; names[k]; k++) {
        if (strcmp(m, names[k]) == 0) {
            if (*modes & bits[k])
                err_duplicate(c->errs, c->path, m);
            *modes |= bits[k];
            return;
        }
    }
    err_not_supported(c->errs, c->path, m, names);
}

static void parse_guard(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_guard *g = &o->u.guard;
    static const char *const known[] = { "mode", "description", "providerRef", "openaiModeration",
                                         "bedrock", "presidio", NULL };
    mf_check_known(c, spec, known);
    json_object *modes = ms_each_item(c, spec, "mode", json_type_string, mode_item, &g->modes);
    if (!mf_has_member(spec, "mode")) {
        size_t old = mf_push_key(c, "mode");
        err_required(c->errs, c->path, NULL);
        mf_pop(c, old);
    } else if (modes && json_object_array_length(modes) == 0) {
        size_t old = mf_push_key(c, "mode");
        errlist_add(c->errs, GW_E_INVALID, c->path, "0", "should have at least 1 items");
        mf_pop(c, old);
    }
    g->description = mf_str(c, spec, "description", false, false);
    ms_ref(c, spec, "providerRef", false, "GuardrailProvider", &g->provider);
    int blocks = 0;
    json_object *om = mf_field(c, spec, "openaiModeration", json_type_object, false);
    if (om) {
        blocks++;
        g->type = GW_GUARD_OPENAI_MODERATION;
        size_t old = mf_push_key(c, "openaiModeration");
        static const char *const k2[] = { "model", NULL };
        mf_check_known(c, om, k2);
        g->openai_model = mf_str(c, om, "model", false, false);
        mf_pop(c, old);
    }
    json_object *br = mf_field(c, spec, "bedrock", json_type_object, false);
    if (br) {
        blocks++;
        g->type = GW_GUARD_BEDROCK;
        size_t old = mf_push_key(c, "bedrock");
        static const char *const k2[] = { "guardrailId", "guardrailVersion", NULL };
        mf_check_known(c, br, k2);
        g->bedrock_id = mf_str(c, br, "guardrailId", true, true);
        g->bedrock_version = mf_str(c, br, "guardrailVersion", false, false);
        mf_pop(c, old);
    }
    json_object *pr = mf_field(c, spec, "presidio", json_type_object, false);
    g->presidio_language = "en";
    if (pr) {
        blocks++;
        g->type = GW_GUARD_PRESIDIO;
        size_t old = mf_push_key(c, "presidio");
        static const char *const k2[] = { "language", "scoreThresholds", "entityActions", NULL };
        mf_check_known(c, pr, k2);
        const char *lang = mf_str(c, pr, "language", false, false);
        if (lang)
            g->presidio_language = lang;
        ms_string_map(c, pr, "scoreThresholds", &g->presidio_thresholds);
        ms_string_map(c, pr, "entityActions", &g->presidio_actions);
        mf_pop(c, old);
    }
    if (blocks > 1)
        err_invalid_str(c->errs, c->path, "object",
                        "at most one of openaiModeration, bedrock or presidio may be set");
}

static void parse_provider(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_guardrail_provider *p = &o->u.provider;
    static const char *const known[] = { "type", "openaiModeration", "bedrock", "presidio", NULL };
    mf_check_known(c, spec, known);
    static const char *const types[] = { "openai-moderation-api", "bedrock-api", "presidio-api", NULL };
    const char *type = mf_str(c, spec, "type", true, false);
    if (type) {
        mf_check_enum(c, "type", type, types);
        for (int k = 0; types[k]; k++)
            if (strcmp(type, types[k]) == 0)
                p->type = (enum gw_guard_type)(k + 1);
    }
    json_object *om = mf_field(c, spec, "openaiModeration", json_type_object, false);
    if (om) {
        size_t old = mf_push_key(c, "openaiModeration");
        static const char *const k2[] = { "baseUrl", "apiKeySecretRef", NULL };
        mf_check_known(c, om, k2);
        p->openai_base_url = mf_str(c, om, "baseUrl", false, false);
        ms_key_selector(c, om, "apiKeySecretRef", true, &p->openai_key);
        mf_pop(c, old);
    }
    json_object *br = mf_field(c, spec, "bedrock", json_type_object, false);
    if (br) {
        size_t old = mf_push_key(c, "bedrock");
        static const char *const k2[] = { "region", "credentialsSecretRef", NULL };
        mf_check_known(c, br, k2);
        p->bedrock_region = mf_str(c, br, "region", true, true);
        json_object *cr = mf_field(c, br, "credentialsSecretRef", json_type_object, false);
        if (cr) {
            size_t o2 = mf_push_key(c, "credentialsSecretRef");
            static const char *const k3[] = { "name", "namespace", NULL };
            mf_check_known(c, cr, k3);
            p->bedrock_secret_name = mf_str(c, cr, "name", true, true);
            p->bedrock_secret_ns = mf_str(c, cr, "namespace", false, false);
            ms_check_name(c, "name", p->bedrock_secret_name, k8s_check_dns1123_subdomain);
            ms_check_name(c, "namespace", p->bedrock_secret_ns, k8s_check_dns1123_label);
            mf_pop(c, o2);
        }
        mf_pop(c, old);
    }
    json_object *pr = mf_field(c, spec, "presidio", json_type_object, false);
    if (pr) {
        size_t old = mf_push_key(c, "presidio");
        static const char *const k2[] = { "baseUrl", "apiKeySecretRef", NULL };
        mf_check_known(c, pr, k2);
        p->presidio_base_url = mf_str(c, pr, "baseUrl", true, true);
        ms_key_selector(c, pr, "apiKeySecretRef", true, &p->presidio_key);
        mf_pop(c, old);
    }
}

static void parse_toolserver(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    struct gw_toolserver *s = &o->u.server;
    /* A ToolServer carries a whole workload description we do not read;
     * only the fields that make its endpoint are checked. */
    static const char *const protocols[] = { "mcp", NULL };
    static const char *const transports[] = { "http", "sse", NULL };
    s->protocol = mf_str(c, spec, "protocol", false, false);
    if (s->protocol)
        mf_check_enum(c, "protocol", s->protocol, protocols);
    s->transport = mf_str(c, spec, "transportType", false, false);
    if (s->transport)
        mf_check_enum(c, "transportType", s->transport, transports);
    else
        s->transport = "http";
    s->port = mf_int(c, spec, "port", 1, 65535, 0, NULL);
    if (!mf_has_member(spec, "port")) {
        size_t old = mf_push_key(c, "port");
        err_required(c->errs, c->path, NULL);
        mf_pop(c, old);
    }
    s->path = mf_str(c, spec, "path", false, false);
    if (s->path && *s->path && s->path[0] != '/') {
        size_t old = mf_push_key(c, "path");
        err_invalid_str(c->errs, c->path, s->path, "should match '^/.*'");
        mf_pop(c, old);
    }
}

void mk_parse_spec(struct mf_path *c, json_object *spec, struct gw_object *o)
{
    switch (o->kind) {
    case GW_KIND_AIGATEWAY: parse_aigateway(c, spec, o); break;
    case GW_KIND_TOOLGATEWAY: parse_toolgateway(c, spec, o); break;
    case GW_KIND_TOOLROUTE: parse_toolroute(c, spec, o); break;
    case GW_KIND_AIGATEWAYCLASS: parse_class(c, spec, o, GW_AIGW_CLASS_DEFAULT_ANNOTATION); break;
    case GW_KIND_TOOLGATEWAYCLASS: parse_class(c, spec, o, GW_TOOLGW_CLASS_DEFAULT_ANNOTATION); break;
    case GW_KIND_GUARD: parse_guard(c, spec, o); break;
    case GW_KIND_GUARDRAILPROVIDER: parse_provider(c, spec, o); break;
    case GW_KIND_TOOLSERVER: parse_toolserver(c, spec, o); break;
    default: break;
    }
}
