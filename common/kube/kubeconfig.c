#include "kubeconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "readfile.h"
#include "strbuf.h"
#include "clock.h"

#define CRED_FILE_CAP ((size_t)1 << 20)

/* ---- errors -------------------------------------------------------------- */

static int fail(char **ret_err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **ret_err, int rc, const char *fmt, ...)
{
    if (!ret_err)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    *ret_err = sb_vdupf(4096, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- base64 -------------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int kube_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return -ENOMEM;
    size_t n = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        int v = c == '=' ? -2 : b64_value(c);
        if (v == -1 || (v >= 0 && pad)) {
            free(out);
            return -EINVAL;
        }
        if (v == -2) {
            pad++;
            continue;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* A lone sixth bit group cannot be a byte; like Go's decoder we do not
     * insist that the unused low bits are zero. */
    if (pad > 2 || bits >= 6) {
        free(out);
        return -EINVAL;
    }
    out[n] = '\0';
    *ret = out;
    if (ret_len)
        *ret_len = n;
    return 0;
}

/* ---- small helpers ----------------------------------------------------------- */

static struct kube_config *config_new(void)
{
    struct kube_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    if (pthread_mutex_init(&cfg->lock, NULL) != 0) {
        free(cfg);
        return NULL;
    }
    cfg->token_reread_secs = KUBE_TOKEN_REREAD_SECS;
    return cfg;
}

void kube_config_free(struct kube_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca);
    free(cfg->cert);
    free(cfg->key);
    free(cfg->ns);
    free(cfg->origin);
    free(cfg->ca_file);
    free(cfg->cert_file);
    free(cfg->key_file);
    free(cfg->token_file);
    free(cfg->token);
    pthread_mutex_destroy(&cfg->lock);
    free(cfg);
}

/* Reads a credential file; a trailing newline is dropped for tokens. */
static int read_cred(const char *path, bool trim, char **ret, size_t *ret_len, char **ret_err)
{
    char *buf = NULL;
    size_t len = 0;
    int r = gw_read_file(path, CRED_FILE_CAP, &buf, &len, ret_err);
    if (r < 0)
        return r;
    while (trim && len > 0 && strchr(" \t\r\n", buf[len - 1]))
        buf[--len] = '\0';
    *ret = buf;
    if (ret_len)
        *ret_len = len;
    return 0;
}

/* ---- kubeconfig parsing -------------------------------------------------- */

struct parse_ctx {
    const char *path;
    char **ret_err;
};

/* Optional string field: absent or null leaves *ret NULL. */
static int field_str(struct parse_ctx *p, json_object *m, const char *field_path, const char *key,
                     const char **ret)
{
    json_object *v = NULL;
    *ret = NULL;
    if (!json_object_object_get_ex(m, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s%s%s: must be a string", p->path,
                    field_path, *field_path ? "." : "", key);
    *ret = json_object_get_string(v);
    return 0;
}

static int field_bool(struct parse_ctx *p, json_object *m, const char *field_path, const char *key,
                      bool *ret)
{
    json_object *v = NULL;
    *ret = false;
    if (!json_object_object_get_ex(m, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s.%s: must be true or false", p->path,
                    field_path, key);
    *ret = json_object_get_boolean(v);
    return 0;
}

/* Finds the entry called name in a list like clusters[] and returns its
 * inner mapping (entry.<inner>) and the field path of that mapping. */
static int find_named(struct parse_ctx *p, json_object *root, const char *list, const char *inner,
                      const char *name, json_object **ret, char *ret_path, size_t path_cap)
{
    json_object *arr = json_object_object_get(root, list);
    if (arr && !json_object_is_type(arr, json_type_array))
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s: must be a list", p->path, list);
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        json_object *nm = json_object_object_get(e, "name");
        if (!nm || !json_object_is_type(nm, json_type_string) ||
            strcmp(json_object_get_string(nm), name) != 0)
            continue;
        json_object *m = json_object_object_get(e, inner);
        snprintf(ret_path, path_cap, "%s[%zu].%s", list, i, inner);
        if (!m || !json_object_is_type(m, json_type_object))
            return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s: must be a mapping", p->path,
                        ret_path);
        *ret = m;
        return 0;
    }
    return fail(p->ret_err, -ENOENT, "kubeconfig %s: %s \"%s\" not found in %s", p->path, inner,
                name, list);
}

static char *dup_or_null(const char *s, int *rc)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *rc = -ENOMEM;
    return d;
}

