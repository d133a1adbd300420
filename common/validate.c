#include "validate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "k8sname.h"
#include "litellm_known.h"
#include "patch.h"
#include "render.h"
#include "strbuf.h"
#include "strset.h"
#include "textutil.h"

#define FIELD_MAX 512

/* Field paths are formatted only for a problem to report: the common case
 * (nothing wrong) formats none. */
static const char *path_of(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *path_of(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, FIELD_MAX, fmt, ap);
    va_end(ap);
    return buf;
}

/* Refuses a list longer than its documented limit; true when within. */
static bool within_limit(size_t n, size_t max, const char *field, struct gw_errlist *errors)
{
    if (n <= max)
        return true;
    char value[32];
    snprintf(value, sizeof(value), "%zu", n);
    errlist_addf(errors, GW_E_TOO_MANY, field, value, "must have at most %zu items", max);
    return false;
}

static int model_rules(const struct gw_aigateway *ai, struct gw_errlist *errors,
                       struct gw_errlist *warnings)
{
    if (!within_limit(ai->n_models, GW_MAX_MODELS, "spec.aiModels", errors))
        return 0;
    char f[FIELD_MAX];
    struct gw_strset seen;
    gw_strset_init(&seen);
    for (size_t i = 0; i < ai->n_models; i++) {
        const struct gw_ai_model *m = &ai->models[i];
        if (m->name && *m->name) {
            int added = gw_strset_add(&seen, m->name, i, NULL);
            if (added < 0) {
                gw_strset_free(&seen);
                return added;
            }
            if (added == 0)
                err_duplicate(errors, path_of(f, "spec.aiModels[%zu].name", i), m->name);
            bool ok = strlen(m->name) <= 200 && (isalnum_ascii(m->name[0]));
            for (const char *p = m->name; ok && *p; p++)
                ok = isalnum_ascii(*p) || strchr("._:/@+-", *p);
            if (!ok)
                err_invalid_str(errors, path_of(f, "spec.aiModels[%zu].name", i), m->name,
                                "must be at most 200 characters of letters, digits, '.', '_', ':', '/', "
                                "'@', '+' or '-', starting with a letter or digit (LiteLLM routes requests "
                                "by this name)");
        }
        if (m->provider && *m->provider) {
            path_of(f, "spec.aiModels[%zu].provider", i);
            bool ok = strlen(m->provider) <= 63;
            for (const char *p = m->provider; ok && *p; p++)
                ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
            if (!ok) {
                err_invalid_str(errors, f, m->provider,
                                "must be at most 63 lower case letters, digits, '_' or '-' (a LiteLLM "
                                "provider prefix; it also names the <PROVIDER>_API_KEY variable)");
            } else if (!litellm_provider_known(m->provider)) {
                const char *near = gw_nearest(m->provider, litellm_providers);
                char d[256];
                if (near)
                    snprintf(d, sizeof(d), "not a provider LiteLLM %s knows; did you mean \"%s\"?",
                             GW_LITELLM_VERSION, near);
                else
                    snprintf(d, sizeof(d), "not a provider LiteLLM %s knows", GW_LITELLM_VERSION);
                err_invalid_str(warnings, f, m->provider, d);
            }
        }
    }
    gw_strset_free(&seen);
    return 0;
}

static int env_rules(json_object *env, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    if (!env || !json_object_is_type(env, json_type_array))
        return 0;
    size_t n = json_object_array_length(env);
    if (!within_limit(n, GW_MAX_ENV, "spec.env", errors))
        return 0;
    char f[FIELD_MAX];
    struct gw_strset seen;
    gw_strset_init(&seen);
    int r = 0;
    for (size_t i = 0; i < n && r >= 0; i++) {
        const char *s = jobj_get_str(json_object_array_get_idx(env, i), "name");
        if (!s)
            continue;
        r = gw_strset_add(&seen, s, i, NULL);
        if (r == 0)
            err_invalid_str(warnings, path_of(f, "spec.env[%zu].name", i), s, "duplicate name: the last definition wins");
        if (*s && !k8s_check_env_name(s) && !k8s_is_c_identifier(s))
            err_invalid_str(warnings, path_of(f, "spec.env[%zu].name", i), s,
                            "not a C identifier: shells and os.environ/ references may not reach it");
    }
    gw_strset_free(&seen);
    return r < 0 ? r : 0;
}

/* The same Guard named twice, counting an omitted namespace as the
 * referrer's own (mutation fills it in: both spellings mean one Guard). */
