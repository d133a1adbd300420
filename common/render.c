#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patch.h"
#include "strbuf.h"
#include "textutil.h"
#include "validate.h"
#include "yamlout.h"

/* --- json building with one out-of-memory flag ------------------------- */

struct jb {
    bool oom;
};

static json_object *jb_check(struct jb *b, json_object *o)
{
    if (!o)
        b->oom = true;
    return o;
}

static json_object *jobj(struct jb *b) { return jb_check(b, json_object_new_object()); }
static json_object *jarr(struct jb *b) { return jb_check(b, json_object_new_array()); }
static json_object *jstr(struct jb *b, const char *s) { return jb_check(b, json_object_new_string(s)); }
static json_object *jint(struct jb *b, int64_t v) { return jb_check(b, json_object_new_int64(v)); }
static json_object *jbool(struct jb *b, bool v) { return jb_check(b, json_object_new_boolean(v)); }

/* Adds v under k; takes v either way. NULL v (already out of memory) is
 * dropped without storing a JSON null. */
static void jset(struct jb *b, json_object *o, const char *k, json_object *v)
{
    if (!o || !v) {
        json_object_put(v);
        b->oom = true;
        return;
    }
    if (json_object_object_add(o, k, v) < 0) {
        json_object_put(v);
        b->oom = true;
    }
}

static void jpush(struct jb *b, json_object *a, json_object *v)
{
    if (!a || !v || json_object_array_add(a, v) < 0) {
        json_object_put(v);
        b->oom = true;
    }
}

static json_object *jcopy(struct jb *b, json_object *o)
{
    json_object *c = NULL;
    if (!o)
        return NULL;
    if (json_object_deep_copy(o, &c, NULL) < 0)
        b->oom = true;
    return c;
}

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sb_vdupf(1 << 20, fmt, ap);
    va_end(ap);
    return s;
}

const char *gw_default_image(void)
{
    return GW_DEFAULT_IMAGE_REPO ":v" GW_LITELLM_VERSION "-stable";
}

/* --- names --------------------------------------------------------------- */

