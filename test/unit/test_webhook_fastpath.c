/* The webhook's fast paths against the reference paths they stand in for:
 * the one-pass JSON check and tree builder against gw_json_parse, the
 * ConversionReview fast path against wh_convert_tree, and the remembered
 * config-patch reviews against reviewing every time. */
#include <errno.h>

#include "testutil.h"

#include "admission.h"
#include "conversion.h"
#include "convert.h"
#include "jsonscan.h"
#include "reply.h"
#include "strbuf.h"
#include "yamlout.h"

static char *canon(json_object *o)
{
    char *s = NULL;
    size_t n = 0;
    if (!o)
        return strdup("null");
    assert_int_equal(gw_json_emit_sorted(o, &s, &n), 0);
    return s;
}

/* --- the check and the builder ------------------------------------------------------- */

/* Whatever the fast parse accepts, gw_json_parse accepts as the same tree;
 * whatever gw_json_parse refuses, the fast parse leaves to it. */
static void assert_parse_agrees(const char *text, size_t len)
{
    json_object *fast = NULL, *ref = NULL;
    char *err = NULL;
    /* Request bodies need not end with a NUL: the fast parse gets an exact
     * copy (the sanitizer build catches a read past it). */
    char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, text, len);
    int f = wh_json_parse_checked(exact, len, WH_JSON_MAX_DEPTH, NULL, 0, &fast);
    free(exact);
    int r = gw_json_parse(text, len, WH_JSON_MAX_DEPTH, &ref, &err);
    assert_true(f == 0 || f == 1);
    if (f == 0) {
        if (r != 0)
            fail_msg("fast parse accepted what gw_json_parse refuses (%s): %.*s", err, (int)len, text);
        char *a = canon(fast), *b = canon(ref);
        if (strcmp(a, b) != 0 || !gw_json_same(fast, ref))
            fail_msg("trees differ for %.*s:\n  %s\n  %s", (int)len, text, a, b);
        free(a);
        free(b);
    }
    json_object_put(fast);
    json_object_put(ref);
    free(err);
}

/* Escaped keys (managedFields' k:{"name":...}) pass the check, compared
 * decoded; objects of up to WH_JSON_CHECK_MAX_KEYS members too. */
static void test_check_takes_escaped_keys_and_many_members(void **state)
{
    (void)state;
    static const char managed[] = "{\"f:spec\":{\"f:aiModels\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{}},"
                                  "\"k:{\\\"name\\\":\\\"b\\\"}\":{\".\":{}}}}}";
    assert_int_equal(wh_json_check(managed, strlen(managed), WH_JSON_MAX_DEPTH), 0);
    assert_parse_agrees(managed, strlen(managed));
    static const char *const dups[] = { "{\"a\\u0062\":1,\"ab\":2}", "{\"ab\":1,\"a\\u0062\":2}",
                                        "{\"k:\\\"x\\\"\":1,\"k:\\u0022x\\u0022\":2}" };
    for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
        assert_int_equal(wh_json_check(dups[i], strlen(dups[i]), WH_JSON_MAX_DEPTH), -EINVAL);
        assert_parse_agrees(dups[i], strlen(dups[i]));
    }
    struct strbuf sb;
    for (int n = WH_JSON_CHECK_MAX_KEYS - 1; n <= WH_JSON_CHECK_MAX_KEYS + 1; n++) {
        sb_init(&sb, 1 << 20);
        sb_adds(&sb, "{");
        for (int k = 0; k < n; k++)
            sb_addf(&sb, "%s\"k:{\\\"name\\\":\\\"m-%d\\\"}\":%d", k ? "," : "", k, k);
        sb_adds(&sb, "}");
        assert_int_equal(wh_json_check(sb_str(&sb), sb.len, WH_JSON_MAX_DEPTH),
                         n <= WH_JSON_CHECK_MAX_KEYS ? 0 : -EINVAL);
        assert_parse_agrees(sb_str(&sb), sb.len);
        sb_release(&sb);
    }
}

