#include "render_k8s.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_env.h"
#include "render_models.h"
#include "textutil.h"

const char *gw_default_image(void)
{
    return GW_DEFAULT_IMAGE_REPO ":v" GW_LITELLM_VERSION "-stable";
}

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

static void merge_strings(struct jobj_builder *b, json_object *dst, json_object *src)
{
    if (!src)
        return;
    json_object_object_foreach(src, k, v) {
        if (v && json_object_is_type(v, json_type_string))
            jobj_set(b, dst, k, jobj_new_str(b, json_object_get_string(v)));
    }
}

static void standard_labels(struct jobj_builder *b, json_object *labels, const struct gw_object *gw)
{
    jobj_set(b, labels, "app.kubernetes.io/name", jobj_new_str(b, "litellm"));
    jobj_set(b, labels, "app.kubernetes.io/instance", jobj_new_str(b, gw->meta.name));
    jobj_set(b, labels, "app.kubernetes.io/component", jobj_new_str(b, component_of(gw)));
    jobj_set(b, labels, "app.kubernetes.io/managed-by", jobj_new_str(b, GW_FIELD_MANAGER));
}

static json_object *object_meta(struct jobj_builder *b, const struct gw_object *gw, const char *name)
{
    json_object *md = jobj_new_obj(b), *labels = jobj_new_obj(b);
    jobj_set(b, md, "name", jobj_new_str(b, name));
    jobj_set(b, md, "namespace", jobj_new_str(b, gw->meta.ns));
    merge_strings(b, labels, common_md(gw)->labels);
    standard_labels(b, labels, gw);
    jobj_set(b, md, "labels", labels);
    if (common_md(gw)->annotations && json_object_object_length(common_md(gw)->annotations) > 0) {
        json_object *ann = jobj_new_obj(b);
        merge_strings(b, ann, common_md(gw)->annotations);
        jobj_set(b, md, "annotations", ann);
    }
    if (gw->meta.uid && *gw->meta.uid) {
        json_object *owners = jobj_new_arr(b), *o = jobj_new_obj(b);
        jobj_set(b, o, "apiVersion", jobj_new_str(b, GW_V1ALPHA1));
        jobj_set(b, o, "kind", jobj_new_str(b, gw_kind_name(gw->kind)));
        jobj_set(b, o, "name", jobj_new_str(b, gw->meta.name));
        jobj_set(b, o, "uid", jobj_new_str(b, gw->meta.uid));
        jobj_set(b, o, "controller", jobj_new_bool(b, true));
        jobj_set(b, o, "blockOwnerDeletion", jobj_new_bool(b, true));
        jobj_push(b, owners, o);
        jobj_set(b, md, "ownerReferences", owners);
    }
    return md;
}

static json_object *new_object(struct jobj_builder *b, const char *api_version, const char *kind)
{
    json_object *o = jobj_new_obj(b);
    jobj_set(b, o, "apiVersion", jobj_new_str(b, api_version));
    jobj_set(b, o, "kind", jobj_new_str(b, kind));
    return o;
}

/* One environment variable of an API key: its name and where it comes from. */
struct key_env {
    char name[128];
    const char *secret;
    const char *key;             /* NULL: the key is the name */
    bool optional;
};

static int key_env_cmp(const void *a, const void *b)
{
    return strcmp(((const struct key_env *)a)->name, ((const struct key_env *)b)->name);
}

/* The API keys of the models, sorted by variable name, each once: an
 * optional <PROVIDER>_API_KEY from the api-key-secrets Secret for a model
 * without its own key, else the model's apiKeySecretRef. */
static void model_key_env(struct jobj_builder *b, const struct gw_object *gw, json_object *env)
{
    const struct gw_aigateway *ai = &gw->u.ai;
    struct key_env *keys = calloc(ai->n_models ? ai->n_models : 1, sizeof(*keys));
    size_t n = 0;
    if (!keys) {
        jobj_builder_fail(b, -ENOMEM);
        return;
    }
    for (size_t i = 0; i < ai->n_models; i++) {
        const struct gw_beta_model *bm = gw_ai_model_beta(gw, i);
        struct key_env *k = &keys[n];
        if (bm && bm->key_secret) {
            *k = (struct key_env){ .secret = bm->key_secret, .key = bm->key_key ? bm->key_key : "",
                                   .optional = bm->key_optional };
            gw_model_key_env_name(bm, k->name);
            n++;
        } else if (ai->models[i].provider && gw_provider_env_name(ai->models[i].provider, k->name, 128) == 0) {
            k->secret = GW_PROVIDER_KEYS_SECRET;
            k->optional = true;
            n++;
        }
    }
    qsort(keys, n, sizeof(*keys), key_env_cmp);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(keys[i].name, keys[i - 1].name) != 0)
            render_env_from_secret(b, env, keys[i].name, keys[i].secret, keys[i].key ? keys[i].key : keys[i].name,
                                   keys[i].optional);
    free(keys);
}