int gw_provider_env_name(const char *provider, char *out, size_t cap)
{
    size_t n = strlen(provider);
    if (n + sizeof("_API_KEY") > cap)
        return -E2BIG;
    for (size_t i = 0; i < n; i++) {
        char c = provider[i];
        out[i] = c == '-' || c == '.' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    memcpy(out + n, "_API_KEY", sizeof("_API_KEY"));
    return 0;
}

/* Env var prefix for a provider's secrets: GRP_<NS>_<NAME>, upper-cased,
 * other characters as '_', plus a short hash so different providers never
 * share a variable. */
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

/* --- guardrails ---------------------------------------------------------- */

struct env_acc {
    json_object *env;           /* array of EnvVar for the container */
};

static void env_from_secret(struct jb *b, struct env_acc *acc, const char *name, const char *secret,
                            const char *key, bool optional)
{
    json_object *e = jobj(b), *vf = jobj(b), *ref = jobj(b);
    jset(b, e, "name", jstr(b, name));
    jset(b, ref, "name", jstr(b, secret));
    jset(b, ref, "key", jstr(b, key));
    if (optional)
        jset(b, ref, "optional", jbool(b, true));
    jset(b, vf, "secretKeyRef", ref);
    jset(b, e, "valueFrom", vf);
    jpush(b, acc->env, e);
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

static json_object *mode_value(struct jb *b, unsigned modes, bool tool_gateway)
{
    static const char *const ai[] = { "pre_call", "during_call", "post_call" };
    static const char *const mcp[] = { "pre_mcp_call", "during_mcp_call", "post_mcp_call" };
    const char *const *names = tool_gateway ? mcp : ai;
    json_object *list = jarr(b);
    for (int i = 0; i < 3; i++)
        if (modes & (1u << i))
            jpush(b, list, jstr(b, names[i]));
    if (list && json_object_array_length(list) == 1) {
        json_object *one = jcopy(b, json_object_array_get_idx(list, 0));
        json_object_put(list);
        return one;
    }
    return list;
}

/* Secrets must live in the pod's namespace: a provider elsewhere can point
 * the gateway at a Secret the pod could never read. */
static bool secret_reachable(const struct gw_object *gw, const struct gw_object *provider, const char *secret_ns,
                             const char *field, const char *what, struct gw_errlist *errors)
{
    const char *ns = secret_ns && *secret_ns ? secret_ns : provider->meta.ns;
    if (!ns || !gw->meta.ns || strcmp(ns, gw->meta.ns) == 0)
        return true;
    char d[512];
    snprintf(d, sizeof(d),
             "GuardrailProvider %s/%s references %s in namespace %s, but the gateway's pods run in %s and "
             "can only read Secrets there",
             provider->meta.ns, provider->meta.name, what, ns, gw->meta.ns);
    err_invalid_str(errors, field, provider->meta.name, d);
    return false;
}

static json_object *guard_item(struct jb *b, const struct gw_object *gw, const struct gw_resolved_guard *rg,
                               size_t idx, bool tool_gateway, struct env_acc *acc, struct gw_errlist *errors,
                               struct gw_errlist *warnings)
{
    const struct gw_guard *g = &rg->guard->u.guard;
    const struct gw_object *po = rg->provider;
    const struct gw_guardrail_provider *p = &po->u.provider;
    char field[64], name[600];
    snprintf(field, sizeof(field), "spec.guardrails[%zu]", idx);
    gw_validate_guard_provider(rg->guard, po, field, errors);
    unsigned modes = g->modes;
    if (tool_gateway) {
        static const char *const mode_names[] = { "pre_call", "during_call", "post_call" };
        unsigned supported = mcp_modes_supported(p->type);
        for (int i = 0; i < 3; i++)
            if ((modes & (1u << i)) && !(supported & (1u << i)) && warnings)
                errlist_addf(warnings, GW_E_NOTE, field, NULL,
                             "Guard %s/%s: mode %s is not applied: LiteLLM " GW_LITELLM_VERSION
                             " has no MCP hook for it with this guardrail type",
                             rg->guard->meta.ns, rg->guard->meta.name, mode_names[i]);
        modes &= supported;
        if (!modes)
            return NULL; /* nothing LiteLLM could run: left out, as reported */
    }
    json_object *item = jobj(b), *lp = jobj(b);
    jset(b, item, "guardrail_name", jstr(b, guard_name_for(gw, rg->guard, name, sizeof(name))));
    jset(b, lp, "mode", mode_value(b, modes, tool_gateway));
    jset(b, lp, "default_on", jbool(b, true));
    char *prefix = provider_env_prefix(po);
    char env[128];
    switch (p->type) {
    case GW_GUARD_PRESIDIO: {
        jset(b, lp, "guardrail", jstr(b, "presidio"));
        const char *base = p->presidio_base_url ? p->presidio_base_url : "";
        jset(b, lp, "presidio_analyzer_api_base", jstr(b, base));
        jset(b, lp, "presidio_anonymizer_api_base", jstr(b, base));
        jset(b, lp, "presidio_language", jstr(b, g->presidio_language ? g->presidio_language : "en"));
        if (g->presidio_actions && json_object_object_length(g->presidio_actions) > 0)
            jset(b, lp, "pii_entities_config", jcopy(b, g->presidio_actions));
        if (g->presidio_thresholds && json_object_object_length(g->presidio_thresholds) > 0) {
            json_object *th = jobj(b);
            json_object_object_foreach(g->presidio_thresholds, k, v) {
                double d = strtod(json_object_get_string(v), NULL);
                jset(b, th, k, jb_check(b, json_object_new_double(d)));
            }
            jset(b, lp, "presidio_score_thresholds", th);
        }
        /* LiteLLM sends Presidio no credentials: mounting the key would
         * only spread the Secret. */
        if (p->presidio_key.set && warnings)
            errlist_addf(warnings, GW_E_NOTE, field, NULL,
                         "GuardrailProvider %s/%s: spec.presidio.apiKeySecretRef has no effect: LiteLLM "
                         GW_LITELLM_VERSION " sends no credentials to Presidio",
                         po->meta.ns, po->meta.name);
        break;
    }
    case GW_GUARD_OPENAI_MODERATION:
        jset(b, lp, "guardrail", jstr(b, "openai_moderation"));
        if (g->openai_model && *g->openai_model)
            jset(b, lp, "model", jstr(b, g->openai_model));
        if (p->openai_base_url && *p->openai_base_url)
            jset(b, lp, "api_base", jstr(b, p->openai_base_url));
        if (p->openai_key.set && secret_reachable(gw, po, NULL, field, "its API key Secret", errors)) {
            snprintf(env, sizeof(env), "%s_API_KEY", prefix ? prefix : "GUARDRAIL");
            /* Not optional even when the reference says so: without it
             * LiteLLM falls back to OPENAI_API_KEY, the provider's key. */
            env_from_secret(b, acc, env, p->openai_key.name, p->openai_key.key, false);
            char ref[160];
            snprintf(ref, sizeof(ref), "os.environ/%s", env);
            jset(b, lp, "api_key", jstr(b, ref));
        }
        break;
    case GW_GUARD_BEDROCK:
        jset(b, lp, "guardrail", jstr(b, "bedrock"));
        if (g->bedrock_id)
            jset(b, lp, "guardrailIdentifier", jstr(b, g->bedrock_id));
        jset(b, lp, "guardrailVersion", jstr(b, g->bedrock_version && *g->bedrock_version ? g->bedrock_version : "DRAFT"));
        if (p->bedrock_region)
            jset(b, lp, "aws_region_name", jstr(b, p->bedrock_region));
        if (!g->bedrock_id)
            err_required(errors, field, "the Guard of a bedrock-api provider needs spec.bedrock.guardrailId");
        if (p->bedrock_secret_name &&
            secret_reachable(gw, po, p->bedrock_secret_ns, field, "its credentials Secret", errors)) {
            static const struct { const char *suffix, *key, *param; } creds[] = {
                { "AWS_ACCESS_KEY_ID", "aws-access-key-id", "aws_access_key_id" },
                { "AWS_SECRET_ACCESS_KEY", "aws-secret-access-key", "aws_secret_access_key" },
            };
            for (int i = 0; i < 2; i++) {
                snprintf(env, sizeof(env), "%s_%s", prefix ? prefix : "GUARDRAIL", creds[i].suffix);
                env_from_secret(b, acc, env, p->bedrock_secret_name, creds[i].key, false);
                char ref[160];
                snprintf(ref, sizeof(ref), "os.environ/%s", env);
                jset(b, lp, creds[i].param, jstr(b, ref));
            }
        }
        break;
    case GW_GUARD_NONE:
        err_invalid_str(errors, field, po->meta.name ? po->meta.name : "", "the GuardrailProvider has no valid type");
        break;
    }
    free(prefix);
    jset(b, item, "litellm_params", lp);
    return item;
}

static json_object *render_guardrails(struct jb *b, const struct gw_object *gw, const struct gw_resolved_guard *guards,
                                      size_t n, bool tool_gateway, struct env_acc *acc, struct gw_errlist *errors,
                                      struct gw_errlist *warnings)
{
    json_object *list = jarr(b);
    char field[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(field, sizeof(field), "spec.guardrails[%zu]", i);
        if (!guards[i].guard) {
            err_invalid_str(errors, field, "", "the Guard was not found");
            continue;
        }
        if (!guards[i].provider) {
            const struct gw_ref *pr = &guards[i].guard->u.guard.provider;
            char d[600];
            snprintf(d, sizeof(d), "GuardrailProvider %s/%s of Guard %s/%s was not found",
                     gw_ref_ns(pr, guards[i].guard->meta.ns), pr->set && pr->name ? pr->name : "(none)",
                     guards[i].guard->meta.ns, guards[i].guard->meta.name);
            err_invalid_str(errors, field, guards[i].guard->meta.name, d);
            continue;
        }
        json_object *item = guard_item(b, gw, &guards[i], i, tool_gateway, acc, errors, warnings);
        if (item)
            jpush(b, list, item);
    }
    return list;
}

/* --- LiteLLM config ------------------------------------------------------ */

static json_object *litellm_settings(struct jb *b)
{
    json_object *s = jobj(b), *cb = jarr(b);
    jset(b, s, "request_timeout", jint(b, 600));
    jpush(b, cb, jstr(b, "prometheus"));
    jset(b, s, "callbacks", cb);
    return s;
}

static json_object *ai_config(struct jb *b, const struct gw_object *gw, const struct gw_resolved_guard *guards,
                              size_t n_guards, struct env_acc *acc, struct gw_errlist *errors,
                              struct gw_errlist *warnings)
{
    const struct gw_aigateway *ai = &gw->u.ai;
    json_object *cfg = jobj(b), *models = jarr(b);
    for (size_t i = 0; i < ai->n_models; i++) {
        const struct gw_ai_model *m = &ai->models[i];
        if (!m->name || !m->provider)
            continue;
        json_object *item = jobj(b), *lp = jobj(b);
        char model[1024], env[128], key[160];
        snprintf(model, sizeof(model), "%s/%s", m->provider, m->name);
        jset(b, item, "model_name", jstr(b, m->name));
        jset(b, lp, "model", jstr(b, model));
        if (gw_provider_env_name(m->provider, env, sizeof(env)) == 0) {
            snprintf(key, sizeof(key), "os.environ/%s", env);
            jset(b, lp, "api_key", jstr(b, key));
        }
        jset(b, item, "litellm_params", lp);
        jpush(b, models, item);
    }
    jset(b, cfg, "model_list", models);
    jset(b, cfg, "litellm_settings", litellm_settings(b));
    if (n_guards > 0 && acc)
        jset(b, cfg, "guardrails", render_guardrails(b, gw, guards, n_guards, false, acc, errors, warnings));
    return cfg;
}

int gw_render_ai_base_config(const struct gw_object *gw, const struct gw_resolved_guard *guards, size_t n_guards,
                             json_object **ret, struct gw_errlist *errors)
{
    struct jb b = { 0 };
    struct gw_errlist scratch;
    errlist_init(&scratch);
    struct env_acc acc = { .env = jarr(&b) };
    json_object *cfg = ai_config(&b, gw, guards, n_guards, &acc, errors ? errors : &scratch, NULL);
    json_object_put(acc.env);
    errlist_free(&scratch);
    if (b.oom) {
        json_object_put(cfg);
        return -ENOMEM;
    }
    *ret = cfg;
    return 0;
}

/* --- MCP server keys ----------------------------------------------------- */

static char *key_plain(const struct gw_object *r, bool force_hash)
{
    char id[600], h[65];
    snprintf(id, sizeof(id), "%s/%s", r->meta.ns ? r->meta.ns : "", r->meta.name ? r->meta.name : "");
    struct strbuf sb;
    sb_init(&sb, 1024);
    for (const char *s = id; *s; s++)
        sb_addc(&sb, isalnum_ascii(*s) ? *s : '_');
    if (sb_failed(&sb))
        return sb_detach(&sb, NULL);
    if (!force_hash && sb.len <= GW_MCP_KEY_MAX)
        return sb_detach(&sb, NULL);
    gw_sha256_hex(id, strlen(id), h);
    size_t keep = GW_MCP_KEY_MAX - 9;
    if (sb.len > keep) {
        sb.len = keep;
        sb.buf[keep] = '\0';
    }
    sb_addf(&sb, "_%.8s", h);
    return sb_detach(&sb, NULL);
}

static int route_age_cmp(const struct gw_object *a, const struct gw_object *b)
{
    const char *ta = a->meta.creation_timestamp ? a->meta.creation_timestamp : "~";
    const char *tb = b->meta.creation_timestamp ? b->meta.creation_timestamp : "~";
    int c = strcmp(ta, tb);
    if (c)
        return c;
    c = strcmp(a->meta.ns ? a->meta.ns : "", b->meta.ns ? b->meta.ns : "");
    return c ? c : strcmp(a->meta.name ? a->meta.name : "", b->meta.name ? b->meta.name : "");
}

int gw_route_keys(const struct gw_object *const *routes, size_t n, char ***ret_keys)
{
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t *order = calloc(n ? n : 1, sizeof(*order));
    if (!keys || !order) {
        free(keys);
        free(order);
        return -ENOMEM;
    }
    /* Oldest first, so the first to claim a key keeps it. */
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && route_age_cmp(routes[order[j]], routes[order[j - 1]]) < 0; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int rc = 0;
    for (size_t oi = 0; oi < n && rc == 0; oi++) {
        size_t i = order[oi];
        char *k = key_plain(routes[i], false);
        for (int attempt = 0; k && attempt < 2; attempt++) {
            bool taken = false;
            for (size_t oj = 0; oj < oi && !taken; oj++)
                taken = keys[order[oj]] && strcmp(keys[order[oj]], k) == 0;
            if (!taken)
                break;
            free(k);
            k = attempt == 0 ? key_plain(routes[i], true) : NULL;
            if (attempt == 0 && !k)
                rc = -ENOMEM;
        }
        keys[i] = k;
    }
    free(order);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            free(keys[i]);
        free(keys);
        return rc;
    }
    *ret_keys = keys;
    return 0;
}

/* --- tool filters -------------------------------------------------------- */

static bool matches_any(const char *const *pats, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (gw_glob_match(pats[i], name))
            return true;
    return false;
}

static bool all_literal(const char *const *pats, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!gw_glob_is_literal(pats[i]))
            return false;
    return true;
}