static void test_check_agrees_with_strict_parser(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}", "[]", "null", "true", "false", "0", "-0", "1", "-12", "0.5", "1e5", "1E+2", "-1.5e-3", "123456789012345678",
        "1234567890123456789", "12345678901234567890123", "1e999", "-1e999", "1e99", "01", "1.", ".5", "+1", "-", "1e",
        "NaN", "Infinity", "-Infinity", "nul", "tru", "\"a\"", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud83d\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\u00e9\\u20ac\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\x\"",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
        "\"\xc3\"", "\"a\tb\"", "\"a\x7f\"", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":{\"a\":2}}", "{\"a\\u0062\":1,\"ab\":2}",
        "{\"k\":[1,2,3,]}", "{\"k\":1,}", "[1 2]", "{\"k\" 1}", "{\"k\":1} x", " \n{ \"k\" : [ 1 , { } ] }\t\r\n",
        "{\"k\":\"\\u003cscript\\u003e \\u0026\"}", "\"\\u002F\"", "[1.0, 2.50, 3e0, -0.0]", "{\"a\":{\"b\":{\"c\":[[]]}}}",
        "\xef\xbb\xbf{}", "{\"a\":\v1}", "[\"a\"\x0c]",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_parse_agrees(cases[i], strlen(cases[i]));
    /* What a test string cannot hold: NUL bytes. */
    assert_parse_agrees("\"a\0b\"", 5);
    assert_parse_agrees("{\"a\":1}\0", 8);

    /* Depth around the limit, objects with many keys (one duplicated). */
    struct strbuf sb;
    for (int depth = 55; depth <= 70; depth++) {
        sb_init(&sb, 1 << 20);
        for (int d = 0; d < depth; d++)
            sb_adds(&sb, d % 2 ? "[" : "{\"k\":");
        sb_adds(&sb, "1");
        for (int d = depth - 1; d >= 0; d--)
            sb_adds(&sb, d % 2 ? "]" : "}");
        assert_parse_agrees(sb_str(&sb), sb.len);
        sb_release(&sb);
    }
    for (int n = 60; n <= 70; n++) {
        for (int dup = 0; dup < 2; dup++) {
            sb_init(&sb, 1 << 20);
            sb_adds(&sb, "{");
            for (int k = 0; k < n; k++)
                sb_addf(&sb, "%s\"key-%d\":%d", k ? "," : "", dup && k == n - 1 ? 0 : k, k);
            sb_adds(&sb, "}");
            assert_parse_agrees(sb_str(&sb), sb.len);
            sb_release(&sb);
        }
    }
}

static void test_builder_prunes_members(void **state)
{
    (void)state;
    static const char *const old_object[] = { "request", "oldObject" };
    static const char *const managed[] = { "request", "object", "metadata", "managedFields" };
    static const struct wh_json_path unread[] = { { old_object, 2 }, { managed, 4 } };
    const char *body = "{\"request\":{\"oldObject\":{\"a\":[1,2]},\"object\":{\"metadata\":{\"name\":\"n\","
                       "\"managedFields\":[{\"f\":1}]},\"list\":[{\"oldObject\":1}]},\"x\":\"\\u00e9\"}}";
    json_object *o = NULL;
    assert_int_equal(wh_json_parse_checked(body, strlen(body), WH_JSON_MAX_DEPTH, unread, 2, &o), 0);
    char *s = canon(o);
    assert_string_equal(s, "{\"request\":{\"object\":{\"list\":[{\"oldObject\":1}],\"metadata\":{\"managedFields\":null,"
                           "\"name\":\"n\"}},\"oldObject\":null,\"x\":\"\xc3\xa9\"}}");
    free(s);
    json_object_put(o);
    /* A duplicate inside a pruned member is still refused (left to the
     * strict parser). */
    const char *dup = "{\"request\":{\"oldObject\":{\"a\":1,\"a\":2}}}";
    assert_int_equal(wh_json_parse_checked(dup, strlen(dup), WH_JSON_MAX_DEPTH, unread, 2, &o), 1);
}

/* --- ConversionReview: fast path and tree path ---------------------------------------- */

/* A review as json-c writes it by default: every '/' escaped, so the
 * stream, which compares keys as written, declines every object and the
 * fast path answers. */
static char *conversion_review_flags(const char *desired, json_object *const *objs, size_t n, int flags);

static char *conversion_review(const char *desired, json_object *const *objs, size_t n)
{
    return conversion_review_flags(desired, objs, n, JSON_C_TO_STRING_PLAIN);
}

