/* The REST client against a scripted HTTP server on loopback: what goes on
 * the wire, which failures are retried, how errors read, how a watch stream
 * is cut into events, and that a stop flag ends a silent watch. What needs a
 * real API server lives in test/integration. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube_client.h"
#include "strbuf.h"

#include "fakehttp.h"
#include "fakekube.h"

static struct kube_client *client_for(struct kube_config *cfg, unsigned tries)
{
    struct kube_client_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 5000, .max_tries = tries,
                                  .backoff_base_ms = 1, .backoff_max_ms = 2000 };
    struct kube_client *c = NULL;
    assert_int_equal(kube_client_new(cfg, &o, &c), 0);
    return c;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CM "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\",\"resourceVersion\":\"7\"}}"

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" lacks \"%s\"", hay, needle);
}

/* ---- requests and retries ------------------------------------------------------------ */

static void test_get_retries_503_honouring_retry_after(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 503, .headers = "Retry-After: 1\r\n", .body = "{}" },
        { .status = 200, .body = CM },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "sekret");
    struct kube_client *c = client_for(cfg, 3);
    json_object *o = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kube_get(c, &KUBE_CONFIGMAPS, "ns", "x", &o), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_string_equal(kube_meta_str(o, "resourceVersion"), "7");
    assert_string_equal(kube_client_error(c), "");
    json_object_put(o);
    fake_stop(&f);
    assert_int_equal(f.n_seen, 2);
    assert_contains(f.seen[0], "GET /api/v1/namespaces/ns/configmaps/x HTTP/1.1");
    assert_contains(f.seen[0], "Authorization: Bearer sekret");
    assert_contains(f.seen[0], "Accept: application/json");
    /* The server asked for a second; the backoff alone would be a millisecond. */
    long waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(waited >= 900);
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_post_is_retried_on_429_but_not_on_500(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 429, .body = "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"slow down\",\"code\":429}" },
        { .status = 500, .body = "{\"kind\":\"Status\",\"reason\":\"InternalError\",\"message\":\"etcd is sad\",\"code\":500}" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 5);
    json_object *obj = json_tokener_parse(CM);
    assert_int_equal(kube_create(c, &KUBE_CONFIGMAPS, "ns", obj, NULL), -EIO);
    assert_string_equal(kube_client_error(c), "InternalError: etcd is sad");
    assert_int_equal(kube_client_status(c), 500);
    json_object_put(obj);
    fake_stop(&f);
    assert_int_equal(f.n_seen, 2);
    assert_contains(f.seen[1], "POST /api/v1/namespaces/ns/configmaps HTTP/1.1");
    assert_contains(f.seen[1], "Content-Type: application/json");
    assert_contains(f.seen[1], "\"name\":\"x\"");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void expect_status(const char *body, int status, int rc, const char *msg, const char *reason)
{
    struct reply script[] = { { .status = status, .body = body } };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 1);
    assert_int_equal(kube_get(c, &KUBE_DEPLOYMENTS, "ns", "x", NULL), rc);
    /* msg is exact, or "prefix|suffix" where the port sits between. */
    const char *bar = strchr(msg, '|');
    if (!bar) {
        assert_string_equal(kube_client_error(c), msg);
    } else {
        assert_int_equal(strncmp(kube_client_error(c), msg, (size_t)(bar - msg)), 0);
        assert_contains(kube_client_error(c), bar + 1);
    }
    assert_string_equal(kube_client_reason(c), reason);
    assert_int_equal(kube_client_status(c), status);
    fake_stop(&f);
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_errors_read_like_the_api_server(void **state)
{
    (void)state;
    expect_status("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"AlreadyExists\","
                  "\"message\":\"aigateways.runtime.agentic-layer.ai \\\"x\\\" already exists\",\"code\":409}",
                  409, -EEXIST, "AlreadyExists: aigateways.runtime.agentic-layer.ai \"x\" already exists",
                  "AlreadyExists");
    expect_status("{\"kind\":\"Status\",\"reason\":\"Conflict\",\"message\":\"the object has been modified\",\"code\":409}",
                  409, -EBUSY, "Conflict: the object has been modified", "Conflict");
    expect_status("{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"no\",\"code\":403}",
                  403, -EPERM, "Forbidden: no", "Forbidden");
    expect_status("bad gateway\n", 502, -EIO,
                  "HTTP 502 from GET http://127.0.0.1:|/apis/apps/v1/namespaces/ns/deployments/x: bad gateway ", "");
    expect_status("{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too old resource version: 1 (99)\",\"code\":410}",
                  410, -ESTALE, "Expired: too old resource version: 1 (99)", "Expired");
}