bool gw_route_filter_needs_tools(const struct gw_object *route)
{
    const struct gw_toolroute *r = &route->u.route;
    return !all_literal(r->allow, r->n_allow) || !all_literal(r->deny, r->n_deny);
}

static void join_patterns(struct strbuf *sb, const char *const *pats, size_t n, bool globs_only)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (globs_only && gw_glob_is_literal(pats[i]))
            continue;
        sb_adds(sb, first ? "" : ", ");
        sb_add_quoted(sb, pats[i]);
        first = false;
    }
}

/* Maps allow/deny onto LiteLLM's exact-name allowed_tools and
 * disallowed_tools so that what LiteLLM exposes equals what the filter
 * means. Globs are expanded when the upstream's tool names are known;
 * otherwise a glob cannot be enforced and the route is left out (failing
 * closed), with a message that says so. Returns false in that case. */
static bool tool_filter(struct jb *b, const struct gw_route_input *ri, json_object *server, struct strbuf *msg)
{
    const struct gw_toolroute *r = &ri->route->u.route;
    const char *const *allow = (const char *const *)r->allow, *const *deny = (const char *const *)r->deny;
    if (r->n_allow == 0 && r->n_deny == 0) {
        sb_adds(msg, "all upstream tools are exposed");
        return true;
    }
    bool literal = all_literal(allow, r->n_allow) && all_literal(deny, r->n_deny);
    if (!literal && ri->known_tools) {
        json_object *allowed = jarr(b);
        size_t kept = 0;
        for (size_t i = 0; i < ri->n_known_tools; i++) {
            const char *t = ri->known_tools[i];
            if ((r->n_allow == 0 || matches_any(allow, r->n_allow, t)) && !matches_any(deny, r->n_deny, t)) {
                jpush(b, allowed, jstr(b, t));
                kept++;
            }
        }
        if (kept == 0) {
            json_object_put(allowed);
            sb_addf(msg, "the filter leaves none of the upstream's %zu tools", ri->n_known_tools);
            return false;
        }
        jset(b, server, "allowed_tools", allowed);
        sb_addf(msg, "filter expanded against the upstream's tools: %zu of %zu exposed", kept, ri->n_known_tools);
        return true;
    }
    if (!literal) {
        sb_adds(msg, "LiteLLM " GW_LITELLM_VERSION " matches exact tool names only, so the patterns ");
        join_patterns(msg, allow, r->n_allow, true);
        if (!all_literal(allow, r->n_allow) && !all_literal(deny, r->n_deny))
            sb_adds(msg, ", ");
        join_patterns(msg, deny, r->n_deny, true);
        sb_adds(msg, " cannot be enforced until the upstream's tools are listed; the route is not exposed");
        return false;
    }
    if (r->n_allow > 0) {
        json_object *allowed = jarr(b);
        size_t kept = 0;
        for (size_t i = 0; i < r->n_allow; i++) {
            bool dup = false;
            for (size_t j = 0; j < i && !dup; j++)
                dup = strcmp(allow[i], allow[j]) == 0;
            if (dup || matches_any(deny, r->n_deny, allow[i]))
                continue;
            jpush(b, allowed, jstr(b, allow[i]));
            kept++;
        }
        if (kept == 0) {
            json_object_put(allowed);
            sb_adds(msg, "deny removes every allowed tool; the route is not exposed");
            return false;
        }
        jset(b, server, "allowed_tools", allowed);
        sb_addf(msg, "exactly %zu allowed tool%s exposed", kept, kept == 1 ? "" : "s");
        return true;
    }
    json_object *denied = jarr(b);
    for (size_t i = 0; i < r->n_deny; i++)
        jpush(b, denied, jstr(b, deny[i]));
    jset(b, server, "disallowed_tools", denied);
    sb_addf(msg, "all upstream tools except %zu denied", r->n_deny);
    return true;
}