/* A review as the API server writes it ('/' as it is). */
static char *api_server_review(const char *desired, json_object *const *objs, size_t n)
{
    return conversion_review_flags(desired, objs, n, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char *conversion_review_flags(const char *desired, json_object *const *objs, size_t n, int flags)
{
    struct strbuf sb;
    sb_init(&sb, 64 << 20);
    sb_addf(&sb, "{\"kind\":\"ConversionReview\",\"apiVersion\":\"apiextensions.k8s.io/v1\",\"request\":{\"uid\":\"u-\\u00e9\","
                 "\"desiredAPIVersion\":\"%s\",\"objects\":[",
            desired);
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s%s", i ? "," : "", json_object_to_json_string_ext(objs[i], flags));
    sb_adds(&sb, "]}}");
    return sb_detach(&sb, NULL);
}

/* Both paths give the same answer; returns the fast path's body. */
static char *assert_paths_agree(const char *body, size_t len)
{
    struct wh_reply fast, tree;
    assert_int_equal(wh_convert(body, len, &fast), 0);
    assert_int_equal(wh_convert_tree(body, len, &tree), 0);
    assert_int_equal(fast.status, tree.status);
    assert_int_equal(fast.verdict, tree.verdict);
    assert_int_equal(fast.kind, tree.kind);
    assert_int_equal(fast.n_errors, tree.n_errors);
    assert_string_equal(fast.summary, tree.summary);
    json_object *a = NULL, *b = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(fast.body, fast.body_len, 64, &a, &err), 0);
    assert_int_equal(gw_json_parse(tree.body, tree.body_len, 64, &b, &err), 0);
    char *ca = canon(a), *cb = canon(b);
    if (strcmp(ca, cb) != 0)
        fail_msg("answers differ:\n  %s\n  %s", ca, cb);
    free(ca);
    free(cb);
    json_object_put(a);
    json_object_put(b);
    char *out = strdup(fast.body);
    wh_reply_release(&fast);
    wh_reply_release(&tree);
    return out;
}

struct loaded {
    json_object **objs;
    size_t n, cap;
};

static void keep_object(const char *path, size_t i, json_object *doc, void *ud)
{
    (void)path;
    (void)i;
    struct loaded *l = ud;
    if (l->n < l->cap)
        l->objs[l->n++] = json_object_get(doc);
}

static void test_conversion_paths_agree_on_the_corpus(void **state)
{
    (void)state;
    json_object *objs[256];
    struct loaded l = { objs, 0, 256 };
    for_each_object_in(TESTDATA_DIR "/../../deploy/samples", keep_object, &l);
    for_each_object_in(TESTDATA_DIR "/../../deploy/samples/invalid", keep_object, &l);
    for_each_object_in(TESTDATA_DIR "/v1beta1", keep_object, &l);
    size_t n = l.n;
    assert_true(n >= 8);
    static const char *const versions[] = { GW_V1ALPHA1, GW_V1BETA1 };
    for (int v = 0; v < 2; v++) {
        /* Each object alone (some do not convert: the Failed answers must
         * agree too), then every object in one review, twice (the second
         * time with the patches remembered). */
        for (size_t i = 0; i < n; i++) {
            char *body = conversion_review(versions[v], &objs[i], 1);
            free(assert_paths_agree(body, strlen(body)));
            free(body);
        }
        for (int round = 0; round < 2; round++) {
            char *body = conversion_review(versions[v], objs, n);
            free(assert_paths_agree(body, strlen(body)));
            free(body);
        }
    }
    for (size_t i = 0; i < n; i++)
        json_object_put(objs[i]);
    wh_convert_memo_clear();
}

static const char ALPHA_AI[] =
    "{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"AiGateway\",\"metadata\":{\"name\":\"g\","
    "\"namespace\":\"n\",\"labels\":{\"a\":\"\\u003cb\\u003e\"},\"annotations\":{"
    "\"ai-gateway-litellm.agentic-layer.ai/config-patch\":\"# c\\nlitellm_settings: {request_timeout: 5}\\n\","
    "\"runtime.agentic-layer.ai/conversion\":\"{\\\"spec\\\":{\\\"models\\\":[{\\\"name\\\":\\\"m\\\","
    "\\\"apiBase\\\":\\\"https://x.example/v\\u00e9\\\"}],\\\"replicas\\\":2}}\"},\"managedFields\":[{\"manager\":\"k\",\"fieldsV1\":{\"f:spec\":{}}}]},"
    "\"spec\":{\"aiGatewayClassName\":\"c\",\"aiModels\":[{\"name\":\"m\",\"provider\":\"openai\"}],\"port\":4000,"
    "\"ratio\":0.50,\"env\":[{\"name\":\"E\",\"value\":\"caf\xc3\xa9\"}]},"
    "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"message\":\"\\u003cok\\u003e \\\"q\\\"\",\"observedGeneration\":3}]}}";

static void test_conversion_fast_path_keeps_bytes(void **state)
{
    (void)state;
    json_object *o = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(ALPHA_AI, strlen(ALPHA_AI), 64, &o, &err), 0);
    json_object *objs[3] = { o, o, o };
    for (int round = 0; round < 2; round++) {
        struct strbuf sb;
        sb_init(&sb, 1 << 20);
        sb_addf(&sb, "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"request\":{\"uid\":\"x\","
                     "\"desiredAPIVersion\":\"%s\",\"objects\":[%s,%s,%s]}}",
                GW_V1BETA1, ALPHA_AI, ALPHA_AI, ALPHA_AI);
        char *fast = assert_paths_agree(sb_str(&sb), sb.len);
        /* Members conversion does not touch are copied as they came (the
         * API server's \u003c stays), which is how the fast path is told
         * from the tree path (json-c writes '<'). */
        assert_non_null(strstr(fast, "\"message\":\"\\u003cok\\u003e \\\"q\\\"\""));
        assert_non_null(strstr(fast, "\"spec\":{\"className\":\"c\",\"models\":[{\"name\":\"m\",\"provider\":\"openai\","
                                     "\"apiBase\":\"https://x.example/v\xc3\xa9\"}],\"port\":4000"));
        free(fast);
        sb_release(&sb);
    }
    /* Converting back gives the same object. */
    char *body = conversion_review(GW_V1BETA1, objs, 1);
    struct wh_reply rep;
    assert_int_equal(wh_convert(body, strlen(body), &rep), 0);
    json_object *ans = NULL;
    assert_int_equal(gw_json_parse(rep.body, rep.body_len, 64, &ans, &err), 0);
    json_object *resp = NULL, *conv = NULL;
    json_object_object_get_ex(ans, "response", &resp);
    json_object_object_get_ex(resp, "convertedObjects", &conv);
    json_object *beta = json_object_array_get_idx(conv, 0);
    char *back_body = conversion_review(GW_V1ALPHA1, &beta, 1);
    char *back = assert_paths_agree(back_body, strlen(back_body));
    json_object *back_o = NULL;
    assert_int_equal(gw_json_parse(back, strlen(back), 64, &back_o, &err), 0);
    json_object_object_get_ex(back_o, "response", &resp);
    json_object_object_get_ex(resp, "convertedObjects", &conv);
    if (!gw_json_same(json_object_array_get_idx(conv, 0), o)) {
        char *x = canon(json_object_array_get_idx(conv, 0)), *y = canon(o);
        fail_msg("round trip changed the object:\n  %s\n  %s", x, y);
    }
    json_object_put(back_o);
    free(back);
    free(back_body);
    json_object_put(ans);
    wh_reply_release(&rep);
    free(body);
    json_object_put(o);
    wh_convert_memo_clear();
}

