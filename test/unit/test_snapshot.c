/* The live set and its snapshots: a snapshot keeps the versions it was made
 * from, whatever changes afterwards; an object is freed exactly when neither
 * the live set nor any snapshot holds it any more; an unchanged world hands
 * out the same snapshot. (Run under ASan as well: a reference dropped once
 * too often is a use after free there.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model_compact.h"
#include "snapshot.h"

static json_object *secret(const char *name, const char *rv)
{
    char text[256];
    snprintf(text, sizeof(text),
             "{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"
             "{\"name\":\"%s\",\"namespace\":\"ns\",\"resourceVersion\":\"%s\"}}",
             name, rv);
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    return o;
}

static void apply(struct world *w, const char *name, const char *rv, bool deleted)
{
    json_object *o = secret(name, rv);
    assert_int_equal(world_apply(w, GW_KIND_SECRET, o, deleted), 0);
    json_object_put(o);
}

static const char *rv_in(const struct snapshot *s, const char *name)
{
    const struct gw_object *o = snapshot_find(s, GW_KIND_SECRET, "ns", name);
    return o ? o->meta.resource_version : NULL;
}

static void test_snapshots_hold_their_versions_and_free_when_done(void **state)
{
    (void)state;
    long base = world_live_objects();
    struct world *w = NULL;
    assert_int_equal(world_new(&w), 0);
    apply(w, "a", "1", false);
    apply(w, "b", "2", false);
    assert_int_equal(world_live_objects() - base, 2);
    /* The same resourceVersion again is not parsed again. */
    apply(w, "a", "1", false);
    assert_int_equal(world_live_objects() - base, 2);

    const struct snapshot *s1 = world_snapshot(w);
    assert_non_null(s1);
    assert_ptr_equal(world_snapshot(w), s1); /* nothing changed: the same one */
    snapshot_put(s1);
    assert_int_equal(s1->n, 2);

    apply(w, "a", "3", false);        /* s1 keeps a@1 alive */
    assert_int_equal(world_live_objects() - base, 3);
    const struct snapshot *s2 = world_snapshot(w);
    assert_true(s2 != s1);
    assert_string_equal(rv_in(s1, "a"), "1");
    assert_string_equal(rv_in(s2, "a"), "3");
    snapshot_put(s1);                 /* a@1 is nobody's now */
    assert_int_equal(world_live_objects() - base, 2);

    apply(w, "b", "2", true);         /* deleted, but s2 still has it */
    assert_null(snapshot_find(world_snapshot(w), GW_KIND_SECRET, "ns", "b"));
    assert_string_equal(rv_in(s2, "b"), "2");
    assert_int_equal(world_live_objects() - base, 2);
    snapshot_put(s2);                 /* the world's current one no longer is s2 */
    assert_int_equal(world_live_objects() - base, 1);

    const struct snapshot *s3 = world_snapshot(w);
    assert_int_equal(s3->n, 1);
    world_free(w);                    /* s3 outlives the world */
    assert_int_equal(world_live_objects() - base, 1);
    assert_string_equal(rv_in(s3, "a"), "3");
    snapshot_put(s3);
    snapshot_put(s3);                 /* the reference taken by the find above */
    assert_int_equal(world_live_objects() - base, 0);
}

/* A route in the world is detached from its tree: every field planning
 * reads is the same, its status reads back equal, and a deletion mark
 * survives; the informer's object is left as it was. */
static void test_routes_are_held_detached_with_the_same_fields(void **state)
{
    (void)state;
    json_object *in = json_tokener_parse(
        "{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"ToolRoute\",\"metadata\":"
        "{\"name\":\"weather\",\"namespace\":\"team\",\"uid\":\"u-1\",\"resourceVersion\":\"42\",\"generation\":3,"
        "\"creationTimestamp\":\"2026-01-02T03:04:05Z\",\"deletionTimestamp\":\"2026-01-02T03:05:00Z\","
        "\"labels\":{\"a\":\"b\"}},"
        "\"spec\":{\"toolGatewayRef\":{\"name\":\"tools\",\"namespace\":\"gw\"},"
        "\"upstream\":{\"external\":{\"url\":\"https://mcp.example.com/mcp\"}},"
        "\"toolFilter\":{\"allow\":[\"get_*\",\"list\"],\"deny\":[\"drop\"]}},"
        "\"status\":{\"url\":\"http://tools.gw.svc.cluster.local/team/weather/mcp\",\"conditions\":"
        "[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Ready\",\"message\":\"served\","
        "\"lastTransitionTime\":\"2026-01-02T03:04:06Z\",\"observedGeneration\":3}]}}");
    assert_non_null(in);
    const char *before = json_object_to_json_string(in);
    char *copy = strdup(before);
    struct world *w = NULL;
    assert_int_equal(world_new(&w), 0);
    assert_int_equal(world_apply(w, GW_KIND_TOOLROUTE, in, false), 0);
    assert_string_equal(json_object_to_json_string(in), copy);
    const struct snapshot *s = world_snapshot(w);
    const struct gw_object *o = snapshot_find(s, GW_KIND_TOOLROUTE, "team", "weather");
    assert_non_null(o);
    assert_null(o->root);
    assert_string_equal(o->meta.uid, "u-1");
    assert_string_equal(o->meta.resource_version, "42");
    assert_string_equal(o->meta.creation_timestamp, "2026-01-02T03:04:05Z");
    assert_int_equal(o->meta.generation, 3);
    assert_true(o->meta.deleting);
    assert_true(o->u.route.gateway.set);
    assert_string_equal(o->u.route.gateway.name, "tools");
    assert_string_equal(o->u.route.gateway.ns, "gw");
    assert_string_equal(o->u.route.external_url, "https://mcp.example.com/mcp");
    assert_int_equal(o->u.route.n_allow, 2);
    assert_string_equal(o->u.route.allow[1], "list");
    assert_int_equal(o->u.route.n_deny, 1);
    assert_string_equal(o->u.route.deny[0], "drop");
    json_object *owned = NULL;
    json_object *st = gw_object_status(o, &owned);
    assert_non_null(st);
    assert_ptr_equal(st, owned);
    assert_true(json_object_equal(st, json_object_object_get(in, "status")));
    json_object_put(owned);
    snapshot_put(s);
    world_free(w);
    json_object_put(in);
    free(copy);
}