char *gw_route_upstream_url(const struct gw_route_input *ri, const char **ret_transport)
{
    const struct gw_toolroute *r = &ri->route->u.route;
    if (r->external_url) {
        *ret_transport = "http";
        size_t n = strlen(r->external_url);
        if (n >= 4 && strcmp(r->external_url + n - 4, "/sse") == 0)
            *ret_transport = "sse";
        return strdup(r->external_url);
    }
    const struct gw_object *s = ri->server;
    const struct gw_toolserver *ts = &s->u.server;
    bool sse = ts->transport && strcmp(ts->transport, "sse") == 0;
    *ret_transport = sse ? "sse" : "http";
    const char *path = ts->path && *ts->path ? ts->path : sse ? "/sse" : "/mcp";
    return dupf("http://%s.%s.svc.cluster.local:%lld%s", s->meta.name, s->meta.ns, (long long)ts->port, path);
}

static void route_result_set(struct gw_route_result *res, enum gw_route_state st, const char *reason,
                             const char *msg)
{
    res->state = st;
    free(res->reason);
    free(res->message);
    res->reason = strdup(reason);
    res->message = strdup(msg);
}

static json_object *tool_config(struct jb *b, const struct gw_render_input *in, struct gw_render_output *out,
                                struct env_acc *acc)
{
    const struct gw_object *gw = in->gateway;
    json_object *cfg = jobj(b), *servers = jobj(b);
    const struct gw_object **routes = calloc(in->n_routes ? in->n_routes : 1, sizeof(*routes));
    char **keys = NULL;
    if (!routes) {
        b->oom = true;
        return cfg;
    }
    for (size_t i = 0; i < in->n_routes; i++)
        routes[i] = in->routes[i].route;
    if (gw_route_keys(routes, in->n_routes, &keys) < 0) {
        free(routes);
        b->oom = true;
        return cfg;
    }
    free(routes);
    for (size_t i = 0; i < in->n_routes; i++) {
        const struct gw_route_input *ri = &in->routes[i];
        struct gw_route_result *res = &out->routes[i];
        res->key = keys[i];
        keys[i] = NULL;
        if (!res->key) {
            route_result_set(res, GW_ROUTE_DUPLICATE, "DuplicateServerName",
                             "its MCP server key collides with another route's even after hashing");
            continue;
        }
        if (!ri->route->u.route.external_url && !ri->server) {
            const struct gw_ref *sr = &ri->route->u.route.server;
            char m[600];
            snprintf(m, sizeof(m), "ToolServer %s/%s not found", gw_ref_ns(sr, ri->route->meta.ns),
                     sr->name ? sr->name : "");
            route_result_set(res, GW_ROUTE_UNRESOLVED, "UpstreamUnresolved", m);
            continue;
        }
        json_object *srv = jobj(b);
        const char *transport = "http";
        char *url = gw_route_upstream_url(ri, &transport);
        jset(b, srv, "url", jstr(b, url ? url : ""));
        jset(b, srv, "transport", jstr(b, transport));
        /* Without it LiteLLM refuses every key, the agents' pseudo keys
         * included, access to the server. */
        jset(b, srv, "allow_all_keys", jbool(b, true));
        free(url);
        char d[600];
        snprintf(d, sizeof(d), "ToolRoute %s/%s", ri->route->meta.ns, ri->route->meta.name);
        jset(b, srv, "description", jstr(b, d));
        struct strbuf msg;
        sb_init(&msg, 8192);
        if (!tool_filter(b, ri, srv, &msg)) {
            json_object_put(srv);
            route_result_set(res, GW_ROUTE_FILTER_UNENFORCEABLE, "ToolFilterUnenforceable", sb_str(&msg));
            sb_release(&msg);
            continue;
        }
        jset(b, servers, res->key, srv);
        res->url = dupf("http://%s.%s.svc.cluster.local/mcp/%s", gw->meta.name, gw->meta.ns, res->key);
        route_result_set(res, GW_ROUTE_READY, "Reconciled", sb_str(&msg));
        sb_release(&msg);
    }
    free(keys);
    jset(b, cfg, "mcp_servers", servers);
    jset(b, cfg, "litellm_settings", litellm_settings(b));
    if (in->n_guards > 0)
        jset(b, cfg, "guardrails",
             render_guardrails(b, gw, in->guards, in->n_guards, true, acc, &out->errors, &out->warnings));
    return cfg;
}

