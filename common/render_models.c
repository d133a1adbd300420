#include "render_models.h"

#include <stdio.h>

#include "render_env.h"

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

json_object *render_model_list(struct jobj_builder *b, const struct gw_aigateway *ai)
{
    json_object *models = jobj_new_arr(b);
    for (size_t i = 0; i < ai->n_models; i++) {
        const struct gw_ai_model *m = &ai->models[i];
        if (!m->name || !m->provider)
            continue;
        json_object *item = jobj_new_obj(b), *lp = jobj_new_obj(b);
        char model[1024], env[128], key[160];
        snprintf(model, sizeof(model), "%s/%s", m->provider, m->name);
        jobj_set(b, item, "model_name", jobj_new_str(b, m->name));
        jobj_set(b, lp, "model", jobj_new_str(b, model));
        if (gw_provider_env_name(m->provider, env, sizeof(env)) == 0) {
            snprintf(key, sizeof(key), "os.environ/%s", env);
            jobj_set(b, lp, "api_key", jobj_new_str(b, key));
        }
        jobj_set(b, item, "litellm_params", lp);
        jobj_push(b, models, item);
    }
    return models;
}
