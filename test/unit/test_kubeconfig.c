/* kubeconfig and in-cluster config: what is picked, and the messages when
 * something is wrong. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "kube_client.h"
#include "kubeconfig.h"

/* "hello" and "world" in base64. */
#define B64_HELLO "aGVsbG8="
#define B64_WORLD "d29ybGQ"

static const char *const TWO_CONTEXTS =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: certs\n"
    "clusters:\n"
    "- name: local\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443/\n"
    "    certificate-authority-data: " B64_HELLO "\n"
    "- name: other\n"
    "  cluster:\n"
    "    server: https://10.0.0.1\n"
    "    certificate-authority: pki/ca.crt\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    client-certificate-data: " B64_HELLO "\n"
    "    client-key-data: " B64_WORLD "\n"
    "- name: robot\n"
    "  user:\n"
    "    token: abc.def\n"
    "    tokenFile: /var/tokens/robot\n"
    "contexts:\n"
    "- name: certs\n"
    "  context: {cluster: local, user: admin}\n"
    "- name: token\n"
    "  context: {cluster: other, user: robot, namespace: team-a}\n";

static int parse(const char *text, const char *context, struct kube_config **cfg, char **err)
{
    return kubeconfig_parse(text, strlen(text), "/home/u/.kube/config", context, cfg, err);
}

static void test_current_context_with_inline_certs(void **state)
{
    (void)state;
    struct kube_config *cfg = NULL;
    assert_int_equal(parse(TWO_CONTEXTS, NULL, &cfg, NULL), 0);
    assert_string_equal(cfg->server, "https://127.0.0.1:6443");
    assert_int_equal(cfg->ca_len, 5);
    assert_string_equal(cfg->ca, "hello");
    assert_string_equal(cfg->cert, "hello");
    assert_string_equal(cfg->key, "world");
    assert_int_equal(cfg->key_len, 5);
    assert_null(cfg->token);
    assert_false(cfg->insecure);
    assert_string_equal(cfg->ns, "default");
    assert_string_equal(cfg->origin, "kubeconfig /home/u/.kube/config (context \"certs\")");
    kube_config_free(cfg);
}

static void test_named_context_with_token_and_relative_files(void **state)
{
    (void)state;
    struct kube_config *cfg = NULL;
    assert_int_equal(parse(TWO_CONTEXTS, "token", &cfg, NULL), 0);
    assert_string_equal(cfg->server, "https://10.0.0.1");
    assert_null(cfg->ca);
    assert_string_equal(cfg->ca_file, "/home/u/.kube/pki/ca.crt");
    assert_true(cfg->insecure);
    assert_string_equal(cfg->token_file, "/var/tokens/robot");
    assert_string_equal(cfg->ns, "team-a");
    char *token = NULL;
    /* The file cannot be read: the inline token stays in use. */
    cfg->token_reread_secs = 0;
    assert_int_equal(kube_config_token(cfg, &token), 0);
    assert_string_equal(token, "abc.def");
    free(token);
    kube_config_free(cfg);
}

static void expect_error(const char *text, const char *context, int rc, const char *msg)
{
    struct kube_config *cfg = NULL;
    char *err = NULL;
    assert_int_equal(parse(text, context, &cfg, &err), rc);
    assert_null(cfg);
    assert_non_null(err);
    if (strcmp(err, msg) != 0)
        fail_msg("got      \"%s\"\nexpected \"%s\"", err, msg);
    free(err);
}

