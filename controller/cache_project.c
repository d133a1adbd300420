#include "cache_project.h"

#include <stdlib.h>

#include "jsonutil.h"
#include "textpack.h"

/* What the projections repeat from object to object: the keys and fixed
 * values of the children we render (render_k8s.c) and of what the API
 * server adds to them, the condition keys readiness reads, and the lines of
 * the LiteLLM config a ConfigMap holds (its YAML as JSON text). Words stand
 * alone (a key with its value, or a key with what opens its value), since
 * the API server writes built-in kinds in its own key order. The first 28
 * take one byte. Changing the list is safe: projections are packed and
 * unpacked by the same process. */
static const char *const PROJECTION_WORDS[] = {
    "\"name\":\"",
    "\"value\":\"",
    "\"valueFrom\":{\"secretKeyRef\":{",
    "\"key\":\"",
    "\"optional\":true",
    "\"mountPath\":\"",
    "\"httpGet\":{\"path\":\"/health/",
    "\"port\":\"http\",\"scheme\":\"HTTP\"}",
    "\"timeoutSeconds\":",
    "\"periodSeconds\":",
    "\"successThreshold\":1",
    "\"failureThreshold\":",
    "\"emptyDir\":{}",
    "\"protocol\":\"TCP\"",
    "\"labels\":{",
    "\"annotations\":{",
    "\"metadata\":{",
    "\"app.kubernetes.io/component\":\"",
    "\"app.kubernetes.io/instance\":\"",
    "\"app.kubernetes.io/managed-by\":\"litellm-gateway-operator\"",
    "\"app.kubernetes.io/name\":\"litellm\"",
    "\"litellm-gateway-operator.agentic-layer.ai/applied-hash\":\"",
    "\"namespace\":\"",
    "\"resourceVersion\":\"",
    "\"api-key-secrets\"",
    "\\\"\\n    - \\\"",
    "\\\"\\n    description: \\\"ToolRoute ",
    "\\\"\\n    transport: \\\"http\\\"\\n    url: \\\"",
    /* two bytes */
    ":\\n    allow_all_keys: true\\n    allowed_tools:\\n    - \\\"",
    "\\\"\\n  ",
    "\"spec\":{",
    "\"gateway.agentic-layer.ai/config-hash\":\"",
    "\"gateway.agentic-layer.ai/secret-hash\":\"",
    "\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\"",
    "\"controller\":true",
    "\"blockOwnerDeletion\":true",
    "\"ownerReferences\":[{",
    "\"kind\":\"AiGateway\"",
    "\"kind\":\"ToolGateway\"",
    "\"kind\":\"Deployment\"",
    "\"kind\":\"ConfigMap\"",
    "\"kind\":\"Service\"",
    "\"apiVersion\":\"apps/v1\"",
    "\"apiVersion\":\"v1\"",
    "\"generation\":",
    "\"uid\":\"",
    "\"terminationMessagePath\":\"/dev/termination-log\"",
    "\"terminationMessagePolicy\":\"File\"",
    "\"imagePullPolicy\":\"IfNotPresent\"",
    "\"livenessProbe\":{",
    "\"readinessProbe\":{",
    "\"startupProbe\":{",
    "\"securityContext\":{",
    "\"capabilities\":{\"drop\":[\"ALL\"]}",
    "\"runAsNonRoot\":true",
    "\"readOnlyRootFilesystem\":true",
    "\"allowPrivilegeEscalation\":false",
    "\"runAsUser\":65532",
    "\"runAsGroup\":65532",
    "\"fsGroup\":65532",
    "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}",
    "\"restartPolicy\":\"Always\"",
    "\"terminationGracePeriodSeconds\":30",
    "\"dnsPolicy\":\"ClusterFirst\"",
    "\"automountServiceAccountToken\":false",
    "\"schedulerName\":\"default-scheduler\"",
    "\"strategy\":{",
    "\"type\":\"RollingUpdate\"",
    "\"rollingUpdate\":{",
    "\"maxUnavailable\":",
    "\"maxSurge\":",
    "\"revisionHistoryLimit\":",
    "\"progressDeadlineSeconds\":600",
    "\"replicas\":",
    "\"selector\":{",
    "\"matchLabels\":{",
    "\"template\":{",
    "\"volumes\":[",
    "\"configMap\":{",
    "\"defaultMode\":420",
    "\"containers\":[{",
    "\"image\":\"",
    "\"command\":[\"litellm\",\"--config\",\"/app/config/config.yaml\",\"--port\",\"4000\"]",
    "\"ports\":[{",
    "\"containerPort\":4000",
    "\"env\":[",
    "\"envFrom\":[",
    "\"resources\":{",
    "\"limits\":{",
    "\"requests\":{",
    "\"memory\":\"",
    "\"cpu\":\"",
    "\"volumeMounts\":[",
    "\"readOnly\":true",
    "\"/app/config\"",
    "\"/prometheus-multiproc\"",
    "\"prometheus-multiproc\"",
    "\"PROMETHEUS_MULTIPROC_DIR\"",
    "\"LITELLM_LOG\"",
    "\"LITELLM_LOCAL_MODEL_COST_MAP\"",
    "\"LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS\"",
    "\"LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY\"",
    "\"OTEL_EXPORTER_OTLP_ENDPOINT\"",
    "\"OTEL_SERVICE_NAME\"",
    "\"OTEL_EXPORTER\"",
    "ghcr.io/berriai/litellm:",
    "\"status\":{",
    "\"observedGeneration\":",
    "\"updatedReplicas\":",
    "\"availableReplicas\":",
    "\"conditions\":[",
    "{\"type\":\"",
    "\"type\":\"",
    "\",\"reason\":\"",
    "\"reason\":\"",
    "Available",
    "Progressing",
    "MinimumReplicasUnavailable",
    "MinimumReplicasAvailable",
    "ReplicaSetUpdated",
    "NewReplicaSetAvailable",
    "ProgressDeadlineExceeded",
    "\"deployment.kubernetes.io/revision\":\"",
    "\"clusterIP\":\"",
    "\"clusterIPs\":[\"",
    "\"internalTrafficPolicy\":\"Cluster\"",
    "\"ipFamilies\":[\"IPv4\"]",
    "\"ipFamilyPolicy\":\"SingleStack\"",
    "\"targetPort\":",
    "\"sessionAffinity\":\"None\"",
    "\"type\":\"ClusterIP\"",
    "\"port\":",
    "\"data\":{\"config.yaml\":\"",
    "litellm_settings:\\n  callbacks:\\n  - \\\"prometheus\\\"\\n",
    "  request_timeout: ",
    "model_list:\\n",
    "- litellm_params:\\n    api_key: \\\"os.environ/",
    "_API_KEY\\\"\\n    model: \\\"",
    "\\\"\\n  model_name: \\\"",
    "mcp_servers:\\n",
    "_API_KEY",
    "http://",
    "https://",
    "ai-gateway",
    "tool-gateway",
    "-config",
};