/* Makes a file reference absolute against the kubeconfig's directory. */
static char *resolve_path(const char *kubeconfig_path, const char *ref, int *rc)
{
    if (!ref)
        return NULL;
    struct strbuf sb;
    sb_init(&sb, 8192);
    const char *slash = strrchr(kubeconfig_path, '/');
    if (ref[0] != '/' && slash)
        sb_add(&sb, kubeconfig_path, (size_t)(slash - kubeconfig_path) + 1);
    sb_adds(&sb, ref);
    char *out = sb_detach(&sb, NULL);
    if (!out)
        *rc = -ENOMEM;
    return out;
}

/* One credential that may come inline (<key>-data, base64) or as a file. */
static int take_cred(struct parse_ctx *p, json_object *m, const char *field_path, const char *key,
                     char **ret_data, size_t *ret_len, char **ret_file)
{
    char data_key[64];
    snprintf(data_key, sizeof(data_key), "%s-data", key);
    const char *file = NULL, *data = NULL;
    int r = field_str(p, m, field_path, key, &file);
    if (r == 0)
        r = field_str(p, m, field_path, data_key, &data);
    if (r < 0)
        return r;
    if (file && data)
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s: both %s and %s are set; use one",
                    p->path, field_path, key, data_key);
    if (data) {
        r = kube_base64_decode(data, strlen(data), ret_data, ret_len);
        if (r == -EINVAL)
            return fail(p->ret_err, r, "kubeconfig %s: %s.%s: not valid base64", p->path,
                        field_path, data_key);
        return r;
    }
    r = 0;
    *ret_file = resolve_path(p->path, file, &r);
    return r;
}

static int parse_cluster(struct parse_ctx *p, json_object *m, const char *fp, struct kube_config *cfg)
{
    const char *server = NULL, *sni = NULL;
    int r = field_str(p, m, fp, "server", &server);
    if (r == 0)
        r = field_str(p, m, fp, "tls-server-name", &sni);
    if (r == 0)
        r = field_bool(p, m, fp, "insecure-skip-tls-verify", &cfg->insecure);
    if (r < 0)
        return r;
    if (!server || !*server)
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s.server: Required value", p->path, fp);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return fail(p->ret_err, -EINVAL,
                    "kubeconfig %s: %s.server: Invalid value: \"%s\": must start with https:// or http://",
                    p->path, fp, server);
    if (sni)
        return fail(p->ret_err, -EOPNOTSUPP, "kubeconfig %s: %s.tls-server-name: not supported",
                    p->path, fp);
    cfg->server = dup_or_null(server, &r);
    if (r < 0)
        return r;
    size_t n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    return take_cred(p, m, fp, "certificate-authority", &cfg->ca, &cfg->ca_len, &cfg->ca_file);
}

static int refuse_plugins(struct parse_ctx *p, json_object *m, const char *fp)
{
    static const char *const refused[] = { "exec", "auth-provider", "username", "password" };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        json_object *v = NULL;
        if (json_object_object_get_ex(m, refused[i], &v) && v)
            return fail(p->ret_err, -EOPNOTSUPP,
                        "kubeconfig %s: %s.%s: not supported (use a token, tokenFile or a client certificate)",
                        p->path, fp, refused[i]);
    }
    return 0;
}

