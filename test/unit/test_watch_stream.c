/* The watch-stream parser on its own (kube_watch_parse): line splitting
 * across the pieces libcurl hands over, CRLF and blank lines, the event
 * types, unreadable events and the callback's say in stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "kube_client.h"

struct got {
    char log[1024];
    int stop_after;   /* return 7 from this event on (1-based), 0 = never */
    int n;
};

static int record(void *ud, enum kube_event_type t, json_object *obj)
{
    struct got *g = ud;
    size_t used = strlen(g->log);
    const char *name = kube_meta_str(obj, "name");
    snprintf(g->log + used, sizeof(g->log) - used, "%s %s;", kube_event_type_name(t),
             name ? name : (t == KUBE_EVENT_ERROR ? "code" : "-"));
    if (t == KUBE_EVENT_ERROR) {
        used = strlen(g->log);
        snprintf(g->log + used, sizeof(g->log) - used, "%d;", kube_status_code(obj));
    }
    json_object_put(obj);
    g->n++;
    return g->stop_after && g->n >= g->stop_after ? 7 : 0;
}

static const char STREAM[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}}\n"
    "\r\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\r\n"
    "\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}  \n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}\n";

static const char WANT[] = "ADDED a;MODIFIED a;BOOKMARK -;DELETED b;ERROR code;410;";

static void test_events_whatever_the_pieces(void **state)
{
    (void)state;
    for (size_t chunk = 0; chunk <= sizeof(STREAM); chunk++) {
        struct got g = { .n = 0 };
        char *err = NULL;
        assert_int_equal(kube_watch_parse(STREAM, sizeof(STREAM) - 1, chunk, record, &g, &err), 0);
        assert_null(err);
        assert_string_equal(g.log, WANT);
    }
}

static void test_last_line_without_newline_is_not_an_event(void **state)
{
    (void)state;
    static const char s[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
                            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}";
    struct got g = { .n = 0 };
    assert_int_equal(kube_watch_parse(s, sizeof(s) - 1, 5, record, &g, NULL), 0);
    assert_string_equal(g.log, "ADDED a;");
}

static void expect_unreadable(const char *line, const char *want_err)
{
    struct got g = { .n = 0 };
    char *err = NULL;
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n%s\n"
                               "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n", line);
    assert_int_equal(kube_watch_parse(buf, strlen(buf), 3, record, &g, &err), -EBADMSG);
    assert_string_equal(g.log, "ADDED a;");   /* nothing after the bad line */
    assert_non_null(err);
    if (strstr(err, want_err) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want_err);
    free(err);
}

static void test_unreadable_events(void **state)
{
    (void)state;
    expect_unreadable("{\"type\":\"ADDED\",\"object\":", "unreadable watch event: truncated JSON");
    expect_unreadable("{\"type\":\"UPSERTED\",\"object\":{}}", "unreadable watch event: no type or object");
    expect_unreadable("{\"type\":\"ADDED\"}", "no type or object");
    expect_unreadable("{\"object\":{}}", "no type or object");
    expect_unreadable("[1,2]", "no type or object");
    expect_unreadable("{\"type\":\"ADDED\",\"object\":{},\"type\":\"DELETED\"} x", "unreadable watch event: ");
}

static void test_callback_ends_the_stream(void **state)
{
    (void)state;
    struct got g = { .stop_after = 2 };
    char *err = NULL;
    assert_int_equal(kube_watch_parse(STREAM, sizeof(STREAM) - 1, 1, record, &g, &err), 7);
    assert_null(err);
    assert_string_equal(g.log, "ADDED a;MODIFIED a;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_whatever_the_pieces),
        cmocka_unit_test(test_last_line_without_newline_is_not_an_event),
        cmocka_unit_test(test_unreadable_events),
        cmocka_unit_test(test_callback_ends_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