static const struct tp_dict PROJECTION_DICT = { PROJECTION_WORDS,
                                                sizeof(PROJECTION_WORDS) / sizeof(PROJECTION_WORDS[0]) };

/* Most bytes a cached projection may unpack to: more than any object the
 * API server's request limit lets through. */
#define PROJECTION_TEXT_CAP ((size_t)8 << 20)

static void keep_member(struct jobj_builder *b, json_object *dst, json_object *src, const char *key)
{
    json_object *v = jobj_get(src, key);
    if (v)
        jobj_set(b, dst, key, jobj_new_copy(b, v));
}

/* The projection as the cache keeps it: its compact JSON text, packed, in
 * one string node, a fraction of the tree's size (json-c spends about a
 * kilobyte on every JSON object node). Slashes are left unescaped: the
 * parse reads the same. */
static json_object *finish(struct jobj_builder *b, json_object *o)
{
    json_object *text = NULL;
    if (jobj_builder_err(b) == 0 && o) {
        size_t len = 0, plen = 0;
        char *packed = NULL;
        const char *s = json_object_to_json_string_length(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (s && tp_pack(&PROJECTION_DICT, s, len, &packed, &plen) == 0)
            text = json_object_new_string_len(packed, (int)plen);
        free(packed);
    }
    json_object_put(o);
    return text;
}

json_object *ctl_cached_tree(json_object *cached)
{
    if (!cached)
        return NULL;
    if (!json_object_is_type(cached, json_type_string)) {
        json_object *copy = NULL;
        return json_object_deep_copy(cached, &copy, NULL) == 0 ? copy : NULL;
    }
    char *text = NULL;
    size_t len = 0;
    if (tp_unpack(&PROJECTION_DICT, json_object_get_string(cached), (size_t)json_object_get_string_len(cached),
                  PROJECTION_TEXT_CAP, &text, &len) < 0)
        return NULL;
    json_tokener *tok = json_tokener_new();
    json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (tok && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    free(text);
    return o;
}

/* apiVersion, kind and the identifying metadata. */
static json_object *identity(struct jobj_builder *b, json_object *obj, bool annotations)
{
    json_object *o = jobj_new_obj(b), *md = jobj_new_obj(b), *src = jobj_get(obj, "metadata");
    keep_member(b, o, obj, "apiVersion");
    keep_member(b, o, obj, "kind");
    keep_member(b, md, src, "name");
    keep_member(b, md, src, "namespace");
    keep_member(b, md, src, "resourceVersion");
    if (annotations)
        keep_member(b, md, src, "annotations");
    jobj_set(b, o, "metadata", md);
    return o;
}

json_object *ctl_project_identity(json_object *obj)
{
    struct jobj_builder b = { 0 };
    return finish(&b, identity(&b, obj, false));
}

json_object *ctl_project_labels(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, false);
    keep_member(&b, jobj_get(o, "metadata"), jobj_get(obj, "metadata"), "labels");
    return finish(&b, o);
}

json_object *ctl_project_route(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, false), *spec = jobj_new_obj(&b);
    keep_member(&b, spec, jobj_get(obj, "spec"), "toolGatewayRef");
    jobj_set(&b, o, "spec", spec);
    return finish(&b, o);
}

