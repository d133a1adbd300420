/* What the controller's caches keep of an object: enough for every reader
 * to reach the same answer as with the whole object. */
#include "plantest.h"

#include "cache_project.h"
#include "deps.h"
#include "kube_client.h"
#include "status.h"

static json_object *parse(const char *s)
{
    json_object *o = json_tokener_parse(s);
    assert_non_null(o);
    return o;
}

#define DEPLOY_META                                                                                          \
    "\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"gw\",\"namespace\":\"ns\","   \
    "\"uid\":\"u-1\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"resourceVersion\":\"7\","               \
    "\"generation\":3,\"labels\":{\"app.kubernetes.io/managed-by\":\"litellm-gateway-operator\","              \
    "\"app.kubernetes.io/component\":\"ai-gateway\",\"app.kubernetes.io/instance\":\"gw\"},"                   \
    "\"annotations\":{\"h\":\"x\"}},"                                                                         \
    "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":[{\"name\":\"litellm\",\"image\":\"i\","  \
    "\"terminationMessagePath\":\"/dev/termination-log\"}]}}},"

static const char *const STATUSES[] = {
    "{\"observedGeneration\":3,\"replicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2,\"readyReplicas\":2,"
    "\"conditions\":[{\"type\":\"Available\",\"status\":\"True\",\"reason\":\"MinimumReplicasAvailable\","
    "\"message\":\"has minimum availability\",\"lastUpdateTime\":\"t\"}]}",
    "{\"observedGeneration\":3,\"replicas\":3,\"updatedReplicas\":1,\"availableReplicas\":2}",
    "{\"observedGeneration\":2,\"replicas\":2,\"updatedReplicas\":2,\"availableReplicas\":2}",
    "{\"observedGeneration\":3,\"replicas\":2,\"updatedReplicas\":1,\"availableReplicas\":1,\"collisionCount\":1,"
    "\"conditions\":[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\","
    "\"message\":\"ReplicaSet has timed out progressing\"}]}",
};

static void test_deployment_readiness_and_owner_survive(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "{" DEPLOY_META "\"status\":%s}", STATUSES[i]);
        json_object *full = parse(buf), *text = ctl_project_deployment(full), *p = ctl_cached_tree(text);
        assert_true(json_object_is_type(text, json_type_string));
        json_object_put(text);
        assert_non_null(p);
        bool f1 = false, f2 = false;
        char *m1 = NULL, *m2 = NULL;
        int r1 = ctl_deployment_ready(full, &f1, &m1), r2 = ctl_deployment_ready(p, &f2, &m2);
        assert_int_equal(r1, r2);
        assert_int_equal(f1, f2);
        assert_string_equal(m1, m2);
        free(m1);
        free(m2);
        struct ctl_keys k1 = { 0 }, k2 = { 0 };
        assert_int_equal(ctl_owner_key(full, &k1), 0);
        assert_int_equal(ctl_owner_key(p, &k2), 0);
        assert_int_equal(k1.n, 1);
        assert_int_equal(k2.n, 1);
        assert_string_equal(k1.items[0], k2.items[0]);
        ctl_keys_release(&k1);
        ctl_keys_release(&k2);
        /* What no reader uses is gone; the pod template stays. */
        json_object *md = json_object_object_get(p, "metadata"), *st = json_object_object_get(p, "status");
        assert_null(json_object_object_get(md, "uid"));
        assert_null(json_object_object_get(md, "creationTimestamp"));
        assert_string_equal(json_object_get_string(json_object_object_get(md, "resourceVersion")), "7");
        assert_null(json_object_object_get(st, "readyReplicas"));
        assert_null(json_object_object_get(st, "collisionCount"));
        json_object *conds = json_object_object_get(st, "conditions");
        for (size_t j = 0; conds && j < json_object_array_length(conds); j++)
            assert_null(json_object_object_get(json_object_array_get_idx(conds, j), "message"));
        assert_true(json_object_equal(json_object_object_get(full, "spec"), json_object_object_get(p, "spec")));
        json_object_put(p);
        json_object_put(full);
    }
}

/* Drift detection answers the same on the projection: a match stays a
 * match, an edit of what was applied stays visible. */
static void test_drift_detection_survives(void **state)
{
    (void)state;
    const char *desired_s = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"gw-config\","
                            "\"namespace\":\"ns\",\"labels\":{\"a\":\"b\"}},\"data\":{\"config.yaml\":\"model_list: []\\n\"}}";
    json_object *desired = parse(desired_s);
    assert_int_equal(ctl_stamp_applied_hash(desired), 0);
    const char *h = json_object_get_string(
        json_object_object_get(json_object_object_get(json_object_object_get(desired, "metadata"), "annotations"),
                               CTL_ANN_APPLIED_HASH));
    for (int drift = 0; drift < 2; drift++) {
        char buf[2048];
        snprintf(buf, sizeof(buf),
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"gw-config\",\"namespace\":\"ns\","
                 "\"uid\":\"u\",\"resourceVersion\":\"5\",\"creationTimestamp\":\"t\",\"labels\":{\"a\":\"b\"},"
                 "\"annotations\":{\"%s\":\"%s\"}},\"data\":{\"config.yaml\":\"%s\",\"extra\":\"x\"}}",
                 CTL_ANN_APPLIED_HASH, h, drift ? "edited" : "model_list: []\\n");
        json_object *full = parse(buf), *text = ctl_project_child(full), *p = ctl_cached_tree(text);
        json_object_put(text);
        assert_non_null(p);
        assert_int_equal(ctl_live_matches(desired, full), !drift);
        assert_int_equal(ctl_live_matches(desired, p), !drift);
        json_object_put(p);
        json_object_put(full);
    }
    json_object_put(desired);
}