static int parse_user(struct parse_ctx *p, json_object *m, const char *fp, struct kube_config *cfg)
{
    int r = refuse_plugins(p, m, fp);
    if (r == 0)
        r = take_cred(p, m, fp, "client-certificate", &cfg->cert, &cfg->cert_len, &cfg->cert_file);
    if (r == 0)
        r = take_cred(p, m, fp, "client-key", &cfg->key, &cfg->key_len, &cfg->key_file);
    if (r < 0)
        return r;
    bool has_cert = cfg->cert || cfg->cert_file, has_key = cfg->key || cfg->key_file;
    if (has_cert != has_key)
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s: %s is set without %s", p->path, fp,
                    has_cert ? "client-certificate" : "client-key",
                    has_cert ? "client-key" : "client-certificate");
    const char *token = NULL, *token_file = NULL;
    r = field_str(p, m, fp, "token", &token);
    if (r == 0)
        r = field_str(p, m, fp, "tokenFile", &token_file);
    if (r < 0)
        return r;
    cfg->token = dup_or_null(token && *token ? token : NULL, &r);
    if (r == 0)
        cfg->token_file = resolve_path(p->path, token_file, &r);
    return r;
}

struct context_ref {
    const char *name;
    const char *cluster;
    const char *user;
    const char *ns;
};

static int parse_context(struct parse_ctx *p, json_object *root, const char *context,
                         struct context_ref *ref)
{
    const char *name = context;
    int r = 0;
    if (!name)
        r = field_str(p, root, "", "current-context", &name);
    if (r < 0)
        return r;
    if (!name || !*name)
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: current-context is not set and no context was named",
                    p->path);
    json_object *m = NULL;
    char fp[128];
    r = find_named(p, root, "contexts", "context", name, &m, fp, sizeof(fp));
    if (r == 0)
        r = field_str(p, m, fp, "cluster", &ref->cluster);
    if (r == 0)
        r = field_str(p, m, fp, "user", &ref->user);
    if (r == 0)
        r = field_str(p, m, fp, "namespace", &ref->ns);
    if (r < 0)
        return r;
    if (!ref->cluster || !*ref->cluster)
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: %s.cluster: Required value", p->path, fp);
    ref->name = name;
    return 0;
}

static int set_origin(struct kube_config *cfg, const char *path, const char *context)
{
    struct strbuf sb;
    sb_init(&sb, 8192);
    sb_addf(&sb, "kubeconfig %s (context ", path);
    sb_add_quoted(&sb, context);
    sb_addc(&sb, ')');
    cfg->origin = sb_detach(&sb, NULL);
    return cfg->origin ? 0 : -ENOMEM;
}

static int parse_tree(struct parse_ctx *p, json_object *root, const char *context,
                      struct kube_config *cfg)
{
    if (!json_object_is_type(root, json_type_object))
        return fail(p->ret_err, -EINVAL, "kubeconfig %s: not a mapping", p->path);
    struct context_ref ref = { 0 };
    int r = parse_context(p, root, context, &ref);
    if (r < 0)
        return r;
    json_object *m = NULL;
    char fp[128];
    r = find_named(p, root, "clusters", "cluster", ref.cluster, &m, fp, sizeof(fp));
    if (r == 0)
        r = parse_cluster(p, m, fp, cfg);
    if (r == 0 && ref.user && *ref.user) {
        r = find_named(p, root, "users", "user", ref.user, &m, fp, sizeof(fp));
        if (r == 0)
            r = parse_user(p, m, fp, cfg);
    }
    if (r == 0)
        cfg->ns = strdup(ref.ns && *ref.ns ? ref.ns : "default");
    if (r == 0 && !cfg->ns)
        r = -ENOMEM;
    if (r == 0)
        r = set_origin(cfg, p->path, ref.name);
    return r;
}

