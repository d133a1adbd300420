/* Events that only an Event reports (ClassNotFound) are posted once per
 * object generation: repeated reconciles of an unchanged spec add none. */
#include <errno.h>

#include "testutil.h"

#include "events.h"
#include "plan.h"
#include "status.h"

#define V1A1 "apiVersion: runtime.agentic-layer.ai/v1alpha1\n"
#define OURS "aigateway.agentic-layer.ai/ai-gateway-litellm-controller"
#define AICLASS "---\n" V1A1 "kind: AiGatewayClass\nmetadata: {name: litellm}\nspec: {controller: " OURS "}\n"
#define GW(gen, cls)                                                                                         \
    V1A1 "kind: AiGateway\nmetadata: {name: stray, namespace: ns, uid: u-1, generation: " gen "}\n"        \
         "spec: {aiGatewayClassName: " cls ", aiModels: [{name: a, provider: openai}]}\n"

static const struct ctl_plan_options OPT = { .image = "litellm:test", .now = "2026-11-26T00:00:00Z" };

/* Plans the gateway of text and filters its Events through m: how many
 * ClassNotFound Events remain. */
static size_t class_events(struct ctl_event_memo *m, const char *text)
{
    struct fixture f;
    load_objs(&f, text);
    struct gw_objset set = { (const struct gw_object *const *)f.objs, f.n };
    struct ctl_plan p;
    assert_int_equal(ctl_plan_gateway(f.objs[0], &set, &(struct ctl_live){ 0 }, &OPT, &p), 0);
    ctl_event_memo_filter(m, f.objs[0], &p);
    size_t n = 0;
    for (size_t i = 0; i < p.n_events; i++)
        n += strcmp(p.events[i].reason, CTL_R_CLASS_NOT_FOUND) == 0;
    ctl_plan_release(&p);
    free_objs(&f);
    return n;
}

static void test_once_per_generation(void **state)
{
    (void)state;
    struct ctl_event_memo *m = NULL;
    assert_int_equal(ctl_event_memo_new(16, &m), 0);
    assert_int_equal(class_events(m, GW("1", "missing")), 1);
    /* Reconciled again (a label changed, a resync): nothing new. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(class_events(m, GW("1", "missing")), 0);
    /* The spec changed: the next generation reports again, once. */
    assert_int_equal(class_events(m, GW("2", "still-missing")), 1);
    assert_int_equal(class_events(m, GW("2", "still-missing")), 0);
    /* The class appeared (the plan has no such Event), then went again
     * without a spec change: that is news. */
    assert_int_equal(class_events(m, GW("2", "litellm") AICLASS), 0);
    assert_int_equal(class_events(m, GW("2", "still-missing")), 1);
    assert_int_equal(class_events(m, GW("2", "still-missing")), 0);
    ctl_event_memo_free(m);

    /* Without a memo every plan keeps its Event. */
    assert_int_equal(class_events(NULL, GW("1", "missing")), 1);
    assert_int_equal(class_events(NULL, GW("1", "missing")), 1);
}

static void test_memo_bounded(void **state)
{
    (void)state;
    struct ctl_event_memo *m = NULL;
    assert_int_equal(ctl_event_memo_new(2, &m), 0);
    assert_true(ctl_event_memo_first(m, "a", 1, "R"));
    assert_true(ctl_event_memo_first(m, "b", 1, "R"));
    assert_false(ctl_event_memo_first(m, "a", 1, "R"));
    assert_false(ctl_event_memo_first(m, "b", 1, "R"));
    /* A third object evicts the one remembered longest ago. */
    assert_true(ctl_event_memo_first(m, "c", 1, "R"));
    assert_true(ctl_event_memo_first(m, "a", 1, "R"));
    assert_false(ctl_event_memo_first(m, "c", 1, "R"));
    /* Another reason of the same object is news. */
    assert_true(ctl_event_memo_first(m, "c", 1, "Other"));
    ctl_event_memo_forget(m, "c");
    assert_true(ctl_event_memo_first(m, "c", 1, "Other"));
    /* What does not fit is always news, never truncated into a match. */
    char long_uid[200];
    memset(long_uid, 'u', sizeof(long_uid) - 1);
    long_uid[sizeof(long_uid) - 1] = '\0';
    assert_true(ctl_event_memo_first(m, long_uid, 1, "R"));
    assert_true(ctl_event_memo_first(m, long_uid, 1, "R"));
    assert_true(ctl_event_memo_first(m, NULL, 1, "R"));
    ctl_event_memo_free(m);
    assert_int_equal(ctl_event_memo_new(0, &m), -ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once_per_generation),
        cmocka_unit_test(test_memo_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
