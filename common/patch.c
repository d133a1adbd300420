#include "patch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "jsonutil.h"
#include "litellm_known.h"
#include "strbuf.h"
#include "textutil.h"

int gw_patch_parse(const char *text, json_object **ret, char **ret_err)
{
    json_object *o = NULL;
    int r = gw_yaml_load_one(text, strlen(text), &GW_LIMITS_PATCH, &o, ret_err);
    if (r < 0)
        return r;
    if (!o || !json_object_is_type(o, json_type_object)) {
        if (ret_err) {
            struct strbuf sb;
            sb_init(&sb, 256);
            sb_addf(&sb, "must be a YAML mapping of LiteLLM config keys, not %s",
                    !o ? "an empty document" : json_object_is_type(o, json_type_array) ? "a list" : "a scalar");
            *ret_err = sb_detach(&sb, NULL);
        }
        json_object_put(o);
        return -EINVAL;
    }
    *ret = o;
    return 0;
}

/* The key that identifies items of a top-level list, or NULL. */
static const char *list_key(const char *top_key)
{
    if (strcmp(top_key, "model_list") == 0)
        return "model_name";
    if (strcmp(top_key, "guardrails") == 0)
        return "guardrail_name";
    return NULL;
}

static const char *item_id(json_object *item, const char *key)
{
    return jobj_get_str(item, key);
}

static json_object *find_item(json_object *list, const char *key, const char *id)
{
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(list, i);
        const char *v = item_id(it, key);
        if (v && strcmp(v, id) == 0)
            return it;
    }
    return NULL;
}

static json_object *copy(json_object *v)
{
    struct jobj_builder b = { 0 };
    return jobj_new_copy(&b, v);
}

static int merge_obj(json_object *base, json_object *patch, bool top);

static int merge_list(json_object *base, json_object *patch, const char *key)
{
    size_t n = json_object_array_length(patch);
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(patch, i);
        const char *id = item_id(p, key);
        json_object *match = id ? find_item(base, key, id) : NULL;
        if (match) {
            int r = merge_obj(match, p, false);
            if (r)
                return r;
            continue;
        }
        json_object *c = copy(p);
        if ((p && !c) || json_object_array_add(base, c) < 0) {
            json_object_put(c);
            return -ENOMEM;
        }
    }
    return 0;
}

static int merge_obj(json_object *base, json_object *patch, bool top)
{
    json_object_object_foreach(patch, k, v) {
        json_object *cur = NULL;
        bool have = json_object_object_get_ex(base, k, &cur);
        if (!v) {
            json_object_object_del(base, k);
            continue;
        }
        if (have && cur && json_object_is_type(cur, json_type_object) &&
            json_object_is_type(v, json_type_object)) {
            int r = merge_obj(cur, v, false);
            if (r)
                return r;
            continue;
        }
        const char *lk = top ? list_key(k) : NULL;
        if (lk && have && cur && json_object_is_type(cur, json_type_array) &&
            json_object_is_type(v, json_type_array)) {
            int r = merge_list(cur, v, lk);
            if (r)
                return r;
            continue;
        }
        json_object *c = copy(v);
        if (!c || json_object_object_add(base, k, c) < 0) {
            json_object_put(c);
            return -ENOMEM;
        }
    }
    return 0;
}

int gw_config_merge(json_object *base, json_object *patch)
{
    return merge_obj(base, patch, true);
}

/* --- describing a patch ------------------------------------------------- */

static void short_repr(struct strbuf *sb, json_object *v)
{
    if (!v) {
        sb_adds(sb, "null");
    } else if (json_object_is_type(v, json_type_object)) {
        sb_adds(sb, "{...}");
    } else if (json_object_is_type(v, json_type_array)) {
        sb_addf(sb, "[%zu items]", json_object_array_length(v));
    } else {
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n = strlen(s);
        if (n > 80)
            sb_addf(sb, "%.77s...", s);
        else
            sb_adds(sb, s);
    }
}

static void note(struct gw_errlist *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct gw_errlist *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errlist_vaddf(w, GW_E_NOTE, GW_PATCH_FIELD, NULL, fmt, ap);
    va_end(ap);
}

static bool same_scalar(json_object *a, json_object *b)
{
    if (!a || !b)
        return a == b;
    if (json_object_get_type(a) != json_object_get_type(b))
        return false;
    return strcmp(json_object_to_json_string(a), json_object_to_json_string(b)) == 0;
}

/* --- values that are never echoed --------------------------------------- */

static bool contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0 &&
            !(strcmp(word, "token") == 0 && (s[n] == 's' || s[n] == 'S')))
            return true;
    return false;
}

/* Keys whose values can be secrets, anywhere in the path: api_key,
 * master_key, any *_key or *key, and anything naming a secret, token,
 * password, credential or private key ("tokens", a count, is not one). */