/* --- the stream (convstream.h) ------------------------------------------------------------ */

/* The convertedObjects of a Success answer (a new reference). */
static json_object *converted_objects(const char *answer)
{
    json_object *root = NULL, *resp = NULL, *conv = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(answer, strlen(answer), 64, &root, &err), 0);
    assert_true(json_object_object_get_ex(root, "response", &resp));
    assert_true(json_object_object_get_ex(resp, "convertedObjects", &conv));
    json_object_get(conv);
    json_object_put(root);
    return conv;
}

/* What the API server stores and reads back a list page at a time:
 * v1alpha1 objects, many with the conversion annotation (written here by
 * converting the v1beta1 corpus) or a config patch. Once their patches are
 * remembered, the stream takes every one of them, answers as the tree
 * path does, and gives back the v1beta1 objects exactly. */
static void test_stream_takes_stored_objects(void **state)
{
    (void)state;
    json_object *objs[256], *alpha[256], *beta[256];
    struct loaded l = { objs, 0, 256 };
    for_each_object_in(TESTDATA_DIR "/v1beta1", keep_object, &l);
    size_t n_beta = l.n;
    for_each_object_in(TESTDATA_DIR "/../../deploy/samples", keep_object, &l);
    size_t n = 0, n_from_beta = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct gw_errlist e;
        errlist_init(&e);
        json_object *a = NULL;
        if (gw_convert(objs[i], GW_API_V1ALPHA1, &a, &e) == 0) {
            beta[n] = i < n_beta ? objs[i] : NULL;
            n_from_beta += i < n_beta;
            alpha[n++] = a;
        }
        errlist_free(&e);
    }
    assert_true(n_from_beta >= 3);
    assert_true(n >= 8);
    beta[n] = NULL;
    alpha[n++] = json_tokener_parse(ALPHA_AI);
    wh_convert_memo_clear();
    char *body = api_server_review(GW_V1BETA1, alpha, n);
    free(assert_paths_agree(body, strlen(body)));
    size_t before = wh_convert_streamed_objects();
    char *answer = assert_paths_agree(body, strlen(body));
    assert_int_equal(wh_convert_streamed_objects() - before, n);
    json_object *conv = converted_objects(answer);
    for (size_t i = 0; i < n; i++) {
        if (!beta[i])
            continue;
        json_object *got = json_object_array_get_idx(conv, i);
        if (!gw_json_same(got, beta[i])) {
            char *x = canon(got), *y = canon(beta[i]);
            fail_msg("object %zu changed on its way through v1alpha1:\n  %s\n  %s", i, x, y);
        }
    }
    json_object_put(conv);
    free(answer);
    free(body);
    for (size_t i = 0; i < n; i++)
        json_object_put(alpha[i]);
    for (size_t i = 0; i < l.n; i++)
        json_object_put(objs[i]);
    wh_convert_memo_clear();
}