int kubeconfig_parse(const char *buf, size_t len, const char *path, const char *context,
                     struct kube_config **ret, char **ret_err)
{
    struct parse_ctx p = { .path = path ? path : "<memory>", .ret_err = ret_err };
    json_object *root = NULL;
    char *yerr = NULL;
    int r = gw_yaml_load_one(buf, len, &GW_LIMITS_MANIFEST, &root, &yerr);
    if (r < 0) {
        r = fail(ret_err, r, "kubeconfig %s: %s", p.path, yerr ? yerr : strerror(-r));
        free(yerr);
        return r;
    }
    struct kube_config *cfg = config_new();
    if (!cfg) {
        json_object_put(root);
        return -ENOMEM;
    }
    r = parse_tree(&p, root, context, cfg);
    json_object_put(root);
    if (r < 0) {
        kube_config_free(cfg);
        return r;
    }
    *ret = cfg;
    return 0;
}

/* ---- reading referenced files ---------------------------------------------- */

static int read_ref(const struct kube_config *cfg, const char *what, const char *file, bool trim,
                    char **data, size_t *len, char **ret_err)
{
    if (!file || *data)
        return 0;
    char *ferr = NULL;
    int r = read_cred(file, trim, data, len, &ferr);
    if (r < 0) {
        r = fail(ret_err, r, "%s: %s: %s", cfg->origin ? cfg->origin : "kubeconfig", what,
                 ferr ? ferr : strerror(-r));
        free(ferr);
    }
    return r;
}

int kube_config_read_files(struct kube_config *cfg, char **ret_err)
{
    int r = read_ref(cfg, "certificate-authority", cfg->ca_file, false, &cfg->ca, &cfg->ca_len, ret_err);
    if (r == 0)
        r = read_ref(cfg, "client-certificate", cfg->cert_file, false, &cfg->cert, &cfg->cert_len,
                     ret_err);
    if (r == 0)
        r = read_ref(cfg, "client-key", cfg->key_file, false, &cfg->key, &cfg->key_len, ret_err);
    if (r < 0 || !cfg->token_file)
        return r;
    char *token = NULL;
    r = read_ref(cfg, "tokenFile", cfg->token_file, true, &token, NULL, ret_err);
    if (r < 0)
        return r;
    if (!*token) {
        free(token);
        return fail(ret_err, -EINVAL, "%s: tokenFile %s is empty", cfg->origin, cfg->token_file);
    }
    free(cfg->token);
    cfg->token = token;
    cfg->token_read_at = (time_t)(gw_mono_ms() / 1000u);
    return 0;
}

int kubeconfig_load(const char *path, const char *context, struct kube_config **ret,
                    char **ret_err)
{
    char *buf = NULL, *ferr = NULL;
    size_t len = 0;
    int r = gw_read_file(path, GW_LIMITS_MANIFEST.max_bytes, &buf, &len, &ferr);
    if (r < 0) {
        r = fail(ret_err, r, "kubeconfig %s", ferr ? ferr : strerror(-r));
        free(ferr);
        return r;
    }
    struct kube_config *cfg = NULL;
    r = kubeconfig_parse(buf, len, path, context, &cfg, ret_err);
    free(buf);
    if (r == 0)
        r = kube_config_read_files(cfg, ret_err);
    if (r < 0) {
        kube_config_free(cfg);
        return r;
    }
    *ret = cfg;
    return 0;
}

/* ---- in-cluster ------------------------------------------------------------ */