/* --- Kubernetes objects -------------------------------------------------- */

static const char *component_of(const struct gw_object *gw)
{
    return gw->kind == GW_KIND_AIGATEWAY ? "ai-gateway" : "tool-gateway";
}

static const struct gw_extra_metadata *common_md(const struct gw_object *gw)
{
    return gw->kind == GW_KIND_AIGATEWAY ? &gw->u.ai.common : &gw->u.tool.common;
}

static const struct gw_extra_metadata *pod_md(const struct gw_object *gw)
{
    return gw->kind == GW_KIND_AIGATEWAY ? &gw->u.ai.pod : &gw->u.tool.pod;
}

static void merge_strings(struct jb *b, json_object *dst, json_object *src)
{
    if (!src)
        return;
    json_object_object_foreach(src, k, v) {
        if (v && json_object_is_type(v, json_type_string))
            jset(b, dst, k, jstr(b, json_object_get_string(v)));
    }
}

static void standard_labels(struct jb *b, json_object *labels, const struct gw_object *gw)
{
    jset(b, labels, "app.kubernetes.io/name", jstr(b, "litellm"));
    jset(b, labels, "app.kubernetes.io/instance", jstr(b, gw->meta.name));
    jset(b, labels, "app.kubernetes.io/component", jstr(b, component_of(gw)));
    jset(b, labels, "app.kubernetes.io/managed-by", jstr(b, GW_FIELD_MANAGER));
}

static json_object *object_meta(struct jb *b, const struct gw_object *gw, const char *name)
{
    json_object *md = jobj(b), *labels = jobj(b);
    jset(b, md, "name", jstr(b, name));
    jset(b, md, "namespace", jstr(b, gw->meta.ns));
    merge_strings(b, labels, common_md(gw)->labels);
    standard_labels(b, labels, gw);
    jset(b, md, "labels", labels);
    if (common_md(gw)->annotations && json_object_object_length(common_md(gw)->annotations) > 0) {
        json_object *ann = jobj(b);
        merge_strings(b, ann, common_md(gw)->annotations);
        jset(b, md, "annotations", ann);
    }
    if (gw->meta.uid && *gw->meta.uid) {
        json_object *owners = jarr(b), *o = jobj(b);
        jset(b, o, "apiVersion", jstr(b, GW_V1ALPHA1));
        jset(b, o, "kind", jstr(b, gw_kind_name(gw->kind)));
        jset(b, o, "name", jstr(b, gw->meta.name));
        jset(b, o, "uid", jstr(b, gw->meta.uid));
        jset(b, o, "controller", jbool(b, true));
        jset(b, o, "blockOwnerDeletion", jbool(b, true));
        jpush(b, owners, o);
        jset(b, md, "ownerReferences", owners);
    }
    return md;
}

static json_object *new_object(struct jb *b, const char *api_version, const char *kind)
{
    json_object *o = jobj(b);
    jset(b, o, "apiVersion", jstr(b, api_version));
    jset(b, o, "kind", jstr(b, kind));
    return o;
}