/* ALPHA_AI with one text replaced (the first occurrence of from). */
static char *alpha_with(const char *from, const char *to)
{
    const char *at = strstr(ALPHA_AI, from);
    assert_non_null(at);
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    sb_add(&sb, ALPHA_AI, (size_t)(at - ALPHA_AI));
    sb_adds(&sb, to);
    sb_adds(&sb, at + strlen(from));
    return sb_detach(&sb, NULL);
}

#define CARRIER_KEY "\"runtime.agentic-layer.ai/conversion\":"
#define CARRIER_VALUE                                                                                           \
    "\"{\\\"spec\\\":{\\\"models\\\":[{\\\"name\\\":\\\"m\\\",\\\"apiBase\\\":\\\"https://x.example/v\\u00e9\\\"}]," \
    "\\\"replicas\\\":2}}\""

/* Objects out of the ordinary are left to gw_convert: the stream declines
 * each of these (the answer is still the tree path's, Failed ones too). */
/* A review of ALPHA_AI objects in the frame given: head, the objects
 * joined by sep, tail. */
static char *framed(const char *head, size_t n, const char *sep, const char *tail)
{
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    sb_adds(&sb, head);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sb_adds(&sb, sep);
        sb_adds(&sb, ALPHA_AI);
    }
    sb_adds(&sb, tail);
    return sb_detach(&sb, NULL);
}

#define REVIEW_HEAD "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"request\":"

