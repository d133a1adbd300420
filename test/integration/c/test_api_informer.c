/* The informer against the real API server: paginated list then watch,
 * events with old and new objects, label selection, metadata-only Secrets,
 * and (interactively, driven by test_kube_client.py) following the API
 * server through outages and 410 Gone without missing a change. */
#include <pthread.h>

#include "informer.h"
#include "itest.h"

/* Every handler call, as text: "add inf-1 1;update inf-1 1>2;delete inf-2 1;" */
struct recorder {
    pthread_mutex_t lock;
    char log[65536];
    struct informer *inf;
};

static const char *value_of(json_object *o)
{
    const char *v = it_path_str(o, "data", "v");
    return v ? v : "-";
}

static void record(struct recorder *r, const char *what, json_object *old_obj, json_object *new_obj)
{
    json_object *o = new_obj ? new_obj : old_obj;
    pthread_mutex_lock(&r->lock);
    size_t len = strlen(r->log);
    if (old_obj && new_obj)
        snprintf(r->log + len, sizeof(r->log) - len, "%s %s %s>%s;", what, kube_meta_str(o, "name"),
                 value_of(old_obj), value_of(new_obj));
    else
        snprintf(r->log + len, sizeof(r->log) - len, "%s %s %s;", what, kube_meta_str(o, "name"), value_of(o));
    pthread_mutex_unlock(&r->lock);
}

static void on_add(void *ud, json_object *obj)
{
    record(ud, "add", NULL, obj);
}

static void on_update(void *ud, json_object *old_obj, json_object *new_obj)
{
    record(ud, "update", old_obj, new_obj);
}

static void on_delete(void *ud, json_object *old_obj)
{
    record(ud, "delete", old_obj, NULL);
}

static bool logged(struct recorder *r, const char *what)
{
    pthread_mutex_lock(&r->lock);
    bool has = strstr(r->log, what) != NULL;
    pthread_mutex_unlock(&r->lock);
    return has;
}

struct expect {
    struct recorder *r;
    const char *what;
};

static bool expect_logged(void *ud)
{
    struct expect *e = ud;
    return logged(e->r, e->what);
}

static void wait_logged(struct recorder *r, const char *what)
{
    struct expect e = { r, what };
    if (!it_wait(expect_logged, &e, 15000))
        fail_msg("no \"%s\" in: %s", what, r->log);
}

static struct informer *start_informer(struct kube_config *cfg, struct recorder *r,
                                       const struct kube_resource *res, const char *labels,
                                       bool metadata_only)
{
    struct informer_opts o = {
        .res = res, .ns = it_ns(), .label_selector = labels, .metadata_only = metadata_only,
        .page_size = 2, .watch_timeout_secs = 30,
        .handlers = { on_add, on_update, on_delete, r },
    };
    struct informer *inf = NULL;
    assert_int_equal(informer_new(cfg, &o, &inf), 0);
    r->inf = inf;
    assert_int_equal(informer_start(inf), 0);
    if (!informer_wait_synced(inf, 20000)) {
        char *err = informer_last_error(inf);
        fail_msg("informer did not sync: %s", err ? err : "?");
    }
    return inf;
}

static void create_cm(struct kube_client *c, const char *name, const char *labels, const char *v)
{
    json_object *cm = it_json("{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}},\"data\":{\"v\":\"%s\"}}",
                              name, labels, v);
    assert_ok(kube_create(c, &KUBE_CONFIGMAPS, it_ns(), cm, NULL), c);
    json_object_put(cm);
}

static void set_value(struct kube_client *c, const char *name, const char *v)
{
    json_object *patch = it_json("{\"data\":{\"v\":\"%s\"}}", v);
    assert_ok(kube_patch(c, &KUBE_CONFIGMAPS, it_ns(), name, NULL, KUBE_PATCH_MERGE, patch, NULL), c);
    json_object_put(patch);
}

