#include "render_guards.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_env.h"
#include "strbuf.h"
#include "textutil.h"

/* What rendering one guard needs; field is "spec.guardrails[i]". */
struct guard_ctx {
    struct jobj_builder *b;
    const struct gw_object *gw;
    const struct gw_resolved_guard *rg;
    json_object *env;
    const char *field;
    const char *env_prefix;
    struct gw_errlist *errors;
    struct gw_errlist *warnings;
};

/* Env var prefix for a provider's secrets: GUARDRAIL_<NAME>_<HASH>,
 * upper-cased, other characters as '_'; the short hash of ns/name keeps
 * different providers from sharing a variable. */
static char *provider_env_prefix(const struct gw_object *p)
{
    char id[600], h[65];
    snprintf(id, sizeof(id), "%s/%s", p->meta.ns ? p->meta.ns : "", p->meta.name ? p->meta.name : "");
    gw_sha256_hex(id, strlen(id), h);
    struct strbuf sb;
    sb_init(&sb, 1024);
    sb_adds(&sb, "GUARDRAIL_");
    for (const char *s = p->meta.name ? p->meta.name : ""; *s && sb.len < 40; s++)
        sb_addc(&sb, isalnum_ascii(*s) ? (char)((*s >= 'a' && *s <= 'z') ? *s - 32 : *s) : '_');
    sb_addf(&sb, "_%.6s", h);
    for (size_t i = 0; i < sb.len; i++)
        if (sb.buf[i] >= 'a' && sb.buf[i] <= 'f')
            sb.buf[i] = (char)(sb.buf[i] - 32);
    return sb_detach(&sb, NULL);
}

static const char *guard_name_for(const struct gw_object *gw, const struct gw_object *guard, char *buf,
                                  size_t cap)
{
    if (guard->meta.ns && gw->meta.ns && strcmp(guard->meta.ns, gw->meta.ns) != 0)
        snprintf(buf, cap, "%s/%s", guard->meta.ns, guard->meta.name);
    else
        snprintf(buf, cap, "%s", guard->meta.name);
    return buf;
}

/* The MCP hooks each guardrail type has in LiteLLM 1.106.12 (pre, during,
 * post): a guardrail given a hook it lacks fails to set up, and LiteLLM then
 * runs without it, so unsupported modes are left out and reported. */
static unsigned mcp_modes_supported(enum gw_guard_type t)
{
    switch (t) {
    case GW_GUARD_PRESIDIO: return GW_MODE_PRE_CALL | GW_MODE_POST_CALL;
    case GW_GUARD_BEDROCK: return GW_MODE_PRE_CALL | GW_MODE_DURING_CALL;
    default: return 0;
    }
}

/* The Guard's modes LiteLLM can run on this gateway; on a tool gateway the
 * ones without an MCP hook are dropped with a warning. */
static unsigned effective_modes(const struct guard_ctx *c, bool tool_gateway)
{
    const struct gw_object *guard = c->rg->guard;
    unsigned modes = guard->u.guard.modes;
    if (!tool_gateway)
        return modes;
    static const char *const mode_names[] = { "pre_call", "during_call", "post_call" };
    unsigned supported = mcp_modes_supported(c->rg->provider->u.provider.type);
    for (int i = 0; i < 3; i++)
        if ((modes & (1u << i)) && !(supported & (1u << i)) && c->warnings)
            errlist_addf(c->warnings, GW_E_NOTE, c->field, NULL,
                         "Guard %s/%s: mode %s is not applied: LiteLLM " GW_LITELLM_VERSION
                         " has no MCP hook for it with this guardrail type",
                         guard->meta.ns, guard->meta.name, mode_names[i]);
    return modes & supported;
}

static json_object *mode_value(struct jobj_builder *b, unsigned modes, bool tool_gateway)
{
    static const char *const ai[] = { "pre_call", "during_call", "post_call" };
    static const char *const mcp[] = { "pre_mcp_call", "during_mcp_call", "post_mcp_call" };
    const char *const *names = tool_gateway ? mcp : ai;
    json_object *list = jobj_new_arr(b);
    for (int i = 0; i < 3; i++)
        if (modes & (1u << i))
            jobj_push(b, list, jobj_new_str(b, names[i]));
    if (list && json_object_array_length(list) == 1) {
        json_object *one = jobj_new_copy(b, json_object_array_get_idx(list, 0));
        json_object_put(list);
        return one;
    }
    return list;
}

