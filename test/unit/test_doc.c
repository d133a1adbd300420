/* Bounded YAML/JSON loading: scalar resolution, caps and hostile input. */
#include "testutil.h"

#include <errno.h>

static int load(const char *text, const struct gw_load_limits *lim, json_object **ret, char **err)
{
    return gw_yaml_load_one(text, strlen(text), lim, ret, err);
}

static void test_scalars_resolve_like_pyyaml(void **state)
{
    (void)state;
    json_object *o = NULL;
    assert_int_equal(load("a: 1\nb: 1.5\nc: yes\nd: off\ne: ~\nf: '1'\ng: 0x1f\nh: text\ni: 1e3\n"
                          "j: 99999999999999999999\nk: \"true\"\n", &GW_LIMITS_MANIFEST, &o, NULL), 0);
    assert_int_equal(json_object_get_int64(json_object_object_get(o, "a")), 1);
    assert_true(json_object_is_type(json_object_object_get(o, "b"), json_type_double));
    assert_true(json_object_get_boolean(json_object_object_get(o, "c")));
    assert_true(json_object_is_type(json_object_object_get(o, "d"), json_type_boolean));
    assert_false(json_object_get_boolean(json_object_object_get(o, "d")));
    assert_true(json_object_object_get_ex(o, "e", NULL));
    assert_null(json_object_object_get(o, "e"));
    assert_string_equal(json_object_get_string(json_object_object_get(o, "f")), "1");
    assert_int_equal(json_object_get_int64(json_object_object_get(o, "g")), 31);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "h")), "text");
    /* PyYAML (YAML 1.1) needs a dot for a float: 1e3 is a string to it. */
    assert_string_equal(json_object_get_string(json_object_object_get(o, "i")), "1e3");
    /* Beyond int64: still a number (a float), and it keeps its text. */
    assert_true(json_object_is_type(json_object_object_get(o, "j"), json_type_double));
    assert_string_equal(json_object_to_json_string(json_object_object_get(o, "j")), "99999999999999999999");
    assert_true(json_object_is_type(json_object_object_get(o, "k"), json_type_string));
    json_object_put(o);
}

static void test_multi_document_skips_empty(void **state)
{
    (void)state;
    const char *t = "---\na: 1\n---\n---\nb: 2\n...\n";
    json_object **docs = NULL;
    size_t n = 0;
    assert_int_equal(gw_yaml_load_all(t, strlen(t), &GW_LIMITS_MANIFEST, &docs, &n, NULL), 0);
    assert_int_equal(n, 2);
    gw_docs_free(docs, n);
}

static void expect_error(const char *text, const struct gw_load_limits *lim, int rc, const char *substr)
{
    json_object *o = NULL;
    char *err = NULL;
    int r = load(text, lim, &o, &err);
    assert_int_equal(r, rc);
    assert_non_null(err);
    if (!strstr(err, substr))
        fail_msg("error \"%s\" lacks \"%s\"", err, substr);
    free(err);
}

static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    expect_error("a: 1\nb:\n  c: 1\n  c: 2\n", &GW_LIMITS_MANIFEST, -EINVAL, "line 4 column 3: duplicate key \"c\"");
}

static void test_depth_capped(void **state)
{
    (void)state;
    char buf[4096];
    size_t n = 0;
    for (int i = 0; i < 1000; i++)
        buf[n++] = '[';
    for (int i = 0; i < 1000; i++)
        buf[n++] = ']';
    buf[n] = '\0';
    expect_error(buf, &GW_LIMITS_MANIFEST, -E2BIG, "nesting deeper than 64 levels");
}

static void test_alias_bomb_capped(void **state)
{
    (void)state;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    expect_error(bomb, &GW_LIMITS_MANIFEST, -E2BIG, "more than 200000 nodes");
    expect_error(bomb, &GW_LIMITS_PATCH, -E2BIG, "more than 20000 nodes");
}