static bool secret_path(const char *path)
{
    static const char *const words[] = { "key", "secret", "token", "password", "passwd", "credential",
                                         "auth", "cert", "salt", "private", "database_url", NULL };
    for (const char *const *w = words; *w; w++)
        if (contains_ci(path, *w))
            return true;
    return false;
}

/* A string that looks like a credential whatever its key: known prefixes,
 * bearer tokens, JWTs, URLs with user info, and long unbroken runs of
 * letters and digits. */
static bool secret_looking(const char *v)
{
    static const char *const prefixes[] = { "sk-", "sk_", "pk-", "rk-", "AKIA", "ASIA", "ghp_", "gho_", "ghs_",
                                            "github_pat_", "glpat-", "xoxb-", "xoxp-", "xapp-", "AIza",
                                            "Bearer ", "Basic ", "eyJ", "-----BEGIN", NULL };
    for (const char *const *p = prefixes; *p; p++)
        if (strncmp(v, *p, strlen(*p)) == 0)
            return true;
    const char *at = strchr(v, '@'), *scheme = strstr(v, "://");
    if (scheme && at && at > scheme && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3)))
        return true;
    size_t n = 0;
    bool letter = false, digit = false;
    for (const char *c = v; *c; c++) {
        if (isalnum_ascii(*c) || *c == '_' || *c == '-' || *c == '+' || *c == '=') {
            n++;
            letter |= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
            digit |= *c >= '0' && *c <= '9';
        } else {
            return false;
        }
    }
    return n >= 24 && letter && digit;
}

/* Whether the value at path must not be shown in a note. */
static bool value_hidden(const char *path, json_object *v)
{
    if (secret_path(path))
        return true;
    return v && json_object_is_type(v, json_type_string) && secret_looking(json_object_get_string(v));
}

static void describe(json_object *base, json_object *patch, const char *path, bool top,
                     struct gw_errlist *w)
{
    json_object_object_foreach(patch, k, v) {
        char p[512];
        snprintf(p, sizeof(p), "%s%s%.200s", path, *path ? "." : "", k);
        json_object *cur = NULL;
        bool have = base && json_object_object_get_ex(base, k, &cur);
        if (!v) {
            if (have)
                note(w, "removes %s", p);
            continue;
        }
        if (!have) {
            note(w, "adds %s", p);
            continue;
        }
        if (cur && json_object_is_type(cur, json_type_object) && json_object_is_type(v, json_type_object)) {
            describe(cur, v, p, false, w);
            continue;
        }
        const char *lk = top ? list_key(k) : NULL;
        if (lk && cur && json_object_is_type(cur, json_type_array) && json_object_is_type(v, json_type_array)) {
            size_t n = json_object_array_length(v);
            for (size_t i = 0; i < n; i++) {
                json_object *item = json_object_array_get_idx(v, i);
                const char *id = item_id(item, lk);
                char ip[640];
                snprintf(ip, sizeof(ip), "%s[%.100s]", p, id ? id : "?");
                json_object *match = id ? find_item(cur, lk, id) : NULL;
                if (match)
                    describe(match, item, ip, false, w);
                else
                    note(w, "adds %s", ip);
            }
            continue;
        }
        if (same_scalar(cur, v))
            continue;
        bool scalar = cur && !json_object_is_type(cur, json_type_object) &&
                      !json_object_is_type(cur, json_type_array);
        if (value_hidden(p, cur) || value_hidden(p, v)) {
            note(w, "%s %s (value hidden)", scalar ? "overrides" : "replaces", p);
            continue;
        }
        struct strbuf a, b;
        sb_init(&a, 1024);
        sb_init(&b, 1024);
        short_repr(&a, cur);
        short_repr(&b, v);
        if (scalar)
            note(w, "overrides %s: %s -> %s", p, sb_str(&a), sb_str(&b));
        else
            note(w, "replaces %s: %s -> %s", p, sb_str(&a), sb_str(&b));
        sb_release(&a);
        sb_release(&b);
    }
}

static bool secretish_key(const char *k)
{
    static const char *const exact[] = { "api_key", "master_key", "password", "secret", "token",
                                         "aws_secret_access_key", "aws_session_token", "api_token",
                                         "auth_token", "access_token", "client_secret", "database_url",
                                         "salt_key", NULL };
    for (const char *const *p = exact; *p; p++)
        if (strcmp(k, *p) == 0)
            return true;
    size_t n = strlen(k);
    return (n > 7 && strcmp(k + n - 7, "_secret") == 0) || (n > 9 && strcmp(k + n - 9, "_password") == 0) ||
           (n > 8 && strcmp(k + n - 8, "_api_key") == 0);
}

static bool secretish_value(const char *v)
{
    return strncmp(v, "sk-", 3) == 0 || strncmp(v, "AKIA", 4) == 0 || strncmp(v, "ghp_", 4) == 0 ||
           strncmp(v, "xoxb-", 5) == 0;
}

