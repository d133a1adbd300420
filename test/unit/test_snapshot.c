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
#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshots_hold_their_versions_and_free_when_done),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
