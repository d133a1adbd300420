/* The serving certificate: loading a pair from PEM (chain, key, the check
 * that they belong together) and the store that swaps pairs when the files
 * change. The PEM files under testdata/webhook are test-only keys. */
#include "testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs.h"

static char *slurp(const char *name, size_t *len)
{
    char path[512], *buf = NULL, *err = NULL;
    snprintf(path, sizeof(path), "%s/webhook/%s", TESTDATA_DIR, name);
    if (gw_read_file(path, 1 << 20, &buf, len, &err) != 0)
        fail_msg("%s: %s", path, err);
    return buf;
}

static int load(const char *crt_name, const char *key_name, struct wh_cert **ret, char **err)
{
    size_t cl = 0, kl = 0;
    char *crt = slurp(crt_name, &cl), *key = slurp(key_name, &kl);
    int r = wh_cert_load(crt, cl, key, kl, ret, err);
    free(crt);
    free(key);
    return r;
}

static void test_load_pair(void **state)
{
    (void)state;
    struct wh_cert *c = NULL;
    char *err = NULL;
    assert_int_equal(load("tls.crt", "tls.key", &c, &err), 0);
    assert_null(err);
    gnutls_pcert_st *chain;
    unsigned n;
    gnutls_privkey_t key;
    wh_cert_credentials(c, &chain, &n, &key);
    assert_int_equal(n, 1);
    assert_non_null(key);
    /* notAfter=Nov  2 02:47:13 2126 GMT */
    assert_int_equal(wh_cert_not_after(c), 4949261233LL);
    assert_string_equal(wh_cert_describe(c), "CN=unit-test-webhook, expires 2126-11-02T02:47:13Z");
    /* References: the last unref frees. */
    assert_ptr_equal(wh_cert_ref(c), c);
    wh_cert_unref(c);
    wh_cert_unref(c);

    assert_int_equal(load("chain.crt", "tls.key", &c, &err), 0);
    wh_cert_credentials(c, &chain, &n, &key);
    assert_int_equal(n, 2);
    wh_cert_unref(c);
}

static void test_load_refusals(void **state)
{
    (void)state;
    struct wh_cert *c = NULL;
    char *err = NULL;
    assert_int_equal(load("tls.crt", "other.key", &c, &err), -EINVAL);
    assert_string_equal(err, "tls.key does not belong to the first certificate of tls.crt");
    free(err);
    err = NULL;
    assert_int_equal(load("tls.key", "tls.key", &c, &err), -EINVAL);
    assert_non_null(err);
    assert_int_equal(strncmp(err, "tls.crt", 7), 0);
    free(err);
    err = NULL;
    assert_int_equal(load("tls.crt", "tls.crt", &c, &err), -EINVAL);
    assert_int_equal(strncmp(err, "tls.key: ", 9), 0);
    free(err);
    err = NULL;
    assert_int_equal(wh_cert_load("", 0, "", 0, &c, &err), -EINVAL);
    assert_non_null(err);
    free(err);
}

/* --- the store, on a scratch directory ------------------------------------- */

static void put_file(const char *dir, const char *name, const char *src)
{
    size_t len = 0;
    char *data = slurp(src, &len);
    char tmp[600], path[600];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
    free(data);
}

static void test_store_reload(void **state)
{
    (void)state;
    char dir[] = "/tmp/wh-certs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct wh_certstore *s = NULL;
    char *err = NULL;
    /* Nothing there yet. */
    assert_true(wh_certstore_open(dir, &s, &err) < 0);
    assert_non_null(strstr(err, "tls.crt"));
    free(err);
    err = NULL;

    put_file(dir, "tls.crt", "tls.crt");
    put_file(dir, "tls.key", "tls.key");
    assert_int_equal(wh_certstore_open(dir, &s, &err), 0);
    struct wh_cert *first = wh_certstore_acquire(s);
    assert_non_null(first);
    assert_int_equal(wh_certstore_refresh(s, &err), 0);

    /* A key that does not match: the old pair stays, and the store keeps
     * trying until the files agree. */
    put_file(dir, "tls.key", "other.key");
    assert_int_equal(wh_certstore_refresh(s, &err), -EINVAL);
    assert_string_equal(err, "tls.key does not belong to the first certificate of tls.crt");
    free(err);
    err = NULL;
    struct wh_cert *still = wh_certstore_acquire(s);
    assert_ptr_equal(still, first);
    wh_cert_unref(still);
    assert_int_equal(wh_certstore_refresh(s, &err), -EINVAL);
    free(err);
    err = NULL;

    /* The writer finishes: a new pair (a chain this time) is installed; the
     * old one lives on while a connection holds it. */
    put_file(dir, "tls.crt", "chain.crt");
    put_file(dir, "tls.key", "tls.key");
    assert_int_equal(wh_certstore_refresh(s, &err), 1);
    struct wh_cert *second = wh_certstore_acquire(s);
    assert_ptr_not_equal(second, first);
    gnutls_pcert_st *chain;
    unsigned n;
    gnutls_privkey_t key;
    wh_cert_credentials(second, &chain, &n, &key);
    assert_int_equal(n, 2);
    wh_cert_credentials(first, &chain, &n, &key);
    assert_int_equal(n, 1);
    wh_cert_unref(first);
    wh_cert_unref(second);
    assert_int_equal(wh_certstore_refresh(s, &err), 0);

    /* Files gone: reported, the pair in use stays. */
    char path[600];
    snprintf(path, sizeof(path), "%s/tls.key", dir);
    unlink(path);
    assert_true(wh_certstore_refresh(s, &err) < 0);
    assert_non_null(err);
    free(err);
    err = NULL;
    assert_non_null((second = wh_certstore_acquire(s)));
    wh_cert_unref(second);
    wh_certstore_free(s);
    wh_certstore_free(NULL);

    snprintf(path, sizeof(path), "%s/tls.crt", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_pair),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_store_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