static void test_errors_name_file_and_field(void **state)
{
    (void)state;
    expect_error(TWO_CONTEXTS, "prod", -ENOENT,
                 "kubeconfig /home/u/.kube/config: context \"prod\" not found in contexts");
    expect_error("clusters: []\n", NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: current-context is not set and no context was named");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x'}\n"
                 "users:\n- name: u\n  user: {client-certificate-data: " B64_HELLO ", client-key-data: '%%%'}\n",
                 NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: users[0].user.client-key-data: not valid base64");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x'}\n"
                 "users:\n- name: u\n  user:\n    exec: {command: aws}\n",
                 NULL, -EOPNOTSUPP,
                 "kubeconfig /home/u/.kube/config: users[0].user.exec: not supported (use a token, tokenFile or a client certificate)");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                 "clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: true}\n",
                 NULL, -EINVAL, "kubeconfig /home/u/.kube/config: clusters[0].cluster.server: Required value");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                 "clusters:\n- name: c\n  cluster: {server: '127.0.0.1:6443'}\n",
                 NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: clusters[0].cluster.server: Invalid value: \"127.0.0.1:6443\": must start with https:// or http://");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x', certificate-authority: ca.crt, "
                 "certificate-authority-data: " B64_HELLO "}\n",
                 NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: clusters[0].cluster: both certificate-authority and certificate-authority-data are set; use one");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x'}\n"
                 "users:\n- name: u\n  user: {client-certificate-data: " B64_HELLO "}\n",
                 NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: users[0].user: client-certificate is set without client-key");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: gone}\n", NULL, -ENOENT,
                 "kubeconfig /home/u/.kube/config: cluster \"gone\" not found in clusters");
    expect_error("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                 "clusters:\n- name: c\n  cluster: {server: 'https://x', insecure-skip-tls-verify: 'yes please'}\n",
                 NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: clusters[0].cluster.insecure-skip-tls-verify: must be true or false");
    expect_error("a: 1\na: 2\n", NULL, -EINVAL,
                 "kubeconfig /home/u/.kube/config: line 2 column 1: duplicate key \"a\"");
}