static void copy_items(struct jobj_builder *b, json_object *dst, json_object *src)
{
    size_t n = src ? json_object_array_length(src) : 0;
    for (size_t i = 0; i < n; i++)
        jobj_push(b, dst, jobj_new_copy(b, json_object_array_get_idx(src, i)));
}

/* Container env: provider API keys from the optional api-key-secrets
 * Secret, guardrail secrets, the operator's settings, tracing, then the
 * user's spec.env last so that it wins. */
static json_object *container_env(struct jobj_builder *b, const struct render_workload *w)
{
    const struct gw_object *gw = w->gw;
    json_object *env = jobj_new_arr(b);
    if (gw->kind == GW_KIND_AIGATEWAY)
        model_key_env(b, gw, env);
    copy_items(b, env, w->guard_env);
    render_env_literal(b, env, "PROMETHEUS_MULTIPROC_DIR", "/prometheus-multiproc");
    render_env_literal(b, env, "HOME", "/tmp");
    render_env_literal(b, env, "LITELLM_LOG", "INFO");
    render_env_literal(b, env, "LITELLM_LOCAL_MODEL_COST_MAP", "true");
    /* Both keep the proxy from fetching data files from the internet (the
     * cost map at start, Anthropic beta headers at the first request). */
    render_env_literal(b, env, "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "true");
    /* The proxy refuses to start without a master key unless told to; the
     * agents' <namespace>/<name> pseudo keys rely on it running keyless. A
     * master key set through the config patch turns this off. */
    if (!w->master_key)
        render_env_literal(b, env, "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY", "true");
    /* LiteLLM's otel callback reads its exporter from these (OTLP over
     * HTTP); the service name tells one gateway's spans from another's. */
    if (w->otlp_endpoint) {
        render_env_literal(b, env, "OTEL_EXPORTER", "otlp_http");
        render_env_literal(b, env, "OTEL_EXPORTER_OTLP_ENDPOINT", w->otlp_endpoint);
        render_env_literal(b, env, "OTEL_SERVICE_NAME", gw->meta.name);
    }
    copy_items(b, env, gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env : gw->u.tool.env);
    return env;
}

static json_object *http_probe(struct jobj_builder *b, const char *path, int period, int failures)
{
    json_object *p = jobj_new_obj(b), *get = jobj_new_obj(b);
    jobj_set(b, get, "path", jobj_new_str(b, path));
    jobj_set(b, get, "port", jobj_new_str(b, "http"));
    jobj_set(b, p, "httpGet", get);
    jobj_set(b, p, "periodSeconds", jobj_new_int(b, period));
    jobj_set(b, p, "timeoutSeconds", jobj_new_int(b, 5));
    jobj_set(b, p, "failureThreshold", jobj_new_int(b, failures));
    return p;
}

static json_object *volume(struct jobj_builder *b, const char *name, json_object *source_key, json_object *source)
{
    json_object *v = jobj_new_obj(b);
    jobj_set(b, v, "name", jobj_new_str(b, name));
    jobj_set(b, v, json_object_get_string(source_key), source);
    json_object_put(source_key);
    return v;
}

static json_object *mount(struct jobj_builder *b, const char *name, const char *path, bool ro)
{
    json_object *m = jobj_new_obj(b);
    jobj_set(b, m, "name", jobj_new_str(b, name));
    jobj_set(b, m, "mountPath", jobj_new_str(b, path));
    if (ro)
        jobj_set(b, m, "readOnly", jobj_new_bool(b, true));
    return m;
}

/* spec.resources as written (v1beta1), else the operator's defaults. */
static json_object *container_resources(struct jobj_builder *b, const struct gw_object *gw)
{
    if (gw->beta && gw->beta->resources)
        return jobj_new_copy(b, gw->beta->resources);
    json_object *res = jobj_new_obj(b), *req = jobj_new_obj(b), *lim = jobj_new_obj(b);
    jobj_set(b, req, "cpu", jobj_new_str(b, "100m"));
    jobj_set(b, req, "memory", jobj_new_str(b, "512Mi"));
    jobj_set(b, lim, "memory", jobj_new_str(b, "1Gi"));
    jobj_set(b, res, "requests", req);
    jobj_set(b, res, "limits", lim);
    return res;
}

static json_object *container(struct jobj_builder *b, const struct render_workload *w)
{
    const struct gw_object *gw = w->gw;
    json_object *c = jobj_new_obj(b);
    jobj_set(b, c, "name", jobj_new_str(b, "litellm"));
    jobj_set(b, c, "image", jobj_new_str(b, w->image));
    jobj_set(b, c, "imagePullPolicy", jobj_new_str(b, "IfNotPresent"));
    json_object *cmd = jobj_new_arr(b);
    static const char *const argv[] = { "litellm", "--config", GW_CONFIG_DIR "/" GW_CONFIG_KEY, "--port", "4000", NULL };
    for (const char *const *a = argv; *a; a++)
        jobj_push(b, cmd, jobj_new_str(b, *a));
    jobj_set(b, c, "command", cmd);
    json_object *ports = jobj_new_arr(b), *port = jobj_new_obj(b);
    jobj_set(b, port, "name", jobj_new_str(b, "http"));
    jobj_set(b, port, "containerPort", jobj_new_int(b, GW_LITELLM_PORT));
    jobj_set(b, port, "protocol", jobj_new_str(b, "TCP"));
    jobj_push(b, ports, port);
    jobj_set(b, c, "ports", ports);
    jobj_set(b, c, "env", container_env(b, w));
    json_object *env_from = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.env_from : gw->u.tool.env_from;
    if (env_from && json_object_array_length(env_from) > 0)
        jobj_set(b, c, "envFrom", jobj_new_copy(b, env_from));
    jobj_set(b, c, "startupProbe", http_probe(b, "/health/readiness", 2, 60));
    jobj_set(b, c, "livenessProbe", http_probe(b, "/health/liveliness", 15, 3));
    jobj_set(b, c, "readinessProbe", http_probe(b, "/health/readiness", 5, 3));
    jobj_set(b, c, "resources", container_resources(b, gw));
    json_object *sc = jobj_new_obj(b), *caps = jobj_new_obj(b), *drop = jobj_new_arr(b);
    jobj_set(b, sc, "allowPrivilegeEscalation", jobj_new_bool(b, false));
    jobj_set(b, sc, "readOnlyRootFilesystem", jobj_new_bool(b, true));
    jobj_set(b, sc, "runAsNonRoot", jobj_new_bool(b, true));
    jobj_push(b, drop, jobj_new_str(b, "ALL"));
    jobj_set(b, caps, "drop", drop);
    jobj_set(b, sc, "capabilities", caps);
    jobj_set(b, c, "securityContext", sc);
    json_object *mounts = jobj_new_arr(b);
    jobj_push(b, mounts, mount(b, "config", GW_CONFIG_DIR, true));
    jobj_push(b, mounts, mount(b, "prometheus-multiproc", "/prometheus-multiproc", false));
    jobj_push(b, mounts, mount(b, "tmp", "/tmp", false));
    jobj_set(b, c, "volumeMounts", mounts);
    return c;
}

/* One new pod at a time, none taken down before its successor is ready. */
static json_object *rolling_update(struct jobj_builder *b)
{
    json_object *strat = jobj_new_obj(b), *ru = jobj_new_obj(b);
    jobj_set(b, strat, "type", jobj_new_str(b, "RollingUpdate"));
    jobj_set(b, ru, "maxSurge", jobj_new_int(b, 1));
    jobj_set(b, ru, "maxUnavailable", jobj_new_int(b, 0));
    jobj_set(b, strat, "rollingUpdate", ru);
    return strat;
}

/* The pod's labels and annotations; the hashes roll the pods when the
 * config or a referenced Secret changes. */
static json_object *pod_metadata(struct jobj_builder *b, const struct render_workload *w)
{
    const struct gw_object *gw = w->gw;
    json_object *tmd = jobj_new_obj(b), *labels = jobj_new_obj(b), *ann = jobj_new_obj(b);
    merge_strings(b, labels, common_md(gw)->labels);
    merge_strings(b, labels, pod_md(gw)->labels);
    standard_labels(b, labels, gw);
    jobj_set(b, labels, "app", jobj_new_str(b, gw->meta.name));
    merge_strings(b, ann, common_md(gw)->annotations);
    merge_strings(b, ann, pod_md(gw)->annotations);
    jobj_set(b, ann, GW_ANN_CONFIG_HASH, jobj_new_str(b, w->config_hash));
    jobj_set(b, ann, GW_ANN_SECRET_HASH, jobj_new_str(b, w->secret_hash));
    jobj_set(b, tmd, "labels", labels);
    jobj_set(b, tmd, "annotations", ann);
    return tmd;
}

static json_object *pod_security_context(struct jobj_builder *b)
{
    json_object *psc = jobj_new_obj(b), *seccomp = jobj_new_obj(b);
    jobj_set(b, psc, "runAsNonRoot", jobj_new_bool(b, true));
    jobj_set(b, psc, "runAsUser", jobj_new_int(b, 65532));
    jobj_set(b, psc, "runAsGroup", jobj_new_int(b, 65532));
    jobj_set(b, psc, "fsGroup", jobj_new_int(b, 65532));
    jobj_set(b, seccomp, "type", jobj_new_str(b, "RuntimeDefault"));
    jobj_set(b, psc, "seccompProfile", seccomp);
    return psc;
}

/* The config from the gateway's ConfigMap; scratch space for LiteLLM's
 * Prometheus files and /tmp (the root file system is read-only). */
static json_object *pod_volumes(struct jobj_builder *b, const struct gw_object *gw)
{
    json_object *vols = jobj_new_arr(b), *cm = jobj_new_obj(b);
    char cm_name[300];
    snprintf(cm_name, sizeof(cm_name), "%s-config", gw->meta.name);
    jobj_set(b, cm, "name", jobj_new_str(b, cm_name));
    jobj_push(b, vols, volume(b, "config", jobj_new_str(b, "configMap"), cm));
    jobj_push(b, vols, volume(b, "prometheus-multiproc", jobj_new_str(b, "emptyDir"), jobj_new_obj(b)));
    jobj_push(b, vols, volume(b, "tmp", jobj_new_str(b, "emptyDir"), jobj_new_obj(b)));
    return vols;
}

static json_object *pod_spec(struct jobj_builder *b, const struct render_workload *w)
{
    json_object *ps = jobj_new_obj(b), *containers = jobj_new_arr(b);
    jobj_push(b, containers, container(b, w));
    jobj_set(b, ps, "containers", containers);
    jobj_set(b, ps, "automountServiceAccountToken", jobj_new_bool(b, false));
    jobj_set(b, ps, "terminationGracePeriodSeconds", jobj_new_int(b, 30));
    jobj_set(b, ps, "securityContext", pod_security_context(b));
    jobj_set(b, ps, "volumes", pod_volumes(b, w->gw));
    return ps;
}

json_object *render_deployment(struct jobj_builder *b, const struct render_workload *w)
{
    const struct gw_object *gw = w->gw;
    json_object *d = new_object(b, "apps/v1", "Deployment");
    jobj_set(b, d, "metadata", object_meta(b, gw, gw->meta.name));
    json_object *spec = jobj_new_obj(b), *sel = jobj_new_obj(b), *ml = jobj_new_obj(b);
    /* Replicas only when spec.replicas (v1beta1) sets them: otherwise the
     * API server defaults a new Deployment to 1, and leaving the field out
     * keeps `kubectl scale` and autoscalers in charge. */
    if (gw->beta && gw->beta->has_replicas)
        jobj_set(b, spec, "replicas", jobj_new_int(b, gw->beta->replicas));
    jobj_set(b, spec, "revisionHistoryLimit", jobj_new_int(b, 5));
    jobj_set(b, ml, "app", jobj_new_str(b, gw->meta.name));
    jobj_set(b, sel, "matchLabels", ml);
    jobj_set(b, spec, "selector", sel);
    jobj_set(b, spec, "strategy", rolling_update(b));
    json_object *tmpl = jobj_new_obj(b);
    jobj_set(b, tmpl, "metadata", pod_metadata(b, w));
    jobj_set(b, tmpl, "spec", pod_spec(b, w));
    jobj_set(b, spec, "template", tmpl);
    jobj_set(b, d, "spec", spec);
    return d;
}

json_object *render_service(struct jobj_builder *b, const struct gw_object *gw)
{
    json_object *s = new_object(b, "v1", "Service");
    jobj_set(b, s, "metadata", object_meta(b, gw, gw->meta.name));
    json_object *spec = jobj_new_obj(b), *sel = jobj_new_obj(b), *ports = jobj_new_arr(b), *p = jobj_new_obj(b);
    jobj_set(b, spec, "type", jobj_new_str(b, "ClusterIP"));
    jobj_set(b, sel, "app", jobj_new_str(b, gw->meta.name));
    jobj_set(b, spec, "selector", sel);
    jobj_set(b, p, "name", jobj_new_str(b, "http"));
    jobj_set(b, p, "port", jobj_new_int(b, gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.port : 80));
    jobj_set(b, p, "targetPort", jobj_new_int(b, GW_LITELLM_PORT));
    jobj_set(b, p, "protocol", jobj_new_str(b, "TCP"));
    jobj_push(b, ports, p);
    jobj_set(b, spec, "ports", ports);
    jobj_set(b, s, "spec", spec);
    return s;
}

json_object *render_configmap(struct jobj_builder *b, const struct gw_object *gw, const char *yaml)
{
    json_object *c = new_object(b, "v1", "ConfigMap");
    char name[300];
    snprintf(name, sizeof(name), "%s-config", gw->meta.name);
    jobj_set(b, c, "metadata", object_meta(b, gw, name));
    json_object *data = jobj_new_obj(b);
    jobj_set(b, data, GW_CONFIG_KEY, jobj_new_str(b, yaml));
    jobj_set(b, c, "data", data);
    return c;
}
