/* The informer and the paginated list against a scripted HTTP server: a 410
 * during a watch makes the informer list again, and that relist reports what
 * changed meanwhile (a delete included) to the handlers; an expired continue
 * token restarts a paginated list from its first page. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "informer.h"
#include "kube_client.h"
#include "strbuf.h"

#include "fakehttp.h"
#include "fakekube.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" lacks \"%s\"", hay, needle);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle))
        fail_msg("\"%s\" has \"%s\"", hay, needle);
}

/* What the handlers saw, as "add ns/a@1; update ns/a@2; delete ns/b; ". */
struct record {
    pthread_mutex_t lock;
    char text[1024];
};

static void note(struct record *r, const char *what, json_object *obj)
{
    pthread_mutex_lock(&r->lock);
    size_t len = strlen(r->text);
    snprintf(r->text + len, sizeof(r->text) - len, "%s %s/%s@%s; ", what, kube_meta_str(obj, "namespace"),
             kube_meta_str(obj, "name"), kube_meta_str(obj, "resourceVersion"));
    pthread_mutex_unlock(&r->lock);
}

static void h_add(void *ud, json_object *obj)
{
    note(ud, "add", obj);
}

static void h_update(void *ud, json_object *old_obj, json_object *new_obj)
{
    (void)old_obj;
    note(ud, "update", new_obj);
}

static void h_delete(void *ud, json_object *old_obj)
{
    note(ud, "delete", old_obj);
}

#define OBJ(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}}"

static void test_410_relists_and_reports_the_delete(void **state)
{
    (void)state;
    static const char *const stream[] = {
        "{\"type\":\"MODIFIED\",\"object\":" OBJ("a", "11") "}\n",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
        "\"message\":\"too old resource version: 11 (15)\"}}\n",
        NULL,
    };
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"10\"},"
                                 "\"items\":[" OBJ("a", "1") "," OBJ("b", "2") "]}" },
        { .status = 200, .chunks = stream },
        /* Meanwhile b was deleted and c created; a is as the watch left it. */
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"20\"},"
                                 "\"items\":[" OBJ("a", "11") "," OBJ("c", "12") "]}" },
        { .status = 200, .hang = true },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    static struct record rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct informer_opts io = {
        .res = &KUBE_CONFIGMAPS, .watch_timeout_secs = 60,
        .handlers = { h_add, h_update, h_delete, &rec },
    };
    struct informer *inf = NULL;
    assert_int_equal(informer_new(cfg, &io, &inf), 0);
    assert_int_equal(informer_start(inf), 0);
    struct informer_stats st = { 0 };
    for (int i = 0; i < 500; i++) {
        informer_get_stats(inf, &st);
        if (st.watches >= 2 && __atomic_load_n(&f.n_seen, __ATOMIC_SEQ_CST) >= 4)
            break;
        sleep_ms(10);
    }
    assert_int_equal(st.lists, 2);
    assert_int_equal(st.relists_gone, 1);
    assert_int_equal(st.watches, 2);
    char *rv = informer_resource_version(inf);
    assert_string_equal(rv, "20");
    free(rv);
    assert_int_equal(informer_count(inf), 2);
    assert_null(informer_get(inf, "ns/b"));
    json_object *c = informer_get(inf, "ns/c");
    assert_non_null(c);
    informer_put(inf, c);
    informer_stop(inf);
    fake_stop(&f);
    pthread_mutex_lock(&rec.lock);
    assert_string_equal(rec.text, "add ns/a@1; add ns/b@2; update ns/a@11; add ns/c@12; delete ns/b@2; ");
    pthread_mutex_unlock(&rec.lock);
    /* list, watch from the list, list again (not a watch), watch from it. */
    assert_lacks(f.seen[0], "watch=");
    assert_contains(f.seen[1], "watch=");
    assert_contains(f.seen[1], "resourceVersion=10");
    assert_lacks(f.seen[2], "watch=");
    assert_contains(f.seen[3], "resourceVersion=20");
    fake_free(&f);
    informer_free(inf);
    kube_config_free(cfg);
}

static void test_expired_continue_token_restarts_the_list(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"40\","
                                 "\"continue\":\"old\"},\"items\":[" OBJ("a", "1") "]}" },
        { .status = 410, .body = "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410,"
                                 "\"message\":\"The provided continue parameter is too old\"}" },
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"50\","
                                 "\"continue\":\"new\"},\"items\":[" OBJ("a", "1") "]}" },
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"50\"},"
                                 "\"items\":[" OBJ("b", "2") "]}" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 5000, .max_tries = 1 };
    struct kube_client *c = NULL;
    assert_int_equal(kube_client_new(cfg, &o, &c), 0);
    struct kube_list_opts lo = { .limit = 1 };
    json_object *list = NULL;
    assert_int_equal(kube_list_all(c, &KUBE_CONFIGMAPS, NULL, &lo, &list), 0);
    /* The second attempt's snapshot only: a once, b, resourceVersion 50. */
    json_object *items = json_object_object_get(list, "items");
    assert_int_equal(json_object_array_length(items), 2);
    assert_string_equal(kube_meta_str(json_object_array_get_idx(items, 0), "name"), "a");
    assert_string_equal(kube_meta_str(json_object_array_get_idx(items, 1), "name"), "b");
    assert_string_equal(kube_meta_str(list, "resourceVersion"), "50");
    json_object_put(list);
    fake_stop(&f);
    assert_contains(f.seen[1], "continue=old");
    assert_lacks(f.seen[2], "continue=");
    assert_contains(f.seen[3], "continue=new");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