/* Secrets must live in the pod's namespace: a provider elsewhere can point
 * the gateway at a Secret the pod could never read. */
static bool secret_reachable(const struct guard_ctx *c, const char *secret_ns, const char *what)
{
    const struct gw_object *gw = c->gw, *provider = c->rg->provider;
    const char *ns = secret_ns && *secret_ns ? secret_ns : provider->meta.ns;
    if (!ns || !gw->meta.ns || strcmp(ns, gw->meta.ns) == 0)
        return true;
    char d[512];
    snprintf(d, sizeof(d),
             "GuardrailProvider %s/%s references %s in namespace %s, but the gateway's pods run in %s and "
             "can only read Secrets there",
             provider->meta.ns, provider->meta.name, what, ns, gw->meta.ns);
    err_invalid_str(c->errors, c->field, provider->meta.name, d);
    return false;
}

/* Mounts key of secret as <prefix>_<suffix> and points param at it. */
static void secret_param(const struct guard_ctx *c, json_object *lp, const char *param, const char *suffix,
                         const char *secret, const char *key)
{
    char env[128], ref[160];
    snprintf(env, sizeof(env), "%s_%s", c->env_prefix ? c->env_prefix : "GUARDRAIL", suffix);
    /* Not optional even when the reference says so: without it LiteLLM
     * falls back to the provider-wide variable (OPENAI_API_KEY...). */
    render_env_from_secret(c->b, c->env, env, secret, key, false);
    snprintf(ref, sizeof(ref), "os.environ/%s", env);
    jobj_set(c->b, lp, param, jobj_new_str(c->b, ref));
}

static void presidio_params(const struct guard_ctx *c, json_object *lp)
{
    struct jobj_builder *b = c->b;
    const struct gw_guard *g = &c->rg->guard->u.guard;
    const struct gw_object *po = c->rg->provider;
    const struct gw_guardrail_provider *p = &po->u.provider;
    jobj_set(b, lp, "guardrail", jobj_new_str(b, "presidio"));
    const char *base = p->presidio_base_url ? p->presidio_base_url : "";
    jobj_set(b, lp, "presidio_analyzer_api_base", jobj_new_str(b, base));
    jobj_set(b, lp, "presidio_anonymizer_api_base", jobj_new_str(b, base));
    jobj_set(b, lp, "presidio_language", jobj_new_str(b, g->presidio_language ? g->presidio_language : "en"));
    if (g->presidio_actions && json_object_object_length(g->presidio_actions) > 0)
        jobj_set(b, lp, "pii_entities_config", jobj_new_copy(b, g->presidio_actions));
    if (g->presidio_thresholds && json_object_object_length(g->presidio_thresholds) > 0) {
        json_object *th = jobj_new_obj(b);
        json_object_object_foreach(g->presidio_thresholds, k, v) {
            double d = strtod(json_object_get_string(v), NULL);
            jobj_set(b, th, k, jobj_new_double(b, d));
        }
        jobj_set(b, lp, "presidio_score_thresholds", th);
    }
    /* LiteLLM sends Presidio no credentials: mounting the key would only
     * spread the Secret. */
    if (p->presidio_key.set && c->warnings)
        errlist_addf(c->warnings, GW_E_NOTE, c->field, NULL,
                     "GuardrailProvider %s/%s: spec.presidio.apiKeySecretRef has no effect: LiteLLM "
                     GW_LITELLM_VERSION " sends no credentials to Presidio",
                     po->meta.ns, po->meta.name);
}

static void openai_params(const struct guard_ctx *c, json_object *lp)
{
    struct jobj_builder *b = c->b;
    const struct gw_guard *g = &c->rg->guard->u.guard;
    const struct gw_guardrail_provider *p = &c->rg->provider->u.provider;
    jobj_set(b, lp, "guardrail", jobj_new_str(b, "openai_moderation"));
    if (g->openai_model && *g->openai_model)
        jobj_set(b, lp, "model", jobj_new_str(b, g->openai_model));
    if (p->openai_base_url && *p->openai_base_url)
        jobj_set(b, lp, "api_base", jobj_new_str(b, p->openai_base_url));
    if (p->openai_key.set && secret_reachable(c, NULL, "its API key Secret"))
        secret_param(c, lp, "api_key", "API_KEY", p->openai_key.name, p->openai_key.key);
}