static void env_literal(struct jb *b, json_object *env, const char *name, const char *value)
{
    json_object *e = jobj(b);
    jset(b, e, "name", jstr(b, name));
    jset(b, e, "value", jstr(b, value));
    jpush(b, env, e);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Container env: provider API keys from the optional api-key-secrets
 * Secret, guardrail secrets, the operator's settings, then the user's
 * spec.env last so that it wins. */
static json_object *container_env(struct jb *b, const struct gw_object *gw, json_object *guard_env,
                                  bool master_key)
{
    json_object *env = jarr(b);
    if (gw->kind == GW_KIND_AIGATEWAY) {
        const struct gw_aigateway *ai = &gw->u.ai;
        const char **names = calloc(ai->n_models ? ai->n_models : 1, sizeof(*names));
        char (*bufs)[128] = calloc(ai->n_models ? ai->n_models : 1, sizeof(*bufs));
        size_t n = 0;
        if (!names || !bufs) {
            b->oom = true;
        } else {
            for (size_t i = 0; i < ai->n_models; i++) {
                if (!ai->models[i].provider || gw_provider_env_name(ai->models[i].provider, bufs[n], 128) < 0)
                    continue;
                bool dup = false;
                for (size_t j = 0; j < n && !dup; j++)
                    dup = strcmp(names[j], bufs[n]) == 0;
                if (!dup) {
                    names[n] = bufs[n];
                    n++;
                }
            }
            qsort(names, n, sizeof(*names), cmp_cstr);
            for (size_t i = 0; i < n; i++) {
                struct env_acc acc = { .env = env };
                env_from_secret(b, &acc, names[i], GW_PROVIDER_KEYS_SECRET, names[i], true);
            }
        }
        free(names);
        free(bufs);
    }
    if (guard_env) {
        size_t n = json_object_array_length(guard_env);
        for (size_t i = 0; i < n; i++)
            jpush(b, env, jcopy(b, json_object_array_get_idx(guard_env, i)));
    }
    env_literal(b, env, "PROMETHEUS_MULTIPROC_DIR", "/prometheus-multiproc");
    env_literal(b, env, "HOME", "/tmp");
    env_literal(b, env, "LITELLM_LOG", "INFO");
    env_literal(b, env, "LITELLM_LOCAL_MODEL_COST_MAP", "true");
    /* Both keep the proxy from fetching data files from the internet (the
     * cost map at start, Anthropic beta headers at the first request). */
    env_literal(b, env, "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "true");
    /* The proxy refuses to start without a master key unless told to; the
     * agents' <namespace>/<name> pseudo keys rely on it running keyless. A
     * master key set through the config patch turns this off. */
    if (!master_key)
        env_literal(b, env, "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY", "true");
    json_object *user = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env : gw->u.tool.env;
    if (user) {
        size_t n = json_object_array_length(user);
        for (size_t i = 0; i < n; i++)
            jpush(b, env, jcopy(b, json_object_array_get_idx(user, i)));
    }
    return env;
}

static json_object *http_probe(struct jb *b, const char *path, int period, int failures)
{
    json_object *p = jobj(b), *get = jobj(b);
    jset(b, get, "path", jstr(b, path));
    jset(b, get, "port", jstr(b, "http"));
    jset(b, p, "httpGet", get);
    jset(b, p, "periodSeconds", jint(b, period));
    jset(b, p, "timeoutSeconds", jint(b, 5));
    jset(b, p, "failureThreshold", jint(b, failures));
    return p;
}

static json_object *volume(struct jb *b, const char *name, json_object *source_key, json_object *source)
{
    json_object *v = jobj(b);
    jset(b, v, "name", jstr(b, name));
    jset(b, v, json_object_get_string(source_key), source);
    json_object_put(source_key);
    return v;
}

static json_object *mount(struct jb *b, const char *name, const char *path, bool ro)
{
    json_object *m = jobj(b);
    jset(b, m, "name", jstr(b, name));
    jset(b, m, "mountPath", jstr(b, path));
    if (ro)
        jset(b, m, "readOnly", jbool(b, true));
    return m;
}

static json_object *container(struct jb *b, const struct gw_object *gw, const char *image, json_object *guard_env,
                              bool master_key)
{
    json_object *c = jobj(b);
    jset(b, c, "name", jstr(b, "litellm"));
    jset(b, c, "image", jstr(b, image));
    jset(b, c, "imagePullPolicy", jstr(b, "IfNotPresent"));
    json_object *cmd = jarr(b);
    static const char *const argv[] = { "litellm", "--config", GW_CONFIG_DIR "/" GW_CONFIG_KEY, "--port", "4000", NULL };
    for (const char *const *a = argv; *a; a++)
        jpush(b, cmd, jstr(b, *a));
    jset(b, c, "command", cmd);
    json_object *ports = jarr(b), *port = jobj(b);
    jset(b, port, "name", jstr(b, "http"));
    jset(b, port, "containerPort", jint(b, GW_LITELLM_PORT));
    jset(b, port, "protocol", jstr(b, "TCP"));
    jpush(b, ports, port);
    jset(b, c, "ports", ports);
    jset(b, c, "env", container_env(b, gw, guard_env, master_key));
    json_object *env_from = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env_from : gw->u.tool.env_from;
    if (env_from && json_object_array_length(env_from) > 0)
        jset(b, c, "envFrom", jcopy(b, env_from));
    jset(b, c, "startupProbe", http_probe(b, "/health/readiness", 2, 60));
    jset(b, c, "livenessProbe", http_probe(b, "/health/liveliness", 15, 3));
    jset(b, c, "readinessProbe", http_probe(b, "/health/readiness", 5, 3));
    json_object *res = jobj(b), *req = jobj(b), *lim = jobj(b);
    jset(b, req, "cpu", jstr(b, "100m"));
    jset(b, req, "memory", jstr(b, "512Mi"));
    jset(b, lim, "memory", jstr(b, "1Gi"));
    jset(b, res, "requests", req);
    jset(b, res, "limits", lim);
    jset(b, c, "resources", res);
    json_object *sc = jobj(b), *caps = jobj(b), *drop = jarr(b);
    jset(b, sc, "allowPrivilegeEscalation", jbool(b, false));
    jset(b, sc, "readOnlyRootFilesystem", jbool(b, true));
    jset(b, sc, "runAsNonRoot", jbool(b, true));
    jpush(b, drop, jstr(b, "ALL"));
    jset(b, caps, "drop", drop);
    jset(b, sc, "capabilities", caps);
    jset(b, c, "securityContext", sc);
    json_object *mounts = jarr(b);
    jpush(b, mounts, mount(b, "config", GW_CONFIG_DIR, true));
    jpush(b, mounts, mount(b, "prometheus-multiproc", "/prometheus-multiproc", false));
    jpush(b, mounts, mount(b, "tmp", "/tmp", false));
    jset(b, c, "volumeMounts", mounts);
    return c;
}

static json_object *deployment(struct jb *b, const struct gw_object *gw, const char *image, json_object *guard_env,
                               const char *config_hash, const char *secret_hash, bool master_key)
{
    json_object *d = new_object(b, "apps/v1", "Deployment");
    jset(b, d, "metadata", object_meta(b, gw, gw->meta.name));
    json_object *spec = jobj(b), *sel = jobj(b), *ml = jobj(b);
    /* No replicas: the API server defaults a new Deployment to 1, and
     * leaving the field out keeps `kubectl scale` and autoscalers in charge. */
    jset(b, spec, "revisionHistoryLimit", jint(b, 5));
    jset(b, ml, "app", jstr(b, gw->meta.name));
    jset(b, sel, "matchLabels", ml);
    jset(b, spec, "selector", sel);
    json_object *strat = jobj(b), *ru = jobj(b);
    jset(b, strat, "type", jstr(b, "RollingUpdate"));
    jset(b, ru, "maxSurge", jint(b, 1));
    jset(b, ru, "maxUnavailable", jint(b, 0));
    jset(b, strat, "rollingUpdate", ru);
    jset(b, spec, "strategy", strat);

    json_object *tmpl = jobj(b), *tmd = jobj(b), *labels = jobj(b), *ann = jobj(b);
    merge_strings(b, labels, common_md(gw)->labels);
    merge_strings(b, labels, pod_md(gw)->labels);
    standard_labels(b, labels, gw);
    jset(b, labels, "app", jstr(b, gw->meta.name));
    merge_strings(b, ann, common_md(gw)->annotations);
    merge_strings(b, ann, pod_md(gw)->annotations);
    jset(b, ann, GW_ANN_CONFIG_HASH, jstr(b, config_hash));
    jset(b, ann, GW_ANN_SECRET_HASH, jstr(b, secret_hash));
    jset(b, tmd, "labels", labels);
    jset(b, tmd, "annotations", ann);
    jset(b, tmpl, "metadata", tmd);

    json_object *ps = jobj(b), *containers = jarr(b);
    jpush(b, containers, container(b, gw, image, guard_env, master_key));
    jset(b, ps, "containers", containers);
    jset(b, ps, "automountServiceAccountToken", jbool(b, false));
    jset(b, ps, "terminationGracePeriodSeconds", jint(b, 30));
    json_object *psc = jobj(b), *seccomp = jobj(b);
    jset(b, psc, "runAsNonRoot", jbool(b, true));
    jset(b, psc, "runAsUser", jint(b, 65532));
    jset(b, psc, "runAsGroup", jint(b, 65532));
    jset(b, psc, "fsGroup", jint(b, 65532));
    jset(b, seccomp, "type", jstr(b, "RuntimeDefault"));
    jset(b, psc, "seccompProfile", seccomp);
    jset(b, ps, "securityContext", psc);
    json_object *vols = jarr(b), *cm = jobj(b);
    char cm_name[300];
    snprintf(cm_name, sizeof(cm_name), "%s-config", gw->meta.name);
    jset(b, cm, "name", jstr(b, cm_name));
    jpush(b, vols, volume(b, "config", jstr(b, "configMap"), cm));
    jpush(b, vols, volume(b, "prometheus-multiproc", jstr(b, "emptyDir"), jobj(b)));
    jpush(b, vols, volume(b, "tmp", jstr(b, "emptyDir"), jobj(b)));
    jset(b, ps, "volumes", vols);
    jset(b, tmpl, "spec", ps);
    jset(b, spec, "template", tmpl);
    jset(b, d, "spec", spec);
    return d;
}

static json_object *service(struct jb *b, const struct gw_object *gw)
{
    json_object *s = new_object(b, "v1", "Service");
    jset(b, s, "metadata", object_meta(b, gw, gw->meta.name));
    json_object *spec = jobj(b), *sel = jobj(b), *ports = jarr(b), *p = jobj(b);
    jset(b, spec, "type", jstr(b, "ClusterIP"));
    jset(b, sel, "app", jstr(b, gw->meta.name));
    jset(b, spec, "selector", sel);
    jset(b, p, "name", jstr(b, "http"));
    jset(b, p, "port", jint(b, gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.port : 80));
    jset(b, p, "targetPort", jint(b, GW_LITELLM_PORT));
    jset(b, p, "protocol", jstr(b, "TCP"));
    jpush(b, ports, p);
    jset(b, spec, "ports", ports);
    jset(b, s, "spec", spec);
    return s;
}

static json_object *configmap(struct jb *b, const struct gw_object *gw, const char *yaml)
{
    json_object *c = new_object(b, "v1", "ConfigMap");
    char name[300];
    snprintf(name, sizeof(name), "%s-config", gw->meta.name);
    jset(b, c, "metadata", object_meta(b, gw, name));
    json_object *data = jobj(b);
    jset(b, data, GW_CONFIG_KEY, jstr(b, yaml));
    jset(b, c, "data", data);
    return c;
}

/* --- secrets ------------------------------------------------------------- */

static int cmp_version(const void *a, const void *b)
{
    const struct gw_secret_version *x = a, *y = b;
    int c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
    return c ? c : strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int secret_hash(const struct gw_secret_version *v, size_t n, char out[65])
{
    struct gw_secret_version *sorted = calloc(n ? n : 1, sizeof(*sorted));
    if (!sorted)
        return -ENOMEM;
    if (n)
        memcpy(sorted, v, n * sizeof(*v));
    qsort(sorted, n, sizeof(*sorted), cmp_version);
    struct strbuf sb;
    sb_init(&sb, 0);
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s/%s %s %s\n", sorted[i].ns ? sorted[i].ns : "", sorted[i].name ? sorted[i].name : "",
                sorted[i].uid ? sorted[i].uid : "", sorted[i].resource_version ? sorted[i].resource_version : "");
    free(sorted);
    if (sb_failed(&sb)) {
        sb_release(&sb);
        return -ENOMEM;
    }
    gw_sha256_hex(sb_str(&sb), sb.len, out);
    sb_release(&sb);
    return 0;
}

static int add_name(char ***names, size_t *n, size_t *alloc, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return 0;
    if (*n == *alloc) {
        size_t na = *alloc ? *alloc * 2 : 8;
        char **p = realloc(*names, na * sizeof(*p));
        if (!p)
            return -ENOMEM;
        *names = p;
        *alloc = na;
    }
    char *d = strdup(name);
    if (!d)
        return -ENOMEM;
    (*names)[(*n)++] = d;
    return 0;
}

static int env_secret_names(json_object *env, json_object *env_from, char ***names, size_t *n, size_t *alloc)
{
    int r = 0;
    size_t len = env ? json_object_array_length(env) : 0;
    for (size_t i = 0; i < len && r == 0; i++) {
        json_object *vf, *ref, *name;
        json_object *e = json_object_array_get_idx(env, i);
        if (json_object_object_get_ex(e, "valueFrom", &vf) && json_object_object_get_ex(vf, "secretKeyRef", &ref) &&
            json_object_object_get_ex(ref, "name", &name) && json_object_is_type(name, json_type_string))
            r = add_name(names, n, alloc, json_object_get_string(name));
    }
    len = env_from ? json_object_array_length(env_from) : 0;
    for (size_t i = 0; i < len && r == 0; i++) {
        json_object *ref, *name;
        json_object *e = json_object_array_get_idx(env_from, i);
        if (json_object_object_get_ex(e, "secretRef", &ref) && json_object_object_get_ex(ref, "name", &name) &&
            json_object_is_type(name, json_type_string))
            r = add_name(names, n, alloc, json_object_get_string(name));
    }
    return r;
}

int gw_referenced_secrets(const struct gw_render_input *in, char ***ret_names, size_t *ret_n)
{
    char **names = NULL;
    size_t n = 0, alloc = 0;
    const struct gw_object *gw = in->gateway;
    int r = 0;
    if (gw->kind == GW_KIND_AIGATEWAY)
        r = add_name(&names, &n, &alloc, GW_PROVIDER_KEYS_SECRET);
    for (size_t i = 0; i < in->n_guards && r == 0; i++) {
        const struct gw_object *p = in->guards[i].provider;
        if (!p)
            continue;
        const struct gw_guardrail_provider *gp = &p->u.provider;
        if (gp->type == GW_GUARD_PRESIDIO && gp->presidio_key.set && gp->presidio_key.name)
            r = add_name(&names, &n, &alloc, gp->presidio_key.name);
        else if (gp->type == GW_GUARD_OPENAI_MODERATION && gp->openai_key.set && gp->openai_key.name)
            r = add_name(&names, &n, &alloc, gp->openai_key.name);
        else if (gp->type == GW_GUARD_BEDROCK && gp->bedrock_secret_name)
            r = add_name(&names, &n, &alloc, gp->bedrock_secret_name);
    }
    if (r == 0)
        r = env_secret_names(gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env : gw->u.tool.env,
                             gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env_from : gw->u.tool.env_from,
                             &names, &n, &alloc);
    if (r) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return r;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_cstr);
    *ret_names = names;
    *ret_n = n;
    return 0;
}

/* --- the whole render ---------------------------------------------------- */

/* Whether the merged config sets general_settings.master_key. */
static bool has_master_key(json_object *cfg)
{
    json_object *gs = NULL, *mk = NULL;
    return json_object_object_get_ex(cfg, "general_settings", &gs) && gs &&
           json_object_object_get_ex(gs, "master_key", &mk) && mk &&
           !(json_object_is_type(mk, json_type_string) && json_object_get_string_len(mk) == 0);
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
    struct jb b = { 0 };
    struct env_acc acc = { .env = jarr(&b) };
    json_object *cfg = NULL;
    int rc = 0;
    if (gw->kind == GW_KIND_TOOLGATEWAY) {
        out->routes = calloc(in->n_routes ? in->n_routes : 1, sizeof(*out->routes));
        if (!out->routes) {
            rc = -ENOMEM;
            goto done;
        }
        out->n_routes = in->n_routes;
        cfg = tool_config(&b, in, out, &acc);
        out->gateway_url = dupf("http://%s.%s.svc.cluster.local", gw->meta.name, gw->meta.ns);
    } else {
        cfg = ai_config(&b, gw, in->guards, in->n_guards, &acc, &out->errors, &out->warnings);
        if (!b.oom)
            rc = apply_patch(gw, cfg, out);
    }
    if (b.oom || rc == -ENOMEM) {
        rc = -ENOMEM;
        goto done;
    }
    if (out->errors.n > 0) {
        rc = -EINVAL;
        goto done;
    }
    rc = gw_yaml_emit(cfg, &out->config_yaml, NULL);
    if (rc)
        goto done;
    gw_sha256_hex(out->config_yaml, strlen(out->config_yaml), out->config_hash);
    rc = secret_hash(in->secrets, in->n_secrets, out->secret_hash);
    if (rc)
        goto done;
    const char *image = in->image && *in->image ? in->image : gw_default_image();
    out->configmap = configmap(&b, gw, out->config_yaml);
    out->deployment = deployment(&b, gw, image, acc.env, out->config_hash, out->secret_hash, has_master_key(cfg));
    out->service = service(&b, gw);
    if (b.oom)
        rc = -ENOMEM;
done:
    json_object_put(cfg);
    json_object_put(acc.env);
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
