/* Watch against the real API server: the events of a create, update and
 * delete arrive in order, bookmarks come, and a resourceVersion that is too
 * old is reported as 410 Gone (-ESTALE). */
#include <pthread.h>

#include "itest.h"

struct watcher {
    struct kube_config *cfg;
    const char *ns;
    const char *rv;
    unsigned timeout_s;
    pthread_mutex_t lock;
    char log[8192];
    int rc;
    bool done;
    char error[512];
};

static int on_event(void *ud, enum kube_event_type t, json_object *obj)
{
    struct watcher *w = ud;
    const char *name = t == KUBE_EVENT_BOOKMARK ? "-" : kube_meta_str(obj, "name");
    pthread_mutex_lock(&w->lock);
    size_t len = strlen(w->log);
    snprintf(w->log + len, sizeof(w->log) - len, "%s %s;", kube_event_type_name(t), name ? name : "?");
    pthread_mutex_unlock(&w->lock);
    int rc = t == KUBE_EVENT_ERROR && kube_status_code(obj) == 410 ? -ESTALE : 0;
    json_object_put(obj);
    return rc;
}

static void *watch_main(void *arg)
{
    struct watcher *w = arg;
    struct kube_client *c = NULL;
    if (kube_client_new(w->cfg, NULL, &c) != 0)
        return NULL;
    /* Labelled, so that what the controller-manager puts into a new
     * namespace (kube-root-ca.crt) stays out of the log. */
    struct kube_watch_opts wo = { .resource_version = w->rv, .timeout_seconds = w->timeout_s,
                                  .label_selector = "test=watch" };
    int rc = kube_watch(c, &KUBE_CONFIGMAPS, w->ns, &wo, on_event, w);
    pthread_mutex_lock(&w->lock);
    w->rc = rc;
    w->done = true;
    snprintf(w->error, sizeof(w->error), "%s", kube_client_error(c));
    pthread_mutex_unlock(&w->lock);
    kube_client_free(c);
    return NULL;
}

static bool log_has(struct watcher *w, const char *what)
{
    pthread_mutex_lock(&w->lock);
    bool has = strstr(w->log, what) != NULL;
    pthread_mutex_unlock(&w->lock);
    return has;
}

static bool saw_delete(void *ud)
{
    return log_has(ud, "DELETED w1;");
}

static bool watch_done(void *ud)
{
    struct watcher *w = ud;
    pthread_mutex_lock(&w->lock);
    bool d = w->done;
    pthread_mutex_unlock(&w->lock);
    return d;
}

static void test_watch_delivers_changes_and_bookmarks(void **state)
{
    (void)state;
    struct kube_config *cfg = it_config();
    struct kube_client *c = it_client(cfg);
    const char *ns = it_ns();
    json_object *list = NULL;
    assert_ok(kube_list(c, &KUBE_CONFIGMAPS, ns, NULL, &list), c);
    struct watcher w = { .cfg = cfg, .ns = ns, .rv = kube_meta_str(list, "resourceVersion"), .timeout_s = 8 };
    pthread_mutex_init(&w.lock, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, watch_main, &w), 0);

    json_object *cm = it_json("{\"metadata\":{\"name\":\"w1\",\"labels\":{\"test\":\"watch\"}},"
                              "\"data\":{\"v\":\"1\"}}"), *got = NULL;
    assert_ok(kube_create(c, &KUBE_CONFIGMAPS, ns, cm, &got), c);
    json_object_object_add(json_object_object_get(got, "data"), "v", json_object_new_string("2"));
    assert_ok(kube_update(c, &KUBE_CONFIGMAPS, ns, "w1", NULL, got, NULL), c);
    assert_ok(kube_delete(c, &KUBE_CONFIGMAPS, ns, "w1"), c);
    bool deleted = it_wait(saw_delete, &w, 10000);
    /* The server sends a bookmark shortly before it ends the watch, if the
     * kind's resourceVersion moved past the last event we saw: move it with
     * a change the selector filters out. */
    json_object *bump = it_json("{\"metadata\":{\"name\":\"unwatched\"}}");
    assert_ok(kube_create(c, &KUBE_CONFIGMAPS, ns, bump, NULL), c);
    json_object_put(bump);
    bool ended = it_wait(watch_done, &w, 20000);
    pthread_join(t, NULL);
    print_message("  events: %s\n", w.log);
    assert_true(deleted);
    assert_true(ended);
    assert_int_equal(w.rc, 0);
    assert_non_null(strstr(w.log, "ADDED w1;MODIFIED w1;DELETED w1;"));
    assert_non_null(strstr(strstr(w.log, "DELETED w1;"), "BOOKMARK -;"));
    assert_null(strstr(w.log, "unwatched"));
    pthread_mutex_destroy(&w.lock);
    json_object_put(got);
    json_object_put(cm);
    json_object_put(list);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_too_old_resource_version_is_gone(void **state)
{
    (void)state;
    struct kube_config *cfg = it_config();
    /* A version from before the API server's watch cache began (the Python
     * side restarts the server after noting it), or the very first one. */
    const char *old = getenv("GW_TEST_OLD_RV");
    struct watcher w = { .cfg = cfg, .ns = it_ns(), .rv = old && *old ? old : "1", .timeout_s = 10 };
    pthread_mutex_init(&w.lock, NULL);
    /* Right after a restart the cache may still be filling: 429, retry. */
    for (int i = 0; i < 30; i++) {
        w.log[0] = '\0';
        watch_main(&w);
        if (w.rc != -EAGAIN)
            break;
        it_sleep_ms(1000);
    }
    print_message("  rc %d, events \"%s\", error \"%s\"\n", w.rc, w.log, w.error);
    /* Either a 410 answer or an ERROR event with code 410. */
    assert_int_equal(w.rc, -ESTALE);
    assert_non_null(strstr(w.error, "too old resource version") ? w.error : strstr(w.log, "ERROR"));
    pthread_mutex_destroy(&w.lock);
    kube_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_delivers_changes_and_bookmarks),
        cmocka_unit_test(test_too_old_resource_version_is_gone),
    };
    return IT_RUN(tests);
}
