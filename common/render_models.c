#include "render_models.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_env.h"
#include "strbuf.h"
#include "textutil.h"

json_object *render_litellm_settings(struct jobj_builder *b, bool otlp)
{
    json_object *s = jobj_new_obj(b), *cb = jobj_new_arr(b);
    jobj_set(b, s, "request_timeout", jobj_new_int(b, 600));
    jobj_push(b, cb, jobj_new_str(b, "prometheus"));
    if (otlp)
        jobj_push(b, cb, jobj_new_str(b, "otel"));
    jobj_set(b, s, "callbacks", cb);
    return s;
}

const struct gw_beta_model *gw_ai_model_beta(const struct gw_object *gw, size_t i)
{
    if (gw->kind != GW_KIND_AIGATEWAY || !gw->beta || i >= gw->beta->n_models || i >= gw->u.ai.n_models)
        return NULL;
    const struct gw_beta_model *bm = &gw->beta->models[i];
    const char *name = gw->u.ai.models[i].name;
    return bm->name && name && strcmp(bm->name, name) == 0 ? bm : NULL;
}

void gw_model_key_env_name(const struct gw_beta_model *m, char out[GW_MODEL_KEY_ENV_LEN])
{
    /* Secret names and keys are at most 253 characters; a longer one (never
     * admitted) is cut, which can only merge two variables of invalid refs. */
    char id[1024], h[65];
    int n = snprintf(id, sizeof(id), "%s\n%s\n%d", m->key_secret ? m->key_secret : "", m->key_key ? m->key_key : "",
                     m->key_optional ? 1 : 0);
    gw_sha256_hex(id, n < 0 ? 0 : (size_t)n < sizeof(id) ? (size_t)n : sizeof(id) - 1, h);
    snprintf(out, GW_MODEL_KEY_ENV_LEN, "GW_MODEL_KEY_%.16s", h);
}

json_object *render_model_list(struct jobj_builder *b, const struct gw_object *gw)
{
    const struct gw_aigateway *ai = &gw->u.ai;
    json_object *models = jobj_new_arr(b);
    for (size_t i = 0; i < ai->n_models; i++) {
        const struct gw_ai_model *m = &ai->models[i];
        if (!m->name || !m->provider)
            continue;
        const struct gw_beta_model *bm = gw_ai_model_beta(gw, i);
        json_object *item = jobj_new_obj(b), *lp = jobj_new_obj(b);
        char env[128], key[160];
        char *model = sb_dupf(1 << 20, "%s/%s", m->provider, bm && bm->model ? bm->model : m->name);
        if (!model)
            jobj_builder_fail(b, -ENOMEM);
        jobj_set(b, item, "model_name", jobj_new_str(b, m->name));
        jobj_set(b, lp, "model", jobj_new_str(b, model ? model : ""));
        free(model);
        if (bm && bm->api_base)
            jobj_set(b, lp, "api_base", jobj_new_str(b, bm->api_base));
        if (bm && bm->key_secret) {
            gw_model_key_env_name(bm, env);
            snprintf(key, sizeof(key), "os.environ/%s", env);
            jobj_set(b, lp, "api_key", jobj_new_str(b, key));
        } else if (gw_provider_env_name(m->provider, env, sizeof(env)) == 0) {
            snprintf(key, sizeof(key), "os.environ/%s", env);
            jobj_set(b, lp, "api_key", jobj_new_str(b, key));
        }
        jobj_set(b, item, "litellm_params", lp);
        jobj_push(b, models, item);
    }
    return models;
}