static void test_the_envelope_is_checked_around_the_objects(void **state)
{
    (void)state;
    /* Objects are checked and converted one by one before the envelope
     * around them is checked: whatever the order of request's members,
     * blanks anywhere, escapes in the envelope's strings, the fast path
     * converts them ... */
    static const struct {
        const char *head, *sep, *tail;
    } good[] = {
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"objects\":[", ",", "],\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"uid\":\"x\"}}" },
        { " { \"apiVersion\" : \"apiextensions.k8s.io/v1\" ,\n\"kind\":\"ConversionReview\", \"request\" : {"
          " \"uid\" : \"a\\\"b\\u00e9\" , \"desiredAPIVersion\" : \"runtime.agentic-layer.ai\\/v1beta1\" ,"
          " \"objects\" : [ ",
          " ,\n ", " ] } }\n" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"objects\":[", ",", "],\"desiredAPIVersion\":\"" GW_V1BETA1 "\"},\"extra\":[1,{}]}" },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *body = framed(good[i].head, 3, good[i].sep, good[i].tail);
        free(assert_paths_agree(body, strlen(body)));   /* the patch read once */
        size_t before = wh_convert_streamed_objects();
        char *answer = assert_paths_agree(body, strlen(body));
        if (wh_convert_streamed_objects() - before != 3)
            fail_msg("case %zu: the stream did not take the objects", i);
        assert_non_null(strstr(answer, "\"result\":{\"status\":\"Success\"}"));
        json_object *conv = converted_objects(answer);
        assert_int_equal(json_object_array_length(conv), 3);
        json_object_put(conv);
        free(answer);
        free(body);
    }
    /* ... and what is wrong anywhere, before, between or after them, gets
     * the tree path's answer. */
    static const struct {
        const char *head, *sep, *tail;
    } bad[] = {
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}} x" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "],}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",,", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", ",]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "],\"objects\":[]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"uid\":\"y\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"desiredAPIVersion\":\"" GW_V1ALPHA1
                      "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":7,\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"v9\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\\u0000\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",{\"a\":1,\"a\":2},", "]}}" },
        { REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",\"x", "]}}" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConversionReview\",\"request\":{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1
          "\",\"objects\":[", ",", "]}}" },
        { "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"kind\":\"x\",\"request\":{\"uid\":"
          "\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}" },
        { "[" REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"" GW_V1BETA1 "\",\"objects\":[", ",", "]}}]" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = framed(bad[i].head, 2, bad[i].sep, bad[i].tail);
        char *answer = assert_paths_agree(body, strlen(body));
        if (strstr(answer, "\"status\":\"Success\""))
            fail_msg("case %zu was converted: %.300s", i, answer);
        free(answer);
        free(body);
    }
    wh_convert_memo_clear();
}

/* The objects are checked on their own, three levels below the top of
 * the review, and as deep as the review allows: an object nested to the
 * limit is streamed, one level deeper goes to the tree path, which gives
 * the same answer either way. */
static void test_objects_nest_as_deep_as_the_review_allows(void **state)
{
    (void)state;
    for (int depth = 55; depth <= 64; depth++) {
        struct strbuf deep;
        sb_init(&deep, 1 << 20);
        sb_adds(&deep, "\"ratio\":0.50,\"deep\":");
        for (int i = 0; i < depth; i++)
            sb_addc(&deep, '[');
        for (int i = 0; i < depth; i++)
            sb_addc(&deep, ']');
        char *obj = alpha_with("\"ratio\":0.50", deep.buf);
        struct strbuf body;
        sb_init(&body, 1 << 20);
        sb_addf(&body, REVIEW_HEAD "{\"uid\":\"x\",\"desiredAPIVersion\":\"%s\",\"objects\":[%s]}}", GW_V1BETA1, obj);
        free(assert_paths_agree(body.buf, body.len));   /* the patch read once */
        size_t before = wh_convert_streamed_objects();
        free(assert_paths_agree(body.buf, body.len));
        /* The one-pass check allows 62 levels in all (json-c counts its
         * own way): the review, request, objects, the object and its spec
         * leave 57 for the arrays. */
        if ((wh_convert_streamed_objects() - before == 1) != (depth <= 57))
            fail_msg("arrays %d deep: the stream %s the object", depth, depth <= 57 ? "did not take" : "took");
        sb_release(&body);
        sb_release(&deep);
        free(obj);
    }
    wh_convert_memo_clear();
}