static void find_secrets(json_object *o, const char *path, const char *key, struct gw_errlist *w)
{
    if (!o)
        return;
    char p[512];
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v) {
            snprintf(p, sizeof(p), "%s%s%.200s", path, *path ? "." : "", k);
            find_secrets(v, p, k, w);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            find_secrets(json_object_array_get_idx(o, i), p, key, w);
        }
    } else if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        if (!*s || strncmp(s, "os.environ/", 11) == 0)
            return;
        if ((key && secretish_key(key)) || secretish_value(s))
            note(w, "%s looks like a literal secret; it would be stored in the ConfigMap in clear text: "
                    "put it in a Secret, expose it with spec.env valueFrom.secretKeyRef and write "
                    "os.environ/<VARIABLE> here", path);
    }
}

void gw_patch_describe(json_object *base, json_object *patch, struct gw_errlist *w)
{
    json_object_object_foreach(patch, k, v) {
        (void)v;
        if (litellm_top_level_key_known(k))
            continue;
        const char *near = gw_nearest(k, litellm_top_level_keys);
        if (near)
            note(w, "unknown LiteLLM config key \"%.200s\" (LiteLLM ignores it); did you mean \"%s\"?", k, near);
        else
            note(w, "unknown LiteLLM config key \"%.200s\" (LiteLLM ignores it)", k);
    }
    describe(base, patch, "", true, w);
    find_secrets(patch, "", NULL, w);
}

/* --- checking a merged config ------------------------------------------- */

static void bad(struct gw_errlist *e, const char *where, const char *why)
{
    err_invalid_str(e, GW_PATCH_FIELD, where, why);
}

static bool want_type(struct gw_errlist *e, json_object *parent, const char *key, const char *where,
                      json_type t, bool required)
{
    json_object *v = NULL;
    bool have = json_object_object_get_ex(parent, key, &v);
    if (!have || !v) {
        if (required) {
            char d[128];
            snprintf(d, sizeof(d), "%s is required in the merged config", key);
            bad(e, where, d);
        }
        return false;
    }
    if (!json_object_is_type(v, t)) {
        static const char *const names[] = { [json_type_null] = "null", [json_type_boolean] = "a boolean",
                                             [json_type_double] = "a number", [json_type_int] = "an integer",
                                             [json_type_object] = "a mapping", [json_type_array] = "a list",
                                             [json_type_string] = "a string" };
        char d[160];
        snprintf(d, sizeof(d), "%s must be %s in the merged config", key, names[t]);
        bad(e, where, d);
        return false;
    }
    return true;
}

static void check_items(json_object *cfg, const char *list, const char *id_key, const char *kind_key,
                        struct gw_errlist *e)
{
    if (!want_type(e, cfg, list, list, json_type_array, false))
        return;
    json_object *arr = json_object_object_get(cfg, list);
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(arr, i);
        char where[256];
        const char *id = item_id(it, id_key);
        if (id)
            snprintf(where, sizeof(where), "%s[%.100s]", list, id);
        else
            snprintf(where, sizeof(where), "%s[%zu]", list, i);
        if (!it || !json_object_is_type(it, json_type_object)) {
            bad(e, where, "each item must be a mapping");
            continue;
        }
        want_type(e, it, id_key, where, json_type_string, true);
        if (want_type(e, it, "litellm_params", where, json_type_object, true)) {
            char w2[300];
            snprintf(w2, sizeof(w2), "%s.litellm_params", where);
            want_type(e, json_object_object_get(it, "litellm_params"), kind_key, w2, json_type_string, true);
        }
    }
}

void gw_config_check(json_object *cfg, struct gw_errlist *e)
{
    check_items(cfg, "model_list", "model_name", "model", e);
    json_object *models = json_object_object_get(cfg, "model_list");
    if (!models || (json_object_is_type(models, json_type_array) && json_object_array_length(models) == 0))
        bad(e, "model_list", "the merged config must keep at least one model, or the gateway serves nothing");
    check_items(cfg, "guardrails", "guardrail_name", "guardrail", e);
    static const char *const maps[] = { "litellm_settings", "general_settings", "router_settings",
                                        "environment_variables", "mcp_servers", NULL };
    for (const char *const *m = maps; *m; m++)
        want_type(e, cfg, *m, *m, json_type_object, false);
    json_object *mcp;
    if (json_object_object_get_ex(cfg, "mcp_servers", &mcp) && mcp && json_object_is_type(mcp, json_type_object)) {
        json_object_object_foreach(mcp, k, v) {
            char where[256];
            snprintf(where, sizeof(where), "mcp_servers.%.100s", k);
            if (!v || !json_object_is_type(v, json_type_object)) {
                bad(e, where, "must be a mapping");
                continue;
            }
            if (!json_object_object_get_ex(v, "url", NULL) && !json_object_object_get_ex(v, "command", NULL))
                bad(e, where, "needs url (or command) in the merged config");
        }
    }
}
