/* Finding a member's value in JSON text without parsing it, and replacing
 * unread members by null before the strict parse. */
#include "testutil.h"

#include <errno.h>

#include "jsonscan.h"
#include "strbuf.h"

static const char *const OLD[] = { "request", "oldObject" };
static const char *const MANAGED[] = { "request", "object", "metadata", "managedFields" };
static const struct wh_json_path UNREAD[] = { { OLD, 2 }, { MANAGED, 4 } };

static char *span_of(const char *json, const char *const *path, size_t n, int *rc)
{
    size_t s = 0, e = 0;
    *rc = wh_json_find(json, strlen(json), path, n, &s, &e);
    if (*rc)
        return NULL;
    return strndup(json + s, e - s);
}

static void assert_span(const char *json, const char *const *path, size_t n, const char *want)
{
    int rc;
    char *got = span_of(json, path, n, &rc);
    if (rc)
        fail_msg("find failed (%d) in %s", rc, json);
    assert_string_equal(got, want);
    free(got);
}

static void test_find(void **state)
{
    (void)state;
    assert_span("{\"request\":{\"oldObject\":{\"a\":[1,{\"b\":\"}\"}]},\"x\":1}}", OLD, 2,
                "{\"a\":[1,{\"b\":\"}\"}]}");
    /* Whitespace everywhere, strings with escaped quotes and brackets, and
     * the key's name as a value before the key. */
    assert_span(" { \"v\" : \"oldObject\" , \"request\" :\n{ \"s\":\"q\\\"}]\\\\\" ,\t\"oldObject\" : [ 1 , \"]\" ] } }",
                OLD, 2, "[ 1 , \"]\" ]");
    assert_span("{\"request\":{\"oldObject\":null}}", OLD, 2, "null");
    assert_span("{\"request\":{\"oldObject\":-1.5e+3}}", OLD, 2, "-1.5e+3");
    assert_span("{\"request\":{\"object\":{\"metadata\":{\"name\":\"n\",\"managedFields\":[{\"f:spec\":{}}]}}}}",
                MANAGED, 4, "[{\"f:spec\":{}}]");
    /* The first of duplicated keys. */
    assert_span("{\"request\":{\"oldObject\":1,\"oldObject\":2}}", OLD, 2, "1");

    int rc;
    assert_null(span_of("{\"request\":{\"object\":{}}}", OLD, 2, &rc));
    assert_int_equal(rc, -ENOENT);
    assert_null(span_of("{\"request\":[]}", OLD, 2, &rc));
    assert_int_equal(rc, -ENOENT);
    assert_null(span_of("[]", OLD, 2, &rc));
    assert_int_equal(rc, -ENOENT);
    /* Malformed text is not scanned past. */
    static const char *const bad[] = {
        "{\"request\":{\"x\":[1}],\"oldObject\":1}}", "{\"request\":{\"x\":\"unterminated", "{\"request\":{\"x\" 1}}",
        "{\"request\":{\"x\":1 \"oldObject\":1}}", "{\"request\":{\"x\":}}", "{\"request\":{x:1}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(span_of(bad[i], OLD, 2, &rc));
        assert_int_equal(rc, -EINVAL);
    }
    /* Deeper than the scan goes. */
    struct strbuf deep;
    sb_init(&deep, 4096);
    sb_adds(&deep, "{\"request\":{\"x\":");
    for (int i = 0; i < 100; i++)
        sb_addc(&deep, '[');
    for (int i = 0; i < 100; i++)
        sb_addc(&deep, ']');
    sb_adds(&deep, ",\"oldObject\":1}}");
    assert_null(span_of(sb_str(&deep), OLD, 2, &rc));
    assert_int_equal(rc, -EINVAL);
    sb_release(&deep);
}

static void test_null_members(void **state)
{
    (void)state;
    static const char review[] =
        "{\"request\":{\"uid\":\"u\",\"object\":{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":"
        "\"kubectl\",\"fieldsV1\":{\"f:spec\":{}}}]},\"spec\":{}},\"oldObject\":{\"metadata\":{\"name\":\"a\"},"
        "\"spec\":{\"x\":\"oldObject\"}}}}";
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(wh_json_null_members(review, strlen(review), UNREAD, 2, &out, &len), 0);
    assert_string_equal(out, "{\"request\":{\"uid\":\"u\",\"object\":{\"metadata\":{\"name\":\"a\",\"managedFields\":"
                             "null},\"spec\":{}},\"oldObject\":null}}");
    assert_int_equal(len, strlen(out));
    /* What is left parses to the same request, minus the unread parts. */
    json_object *a = json_tokener_parse(review), *b = json_tokener_parse(out);
    assert_non_null(b);
    json_object *ra = json_object_object_get(a, "request"), *rb = json_object_object_get(b, "request");
    assert_string_equal(json_object_get_string(json_object_object_get(ra, "uid")),
                        json_object_get_string(json_object_object_get(rb, "uid")));
    json_object_put(a);
    json_object_put(b);
    free(out);

    /* Nothing to replace: no copy. */
    static const char create[] = "{\"request\":{\"object\":{\"metadata\":{\"name\":\"a\"}},\"oldObject\":null}}";
    out = NULL;
    assert_int_equal(wh_json_null_members(create, strlen(create), UNREAD, 2, &out, &len), -ENOENT);
    assert_null(out);
    static const char garbage[] = "{\"request\":{\"object\":{\"metadata\":{\"managedFields\":[}}}";
    assert_int_equal(wh_json_null_members(garbage, strlen(garbage), UNREAD, 2, &out, &len), -EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_null_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