static void test_informer_lists_then_watches(void **state)
{
    (void)state;
    struct kube_config *cfg = it_config();
    struct kube_client *c = it_client(cfg);
    for (int i = 1; i <= 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "inf-%d", i);
        create_cm(c, name, "\"app\":\"inf\"", "1");
    }
    create_cm(c, "other", "\"app\":\"other\"", "1");
    static struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct informer *inf = start_informer(cfg, &r, &KUBE_CONFIGMAPS, "app=inf", false);
    assert_int_equal(informer_count(inf), 5);
    assert_string_equal(r.log, "add inf-1 1;add inf-2 1;add inf-3 1;add inf-4 1;add inf-5 1;");

    create_cm(c, "inf-6", "\"app\":\"inf\"", "1");
    set_value(c, "inf-1", "2");
    assert_ok(kube_delete(c, &KUBE_CONFIGMAPS, it_ns(), "inf-2"), c);
    set_value(c, "other", "2");
    wait_logged(&r, "add inf-6 1;update inf-1 1>2;delete inf-2 1;");

    char key[128];
    snprintf(key, sizeof(key), "%s/inf-1", it_ns());
    json_object *shared = informer_get(inf, key);
    assert_non_null(shared);
    assert_string_equal(value_of(shared), "2");
    assert_string_equal(json_object_get_string(json_object_object_get(shared, "kind")), "ConfigMap");
    informer_put(inf, shared);
    json_object *copy = informer_get_copy(inf, key);
    assert_non_null(strstr(json_object_to_json_string(copy), "\"inf-1\""));
    json_object_put(copy);
    snprintf(key, sizeof(key), "%s/other", it_ns());
    assert_null(informer_get(inf, key));
    json_object **all = NULL;
    size_t n = 0;
    assert_int_equal(informer_list(inf, &all, &n), 0);
    assert_int_equal(n, 5);
    informer_list_free(inf, all, n);
    assert_null(strstr(r.log, "other"));

    struct informer_stats st;
    informer_get_stats(inf, &st);
    assert_int_equal(st.lists, 1);
    assert_int_equal(st.relists_gone, 0);
    informer_free(inf);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_informer_secrets_metadata_only(void **state)
{
    (void)state;
    struct kube_config *cfg = it_config();
    struct kube_client *c = it_client(cfg);
    json_object *sec = it_json("{\"metadata\":{\"name\":\"provider-key\",\"labels\":{\"use\":\"llm\"}},"
                               "\"stringData\":{\"key\":\"sk-live-secret\"}}");
    assert_ok(kube_create(c, &KUBE_SECRETS, it_ns(), sec, NULL), c);
    json_object_put(sec);
    static struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct informer *inf = start_informer(cfg, &r, &KUBE_SECRETS, "use=llm", true);
    char key[128];
    snprintf(key, sizeof(key), "%s/provider-key", it_ns());
    json_object *o = informer_get_copy(inf, key);
    assert_non_null(o);
    assert_null(json_object_object_get(o, "data"));
    assert_null(strstr(json_object_to_json_string(o), "sk-live"));
    assert_non_null(kube_meta_str(o, "uid"));
    const char *rv1 = kube_meta_str(o, "resourceVersion");
    assert_non_null(rv1);
    /* Rotating the key changes the resourceVersion the operator hashes. */
    json_object *patch = it_json("{\"stringData\":{\"key\":\"sk-live-rotated\"}}");
    assert_ok(kube_patch(c, &KUBE_SECRETS, it_ns(), "provider-key", NULL, KUBE_PATCH_MERGE, patch, NULL), c);
    json_object_put(patch);
    wait_logged(&r, "update provider-key");
    json_object *o2 = informer_get_copy(inf, key);
    assert_string_not_equal(kube_meta_str(o2, "resourceVersion"), rv1);
    assert_string_equal(json_object_get_string(json_object_object_get(o2, "kind")), "PartialObjectMetadata");
    assert_null(json_object_object_get(o2, "data"));
    json_object_put(o2);
    json_object_put(o);
    informer_free(inf);
    kube_client_free(c);
    kube_config_free(cfg);
}