static void test_connection_refused_names_the_url(void **state)
{
    (void)state;
    /* A port nobody listens on: bind, note, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    struct kube_config *cfg = fake_kube_config(ntohs(a.sin_port), "t");
    struct kube_client *c = client_for(cfg, 2);
    assert_int_equal(kube_get(c, &KUBE_NAMESPACES, NULL, "default", NULL), -ECONNREFUSED);
    char want[128];
    snprintf(want, sizeof(want), "(GET http://127.0.0.1:%d/api/v1/namespaces/default)", ntohs(a.sin_port));
    assert_contains(kube_client_error(c), want);
    assert_int_equal(kube_client_status(c), 0);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_patches_say_what_they_are(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 200, .body = CM }, { .status = 200, .body = CM }, { .status = 200, .body = CM },
        { .status = 500, .body = "{}" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 3);
    json_object *obj = json_tokener_parse(CM);
    json_object *patch = json_tokener_parse("[{\"op\":\"add\",\"path\":\"/data/a\",\"value\":\"1\"}]");
    assert_int_equal(kube_apply(c, &KUBE_CONFIGMAPS, "ns", "x", obj, NULL), 0);
    assert_int_equal(kube_patch_status(c, &KUBE_DEPLOYMENTS, "ns", "x", obj, NULL), 0);
    assert_int_equal(kube_delete(c, &KUBE_CONFIGMAPS, "ns", "x"), 0);
    /* A JSON patch is not repeated after a 500. */
    assert_int_equal(kube_patch(c, &KUBE_CONFIGMAPS, "ns", "x", NULL, KUBE_PATCH_JSON, patch, NULL), -EIO);
    json_object_put(obj);
    json_object_put(patch);
    fake_stop(&f);
    assert_int_equal(f.n_seen, 4);
    assert_contains(f.seen[0], "PATCH /api/v1/namespaces/ns/configmaps/x?fieldManager=litellm-gateway-operator&force=true HTTP/1.1");
    assert_contains(f.seen[0], "Content-Type: application/apply-patch+yaml");
    assert_contains(f.seen[1], "PATCH /apis/apps/v1/namespaces/ns/deployments/x/status HTTP/1.1");
    assert_contains(f.seen[1], "Content-Type: application/merge-patch+json");
    assert_contains(f.seen[2], "DELETE /api/v1/namespaces/ns/configmaps/x?propagationPolicy=Background HTTP/1.1");
    assert_contains(f.seen[3], "Content-Type: application/json-patch+json");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_list_all_follows_continue_and_fills_kinds(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"40\","
                                 "\"continue\":\"tok en\",\"remainingItemCount\":1},\"items\":[{\"metadata\":{\"name\":\"a\"}}]}" },
        { .status = 200, .body = "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"40\"},"
                                 "\"items\":[{\"metadata\":{\"name\":\"b\"}}]}" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 1);
    struct kube_list_opts lo = { .limit = 1, .label_selector = "app=x,tier!=db", .metadata_only = true };
    json_object *list = NULL;
    assert_int_equal(kube_list_all(c, &KUBE_CONFIGMAPS, NULL, &lo, &list), 0);
    assert_string_equal(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN),
                        "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"40\"},"
                        "\"items\":[{\"metadata\":{\"name\":\"a\"},\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\"},"
                        "{\"metadata\":{\"name\":\"b\"},\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\"}]}");
    json_object_put(list);
    fake_stop(&f);
    assert_contains(f.seen[0], "GET /api/v1/configmaps?labelSelector=app%3Dx%2Ctier%21%3Ddb&limit=1 HTTP/1.1");
    assert_contains(f.seen[0], "Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
    assert_contains(f.seen[1], "&limit=1&continue=tok%20en HTTP/1.1");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_body_over_cap_is_refused(void **state)
{
    (void)state;
    size_t n = KUBE_MAX_OBJECT_BYTES + 10;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    struct reply script[] = { { .status = 200, .body = big } };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 3);
    assert_int_equal(kube_get(c, &KUBE_CONFIGMAPS, "ns", "x", NULL), -E2BIG);
    assert_contains(kube_client_error(c), "response larger than 16777216 bytes");
    fake_stop(&f);
    assert_int_equal(f.n_seen, 1);
    free(big);
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

/* ---- watch ---------------------------------------------------------------------------- */

struct seen_events {
    char log[1024];
    int stop_on_error;
};

static int record_event(void *ud, enum kube_event_type t, json_object *obj)
{
    struct seen_events *s = ud;
    const char *name = kube_meta_str(obj, "name");
    size_t len = strlen(s->log);
    snprintf(s->log + len, sizeof(s->log) - len, "%s %s %s;", kube_event_type_name(t),
             name ? name : "-", kube_meta_str(obj, "resourceVersion") ? kube_meta_str(obj, "resourceVersion") : "-");
    int rc = t == KUBE_EVENT_ERROR && kube_status_code(obj) == 410 ? -ESTALE : 0;
    json_object_put(obj);
    return rc;
}

static void test_watch_cuts_the_stream_into_events(void **state)
{
    (void)state;
    /* Lines split across writes, a blank line, a bookmark, then a 410. */
    static const char *const chunks[] = {
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"5\"}}}\n{\"type\":\"MOD",
        "IFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"6\"}}}\n\n",
        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\r\n",
        "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"10\"}}}\n",
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n",
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"never\"}}}\n",
        NULL,
    };
    static const struct reply script[] = { { .status = 200, .chunks = chunks } };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 1);
    struct seen_events s = { "", 0 };
    struct kube_watch_opts wo = { .resource_version = "4", .timeout_seconds = 30, .label_selector = "a=b" };
    assert_int_equal(kube_watch(c, &KUBE_CONFIGMAPS, "ns", &wo, record_event, &s), -ESTALE);
    assert_string_equal(s.log, "ADDED a 5;MODIFIED a 6;BOOKMARK - 9;DELETED a 10;ERROR - -;");
    fake_stop(&f);
    assert_contains(f.seen[0], "GET /api/v1/namespaces/ns/configmaps?watch=1&allowWatchBookmarks=true"
                               "&resourceVersion=4&timeoutSeconds=30&labelSelector=a%3Db HTTP/1.1");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void test_watch_410_up_front_and_garbage(void **state)
{
    (void)state;
    static const char *const garbage[] = { "{\"type\":\"ADDED\",\"object\":{}}\nnot json\n", NULL };
    static const struct reply script[] = {
        { .status = 410, .body = "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too old resource version: 1 (50)\",\"code\":410}" },
        { .status = 200, .chunks = garbage },
        { .status = 200, .body = "" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 1);
    struct seen_events s = { "", 0 };
    struct kube_watch_opts wo = { .resource_version = "1", .metadata_only = true };
    assert_int_equal(kube_watch(c, &KUBE_SECRETS, "ns", &wo, record_event, &s), -ESTALE);
    assert_string_equal(kube_client_error(c), "Expired: too old resource version: 1 (50)");
    assert_int_equal(kube_watch(c, &KUBE_SECRETS, "ns", &wo, record_event, &s), -EBADMSG);
    assert_contains(kube_client_error(c), "unreadable watch event: invalid JSON");
    /* A stream the server simply ends is a normal end. */
    assert_int_equal(kube_watch(c, &KUBE_SECRETS, "ns", &wo, record_event, &s), 0);
    fake_stop(&f);
    assert_contains(f.seen[0], "Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1");
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

static void *raise_flag(void *arg)
{
    sleep_ms(200);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

static void test_stop_flag_ends_a_silent_watch(void **state)
{
    (void)state;
    static const struct reply script[] = { { .status = 200, .hang = true } };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client *c = client_for(cfg, 1);
    static atomic_bool stop;
    atomic_init(&stop, false);
    kube_client_set_stop(c, &stop);
    pthread_t t;
    pthread_create(&t, NULL, raise_flag, &stop);
    struct seen_events s = { "", 0 };
    struct kube_watch_opts wo = { .timeout_seconds = 300 };
    assert_int_equal(kube_watch(c, &KUBE_CONFIGMAPS, NULL, &wo, record_event, &s), -ECANCELED);
    pthread_join(t, NULL);
    /* Once stopped, nothing more is sent. */
    assert_int_equal(kube_get(c, &KUBE_CONFIGMAPS, "ns", "x", NULL), -ECANCELED);
    fake_stop(&f);
    fake_free(&f);
    kube_client_free(c);
    kube_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_retries_503_honouring_retry_after),
        cmocka_unit_test(test_post_is_retried_on_429_but_not_on_500),
        cmocka_unit_test(test_errors_read_like_the_api_server),
        cmocka_unit_test(test_connection_refused_names_the_url),
        cmocka_unit_test(test_patches_say_what_they_are),
        cmocka_unit_test(test_list_all_follows_continue_and_fills_kinds),
        cmocka_unit_test(test_body_over_cap_is_refused),
        cmocka_unit_test(test_watch_cuts_the_stream_into_events),
        cmocka_unit_test(test_watch_410_up_front_and_garbage),
        cmocka_unit_test(test_stop_flag_ends_a_silent_watch),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kube_global_cleanup();
    return rc;
}