json_object *ctl_project_toolgateway(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = identity(&b, obj, true);
    keep_member(&b, o, obj, "spec");
    return finish(&b, o);
}

/* A child as applied: everything but the server's own bookkeeping. */
static json_object *child_common(struct jobj_builder *b, json_object *obj)
{
    json_object *o = jobj_new_copy(b, obj), *md = jobj_get(o, "metadata");
    if (!o)
        return NULL;
    static const char *const server_set[] = { "uid", "creationTimestamp", "selfLink", NULL };
    for (size_t i = 0; server_set[i]; i++)
        json_object_object_del(md, server_set[i]);
    json_object_object_del(o, "status");
    return o;
}

json_object *ctl_project_child(json_object *obj)
{
    struct jobj_builder b = { 0 };
    return finish(&b, child_common(&b, obj));
}

/* Readiness reads the replica counts, observedGeneration and the
 * conditions' type and reason. */
json_object *ctl_project_deployment(json_object *obj)
{
    struct jobj_builder b = { 0 };
    json_object *o = child_common(&b, obj), *st = jobj_new_obj(&b), *src = jobj_get(obj, "status");
    static const char *const counts[] = { "observedGeneration", "replicas", "updatedReplicas", "availableReplicas",
                                          NULL };
    for (size_t i = 0; counts[i]; i++)
        keep_member(&b, st, src, counts[i]);
    json_object *conds = jobj_get_arr(src, "conditions");
    if (conds) {
        json_object *arr = jobj_new_arr(&b);
        for (size_t i = 0; i < json_object_array_length(conds); i++) {
            json_object *c = json_object_array_get_idx(conds, i), *k = jobj_new_obj(&b);
            keep_member(&b, k, c, "type");
            keep_member(&b, k, c, "reason");
            jobj_push(&b, arr, k);
        }
        jobj_set(&b, st, "conditions", arr);
    }
    if (o)
        jobj_set(&b, o, "status", st);
    else
        json_object_put(st);
    return finish(&b, o);
}