/* ---- interactive: outages and 410 --------------------------------------------- *
 * Python sends lines; we answer one line each:
 *   expect NAME=VALUE|absent ...   wait until the cache agrees -> "OK" or "TIMEOUT <cache>"
 *   events                         -> "EVENTS <handler log since last time>"
 *   stats                          -> "STATS lists=.. relists_gone=.. watches=.. watch_errors=.."
 *   quit                           -> stop and exit */

struct wanted {
    struct informer *inf;
    char *line;
};

/* One "name=value" (or "name=absent") word against the cache. */
static bool word_matches(struct informer *inf, const char *word, size_t len)
{
    const char *eq = memchr(word, '=', len);
    if (!eq)
        return true;
    char key[256], want[128];
    snprintf(key, sizeof(key), "%s/%.*s", it_ns(), (int)(eq - word), word);
    snprintf(want, sizeof(want), "%.*s", (int)(len - (size_t)(eq - word) - 1), eq + 1);
    json_object *o = informer_get(inf, key);
    bool ok = strcmp(want, "absent") == 0 ? o == NULL : o && strcmp(value_of(o), want) == 0;
    informer_put(inf, o);
    return ok;
}

static bool cache_matches(void *ud)
{
    struct wanted *w = ud;
    for (const char *p = w->line; *p;) {
        size_t len = strcspn(p, " ");
        if (len && !word_matches(w->inf, p, len))
            return false;
        p += len;
        while (*p == ' ')
            p++;
    }
    return true;
}

static void say_cache(struct informer *inf, const char *prefix)
{
    json_object **all = NULL;
    size_t n = 0;
    char buf[4096] = "";
    if (informer_list(inf, &all, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(buf);
            snprintf(buf + len, sizeof(buf) - len, " %s=%s", kube_meta_str(all[i], "name"), value_of(all[i]));
        }
        informer_list_free(inf, all, n);
    }
    char *err = informer_last_error(inf);
    it_say("%s%s (last error: %s)", prefix, buf, err ? err : "none");
    free(err);
}

static void say_events(struct recorder *r)
{
    pthread_mutex_lock(&r->lock);
    it_say("EVENTS %s", r->log);
    r->log[0] = '\0';
    pthread_mutex_unlock(&r->lock);
}

static void say_stats(struct informer *inf)
{
    struct informer_stats st;
    informer_get_stats(inf, &st);
    it_say("STATS lists=%lu relists_gone=%lu watches=%lu watch_errors=%lu", st.lists, st.relists_gone,
           st.watches, st.watch_errors);
}

static void test_informer_interactive(void **state)
{
    (void)state;
    it_skip_unless_interactive();
    struct kube_config *cfg = it_config();
    static struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER };
    struct informer *inf = start_informer(cfg, &r, &KUBE_CONFIGMAPS, "app=follow", false);
    say_cache(inf, "READY");
    char line[4096];
    while (it_read_line(line, sizeof(line)) && strcmp(line, "quit") != 0) {
        if (strncmp(line, "expect ", 7) == 0) {
            struct wanted w = { inf, line + 7 };
            if (it_wait(cache_matches, &w, 60000))
                it_say("OK");
            else
                say_cache(inf, "TIMEOUT");
        } else if (strcmp(line, "events") == 0) {
            say_events(&r);
        } else if (strcmp(line, "stats") == 0) {
            say_stats(inf);
        } else {
            it_say("ERROR unknown command: %s", line);
        }
    }
    informer_free(inf);
    kube_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_informer_lists_then_watches),
        cmocka_unit_test(test_informer_secrets_metadata_only),
        cmocka_unit_test(test_informer_interactive),
    };
    return IT_RUN(tests);
}