static void bedrock_params(const struct guard_ctx *c, json_object *lp)
{
    struct jobj_builder *b = c->b;
    const struct gw_guard *g = &c->rg->guard->u.guard;
    const struct gw_guardrail_provider *p = &c->rg->provider->u.provider;
    jobj_set(b, lp, "guardrail", jobj_new_str(b, "bedrock"));
    if (g->bedrock_id)
        jobj_set(b, lp, "guardrailIdentifier", jobj_new_str(b, g->bedrock_id));
    jobj_set(b, lp, "guardrailVersion",
             jobj_new_str(b, g->bedrock_version && *g->bedrock_version ? g->bedrock_version : "DRAFT"));
    if (p->bedrock_region)
        jobj_set(b, lp, "aws_region_name", jobj_new_str(b, p->bedrock_region));
    if (!g->bedrock_id)
        err_required(c->errors, c->field, "the Guard of a bedrock-api provider needs spec.bedrock.guardrailId");
    if (!p->bedrock_secret_name || !secret_reachable(c, p->bedrock_secret_ns, "its credentials Secret"))
        return;
    secret_param(c, lp, "aws_access_key_id", "AWS_ACCESS_KEY_ID", p->bedrock_secret_name, "aws-access-key-id");
    secret_param(c, lp, "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", p->bedrock_secret_name,
                 "aws-secret-access-key");
}

/* One guardrails item, or NULL when no mode is left that LiteLLM can run
 * (left out, as reported). */
static json_object *guard_item(struct guard_ctx *c, bool tool_gateway)
{
    struct jobj_builder *b = c->b;
    const struct gw_object *po = c->rg->provider;
    gw_guard_provider_check(c->rg->guard, po, c->field, c->errors);
    unsigned modes = effective_modes(c, tool_gateway);
    if (!modes && tool_gateway)
        return NULL;
    char name[600];
    json_object *item = jobj_new_obj(b), *lp = jobj_new_obj(b);
    jobj_set(b, item, "guardrail_name", jobj_new_str(b, guard_name_for(c->gw, c->rg->guard, name, sizeof(name))));
    jobj_set(b, lp, "mode", mode_value(b, modes, tool_gateway));
    jobj_set(b, lp, "default_on", jobj_new_bool(b, true));
    char *prefix = provider_env_prefix(po);
    c->env_prefix = prefix;
    switch (po->u.provider.type) {
    case GW_GUARD_PRESIDIO: presidio_params(c, lp); break;
    case GW_GUARD_OPENAI_MODERATION: openai_params(c, lp); break;
    case GW_GUARD_BEDROCK: bedrock_params(c, lp); break;
    case GW_GUARD_NONE:
        err_invalid_str(c->errors, c->field, po->meta.name ? po->meta.name : "",
                        "the GuardrailProvider has no valid type");
        break;
    }
    c->env_prefix = NULL;
    free(prefix);
    jobj_set(b, item, "litellm_params", lp);
    return item;
}

/* Reports a Guard or provider that did not resolve; false then. */
static bool guard_resolved(const struct gw_resolved_guard *rg, const char *field, struct gw_errlist *errors)
{
    if (!rg->guard) {
        err_invalid_str(errors, field, "", "the Guard was not found");
        return false;
    }
    if (rg->provider)
        return true;
    const struct gw_ref *pr = &rg->guard->u.guard.provider;
    char d[600];
    snprintf(d, sizeof(d), "GuardrailProvider %s/%s of Guard %s/%s was not found",
             gw_ref_ns(pr, rg->guard->meta.ns), pr->set && pr->name ? pr->name : "(none)",
             rg->guard->meta.ns, rg->guard->meta.name);
    err_invalid_str(errors, field, rg->guard->meta.name, d);
    return false;
}

json_object *render_guardrails(struct jobj_builder *b, const struct gw_object *gw,
                               const struct gw_resolved_guard *guards, size_t n, bool tool_gateway,
                               json_object *env, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    json_object *list = jobj_new_arr(b);
    char field[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(field, sizeof(field), "spec.guardrails[%zu]", i);
        if (!guard_resolved(&guards[i], field, errors))
            continue;
        struct guard_ctx c = { .b = b, .gw = gw, .rg = &guards[i], .env = env, .field = field,
                               .errors = errors, .warnings = warnings };
        json_object *item = guard_item(&c, tool_gateway);
        if (item)
            jobj_push(b, list, item);
    }
    return list;
}
