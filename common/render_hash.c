#include "render_hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "textutil.h"

static int cmp_version(const void *a, const void *b)
{
    const struct gw_secret_version *x = a, *y = b;
    int c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
    return c ? c : strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int gw_secret_hash(const struct gw_secret_version *v, size_t n, char out[65])
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
        json_object *e = json_object_array_get_idx(env, i);
        const char *name = jobj_get_str(jobj_get(jobj_get(e, "valueFrom"), "secretKeyRef"), "name");
        if (name)
            r = add_name(names, n, alloc, name);
    }
    len = env_from ? json_object_array_length(env_from) : 0;
    for (size_t i = 0; i < len && r == 0; i++) {
        json_object *e = json_object_array_get_idx(env_from, i);
        const char *name = jobj_get_str(jobj_get(e, "secretRef"), "name");
        if (name)
            r = add_name(names, n, alloc, name);
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
    /* Models' own keys (v1beta1 apiKeySecretRef). */
    for (size_t i = 0; gw->kind == GW_KIND_AIGATEWAY && gw->beta && i < gw->beta->n_models && r == 0; i++)
        if (gw->beta->models[i].key_secret)
            r = add_name(&names, &n, &alloc, gw->beta->models[i].key_secret);
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
        qsort(names, n, sizeof(*names), gw_cmp_cstr);
    *ret_names = names;
    *ret_n = n;
    return 0;
}
