/* Conditions, Deployment readiness and the apply decision. */
#include "testutil.h"

#include "status.h"

static void test_deployment_ready_only_when_rolled_out(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        int ready;
        bool failed;
        const char *message;
    } cases[] = {
        { "metadata: {generation: 2}\nspec: {replicas: 2}\nstatus: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2}\n",
          0, false, "the Deployment controller has not yet observed generation 2" },
        { "metadata: {generation: 2}\nspec: {replicas: 2}\nstatus: {observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2}\n",
          0, false, "1 of 2 replicas updated, 2 available, old replicas still running" },
        { "metadata: {generation: 2}\nspec: {replicas: 2}\nstatus: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1}\n",
          0, false, "2 of 2 replicas updated, 1 available" },
        { "metadata: {generation: 3}\nspec: {replicas: 1}\nstatus: {observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1}\n",
          1, false, "1 of 1 replicas updated and available" },
        { "metadata: {generation: 3}\nspec: {replicas: 1}\nstatus: {observedGeneration: 3, replicas: 1, updatedReplicas: 1,\n"
          "  conditions: [{type: Progressing, status: 'False', reason: ProgressDeadlineExceeded}]}\n",
          0, true, "1 of 1 replicas updated, 0 available; the rollout exceeded its progress deadline" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *d = yaml_obj(cases[i].yaml);
        bool failed = !cases[i].failed;
        char *msg = NULL;
        assert_int_equal(ctl_deployment_ready(d, &failed, &msg), cases[i].ready);
        assert_int_equal(failed, cases[i].failed);
        assert_string_equal(msg, cases[i].message);
        free(msg);
        json_object_put(d);
    }
    bool failed = true;
    char *msg = NULL;
    assert_int_equal(ctl_deployment_ready(NULL, &failed, &msg), 0);
    assert_false(failed);
    assert_string_equal(msg, "the Deployment does not exist yet");
    free(msg);
}

static void test_conditions_keep_transition_time_until_status_flips(void **state)
{
    (void)state;
    json_object *old = yaml_obj("- {type: AiGatewayReady, status: 'False', reason: DeploymentRollingOut, message: m,\n"
                                "   lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1}\n"
                                "- {type: AiGatewayConfigured, status: 'True', reason: ConfigurationApplied, message: ok,\n"
                                "   lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1}\n"
                                "- {type: SomeoneElses, status: 'True', reason: X, message: y,\n"
                                "   lastTransitionTime: '2025-01-01T00:00:00Z'}\n");
    struct ctl_condition now[] = {
        { CTL_AI_CONFIGURED, true, CTL_R_CONFIGURATION_APPLIED, "ok" },
        { CTL_AI_READY, true, CTL_R_RECONCILED, "1 of 1 replicas updated and available" },
    };
    json_object *c = ctl_conditions_build(old, now, 2, 2, "2026-02-02T00:00:00Z");
    assert_non_null(c);
    assert_string_equal(json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN),
        "[{\"observedGeneration\":2,\"type\":\"AiGatewayConfigured\",\"status\":\"True\",\"reason\":\"ConfigurationApplied\","
        "\"message\":\"ok\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"},"
        "{\"observedGeneration\":2,\"type\":\"AiGatewayReady\",\"status\":\"True\",\"reason\":\"Reconciled\","
        "\"message\":\"1 of 1 replicas updated and available\",\"lastTransitionTime\":\"2026-02-02T00:00:00Z\"},"
        "{\"type\":\"SomeoneElses\",\"status\":\"True\",\"reason\":\"X\",\"message\":\"y\","
        "\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"}]");
    /* Building again from the result at a later time changes nothing. */
    json_object *again = ctl_conditions_build(c, now, 2, 2, "2026-03-03T00:00:00Z");
    assert_true(ctl_json_equal(c, again));
    json_object_put(again);
    json_object_put(c);
    json_object_put(old);
}

static void test_subset_ignores_server_defaults_but_not_changes(void **state)
{
    (void)state;
    json_object *desired = yaml_obj("spec: {replicas: 1, template: {spec: {containers: [{name: a, image: i}]}}}\n");
    json_object *live = yaml_obj("spec: {replicas: 1, progressDeadlineSeconds: 600,\n"
                                 "  template: {spec: {containers: [{name: a, image: i, terminationMessagePath: /dev/x}]}}}\n");
    json_object *changed = yaml_obj("spec: {replicas: 1, template: {spec: {containers: [{name: a, image: j}]}}}\n");
    json_object *more = yaml_obj("spec: {replicas: 1, template: {spec: {containers: [{name: a, image: i}, {name: b}]}}}\n");
    assert_true(ctl_json_subset(desired, live));
    assert_false(ctl_json_subset(desired, changed));
    assert_false(ctl_json_subset(desired, more));
    json_object_put(desired);
    json_object_put(live);
    json_object_put(changed);
    json_object_put(more);
}

static void test_applied_hash_notices_removed_fields(void **state)
{
    (void)state;
    json_object *v1 = yaml_obj("metadata: {name: x, labels: {a: '1', b: '2'}}\ndata: {k: v}\n");
    json_object *v2 = yaml_obj("metadata: {name: x, labels: {a: '1'}}\ndata: {k: v}\n");
    assert_int_equal(ctl_stamp_applied_hash(v1), 0);
    assert_int_equal(ctl_stamp_applied_hash(v2), 0);
    /* live = what v1 applied, plus server fields */
    json_object *live = NULL;
    assert_int_equal(json_object_deep_copy(v1, &live, NULL), 0);
    json_object_object_add(json_object_object_get(live, "metadata"), "resourceVersion", json_object_new_string("7"));
    assert_true(ctl_live_matches(v1, live));
    /* v2 drops label b: live still has it; the applied hash tells. */
    assert_false(ctl_live_matches(v2, live));
    /* Stamping is stable. */
    const char *h1 = json_object_get_string(json_object_object_get(
        json_object_object_get(json_object_object_get(v1, "metadata"), "annotations"), CTL_ANN_APPLIED_HASH));
    char keep[65];
    snprintf(keep, sizeof(keep), "%s", h1);
    assert_int_equal(ctl_stamp_applied_hash(v1), 0);
    assert_string_equal(keep, json_object_get_string(json_object_object_get(
        json_object_object_get(json_object_object_get(v1, "metadata"), "annotations"), CTL_ANN_APPLIED_HASH)));
    json_object_put(live);
    json_object_put(v1);
    json_object_put(v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment_ready_only_when_rolled_out),
        cmocka_unit_test(test_conditions_keep_transition_time_until_status_flips),
        cmocka_unit_test(test_subset_ignores_server_defaults_but_not_changes),
        cmocka_unit_test(test_applied_hash_notices_removed_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
