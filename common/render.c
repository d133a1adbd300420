#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "patch.h"
#include "render_guards.h"
#include "render_models.h"
#include "strbuf.h"
#include "textutil.h"
#include "yamlout.h"

/* An AiGateway's config: model_list, litellm_settings and, when guards
 * are given, guardrails (their secrets' env vars go to env). */
static json_object *ai_config(struct jobj_builder *b, const struct gw_object *gw,
                              const struct gw_resolved_guard *guards, size_t n_guards, json_object *env,
                              struct gw_errlist *errors, struct gw_errlist *warnings)
{
    json_object *cfg = jobj_new_obj(b);
    jobj_set(b, cfg, "model_list", render_model_list(b, gw));
    jobj_set(b, cfg, "litellm_settings", render_litellm_settings(b, false));
    if (n_guards > 0)
        jobj_set(b, cfg, "guardrails",
                 render_guardrails(b, gw, guards, n_guards, false, env, errors, warnings));
    return cfg;
}

/* A ToolGateway's config: mcp_servers (route results into out),
 * litellm_settings and guardrails. */
static json_object *tool_config(struct jobj_builder *b, const struct gw_render_input *in,
                                struct gw_render_output *out, json_object *env)
{
    json_object *cfg = jobj_new_obj(b);
    jobj_set(b, cfg, "mcp_servers", render_mcp_servers(b, in, out->routes));
    jobj_set(b, cfg, "litellm_settings", render_litellm_settings(b, false));
    if (in->n_guards > 0)
        jobj_set(b, cfg, "guardrails",
                 render_guardrails(b, in->gateway, in->guards, in->n_guards, true, env, &out->errors,
                                   &out->warnings));
    return cfg;
}

int gw_render_ai_base_config(const struct gw_object *gw, const struct gw_resolved_guard *guards, size_t n_guards,
                             json_object **ret, struct gw_errlist *errors)
{
    struct jobj_builder b = { 0 };
    struct gw_errlist scratch;
    errlist_init(&scratch);
    json_object *env = jobj_new_arr(&b);
    json_object *cfg = ai_config(&b, gw, guards, n_guards, env, errors ? errors : &scratch, NULL);
    json_object_put(env);
    errlist_free(&scratch);
    if (jobj_builder_err(&b)) {
        json_object_put(cfg);
        return jobj_builder_err(&b);
    }
    *ret = cfg;
    return 0;
}

/* Whether the merged config sets general_settings.master_key. */
static bool has_master_key(json_object *cfg)
{
    json_object *mk = jobj_get(jobj_get(cfg, "general_settings"), "master_key");
    return mk && !(json_object_is_type(mk, json_type_string) && json_object_get_string_len(mk) == 0);
}

const char *gw_render_otlp_endpoint(json_object *cfg, const char *operator_default)
{
    json_object *v = jobj_get(jobj_get_obj(cfg, "environment_variables"), "OTEL_EXPORTER_OTLP_ENDPOINT");
    const char *e = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : operator_default;
    return e && *e ? e : NULL;
}

/* Adds LiteLLM's otel callback to litellm_settings.callbacks unless the
 * config already has it (or made callbacks something other than a list). */
static void add_otel_callback(struct jobj_builder *b, json_object *cfg)
{
    json_object *settings = jobj_get_obj(cfg, "litellm_settings");
    if (!settings) {
        if (jobj_get(cfg, "litellm_settings"))
            return;
        settings = jobj_new_obj(b);
        jobj_set(b, cfg, "litellm_settings", settings);
        if (jobj_builder_err(b))
            return;
    }
    json_object *cbs = jobj_get(settings, "callbacks");
    if (!cbs) {
        cbs = jobj_new_arr(b);
        jobj_set(b, settings, "callbacks", cbs);
        if (jobj_builder_err(b))
            return;
    }
    if (!json_object_is_type(cbs, json_type_array))
        return;
    size_t n = json_object_array_length(cbs);
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(cbs, i);
        if (c && json_object_is_type(c, json_type_string) && strcmp(json_object_get_string(c), "otel") == 0)
            return;
    }
    jobj_push(b, cbs, jobj_new_str(b, "otel"));
}