static void ref_rules(const struct gw_ref *refs, size_t n, const char *own_ns, struct gw_errlist *errors)
{
    /* Quadratic, within a small limit. */
    if (!within_limit(n, GW_MAX_GUARDRAILS, "spec.guardrails", errors))
        return;
    char f[FIELD_MAX];
    const char *own = own_ns ? own_ns : "";
    for (size_t i = 0; i < n; i++) {
        if (!refs[i].name)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (refs[j].name && strcmp(refs[j].name, refs[i].name) == 0 &&
                strcmp(gw_ref_ns(&refs[j], own), gw_ref_ns(&refs[i], own)) == 0) {
                snprintf(f, sizeof(f), "spec.guardrails[%zu]", i);
                struct strbuf v;
                sb_init(&v, 1024);
                if (refs[i].ns)
                    sb_addf(&v, "%s/", refs[i].ns);
                sb_adds(&v, refs[i].name);
                err_duplicate(errors, f, sb_str(&v));
                sb_release(&v);
                break;
            }
        }
    }
}

static const char *const OPERATOR_LABELS[] = {
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by", NULL };

static void map_rules(json_object *map, const char *field, bool labels, bool pod_template,
                      struct gw_errlist *errors, struct gw_errlist *warnings)
{
    if (!map)
        return;
    char f[FIELD_MAX];
    size_t total = 0;
    json_object_object_foreach(map, k, v) {
#define MAP_PATH path_of(f, "%s[%.200s]", field, k)
        const char *why = k8s_check_qualified_name(k);
        if (why)
            err_invalid_str(errors, MAP_PATH, k, why);
        total += strlen(k);
        if (!v || !json_object_is_type(v, json_type_string))
            continue;
        const char *val = json_object_get_string(v);
        total += strlen(val);
        if (labels) {
            why = k8s_check_label_value(val);
            if (why)
                err_invalid_str(errors, MAP_PATH, val, why);
            if (pod_template && strcmp(k, "app") == 0)
                err_forbidden(errors, MAP_PATH,
                              "the label \"app\" is the Deployment's selector, set by the operator");
            for (const char *const *p = OPERATOR_LABELS; *p; p++)
                if (strcmp(k, *p) == 0)
                    err_invalid_str(warnings, MAP_PATH, val, "set by the operator; this value is ignored");
        }
#undef MAP_PATH
    }
    if (!labels && total > 256 * 1024) {
        snprintf(f, sizeof(f), "%s", field);
        errlist_add(errors, GW_E_TOO_LONG, f, NULL, "must have at most 262144 bytes");
    }
}

static void extra_md_rules(const struct gw_extra_metadata *common, const struct gw_extra_metadata *pod,
                           struct gw_errlist *errors, struct gw_errlist *warnings)
{
    map_rules(common->labels, "spec.commonMetadata.labels", true, true, errors, warnings);
    map_rules(common->annotations, "spec.commonMetadata.annotations", false, true, errors, warnings);
    map_rules(pod->labels, "spec.podMetadata.labels", true, true, errors, warnings);
    map_rules(pod->annotations, "spec.podMetadata.annotations", false, true, errors, warnings);
    if (pod->annotations) {
        json_object_object_foreach(pod->annotations, k, v) {
            (void)v;
            if (strncmp(k, "gateway.agentic-layer.ai/", 25) == 0) {
                char f[FIELD_MAX];
                snprintf(f, sizeof(f), "spec.podMetadata.annotations[%.200s]", k);
                err_forbidden(errors, f, "annotations under gateway.agentic-layer.ai/ are set by the operator");
            }
        }
    }
}

/* One toolFilter list: well-formed globs, and each entry once (warned).
 * Entries are added to seen (entry -> index). */
static int filter_list_rules(const char *const *items, size_t n, const char *name, struct gw_strset *seen,
                             struct gw_errlist *errors, struct gw_errlist *warnings)
{
    char f[FIELD_MAX];
    for (size_t i = 0; i < n; i++) {
        const char *why = gw_glob_check(items[i]);
        if (why) {
            err_invalid_str(errors, path_of(f, "spec.toolFilter.%s[%zu]", name, i), items[i], why);
            continue;
        }
        int r = gw_strset_add(seen, items[i], i, NULL);
        if (r < 0)
            return r;
        if (r == 0)
            err_invalid_str(warnings, path_of(f, "spec.toolFilter.%s[%zu]", name, i), items[i], "listed twice");
    }
    return 0;
}

static int route_rules(const struct gw_toolroute *r, struct gw_errlist *errors,
                       struct gw_errlist *warnings)
{
    if (r->external_url && *r->external_url) {
        const char *why = gw_url_check(r->external_url);
        if (why)
            err_invalid_str(errors, "spec.upstream.external.url", r->external_url, why);
    } else if (r->external_url) {
        err_required(errors, "spec.upstream.external.url", NULL);
    }
    bool ok = within_limit(r->n_allow, GW_MAX_FILTER_ENTRIES, "spec.toolFilter.allow", errors);
    ok = within_limit(r->n_deny, GW_MAX_FILTER_ENTRIES, "spec.toolFilter.deny", errors) && ok;
    if (!ok)
        return 0;
    struct gw_strset allow, deny;
    gw_strset_init(&allow);
    gw_strset_init(&deny);
    int rc = filter_list_rules((const char *const *)r->allow, r->n_allow, "allow", &allow, errors, warnings);
    if (rc == 0)
        rc = filter_list_rules((const char *const *)r->deny, r->n_deny, "deny", &deny, errors, warnings);
    char f[FIELD_MAX];
    for (size_t i = 0; i < r->n_deny && rc == 0; i++)
        if (gw_strset_find(&allow, r->deny[i], NULL)) {
            snprintf(f, sizeof(f), "spec.toolFilter.deny[%zu]", i);
            err_invalid_str(warnings, f, r->deny[i], "also listed in allow; deny wins");
        }
    gw_strset_free(&allow);
    gw_strset_free(&deny);
    return rc;
}

static void guard_rules(const struct gw_guard *g, struct gw_errlist *errors)
{
    char f[FIELD_MAX];
    if (g->presidio_thresholds) {
        json_object_object_foreach(g->presidio_thresholds, k, v) {
            if (!v || !json_object_is_type(v, json_type_string))
                continue;
            const char *s = json_object_get_string(v);
            char *end = NULL;
            double d = strtod(s, &end);
            if (!*s || !end || *end || !(d >= 0.0 && d <= 1.0))
                err_invalid_str(errors, path_of(f, "spec.presidio.scoreThresholds[%.200s]", k), s, "must be a number between 0.0 and 1.0");
        }
    }
    if (g->presidio_actions) {
        json_object_object_foreach(g->presidio_actions, k, v) {
            if (!v || !json_object_is_type(v, json_type_string))
                continue;
            static const char *const actions[] = { "MASK", "BLOCK", NULL };
            const char *s = json_object_get_string(v);
            if (strcmp(s, "MASK") != 0 && strcmp(s, "BLOCK") != 0)
                err_not_supported(errors, path_of(f, "spec.presidio.entityActions[%.200s]", k), s, actions);
        }
    }
    if (g->presidio_language && !*g->presidio_language)
        err_invalid_str(errors, "spec.presidio.language", "", "should be at least 1 chars long");
}

static void provider_rules(const struct gw_object *o, struct gw_errlist *errors)
{
    const struct gw_guardrail_provider *p = &o->u.provider;
    if (p->type == GW_GUARD_NONE)
        return;
    json_object *spec = json_object_object_get(o->root, "spec");
    char f[FIELD_MAX], d[160];
    for (int t = GW_GUARD_OPENAI_MODERATION; t <= GW_GUARD_PRESIDIO; t++) {
        bool present = json_object_object_get_ex(spec, gw_guard_block_name((enum gw_guard_type)t), NULL);
        snprintf(f, sizeof(f), "spec.%s", gw_guard_block_name((enum gw_guard_type)t));
        if (t == (int)p->type && !present && t != GW_GUARD_OPENAI_MODERATION) {
            snprintf(d, sizeof(d), "required when type is %s", gw_guard_type_name((enum gw_guard_type)t));
            err_required(errors, f, d);
        } else if (t != (int)p->type && present) {
            snprintf(d, sizeof(d), "must not be set when type is %s", gw_guard_type_name(p->type));
            err_forbidden(errors, f, d);
        }
    }
    const char *urls[2] = { p->openai_base_url, p->presidio_base_url };
    const char *fields[2] = { "spec.openaiModeration.baseUrl", "spec.presidio.baseUrl" };
    for (int i = 0; i < 2; i++) {
        if (!urls[i] || !*urls[i])
            continue;
        const char *why = gw_url_check(urls[i]);
        if (why)
            err_invalid_str(errors, fields[i], urls[i], why);
    }
}

int gw_validate_object(const struct gw_object *o, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    int r = 0;
    switch (o->kind) {
    case GW_KIND_AIGATEWAY:
        r = model_rules(&o->u.ai, errors, warnings);
        if (r == 0)
            r = env_rules(o->u.ai.env, errors, warnings);
        ref_rules(o->u.ai.guardrails, o->u.ai.n_guardrails, o->meta.ns, errors);
        extra_md_rules(&o->u.ai.common, &o->u.ai.pod, errors, warnings);
        break;
    case GW_KIND_TOOLGATEWAY:
        r = env_rules(o->u.tool.env, errors, warnings);
        ref_rules(o->u.tool.guardrails, o->u.tool.n_guardrails, o->meta.ns, errors);
        extra_md_rules(&o->u.tool.common, &o->u.tool.pod, errors, warnings);
        break;
    case GW_KIND_TOOLROUTE:
        r = route_rules(&o->u.route, errors, warnings);
        break;
    case GW_KIND_GUARD:
        guard_rules(&o->u.guard, errors);
        break;
    case GW_KIND_GUARDRAILPROVIDER:
        provider_rules(o, errors);
        break;
    default:
        break;
    }
    return r;
}

static void key_add(struct strbuf *sb, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 0;
    sb_add(sb, &n, sizeof(n));
    if (s)
        sb_add(sb, s, n);
}

/* Everything the patch review reads: the patch text and what the base
 * config is rendered from (the models, with their v1beta1 fields). */
static int patch_review_key(const struct gw_object *gw, struct strbuf *sb)
{
    const struct gw_aigateway *ai = &gw->u.ai;
    key_add(sb, ai->config_patch);
    for (size_t i = 0; i < ai->n_models; i++) {
        key_add(sb, ai->models[i].name);
        key_add(sb, ai->models[i].provider);
    }
    for (size_t i = 0; gw->beta && i < gw->beta->n_models; i++) {
        const struct gw_beta_model *m = &gw->beta->models[i];
        key_add(sb, m->name);
        key_add(sb, m->model);
        key_add(sb, m->api_base);
        key_add(sb, m->key_secret);
        key_add(sb, m->key_key);
        key_add(sb, m->key_optional ? "optional" : "required");
    }
    return sb_failed(sb) ? -ENOMEM : 0;
}

static int patch_review(const struct gw_object *gw, struct gw_errlist *errors, struct gw_errlist *warnings);

/* patch_review through the cache: a hit appends what the review gave. */
static int patch_review_cached(const struct gw_object *gw, const struct gw_patch_review_cache *cache,
                               struct gw_errlist *errors, struct gw_errlist *warnings)
{
    if (!cache)
        return patch_review(gw, errors, warnings);
    struct strbuf key;
    sb_init(&key, (size_t)1 << 20);
    if (patch_review_key(gw, &key) < 0) {
        /* Too long to remember (or no memory for the key): review. */
        sb_release(&key);
        return patch_review(gw, errors, warnings);
    }
    int r = cache->lookup(cache->ctx, key.buf, key.len, errors, warnings);
    if (r == 0) {
        size_t e0 = errors->n, w0 = warnings->n, ed = errors->dropped, wd = warnings->dropped;
        r = patch_review(gw, errors, warnings);
        /* A review cut short by a full list is not the whole answer. */
        if (r == 0 && errors->dropped == ed && warnings->dropped == wd)
            cache->store(cache->ctx, key.buf, key.len, errors, e0, warnings, w0);
    }
    sb_release(&key);
    return r < 0 ? r : 0;
}

/* The admission review of an AiGateway's patch: parse, describe against the
 * config the gateway alone renders, merge, check. Returns 0 or -ENOMEM. */
static int patch_review(const struct gw_object *gw, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    json_object *patch = NULL, *base = NULL;
    char *why = NULL;
    int r = gw_patch_parse(gw->u.ai.config_patch, &patch, &why);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        errlist_add(errors, GW_E_INVALID, GW_PATCH_FIELD, NULL, why ? why : "not a valid YAML mapping");
        free(why);
        return 0;
    }
    r = gw_render_ai_base_config(gw, NULL, 0, &base, NULL);
    if (r == 0) {
        gw_patch_describe(base, patch, warnings);
        r = gw_config_merge(base, patch);
    }
    if (r == 0)
        gw_config_check(base, errors);
    json_object_put(base);
    json_object_put(patch);
    return r == -ENOMEM ? r : 0;
}

int gw_validate(json_object *root, const char *ns, struct gw_errlist *errors, struct gw_errlist *warnings)
{
    return gw_validate_cached(root, ns, NULL, errors, warnings);
}

int gw_validate_cached(json_object *root, const char *ns, const struct gw_patch_review_cache *cache,
                       struct gw_errlist *errors, struct gw_errlist *warnings)
{
    struct gw_object *o = NULL;
    int r = gw_object_parse(root, &o, errors);
    if (r < 0)
        return r;
    if (!o->meta.ns && ns)
        o->meta.ns = ns;
    r = gw_validate_object(o, errors, warnings);
    if (r == 0 && o->kind == GW_KIND_AIGATEWAY && o->u.ai.config_patch)
        r = patch_review_cached(o, cache, errors, warnings);
    gw_object_free(o);
    return r == -ENOMEM ? r : 0;
}