/* A projection that keeps the identity only: the cache must hold it, the
 * handlers must see the whole object as new and the projection as old. */
static json_object *identity_only(json_object *obj)
{
    json_object *o = json_object_new_object(), *md = json_object_new_object();
    json_object *src = json_object_object_get(obj, "metadata");
    static const char *const keep[] = { "name", "namespace", "resourceVersion" };
    for (size_t i = 0; i < N(keep); i++)
        json_object_object_add(md, keep[i], json_object_get(json_object_object_get(src, keep[i])));
    json_object_object_add(o, "metadata", md);
    return o;
}

static struct record proj_rec = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void note_data(const char *what, json_object *obj)
{
    pthread_mutex_lock(&proj_rec.lock);
    size_t len = strlen(proj_rec.text);
    snprintf(proj_rec.text + len, sizeof(proj_rec.text) - len, "%s %s@%s%s; ", what, kube_meta_str(obj, "name"),
             kube_meta_str(obj, "resourceVersion"), json_object_object_get(obj, "data") ? "+data" : "");
    pthread_mutex_unlock(&proj_rec.lock);
}

static void p_add(void *ud, json_object *obj)
{
    (void)ud;
    note_data("add", obj);
}

static void p_update(void *ud, json_object *old_obj, json_object *new_obj)
{
    (void)ud;
    note_data("old", old_obj);
    note_data("new", new_obj);
}

#define DOBJ(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"}," \
                       "\"data\":{\"k\":\"v\"}}"

static void test_projection_is_cached_and_pages_arrive_one_by_one(void **state)
{
    (void)state;
    static const char *const stream[] = { "{\"type\":\"MODIFIED\",\"object\":" DOBJ("a", "3") "}\n", NULL };
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"2\","
                                 "\"continue\":\"p2\"},\"items\":[" DOBJ("a", "1") "]}" },
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"2\"},"
                                 "\"items\":[" DOBJ("b", "2") "]}" },
        { .status = 200, .chunks = stream },
        { .status = 200, .hang = true },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct informer_opts io = {
        .res = &KUBE_CONFIGMAPS, .watch_timeout_secs = 60, .page_size = 1, .project = identity_only,
        .handlers = { p_add, p_update, NULL, NULL },
    };
    struct informer *inf = NULL;
    assert_int_equal(informer_new(cfg, &io, &inf), 0);
    assert_int_equal(informer_start(inf), 0);
    for (int i = 0; i < 500 && __atomic_load_n(&f.n_seen, __ATOMIC_SEQ_CST) < 4; i++)
        sleep_ms(10);
    json_object *a = informer_get(inf, "ns/a");
    assert_non_null(a);
    assert_string_equal(kube_meta_str(a, "resourceVersion"), "3");
    assert_null(json_object_object_get(a, "data"));
    informer_put(inf, a);
    assert_int_equal(informer_count(inf), 2);
    informer_stop(inf);
    fake_stop(&f);
    assert_string_equal(proj_rec.text, "add a@1+data; add b@2+data; old a@1; new a@3+data; ");
    assert_contains(f.seen[0], "limit=1");
    assert_contains(f.seen[1], "continue=p2");
    assert_contains(f.seen[2], "resourceVersion=2");
    fake_free(&f);
    informer_free(inf);
    kube_config_free(cfg);
}

/* Asking informers to stop returns at once, with each of them still
 * running its request; joining them afterwards finds them on their way. */
static void test_request_stop_asks_without_waiting(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},"
                                 "\"items\":[]}" },
        { .status = 200, .hang = true },
    };
    struct fake f[2];
    struct kube_config *cfg[2];
    struct informer *inf[2];
    for (int i = 0; i < 2; i++) {
        fake_start(&f[i], script, N(script));
        cfg[i] = fake_kube_config(f[i].port, "t");
        struct informer_opts io = { .res = &KUBE_CONFIGMAPS, .watch_timeout_secs = 60 };
        assert_int_equal(informer_new(cfg[i], &io, &inf[i]), 0);
        assert_int_equal(informer_start(inf[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        for (int t = 0; t < 500 && __atomic_load_n(&f[i].n_seen, __ATOMIC_SEQ_CST) < 2; t++)
            sleep_ms(10);
    for (int i = 0; i < 2; i++) {
        assert_false(informer_stop_requested(inf[i]));
        informer_request_stop(inf[i]);
    }
    for (int i = 0; i < 2; i++)
        assert_true(informer_stop_requested(inf[i]));
    for (int i = 0; i < 2; i++) {
        informer_stop(inf[i]);
        fake_stop(&f[i]);
        fake_free(&f[i]);
        informer_free(inf[i]);
        kube_config_free(cfg[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_410_relists_and_reports_the_delete),
        cmocka_unit_test(test_expired_continue_token_restarts_the_list),
        cmocka_unit_test(test_projection_is_cached_and_pages_arrive_one_by_one),
        cmocka_unit_test(test_request_stop_asks_without_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