static int apply_patch(const struct gw_object *gw, json_object *cfg, struct gw_render_output *out)
{
    if (gw->kind != GW_KIND_AIGATEWAY || !gw->u.ai.config_patch)
        return 0;
    json_object *patch = NULL;
    char *why = NULL;
    int r = gw_patch_parse(gw->u.ai.config_patch, &patch, &why);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        errlist_add(&out->errors, GW_E_INVALID, GW_PATCH_FIELD, NULL, why ? why : "not a YAML mapping");
        free(why);
        return 0;
    }
    gw_patch_describe(cfg, patch, &out->warnings);
    r = gw_config_merge(cfg, patch);
    json_object_put(patch);
    if (r == 0)
        gw_config_check(cfg, &out->errors);
    return r;
}

/* The config of either kind of gateway, patch merged; route results and
 * problems go to out, guardrail env vars to env. */
static json_object *gateway_config(struct jobj_builder *b, const struct gw_render_input *in,
                                   struct gw_render_output *out, json_object *env)
{
    const struct gw_object *gw = in->gateway;
    if (gw->kind == GW_KIND_TOOLGATEWAY) {
        out->routes = calloc(in->n_routes ? in->n_routes : 1, sizeof(*out->routes));
        if (!out->routes) {
            jobj_builder_fail(b, -ENOMEM);
            return NULL;
        }
        out->n_routes = in->n_routes;
        out->gateway_url = sb_dupf(1 << 20, "http://%s.%s.svc.cluster.local", gw->meta.name, gw->meta.ns);
        if (!out->gateway_url)
            jobj_builder_fail(b, -ENOMEM);
        return tool_config(b, in, out, env);
    }
    json_object *cfg = ai_config(b, gw, in->guards, in->n_guards, env, &out->errors, &out->warnings);
    if (!jobj_builder_err(b)) {
        int r = apply_patch(gw, cfg, out);
        if (r < 0)
            jobj_builder_fail(b, r);
    }
    return cfg;
}

int gw_render(const struct gw_render_input *in, struct gw_render_output *out)
{
    memset(out, 0, sizeof(*out));
    errlist_init(&out->errors);
    errlist_init(&out->warnings);
    const struct gw_object *gw = in->gateway;
    if (gw->kind != GW_KIND_AIGATEWAY && gw->kind != GW_KIND_TOOLGATEWAY)
        return -EINVAL;
    if (!gw->meta.name || !gw->meta.ns) {
        err_required(&out->errors, gw->meta.name ? "metadata.namespace" : "metadata.name", NULL);
        return -EINVAL;
    }
    if (gw->beta_invalid) {
        errlist_add(&out->errors, GW_E_INVALID, GW_CONVERSION_FIELD, NULL,
                        "the fields only v1beta1 has cannot be read from this annotation; write the object "
                        "again in v1beta1");
        return -EINVAL;
    }
    struct jobj_builder b = { 0 };
    json_object *env = jobj_new_arr(&b);
    json_object *cfg = gateway_config(&b, in, out, env);
    const char *otlp = gw_render_otlp_endpoint(cfg, in->otlp_endpoint);
    int rc = jobj_builder_err(&b);
    if (rc)
        goto done;
    if (out->errors.n > 0) {
        rc = -EINVAL;
        goto done;
    }
    if (otlp)
        add_otel_callback(&b, cfg);
    rc = jobj_builder_err(&b);
    if (rc == 0)
        rc = gw_yaml_emit(cfg, &out->config_yaml, NULL);
    if (rc)
        goto done;
    gw_sha256_hex(out->config_yaml, strlen(out->config_yaml), out->config_hash);
    rc = gw_secret_hash(in->secrets, in->n_secrets, out->secret_hash);
    if (rc)
        goto done;
    struct render_workload w = {
        .gw = gw, .image = in->image && *in->image ? in->image : gw_default_image(), .guard_env = env,
        .config_hash = out->config_hash, .secret_hash = out->secret_hash, .master_key = has_master_key(cfg),
        .otlp_endpoint = otlp,
    };
    out->configmap = render_configmap(&b, gw, out->config_yaml);
    out->deployment = render_deployment(&b, &w);
    out->service = render_service(&b, gw);
    rc = jobj_builder_err(&b);
done:
    json_object_put(cfg);
    json_object_put(env);
    return rc;
}

void gw_render_output_release(struct gw_render_output *out)
{
    if (!out)
        return;
    free(out->config_yaml);
    json_object_put(out->configmap);
    json_object_put(out->deployment);
    json_object_put(out->service);
    for (size_t i = 0; i < out->n_routes; i++) {
        free(out->routes[i].key);
        free(out->routes[i].url);
        free(out->routes[i].reason);
        free(out->routes[i].message);
    }
    free(out->routes);
    free(out->gateway_url);
    errlist_free(&out->errors);
    errlist_free(&out->warnings);
    memset(out, 0, sizeof(*out));
}
