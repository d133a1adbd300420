/* The kubeconfig parser (kubeconfig.h): the input is a kubeconfig file,
 * parsed for its current context and for the context named "fuzz". Reads
 * no files. Properties: the documented return codes, a refusal says why,
 * and a parsed config has a server, a namespace and an origin, and PEM bytes
 * whose lengths are their own. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "kubeconfig.h"

static void check_bytes(const char *p, size_t len, const char *what)
{
    FUZZ_CHECK(!p || len > 0 || !*p, "%s: length 0 for non-empty bytes", what);
    FUZZ_CHECK(!p || p[len] == '\0', "%s: not NUL-terminated at its length", what);
}

static void parse(const char *buf, size_t len, const char *context)
{
    struct kube_config *cfg = NULL;
    char *err = NULL;
    int rc = kubeconfig_parse(buf, len, "/home/fuzz/.kube/config", context, &cfg, &err);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOENT || rc == -EOPNOTSUPP ||
                   rc == -ENOMEM,
               "kubeconfig_parse returned %d", rc);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM || (err && *err), "refused (%d) without a reason", rc);
    if (rc == 0) {
        FUZZ_CHECK(cfg && cfg->server && *cfg->server, "no server");
        FUZZ_CHECK(cfg->server[strlen(cfg->server) - 1] != '/', "server \"%s\" ends in '/'",
                   cfg->server);
        FUZZ_CHECK(cfg->ns && *cfg->ns, "no namespace");
        FUZZ_CHECK(cfg->origin && *cfg->origin, "no origin");
        check_bytes(cfg->ca, cfg->ca_len, "ca");
        check_bytes(cfg->cert, cfg->cert_len, "cert");
        check_bytes(cfg->key, cfg->key_len, "key");
        const char *files[] = { cfg->ca_file, cfg->cert_file, cfg->key_file, cfg->token_file };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            FUZZ_CHECK(!files[i] || files[i][0] == '/', "file reference \"%s\" is not absolute",
                       files[i]);
    }
    kube_config_free(cfg);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse((const char *)data, size, NULL);
    parse((const char *)data, size, "fuzz");
    return 0;
}