static void test_stream_declines_what_it_does_not_know(void **state)
{
    (void)state;
    static const char *const CASES[][2] = {
        /* an escaped key where the stream compares keys */
        { "\"port\":4000", "\"p\\u006frt\":4000" },
        { "\"labels\":", "\"l\\u0061bels\":" },
        /* fields of the other version */
        { "\"port\":4000", "\"port\":4000,\"replicas\":3" },
        { "\"port\":4000", "\"port\":4000,\"className\":\"x\"" },
        { "\"port\":4000", "\"port\":4000,\"configPatch\":{}" },
        { "\"provider\":\"openai\"", "\"provider\":\"openai\",\"apiBase\":\"https://y.example\"" },
        /* a conversion annotation that is not what the conversion writes */
        { CARRIER_VALUE, "\"{\\\"x\\\":1}\"" },
        { CARRIER_VALUE, "\"not json\"" },
        { CARRIER_VALUE, "\"{\\\"spec\\\":{\\\"models\\\":[{\\\"apiBase\\\":\\\"https://z\\\"}]}}\"" },
        { CARRIER_VALUE, "\"{\\\"spec\\\":{\\\"serverName\\\":\\\"s\\\"}}\"" },
        { CARRIER_VALUE, "\"{\\\"configPatchAnnotation\\\":\\\"a\\\",\\\"configPatchFromAnnotation\\\":true}\"" },
        { CARRIER_VALUE, "5" },
        /* a model name with an escape, annotations that are not a map */
        { "{\"name\":\"m\",\"provider\"", "{\"name\":\"\\u006d\",\"provider\"" },
        { "\"annotations\":{", "\"annotations\":5,\"x\":{" },
        /* another version, another kind */
        { "runtime.agentic-layer.ai/v1alpha1", "runtime.agentic-layer.ai/v1beta1" },
        { "\"kind\":\"AiGateway\"", "\"kind\":\"Gateway\"" },
    };
    json_object *base = json_tokener_parse(ALPHA_AI);
    assert_non_null(base);
    /* The control: ALPHA_AI itself is streamed once its patch is known. */
    char *body = api_server_review(GW_V1BETA1, &base, 1);
    free(assert_paths_agree(body, strlen(body)));
    size_t before = wh_convert_streamed_objects();
    free(assert_paths_agree(body, strlen(body)));
    assert_int_equal(wh_convert_streamed_objects() - before, 1);
    free(body);
    for (size_t c = 0; c < sizeof(CASES) / sizeof(CASES[0]); c++) {
        char *text = alpha_with(CASES[c][0], CASES[c][1]);
        struct strbuf sb;
        sb_init(&sb, 1 << 20);
        sb_addf(&sb, "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"ConversionReview\",\"request\":{\"uid\":\"d\","
                     "\"desiredAPIVersion\":\"%s\",\"objects\":[%s]}}",
                GW_V1BETA1, text);
        before = wh_convert_streamed_objects();
        free(assert_paths_agree(sb_str(&sb), sb.len));
        if (wh_convert_streamed_objects() != before)
            fail_msg("case %zu was streamed: %s", c, text);
        sb_release(&sb);
        free(text);
    }
    json_object_put(base);
    wh_convert_memo_clear();
}

/* --- remembered patch reviews ---------------------------------------------------------- */

static char *admission_review(const char *object_json)
{
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    sb_addf(&sb, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a-1\","
                 "\"kind\":{\"group\":\"runtime.agentic-layer.ai\",\"version\":\"v1alpha1\",\"kind\":\"AiGateway\"},"
                 "\"namespace\":\"ns\",\"operation\":\"UPDATE\",\"object\":%s,\"oldObject\":%s}}",
            object_json, object_json);
    return sb_detach(&sb, NULL);
}

static char *gateway(const char *models, const char *patch)
{
    char *s = NULL;
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    sb_addf(&sb, "{\"apiVersion\":\"runtime.agentic-layer.ai/v1alpha1\",\"kind\":\"AiGateway\",\"metadata\":{\"name\":\"g\","
                 "\"namespace\":\"ns\",\"annotations\":{\"ai-gateway-litellm.agentic-layer.ai/config-patch\":\"%s\"}},"
                 "\"spec\":{\"aiModels\":%s}}",
            patch, models);
    s = sb_detach(&sb, NULL);
    return s;
}

/* The review of object_json as lines: "E <field>: <message>" for each
 * error, "W <message>" for each warning; through the webhook (remembered
 * reviews) or through gw_validate_any (every review done afresh). */