static void test_watched_kinds_keep_identity_and_what_changes_compare(void **state)
{
    (void)state;
    json_object *route = parse("{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"ToolRoute\","
                               "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\",\"resourceVersion\":\"9\",\"uid\":\"u\","
                               "\"generation\":2,\"annotations\":{\"a\":\"b\"}},"
                               "\"spec\":{\"toolGatewayRef\":{\"name\":\"g\",\"namespace\":\"o\"},"
                               "\"upstream\":{\"external\":{\"url\":\"http://x\"}}},"
                               "\"status\":{\"conditions\":[{\"type\":\"Accepted\"}]}}");
    json_object *text = ctl_project_route(route), *p = ctl_cached_tree(text);
    json_object_put(text);
    json_object *want = parse("{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"ToolRoute\","
                              "\"metadata\":{\"name\":\"r\",\"namespace\":\"ns\",\"resourceVersion\":\"9\"},"
                              "\"spec\":{\"toolGatewayRef\":{\"name\":\"g\",\"namespace\":\"o\"}}}");
    assert_true(json_object_equal(p, want));
    json_object_put(p);
    json_object_put(want);
    text = ctl_project_toolgateway(route);
    p = ctl_cached_tree(text);
    json_object_put(text);
    assert_true(json_object_equal(json_object_object_get(p, "spec"), json_object_object_get(route, "spec")));
    assert_non_null(json_object_object_get(json_object_object_get(p, "metadata"), "annotations"));
    assert_null(json_object_object_get(p, "status"));
    json_object_put(p);
    text = ctl_project_identity(route);
    p = ctl_cached_tree(text);
    json_object_put(text);
    assert_null(json_object_object_get(p, "spec"));
    assert_string_equal(kube_meta_str(p, "name"), "r");
    assert_string_equal(kube_meta_str(p, "namespace"), "ns");
    json_object_put(p);
    json_object_put(route);
}

/* A rendered child as the API server hands it back: what we applied, the
 * server's bookkeeping and a default it fills in. */
static json_object *served(json_object *applied)
{
    json_object *o = NULL;
    assert_int_equal(json_object_deep_copy(applied, &o, NULL), 0);
    json_object *md = json_object_object_get(o, "metadata");
    json_object_object_add(md, "uid", json_object_new_string("9f1c2d3e-0000-4000-8000-000000000001"));
    json_object_object_add(md, "resourceVersion", json_object_new_string("1234"));
    json_object_object_add(md, "creationTimestamp", json_object_new_string("2026-01-01T00:00:00Z"));
    json_object_object_add(md, "generation", json_object_new_int64(1));
    json_object_object_add(json_object_object_get(md, "annotations"), "deployment.kubernetes.io/revision",
                           json_object_new_string("1"));
    return o;
}

/* The children the controller renders are cached in under a third of
 * their text (25% when written), and drift detection still tells an edit
 * of what we applied from what the server added. */
static void test_rendered_children_are_cached_packed(void **state)
{
    (void)state;
    struct fixture f;
    load_objs(&f, "apiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGateway\n"
                  "metadata: {name: main, namespace: ai, uid: u-1, generation: 1}\n"
                  "spec: {aiModels: [{name: gpt-4o, provider: openai}, {name: claude, provider: anthropic}]}\n"
                  "---\napiVersion: runtime.agentic-layer.ai/v1alpha1\nkind: AiGatewayClass\n"
                  "metadata: {name: litellm, annotations: {aigatewayclass.kubernetes.io/is-default-class: 'true'}}\n"
                  "spec: {controller: aigateway.agentic-layer.ai/ai-gateway-litellm-controller}\n");
    struct ctl_plan p;
    assert_int_equal(plan_first(&f, &(struct ctl_live){ 0 }, &p), 0);
    json_object *(*project[3])(json_object *) = { ctl_project_child, ctl_project_deployment, ctl_project_child };
    size_t text_bytes = 0, cached_bytes = 0;
    for (int i = 0; i < 3; i++) {
        assert_non_null(p.apply[i]);
        json_object *live = served(p.apply[i]), *cached = project[i](live), *tree = ctl_cached_tree(cached);
        assert_non_null(tree);
        assert_true(ctl_live_matches(p.apply[i], tree));
        text_bytes += strlen(json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PLAIN));
        cached_bytes += (size_t)json_object_get_string_len(cached);
        json_object_put(tree);
        json_object_put(cached);
        /* Someone edits a label we set. */
        json_object *labels = json_object_object_get(json_object_object_get(live, "metadata"), "labels");
        json_object_object_add(labels, "app.kubernetes.io/managed-by", json_object_new_string("someone"));
        cached = project[i](live);
        tree = ctl_cached_tree(cached);
        assert_false(ctl_live_matches(p.apply[i], tree));
        json_object_put(tree);
        json_object_put(cached);
        json_object_put(live);
    }
    if (cached_bytes * 3 > text_bytes)
        fail_msg("cached %zu bytes of %zu bytes of text", cached_bytes, text_bytes);
    ctl_plan_release(&p);
    free_objs(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment_readiness_and_owner_survive),
        cmocka_unit_test(test_drift_detection_survives),
        cmocka_unit_test(test_watched_kinds_keep_identity_and_what_changes_compare),
        cmocka_unit_test(test_rendered_children_are_cached_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
