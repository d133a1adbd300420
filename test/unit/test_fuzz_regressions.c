/* Inputs the fuzzers (test/fuzz) found, each kept as a file under
 * test/testdata/fuzz-regressions/<harness>/ and checked here for the
 * behaviour the fix gave them. run.sh also replays every such file through
 * its harness before fuzzing. */
#include "testutil.h"

#include <errno.h>
#include <math.h>

#include "admission.h"
#include "patch.h"
#include "yamlout.h"

static char *regression(const char *harness, const char *name, size_t *ret_len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/fuzz-regressions/%s/%s", TESTDATA_DIR, harness, name);
    char *buf = NULL, *err = NULL;
    if (gw_read_file(path, 1 << 20, &buf, ret_len, &err) != 0)
        fail_msg("%s", err ? err : path);
    return buf;
}

/* A document that is a bare number ends at the end of the input: "4" is
 * the number 4, not truncated JSON (json-c waits for a delimiter). */
static void test_json_bare_number_at_end(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = regression("doc", "json-bare-number", &len);
    json_object *o = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(text, len, 64, &o, &err), 0);
    assert_int_equal(json_object_get_int64(o), 4);
    json_object_put(o);
    free(text);
    static const struct {
        const char *text;
        enum json_type type;
    } ends[] = { { "4", json_type_int }, { "-0.5", json_type_double }, { "1e3", json_type_double },
                 { "true", json_type_boolean }, { "null", json_type_null }, { "\"s\"", json_type_string } };
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        o = NULL;
        assert_int_equal(gw_json_parse(ends[i].text, strlen(ends[i].text), 64, &o, &err), 0);
        assert_int_equal(json_object_get_type(o), ends[i].type);
        json_object_put(o);
    }
    /* Still refused: what really stops half-way. */
    static const char *const truncated[] = { "{\"a\":", "[1,", "\"abc", "tru", "-" };
    for (size_t i = 0; i < sizeof(truncated) / sizeof(truncated[0]); i++) {
        err = NULL;
        assert_int_equal(gw_json_parse(truncated[i], strlen(truncated[i]), 64, &o, &err), -EINVAL);
        assert_non_null(err);
        free(err);
    }
}

/* A patch value that overflows to infinity is written as .inf; the loader
 * must read .inf back as the float it is (YAML 1.1, PyYAML), not as the
 * string ".inf". */
static void test_patch_inf_reads_back(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = regression("patch", "inf-reads-back-as-string", &len);
    json_object *patch = NULL, *again = NULL;
    char *err = NULL, *yaml = NULL;
    size_t yaml_len = 0;
    assert_int_equal(gw_patch_parse(text, &patch, &err), 0);
    json_object *a = json_object_object_get(patch, "a");
    assert_true(json_object_is_type(a, json_type_double));
    assert_true(isinf(json_object_get_double(a)));
    assert_int_equal(gw_yaml_emit(patch, &yaml, &yaml_len), 0);
    assert_non_null(strstr(yaml, "a: .inf\n"));
    assert_int_equal(gw_yaml_load_one(yaml, yaml_len, &GW_LIMITS_MANIFEST, &again, &err), 0);
    json_object *b = json_object_object_get(again, "a");
    assert_true(json_object_is_type(b, json_type_double));
    assert_true(isinf(json_object_get_double(b)) && json_object_get_double(b) > 0);
    json_object_put(again);
    json_object_put(patch);
    free(yaml);
    free(text);
    /* The YAML 1.1 spellings PyYAML reads as special floats. */
    static const struct {
        const char *text;
        int sign;   /* 1 +inf, -1 -inf, 0 nan */
    } specials[] = { { "v: .inf", 1 }, { "v: .Inf", 1 }, { "v: +.INF", 1 }, { "v: -.inf", -1 },
                     { "v: -.Inf", -1 }, { "v: .nan", 0 }, { "v: .NaN", 0 }, { "v: .NAN", 0 } };
    for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
        json_object *o = yaml_obj(specials[i].text);
        json_object *v = json_object_object_get(o, "v");
        assert_true(json_object_is_type(v, json_type_double));
        double d = json_object_get_double(v);
        if (specials[i].sign == 0)
            assert_true(isnan(d));
        else
            assert_true(isinf(d) && (d > 0) == (specials[i].sign > 0));
        json_object_put(o);
    }
    /* Not special floats for PyYAML either: these stay strings. */
    static const char *const strings[] = { "v: .INf", "v: inf", "v: .nAn", "v: -.nan", "v: .infinity" };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        json_object *o = yaml_obj(strings[i]);
        assert_true(json_object_is_type(json_object_object_get(o, "v"), json_type_string));
        json_object_put(o);
    }
}

/* Messages quote what the request said, cut to a length; a cut inside a
 * multi-byte character must not make the answer invalid UTF-8 (the answer
 * must be strict JSON). The cut character becomes U+FFFD. */
static void expect_clean_answer(const char *file, unsigned want_status, const char *want_text)
{
    size_t len = 0;
    char *body = regression("admission", file, &len);
    for (enum wh_endpoint ep = WH_EP_VALIDATE; ep <= WH_EP_MUTATE; ep++) {
        struct wh_reply r;
        memset(&r, 0, sizeof(r));
        assert_int_equal(wh_handle(ep, body, len, &r), 0);
        assert_int_equal(r.status, want_status);
        json_object *o = NULL;
        char *err = NULL;
        if (gw_json_parse(r.body, r.body_len, 64, &o, &err) != 0)
            fail_msg("answer is not strict JSON (%s): %s", err ? err : "?", r.body);
        if (!strstr(r.body, want_text))
            fail_msg("answer lacks \"%s\": %s", want_text, r.body);
        json_object_put(o);
        wh_reply_release(&r);
    }
    free(body);
}

static void test_answer_is_utf8_when_a_quote_is_cut(void **state)
{
    (void)state;
    /* 99 ASCII bytes, then a two-byte character cut after its first byte. */
    expect_clean_answer("kind-cut-inside-a-character", 200, "Kind=AAAAAAAAAA");
    expect_clean_answer("kind-cut-inside-a-character", 200, "A\xef\xbf\xbd\",\"reason\"");
    expect_clean_answer("review-kind-cut-inside-a-character", 400, "A\xef\xbf\xbd\\\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_bare_number_at_end),
        cmocka_unit_test(test_patch_inf_reads_back),
        cmocka_unit_test(test_answer_is_utf8_when_a_quote_is_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
