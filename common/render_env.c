#include "render_env.h"

#include <errno.h>
#include <string.h>

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

void render_env_from_secret(struct jobj_builder *b, json_object *env, const char *name,
                            const char *secret, const char *key, bool optional)
{
    json_object *e = jobj_new_obj(b), *vf = jobj_new_obj(b), *ref = jobj_new_obj(b);
    jobj_set(b, e, "name", jobj_new_str(b, name));
    jobj_set(b, ref, "name", jobj_new_str(b, secret));
    jobj_set(b, ref, "key", jobj_new_str(b, key));
    if (optional)
        jobj_set(b, ref, "optional", jobj_new_bool(b, true));
    jobj_set(b, vf, "secretKeyRef", ref);
    jobj_set(b, e, "valueFrom", vf);
    jobj_push(b, env, e);
}

void render_env_literal(struct jobj_builder *b, json_object *env, const char *name,
                        const char *value)
{
    json_object *e = jobj_new_obj(b);
    jobj_set(b, e, "name", jobj_new_str(b, name));
    jobj_set(b, e, "value", jobj_new_str(b, value));
    jobj_push(b, env, e);
}