static char *webhook_answer_of(const char *object_json)
{
    char *body = admission_review(object_json);
    struct wh_reply rep;
    assert_int_equal(wh_handle(WH_EP_VALIDATE, body, strlen(body), &rep), 0);
    assert_int_equal(rep.status, 200);
    json_object *o = NULL, *resp = NULL, *v = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(rep.body, rep.body_len, 64, &o, &err), 0);
    json_object_object_get_ex(o, "response", &resp);
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    json_object *status = NULL, *details = NULL, *causes = NULL, *warnings = NULL;
    json_object_object_get_ex(resp, "status", &status);
    json_object_object_get_ex(status, "details", &details);
    json_object_object_get_ex(details, "causes", &causes);
    for (size_t i = 0; causes && i < json_object_array_length(causes); i++) {
        json_object *c = json_object_array_get_idx(causes, i), *field = NULL;
        json_object_object_get_ex(c, "field", &field);
        json_object_object_get_ex(c, "message", &v);
        sb_addf(&sb, "E %s: %s\n", json_object_get_string(field), json_object_get_string(v));
    }
    json_object_object_get_ex(resp, "warnings", &warnings);
    for (size_t i = 0; warnings && i < json_object_array_length(warnings); i++)
        sb_addf(&sb, "W %s\n", json_object_get_string(json_object_array_get_idx(warnings, i)));
    json_object_object_get_ex(resp, "allowed", &v);
    assert_int_equal(json_object_get_boolean(v), causes == NULL);
    json_object_put(o);
    wh_reply_release(&rep);
    free(body);
    return sb_detach(&sb, NULL);
}

static char *uncached_answer_of(const char *object_json)
{
    json_object *o = NULL;
    char *err = NULL;
    assert_int_equal(gw_json_parse(object_json, strlen(object_json), 64, &o, &err), 0);
    struct gw_errlist e, w;
    errlist_init(&e);
    errlist_init(&w);
    assert_int_equal(gw_validate_any(o, "ns", &e, &w), 0);
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    for (size_t i = 0; i < e.n; i++)
        sb_addf(&sb, "E %s: %s\n", e.items[i].field, e.items[i].body);
    for (size_t i = 0; i < w.n; i++)
        sb_addf(&sb, "W %s\n", w.items[i].message);
    errlist_free(&e);
    errlist_free(&w);
    json_object_put(o);
    return sb_detach(&sb, NULL);
}

static void test_patch_reviews_are_remembered_by_their_inputs(void **state)
{
    (void)state;
    wh_review_cache_clear();
    /* One patch over two model lists: the review depends on the models
     * (the patch overrides a model the first list has, and adds it to the
     * second), so the remembered review must tell them apart. */
    const char *patch = "model_list:\\n  - model_name: m\\n    litellm_params: {api_base: 'http://x'}\\n"
                        "litellm_settings: {request_timeout: 30}\\n";
    char *a = gateway("[{\"name\":\"m\",\"provider\":\"openai\"}]", patch);
    char *b = gateway("[{\"name\":\"other\",\"provider\":\"openai\"}]", patch);
    char *bad = gateway("[{\"name\":\"m\",\"provider\":\"openai\"}]", "model_list: 3\\n");
    char *ua = uncached_answer_of(a), *ub = uncached_answer_of(b), *ubad = uncached_answer_of(bad);
    assert_string_not_equal(ua, ub);
    assert_non_null(strstr(ubad, "E "));
    for (int round = 0; round < 3; round++) {
        char *ra = webhook_answer_of(a), *rb = webhook_answer_of(b), *rbad = webhook_answer_of(bad);
        assert_string_equal(ra, ua);
        assert_string_equal(rb, ub);
        assert_string_equal(rbad, ubad);
        free(ra);
        free(rb);
        free(rbad);
    }
    free(ua);
    free(ub);
    free(ubad);
    free(a);
    free(b);
    free(bad);
    wh_review_cache_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_agrees_with_strict_parser),
        cmocka_unit_test(test_check_takes_escaped_keys_and_many_members),
        cmocka_unit_test(test_builder_prunes_members),
        cmocka_unit_test(test_conversion_paths_agree_on_the_corpus),
        cmocka_unit_test(test_conversion_fast_path_keeps_bytes),
        cmocka_unit_test(test_stream_takes_stored_objects),
        cmocka_unit_test(test_stream_declines_what_it_does_not_know),
        cmocka_unit_test(test_the_envelope_is_checked_around_the_objects),
        cmocka_unit_test(test_objects_nest_as_deep_as_the_review_allows),
        cmocka_unit_test(test_patch_reviews_are_remembered_by_their_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