static void test_aliases_and_merge_keys_work(void **state)
{
    (void)state;
    json_object *o = NULL;
    assert_int_equal(load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nlist: [*b]\n", &GW_LIMITS_MANIFEST, &o, NULL), 0);
    json_object *use = json_object_object_get(o, "use");
    assert_int_equal(json_object_get_int64(json_object_object_get(use, "x")), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(use, "y")), 3);
    json_object_put(o);
}

static void test_recursive_alias_refused(void **state)
{
    (void)state;
    expect_error("a: &a [1, *a]\n", &GW_LIMITS_MANIFEST, -EINVAL, "unknown or recursive alias \"*a\"");
}

static void test_nul_and_utf8(void **state)
{
    (void)state;
    const char nul[] = "a: b\0c\n";
    char *err = NULL;
    json_object **docs = NULL;
    size_t n = 0;
    assert_int_equal(gw_yaml_load_all(nul, sizeof(nul) - 1, &GW_LIMITS_MANIFEST, &docs, &n, &err), -EINVAL);
    assert_string_equal(err, "NUL byte at offset 4");
    free(err);
    err = NULL;
    const char bad[] = "a: \xc0\xaf\n";
    assert_int_equal(gw_yaml_load_all(bad, sizeof(bad) - 1, &GW_LIMITS_MANIFEST, &docs, &n, &err), -EINVAL);
    assert_string_equal(err, "input is not valid UTF-8");
    free(err);
    err = NULL;
    const char surrogate[] = "a: \xed\xa0\x80\n";
    assert_int_equal(gw_yaml_load_all(surrogate, sizeof(surrogate) - 1, &GW_LIMITS_MANIFEST, &docs, &n, &err), -EINVAL);
    free(err);
}

static void test_size_and_scalar_caps(void **state)
{
    (void)state;
    struct gw_load_limits lim = GW_LIMITS_MANIFEST;
    lim.max_bytes = 10;
    expect_error("a: 12345678901\n", &lim, -E2BIG, "exceeds the limit of 10 bytes");
    lim = GW_LIMITS_MANIFEST;
    lim.max_scalar = 4;
    expect_error("a: 12345\n", &lim, -E2BIG, "scalar of 5 bytes exceeds the limit of 4");
}

static void test_syntax_error_has_position(void **state)
{
    (void)state;
    expect_error("a: [1, 2\n", &GW_LIMITS_MANIFEST, -EINVAL, "line 2 column 1");
    expect_error("{a: 1}: 2\n", &GW_LIMITS_MANIFEST, -EINVAL, "mapping keys must be scalars");
}

static void test_json_strict(void **state)
{
    (void)state;
    json_object *o = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse("{\"a\":[1,2]} ", 12, 8, &o, NULL), 0);
    json_object_put(o);
    assert_int_equal(gw_json_parse("{\"a\":1} x", 9, 8, &o, &err), -EINVAL);
    assert_string_equal(err, "invalid JSON at offset 8: unexpected character");
    free(err);
    err = NULL;
    assert_int_equal(gw_json_parse("[[[[[[[[[[1]]]]]]]]]]", 21, 8, &o, &err), -E2BIG);
    free(err);
    err = NULL;
    assert_int_equal(gw_json_parse("{\"a\":", 5, 8, &o, &err), -EINVAL);
    assert_string_equal(err, "truncated JSON");
    free(err);
}

/* A number at the end of a buffer that does not end in a NUL is read up to
 * the buffer's length, not past it. */
static void test_json_number_at_the_end_of_the_buffer(void **state)
{
    (void)state;
    char buf[] = { '[', '1', ',', '2', ']', '1', '2', '3', '4', '5', '6', '7' };
    json_object *o = NULL;
    assert_int_equal(gw_json_parse(buf + 5, 2, 8, &o, NULL), 0);
    assert_int_equal(json_object_get_int(o), 12);
    json_object_put(o);
    char *copy = malloc(3);
    assert_non_null(copy);
    memcpy(copy, "1e5", 3); /* no NUL: ASan reports a read past the end */
    assert_int_equal(gw_json_parse(copy, 3, 8, &o, NULL), 0);
    assert_true(json_object_get_double(o) == 1e5);
    json_object_put(o);
    free(copy);
}