/* One condition as the API server writes it (keys sorted). */
#define COND(type, st, reason, msg)                                                                            \
    "{\"lastTransitionTime\":\"2026-01-02T03:04:06Z\",\"message\":\"" msg "\",\"observedGeneration\":1,"     \
    "\"reason\":\"" reason "\",\"status\":\"" st "\",\"type\":\"" type "\"}"

/* A route's status as the controller writes it, held detached: it reads
 * back the same and is kept in a sixth of its text (a tenth when written). So is a status with
 * what no dictionary names (control characters, escapes, non-ASCII). */
static void test_route_status_is_held_packed(void **state)
{
    (void)state;
    static const char *const statuses[] = {
        "{\"conditions\":[" COND("Accepted", "True", "Accepted", "attached to ToolGateway team/tools") ","
        COND("Ready", "False", "GatewayNotReady",
             "the ToolGateway team/tools is not ready yet (its Ready condition says why)") ","
        COND("Reconciling", "True", "GatewayNotReady",
             "the ToolGateway team/tools is not ready yet (its Ready condition says why)") ","
        COND("ResolutionFailed", "False", "Resolved", "the upstream resolved") ","
        COND("Stalled", "False", "NotStalled", "nothing is failing") "],\"observedGeneration\":1}",
        "{\"conditions\":[" COND("Other", "True", "\\u0001\\u001f\\n\\\"x\\\\", "caf\xc3\xa9 \\/ a/b") "],"
        "\"url\":null,\"n\":[1.5,-2,true,{}]}",
    };
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        char text[4096];
        snprintf(text, sizeof(text),
                 "{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"ToolRoute\",\"metadata\":"
                 "{\"name\":\"r\",\"namespace\":\"team\",\"uid\":\"u\",\"resourceVersion\":\"1\",\"generation\":1},"
                 "\"spec\":{\"toolGatewayRef\":{\"name\":\"tools\"},"
                 "\"upstream\":{\"external\":{\"url\":\"https://mcp.example.com/mcp\"}}},\"status\":%s}",
                 statuses[i]);
        json_object *in = json_tokener_parse(text), *want = json_tokener_parse(statuses[i]);
        assert_non_null(in);
        assert_non_null(want);
        struct world *w = NULL;
        assert_int_equal(world_new(&w), 0);
        assert_int_equal(world_apply(w, GW_KIND_TOOLROUTE, in, false), 0);
        const struct snapshot *s = world_snapshot(w);
        const struct gw_object *o = snapshot_find(s, GW_KIND_TOOLROUTE, "team", "r");
        assert_non_null(o);
        assert_null(o->root);
        json_object *owned = NULL, *st = gw_object_status(o, &owned);
        assert_non_null(st);
        assert_true(json_object_equal(st, want));
        if (i == 0)
            assert_true(gw_object_status_size(o) * 6 < strlen(statuses[i]));
        json_object_put(owned);
        snapshot_put(s);
        world_free(w);
        json_object_put(in);
        json_object_put(want);
    }
}

/* Every object of a large world is found by its name, in every snapshot
 * that holds it, and no other (the index is a table of its own). */
static void test_find_among_many(void **state)
{
    (void)state;
    struct world *w = NULL;
    assert_int_equal(world_new(&w), 0);
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        apply(w, name, "1", false);
    }
    const struct snapshot *s1 = world_snapshot(w);
    for (int i = 0; i < 3000; i += 2) {
        snprintf(name, sizeof(name), "s%d", i);
        apply(w, name, "1", true);
    }
    const struct snapshot *s2 = world_snapshot(w);
    assert_int_equal(s1->n, 3000);
    assert_int_equal(s2->n, 1500);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        assert_string_equal(rv_in(s1, name), "1");
        if (i % 2)
            assert_string_equal(rv_in(s2, name), "1");
        else
            assert_null(rv_in(s2, name));
    }
    assert_null(rv_in(s1, "s3000"));
    assert_null(rv_in(s1, ""));
    assert_null(snapshot_find(s1, GW_KIND_TOOLROUTE, "ns", "s1"));
    snapshot_put(s1);
    snapshot_put(s2);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshots_hold_their_versions_and_free_when_done),
        cmocka_unit_test(test_routes_are_held_detached_with_the_same_fields),
        cmocka_unit_test(test_route_status_is_held_packed),
        cmocka_unit_test(test_find_among_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