static void test_base64(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    assert_int_equal(kube_base64_decode("aGVs\nbG8=", 9, &out, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(out, "hello");
    free(out);
    assert_int_equal(kube_base64_decode(B64_WORLD, strlen(B64_WORLD), &out, &n), 0);
    assert_string_equal(out, "world");
    free(out);
    assert_int_equal(kube_base64_decode("", 0, &out, &n), 0);
    assert_int_equal(n, 0);
    free(out);
    assert_int_equal(kube_base64_decode("aGV$bG8=", 8, &out, &n), -EINVAL);
    assert_int_equal(kube_base64_decode("aGVsbG8=x", 9, &out, &n), -EINVAL);
    assert_int_equal(kube_base64_decode("a", 1, &out, &n), -EINVAL);
}

/* ---- with files ------------------------------------------------------------------ */

struct tmp {
    char dir[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/kubeconfig-test-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    static const char *const files[] = { "config", "ca.crt", "token", "namespace", "tls.crt", "tls.key" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
        unlink(path);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

static void test_load_reads_referenced_files_and_rotates_token(void **state)
{
    struct tmp *t = *state;
    write_file(t->dir, "ca.crt", "CA PEM\n");
    write_file(t->dir, "tls.crt", "CERT PEM\n");
    write_file(t->dir, "tls.key", "KEY PEM\n");
    write_file(t->dir, "token", "first-token\n");
    write_file(t->dir, "config",
               "current-context: a\n"
               "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
               "clusters:\n- name: c\n  cluster: {server: 'https://x', certificate-authority: ca.crt}\n"
               "users:\n- name: u\n  user: {tokenFile: token, client-certificate: tls.crt, client-key: tls.key}\n");
    char path[256];
    snprintf(path, sizeof(path), "%s/config", t->dir);
    struct kube_config *cfg = NULL;
    char *err = NULL;
    assert_int_equal(kubeconfig_load(path, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->ca, "CA PEM\n");
    assert_string_equal(cfg->cert, "CERT PEM\n");
    assert_string_equal(cfg->key, "KEY PEM\n");
    char *token = NULL;
    assert_int_equal(kube_config_token(cfg, &token), 0);
    assert_string_equal(token, "first-token");
    free(token);
    /* Rotated on disk: picked up once the copy is old enough. */
    write_file(t->dir, "token", "second-token\n");
    cfg->token_reread_secs = 0;
    assert_int_equal(kube_config_token(cfg, &token), 0);
    assert_string_equal(token, "second-token");
    free(token);
    kube_config_free(cfg);
}

static void test_load_names_missing_file(void **state)
{
    struct tmp *t = *state;
    write_file(t->dir, "config",
               "current-context: a\n"
               "contexts:\n- name: a\n  context: {cluster: c}\n"
               "clusters:\n- name: c\n  cluster: {server: 'https://x', certificate-authority: nope.crt}\n");
    char path[256], want[512];
    snprintf(path, sizeof(path), "%s/config", t->dir);
    snprintf(want, sizeof(want),
             "kubeconfig %s (context \"a\"): certificate-authority: %s/nope.crt: No such file or directory",
             path, t->dir);
    struct kube_config *cfg = NULL;
    char *err = NULL;
    assert_int_equal(kubeconfig_load(path, NULL, &cfg, &err), -ENOENT);
    assert_string_equal(err, want);
    free(err);
    snprintf(path, sizeof(path), "%s/absent", t->dir);
    snprintf(want, sizeof(want), "kubeconfig %s: No such file or directory", path);
    assert_int_equal(kubeconfig_load(path, NULL, &cfg, &err), -ENOENT);
    assert_string_equal(err, want);
    free(err);
}

static void test_in_cluster(void **state)
{
    struct tmp *t = *state;
    write_file(t->dir, "ca.crt", "CA PEM\n");
    write_file(t->dir, "token", "sa-token\n");
    write_file(t->dir, "namespace", "operators\n");
    unsetenv("KUBERNETES_SERVICE_HOST");
    struct kube_config *cfg = NULL;
    char *err = NULL;
    assert_int_equal(kube_config_in_cluster(t->dir, &cfg, &err), -ENOENT);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    free(err);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube_config_in_cluster(t->dir, &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://10.96.0.1:443");
    assert_string_equal(cfg->ca, "CA PEM\n");
    assert_string_equal(cfg->ns, "operators");
    char *token = NULL;
    assert_int_equal(kube_config_token(cfg, &token), 0);
    assert_string_equal(token, "sa-token");
    free(token);
    kube_config_free(cfg);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    assert_int_equal(kube_config_in_cluster(t->dir, &cfg, &err), 0);
    assert_string_equal(cfg->server, "https://[fd00::1]:443");
    kube_config_free(cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_auto_takes_first_existing_kubeconfig(void **state)
{
    struct tmp *t = *state;
    write_file(t->dir, "config",
               "current-context: a\n"
               "contexts:\n- name: a\n  context: {cluster: c, namespace: picked}\n"
               "clusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\n");
    char env[512];
    snprintf(env, sizeof(env), "%s/absent:%s/config", t->dir, t->dir);
    setenv("KUBECONFIG", env, 1);
    struct kube_config *cfg = NULL;
    char *err = NULL;
    assert_int_equal(kube_config_auto(NULL, NULL, &cfg, &err), 0);
    assert_string_equal(cfg->ns, "picked");
    kube_config_free(cfg);
    snprintf(env, sizeof(env), "%s/absent", t->dir);
    setenv("KUBECONFIG", env, 1);
    assert_int_equal(kube_config_auto(NULL, NULL, &cfg, &err), -ENOENT);
    assert_non_null(strstr(err, "no such file"));
    free(err);
    unsetenv("KUBECONFIG");
}

static void test_object_key(void **state)
{
    (void)state;
    json_object *o = json_tokener_parse("{\"metadata\":{\"name\":\"gw\",\"namespace\":\"team\"}}");
    char *key = NULL;
    assert_int_equal(kube_object_key(o, &key), 0);
    assert_string_equal(key, "team/gw");
    free(key);
    json_object_put(o);
    o = json_tokener_parse("{\"metadata\":{\"name\":\"litellm\"}}");
    assert_int_equal(kube_object_key(o, &key), 0);
    assert_string_equal(key, "litellm");
    free(key);
    json_object_put(o);
    o = json_tokener_parse("{\"metadata\":{}}");
    assert_int_equal(kube_object_key(o, &key), -EINVAL);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_current_context_with_inline_certs),
        cmocka_unit_test(test_named_context_with_token_and_relative_files),
        cmocka_unit_test(test_errors_name_file_and_field),
        cmocka_unit_test(test_base64),
        cmocka_unit_test_setup_teardown(test_load_reads_referenced_files_and_rotates_token, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load_names_missing_file, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_in_cluster, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_auto_takes_first_existing_kubeconfig, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_object_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