/* What json-c lets through and every other reader sees differently. */
static void json_refused(const char *text, const char *want)
{
    json_object *o = NULL;
    char *err = NULL;
    int r = gw_json_parse(text, strlen(text), 16, &o, &err);
    if (r != -EINVAL || !err || strcmp(err, want) != 0)
        fail_msg("%s: got %d, %s; want %s", text, r, err ? err : "(no message)", want);
    assert_null(o);
    free(err);
}

static void json_accepted(const char *text)
{
    json_object *o = NULL;
    char *err = NULL;
    if (gw_json_parse(text, strlen(text), 16, &o, &err) != 0)
        fail_msg("%s: refused: %s", text, err ? err : "?");
    json_object_put(o);
}

static void test_json_refuses_what_readers_disagree_on(void **state)
{
    (void)state;
    json_refused("{\"uid\":\"a\",\"x\":1,\"uid\":\"b\"}", "invalid JSON at offset 17: duplicate key \"uid\"");
    json_refused("{\"a\":1,\"\\u0061\":2}", "invalid JSON at offset 7: duplicate key \"a\"");
    json_refused("[{\"k\":{\"a\":1}},{\"k\":{\"b\":1,\"b\":2}}]", "invalid JSON at offset 27: duplicate key \"b\"");
    json_refused("{\"name\":\"gpt\\u0000-evil\"}", "invalid JSON at offset 12: \\u0000 (NUL) is not allowed in strings");
    json_refused("[\"\\ud800\"]", "invalid JSON at offset 2: lone UTF-16 high surrogate \\ud800");
    json_refused("[\"\\ud800\\u0041\"]", "invalid JSON at offset 2: lone UTF-16 high surrogate \\ud800");
    json_refused("[\"x\\udc00\"]", "invalid JSON at offset 3: lone UTF-16 low surrogate \\udc00");
    json_refused("{\"a\":NaN}", "invalid JSON at offset 5: NaN is not a JSON value (NaN and Infinity are not JSON)");
    json_refused("[1,Infinity]", "invalid JSON at offset 3: Infinity is not a JSON value (NaN and Infinity are not JSON)");
    json_refused("[-Infinity]", "invalid JSON at offset 1: -Infinity is not a JSON value (NaN and Infinity are not JSON)");
    json_refused("[1e999]", "invalid JSON at offset 1: number 1e999 is beyond the range of a double");
    /* Same key in different objects, a valid surrogate pair, escapes that
     * are not keys, literals: all fine. */
    json_accepted("[{\"a\":1},{\"a\":2,\"b\":{\"a\":3}}]");
    json_accepted("{\"e\":\"\\ud83d\\ude00\",\"q\":\"\\\"a\\\\\",\"t\":true,\"f\":false,\"n\":null,\"x\":-1.5e10}");
    json_accepted("{\"a\\\"b\":1,\"a\\\\b\":2}");
    /* Large objects (past the linear comparison) both ways. */
    char big[2048];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(big + n, sizeof(big) - n, "}");
    json_accepted(big);
    snprintf(big + n, sizeof(big) - n, ",\"k3\":0}");
    char want[128];
    snprintf(want, sizeof(want), "invalid JSON at offset %zu: duplicate key \"k3\"", n + 1);
    json_refused(big, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_resolve_like_pyyaml),
        cmocka_unit_test(test_multi_document_skips_empty),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_depth_capped),
        cmocka_unit_test(test_alias_bomb_capped),
        cmocka_unit_test(test_aliases_and_merge_keys_work),
        cmocka_unit_test(test_recursive_alias_refused),
        cmocka_unit_test(test_nul_and_utf8),
        cmocka_unit_test(test_size_and_scalar_caps),
        cmocka_unit_test(test_syntax_error_has_position),
        cmocka_unit_test(test_json_strict),
        cmocka_unit_test(test_json_number_at_the_end_of_the_buffer),
        cmocka_unit_test(test_json_refuses_what_readers_disagree_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
