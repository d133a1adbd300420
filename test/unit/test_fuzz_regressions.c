/* Inputs the fuzzers (test/fuzz) found, each kept as a file under
 * test/testdata/fuzz-regressions/<harness>/ and checked here for the
 * behaviour the fix gave them. run.sh also replays every such file through
 * its harness before fuzzing. */
#include "testutil.h"

#include <errno.h>
#include <math.h>

#include "admission.h"
#include "patch.h"
#include "textutil.h"
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

/* The fuzzer's input once read as a number that overflowed to infinity and
 * came back as the string ".inf". The loader now reads plain scalars as
 * PyYAML does (a string here); the YAML 1.1 spellings of the special floats
 * still read back as floats. */
static void test_patch_inf_reads_back(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = regression("patch", "inf-reads-back-as-string", &len);
    json_object *patch = NULL, *again = NULL;
    char *err = NULL, *yaml = NULL;
    size_t yaml_len = 0;
    assert_int_equal(gw_patch_parse(text, &patch, &err), 0);
    /* No dot, a leading 0 and digits 8 and 9: PyYAML's SafeLoader reads
     * neither a float nor an octal int, so it is a string, and the writer
     * must quote it for it to read back as that string. */
    json_object *a = json_object_object_get(patch, "a");
    assert_true(json_object_is_type(a, json_type_string));
    assert_string_equal(json_object_get_string(a), "06700000000000000011e3419853271246438399120");
    assert_int_equal(gw_yaml_emit(patch, &yaml, &yaml_len), 0);
    assert_int_equal(gw_yaml_load_one(yaml, yaml_len, &GW_LIMITS_MANIFEST, &again, &err), 0);
    json_object *b = json_object_object_get(again, "a");
    assert_true(json_object_is_type(b, json_type_string));
    assert_string_equal(json_object_get_string(b), json_object_get_string(a));
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

static bool is_utf8(const char *s)
{
    size_t len = strlen(s), n = 0;
    char *copy = gw_utf8_scrub(s, len, &n);
    assert_non_null(copy);
    bool same = n == len && memcmp(copy, s, len) == 0;
    free(copy);
    return same;
}

/* A field path quotes a map key cut to 200 bytes; with a key of two-byte
 * characters the cut falls inside one. Every message stays UTF-8 (they go
 * into answers, status and Events), the cut character becoming U+FFFD. */
static void test_field_path_cut_inside_a_character(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = regression("validate", "label-key-cut-inside-a-character.yaml", &len);
    struct verdict v;
    verdict_of(text, &v);
    assert_int_equal(v.rc, 0);
    assert_true(v.errors.n > 0);
    bool cut = false;
    for (size_t i = 0; i < v.errors.n; i++) {
        const struct gw_issue *it = &v.errors.items[i];
        if (!is_utf8(it->message) || !is_utf8(it->field) || !is_utf8(it->body))
            fail_msg("error %zu is not UTF-8: %s", i, it->message);
        cut = cut || strstr(it->field, "\xef\xbf\xbd]") != NULL;
    }
    assert_true(cut);
    verdict_free(&v);
    free(text);
    /* The scrubber itself: valid text unchanged, each stray byte one U+FFFD. */
    size_t n = 0;
    char *s = gw_utf8_scrub("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, &n);
    assert_int_equal(n, 10);
    assert_memory_equal(s, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
    free(s);
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } bad[] = {
        { "x\xc3", 2, "x\xef\xbf\xbd" },                              /* cut two-byte */
        { "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" },                 /* cut three-byte */
        { "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },                 /* overlong */
        { "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },  /* surrogate */
        { "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xffz", 2, "\xef\xbf\xbdz" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = gw_utf8_scrub(bad[i].in, bad[i].len, &n);
        assert_non_null(s);
        assert_string_equal(s, bad[i].out);
        assert_int_equal(n, strlen(bad[i].out));
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_bare_number_at_end),
        cmocka_unit_test(test_patch_inf_reads_back),
        cmocka_unit_test(test_answer_is_utf8_when_a_quote_is_cut),
        cmocka_unit_test(test_field_path_cut_inside_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
