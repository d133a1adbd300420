/* The secret digest: data only (not metadata), independent of key order,
 * unambiguous at key/value boundaries; the cache reads a Secret once per
 * resourceVersion and forgets deleted ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kube_client.h"
#include "secrets.h"
#include "strbuf.h"

#include "fakehttp.h"
#include "fakekube.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void digest_of(const char *json, char out[CTL_DIGEST_LEN])
{
    json_object *o = json_tokener_parse(json);
    assert_non_null(o);
    secret_data_digest(o, out);
    json_object_put(o);
}

static void test_digest_is_of_the_data_only(void **state)
{
    (void)state;
    char a[CTL_DIGEST_LEN], b[CTL_DIGEST_LEN], c[CTL_DIGEST_LEN], d[CTL_DIGEST_LEN], e[CTL_DIGEST_LEN];
    digest_of("{\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"1\",\"uid\":\"u1\"},"
              "\"data\":{\"A\":\"b25l\",\"B\":\"dHdv\"}}", a);
    /* Another version, other labels, keys in another order: the same data. */
    digest_of("{\"metadata\":{\"name\":\"s\",\"resourceVersion\":\"9\",\"uid\":\"u2\",\"labels\":{\"x\":\"y\"}},"
              "\"data\":{\"B\":\"dHdv\",\"A\":\"b25l\"}}", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 7 + 64);
    assert_memory_equal(a, "sha256:", 7);
    digest_of("{\"data\":{\"A\":\"b25l\",\"B\":\"dGhyZWU=\"}}", c);
    assert_string_not_equal(a, c);
    /* "AB"="x" is not "A"="Bx". */
    digest_of("{\"data\":{\"AB\":\"x\"}}", d);
    digest_of("{\"data\":{\"A\":\"Bx\"}}", e);
    assert_string_not_equal(d, e);
    char none1[CTL_DIGEST_LEN], none2[CTL_DIGEST_LEN];
    digest_of("{\"metadata\":{\"name\":\"s\"}}", none1);
    digest_of("{\"data\":{}}", none2);
    assert_string_equal(none1, none2);
}

static void test_cache_reads_once_per_version(void **state)
{
    (void)state;
    static const struct reply script[] = {
        { .status = 200, .body = "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\","
                                 "\"resourceVersion\":\"5\"},\"data\":{\"K\":\"djE=\"}}" },
        { .status = 200, .body = "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\","
                                 "\"resourceVersion\":\"6\"},\"data\":{\"K\":\"djE=\"}}" },
        { .status = 404, .body = "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404,\"message\":\"gone\"}" },
    };
    struct fake f;
    fake_start(&f, script, N(script));
    struct kube_config *cfg = fake_kube_config(f.port, "t");
    struct kube_client_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 5000, .max_tries = 1 };
    struct kube_client *kc = NULL;
    assert_int_equal(kube_client_new(cfg, &o, &kc), 0);
    struct secret_digests *d = NULL;
    assert_int_equal(secret_digests_new(&d), 0);
    char d1[CTL_DIGEST_LEN], d2[CTL_DIGEST_LEN], d3[CTL_DIGEST_LEN];
    assert_int_equal(secret_digests_get(d, kc, "ns", "s", "5", d1), 0);
    assert_int_equal(secret_digests_get(d, kc, "ns", "s", "5", d2), 0); /* cached: no request */
    assert_string_equal(d1, d2);
    /* A label added: a new version, read again, the same digest. */
    assert_int_equal(secret_digests_get(d, kc, "ns", "s", "6", d3), 0);
    assert_string_equal(d1, d3);
    assert_int_equal(secret_digests_count(d), 1);
    secret_digests_forget(d, "ns", "s");
    assert_int_equal(secret_digests_count(d), 0);
    assert_int_equal(secret_digests_get(d, kc, "ns", "s", "7", d3), -ENOENT);
    fake_stop(&f);
    assert_int_equal(f.n_seen, 3);
    assert_non_null(strstr(f.seen[0], "GET /api/v1/namespaces/ns/secrets/s "));
    fake_free(&f);
    secret_digests_free(d);
    kube_client_free(kc);
    kube_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_is_of_the_data_only),
        cmocka_unit_test(test_cache_reads_once_per_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