static int in_cluster_server(struct kube_config *cfg, char **ret_err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return fail(ret_err, -ENOENT,
                    "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)");
    struct strbuf sb;
    sb_init(&sb, 1024);
    bool v6 = strchr(host, ':') != NULL;
    sb_addf(&sb, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    cfg->server = sb_detach(&sb, NULL);
    return cfg->server ? 0 : -ENOMEM;
}

static char *join(const char *dir, const char *file)
{
    struct strbuf sb;
    sb_init(&sb, 8192);
    sb_addf(&sb, "%s/%s", dir, file);
    return sb_detach(&sb, NULL);
}

static int in_cluster_files(struct kube_config *cfg, const char *dir, char **ret_err)
{
    cfg->ca_file = join(dir, "ca.crt");
    cfg->token_file = join(dir, "token");
    char *ns_file = join(dir, "namespace");
    cfg->origin = strdup("in-cluster config");
    int r = 0;
    if (!cfg->ca_file || !cfg->token_file || !ns_file || !cfg->origin)
        r = -ENOMEM;
    if (r == 0)
        r = kube_config_read_files(cfg, ret_err);
    if (r == 0 && read_cred(ns_file, true, &cfg->ns, NULL, NULL) < 0)
        cfg->ns = NULL;
    if (r == 0 && (!cfg->ns || !*cfg->ns)) {
        free(cfg->ns);
        cfg->ns = strdup("default");
        r = cfg->ns ? 0 : -ENOMEM;
    }
    free(ns_file);
    return r;
}

int kube_config_in_cluster(const char *sa_dir, struct kube_config **ret, char **ret_err)
{
    struct kube_config *cfg = config_new();
    if (!cfg)
        return -ENOMEM;
    int r = in_cluster_server(cfg, ret_err);
    if (r == 0)
        r = in_cluster_files(cfg, sa_dir ? sa_dir : KUBE_SA_DIR, ret_err);
    if (r < 0) {
        kube_config_free(cfg);
        return r;
    }
    *ret = cfg;
    return 0;
}

/* The first existing file of a colon-separated $KUBECONFIG list. */
static char *first_kubeconfig(const char *list)
{
    char *copy = strdup(list);
    if (!copy)
        return NULL;
    char *found = NULL;
    for (char *s = copy, *end; s && !found; s = end ? end + 1 : NULL) {
        end = strchr(s, ':');
        if (end)
            *end = '\0';
        FILE *f = *s ? fopen(s, "r") : NULL;
        if (f) {
            fclose(f);
            found = strdup(s);
        }
    }
    free(copy);
    return found;
}

int kube_config_auto(const char *path, const char *context, struct kube_config **ret,
                     char **ret_err)
{
    if (path && *path)
        return kubeconfig_load(path, context, ret, ret_err);
    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        char *file = first_kubeconfig(env);
        if (!file)
            return fail(ret_err, -ENOENT, "KUBECONFIG=%s: no such file", env);
        int r = kubeconfig_load(file, context, ret, ret_err);
        free(file);
        return r;
    }
    if (getenv("KUBERNETES_SERVICE_HOST"))
        return kube_config_in_cluster(NULL, ret, ret_err);
    const char *home = getenv("HOME");
    if (!home || !*home)
        return fail(ret_err, -ENOENT, "no kubeconfig: set --kubeconfig or KUBECONFIG, or run in a pod");
    char *file = join(home, ".kube/config");
    if (!file)
        return -ENOMEM;
    int r = kubeconfig_load(file, context, ret, ret_err);
    free(file);
    return r;
}

/* ---- the token --------------------------------------------------------------- */

static bool token_stale(struct kube_config *cfg)
{
    return cfg->token_file && (!cfg->token || (time_t)(gw_mono_ms() / 1000u) - cfg->token_read_at >=
                                                  (time_t)cfg->token_reread_secs);
}

int kube_config_token(struct kube_config *cfg, char **ret)
{
    pthread_mutex_lock(&cfg->lock);
    bool stale = token_stale(cfg);
    pthread_mutex_unlock(&cfg->lock);
    char *fresh = NULL;
    if (stale && read_cred(cfg->token_file, true, &fresh, NULL, NULL) == 0 && !*fresh) {
        free(fresh);
        fresh = NULL;
    }
    pthread_mutex_lock(&cfg->lock);
    if (fresh) {
        free(cfg->token);
        cfg->token = fresh;
        cfg->token_read_at = (time_t)(gw_mono_ms() / 1000u);
    }
    int r = 0;
    *ret = NULL;
    if (cfg->token && !(*ret = strdup(cfg->token)))
        r = -ENOMEM;
    pthread_mutex_unlock(&cfg->lock);
    return r;
}
