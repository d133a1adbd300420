#include "kube_client.h"

#include "clock.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "doc.h"
#include "jsonsplit.h"
#include "strbuf.h"
#include "textutil.h"

const struct kube_resource KUBE_NAMESPACES = { "", "v1", "namespaces", false };
const struct kube_resource KUBE_CONFIGMAPS = { "", "v1", "configmaps", true };
const struct kube_resource KUBE_SECRETS = { "", "v1", "secrets", true };
const struct kube_resource KUBE_SERVICES = { "", "v1", "services", true };
const struct kube_resource KUBE_SERVICEACCOUNTS = { "", "v1", "serviceaccounts", true };
const struct kube_resource KUBE_EVENTS = { "", "v1", "events", true };
const struct kube_resource KUBE_DEPLOYMENTS = { "apps", "v1", "deployments", true };
const struct kube_resource KUBE_LEASES = { "coordination.k8s.io", "v1", "leases", true };

#define ACCEPT_JSON "application/json"
#define ACCEPT_META_LIST "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#define ACCEPT_META "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
#define ERROR_BODY_CAP ((size_t)1 << 20)
#define WATCH_GRACE_SECS 60L
#define LIST_MAX_ITEMS 2000000u

static const struct kube_client_opts DEFAULT_OPTS = {
    .connect_timeout_ms = 5000,
    .timeout_ms = 30000,
    .max_tries = 5,
    .backoff_base_ms = 200,
    .backoff_max_ms = 10000,
};

struct kube_client {
    struct kube_config *cfg;
    CURL *curl;
    struct kube_client_opts opts;
    const atomic_bool *stop;
    const _Atomic uint64_t *due_ms; /* see kube_client_set_deadline */
    char *err;
    long status;
    char reason[64];
};

/* One request as the retry loop sees it. */
struct kreq {
    const char *method;
    const char *url;
    const char *content_type;
    const char *accept;
    const char *body;
    size_t body_len;
    size_t cap;
    bool idempotent;
    struct strbuf *raw;     /* set: a successful answer's body goes here, unparsed */
};

/* What came back; body is the capped response body. */
struct kresp {
    long status;
    struct strbuf body;
    long retry_after_ms;
    char curl_err[CURL_ERROR_SIZE];
};

/* ---- process-wide setup ------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int kube_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc == CURLE_OK ? 0 : -EIO;
}

void kube_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- client lifecycle and error state --------------------------------------- */

int kube_client_new(struct kube_config *cfg, const struct kube_client_opts *opts,
                    struct kube_client **ret)
{
    int r = kube_global_init();
    if (r < 0)
        return r;
    struct kube_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return -ENOMEM;
    }
    c->cfg = cfg;
    c->opts = DEFAULT_OPTS;
    if (opts)
        kube_client_set_opts(c, opts);
    *ret = c;
    return 0;
}

void kube_client_free(struct kube_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->err);
    free(c);
}

void kube_client_set_opts(struct kube_client *c, const struct kube_client_opts *o)
{
    c->opts = *o;
    if (c->opts.max_tries == 0)
        c->opts.max_tries = 1;
}

void kube_client_get_opts(const struct kube_client *c, struct kube_client_opts *ret)
{
    *ret = c->opts;
}

void kube_client_set_stop(struct kube_client *c, const atomic_bool *stop)
{
    c->stop = stop;
}

void kube_client_set_deadline(struct kube_client *c, const _Atomic uint64_t *due_ms)
{
    c->due_ms = due_ms;
}

const char *kube_client_error(const struct kube_client *c)
{
    return c->err ? c->err : "";
}

long kube_client_status(const struct kube_client *c)
{
    return c->status;
}

const char *kube_client_reason(const struct kube_client *c)
{
    return c->reason;
}

static void clear_error(struct kube_client *c)
{
    free(c->err);
    c->err = NULL;
    c->status = 0;
    c->reason[0] = '\0';
}

static void set_error(struct kube_client *c, long status, const char *reason, char *msg)
{
    free(c->err);
    c->err = msg;
    c->status = status;
    snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
}

static bool stopped(const struct kube_client *c)
{
    if (c->stop && atomic_load(c->stop))
        return true;
    return gw_deadline_passed(c->due_ms);
}

/* ---- URLs ------------------------------------------------------------------ */

static void add_escaped(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum_ascii((char)*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            sb_addc(sb, (char)*p);
        } else {
            char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            sb_add(sb, e, 3);
        }
    }
}

static void add_path(struct strbuf *sb, const struct kube_config *cfg,
                     const struct kube_resource *res, const char *ns, const char *name,
                     const char *sub)
{
    sb_adds(sb, cfg->server);
    if (res->group && *res->group)
        sb_addf(sb, "/apis/%s/%s", res->group, res->version);
    else
        sb_addf(sb, "/api/%s", res->version);
    if (res->namespaced && ns && *ns) {
        sb_adds(sb, "/namespaces/");
        add_escaped(sb, ns);
    }
    sb_addc(sb, '/');
    sb_adds(sb, res->plural);
    if (name) {
        sb_addc(sb, '/');
        add_escaped(sb, name);
    }
    if (sub) {
        sb_addc(sb, '/');
        add_escaped(sb, sub);
    }
}

static void add_query(struct strbuf *sb, const char *key, const char *value)
{
    if (!value)
        return;
    sb_addc(sb, strchr(sb_str(sb), '?') ? '&' : '?');
    sb_adds(sb, key);
    sb_addc(sb, '=');
    add_escaped(sb, value);
}

static void add_query_uint(struct strbuf *sb, const char *key, unsigned v)
{
    char num[16];
    snprintf(num, sizeof(num), "%u", v);
    add_query(sb, key, num);
}

/* ---- curl callbacks ---------------------------------------------------------- */

static size_t body_write(char *p, size_t size, size_t n, void *ud)
{
    struct kresp *r = ud;
    return sb_add(&r->body, p, size * n) == 0 ? size * n : 0;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
    struct kresp *r = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        char tmp[32];
        size_t vlen = len - (sizeof(name) - 1);
        if (vlen >= sizeof(tmp))
            vlen = sizeof(tmp) - 1;
        memcpy(tmp, p + sizeof(name) - 1, vlen);
        tmp[vlen] = '\0';
        char *end = NULL;
        long secs = strtol(tmp, &end, 10);
        if (end != tmp && secs >= 0 && secs < 86400)
            r->retry_after_ms = secs * 1000;
    }
    return len;
}

static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return stopped(ud) ? 1 : 0;
}

/* ---- one transfer -------------------------------------------------------------- */

/* Appends "name: value" (or a bare name) as a header; a failure sticks in *rc. */
static void add_header(struct curl_slist **h, int *rc, const char *name, const char *value)
{
    if (*rc < 0)
        return;
    struct strbuf sb;
    sb_init(&sb, 64 << 10);
    sb_adds(&sb, name);
    if (value) {
        sb_adds(&sb, ": ");
        sb_adds(&sb, value);
    }
    struct curl_slist *t = sb_failed(&sb) ? NULL : curl_slist_append(*h, sb_str(&sb));
    sb_release(&sb);
    if (t)
        *h = t;
    else
        *rc = -ENOMEM;
}

static struct curl_slist *make_headers(struct kube_client *c, const struct kreq *q, int *rc)
{
    struct curl_slist *h = NULL;
    char *token = NULL;
    *rc = kube_config_token(c->cfg, &token);
    /* A token is pasted into a header line: it must not break out of it. */
    if (token && token[strcspn(token, "\r\n")] != '\0')
        *rc = -EINVAL;
    add_header(&h, rc, "Accept", q->accept ? q->accept : ACCEPT_JSON);
    if (q->content_type)
        add_header(&h, rc, "Content-Type", q->content_type);
    if (token) {
        char *bearer = NULL;
        struct strbuf sb;
        sb_init(&sb, 64 << 10);
        sb_addf(&sb, "Bearer %s", token);
        bearer = sb_detach(&sb, NULL);
        if (!bearer && *rc == 0)
            *rc = -ENOMEM;
        add_header(&h, rc, "Authorization", bearer);
        free(bearer);
    }
    /* No "Expect: 100-continue" round trip before bodies. */
    add_header(&h, rc, "Expect:", NULL);
    free(token);
    return h;
}

static void set_tls(struct kube_client *c)
{
    const struct kube_config *cfg = c->cfg;
    if (cfg->ca) {
        struct curl_blob b = { cfg->ca, cfg->ca_len, CURL_BLOB_COPY };
        curl_easy_setopt(c->curl, CURLOPT_CAINFO_BLOB, &b);
    }
    if (cfg->cert && cfg->key) {
        struct curl_blob cb = { cfg->cert, cfg->cert_len, CURL_BLOB_COPY };
        struct curl_blob kb = { cfg->key, cfg->key_len, CURL_BLOB_COPY };
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(c->curl, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(c->curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (cfg->insecure) {
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void set_method(CURL *h, const struct kreq *q)
{
    if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (q->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
    }
    if (strcmp(q->method, "POST") != 0 || !q->body)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
}

/* Sets every option of one transfer; the handle keeps its connections. */
static void setup(struct kube_client *c, const struct kreq *q, struct curl_slist *hdrs,
                  struct kresp *r, long timeout_ms)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, q->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "litellm-gateway-operator/" GW_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    /* A watch may rightly stay silent for its whole timeout: the server
     * sends bookmarks only when the kind's resourceVersion moved, so a
     * byte-rate limit would cut healthy watches. Keepalive probes find a
     * dead peer instead (after about a minute), and the total timeout
     * bounds the rest. */
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
    set_tls(c);
    set_method(h, q);
}

static int curl_errno(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return -ECANCELED;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
        return -EPROTO;
    default:
        return -EIO;
    }
}

static void set_transport_error(struct kube_client *c, const struct kreq *q, CURLcode cc,
                                const struct kresp *r, int rc)
{
    struct strbuf sb;
    sb_init(&sb, 4096);
    if (rc == -E2BIG)
        sb_addf(&sb, "response larger than %zu bytes", q->cap);
    else if (rc == -ECANCELED)
        sb_adds(&sb, "stopped");
    else
        sb_addf(&sb, "%s", r->curl_err[0] ? r->curl_err : curl_easy_strerror(cc));
    sb_addf(&sb, " (%s %s)", q->method, q->url);
    set_error(c, 0, NULL, sb_detach(&sb, NULL));
}

/* Runs one transfer; returns 0 when an HTTP answer arrived (any status). */
static int perform(struct kube_client *c, const struct kreq *q, struct kresp *r,
                   curl_write_callback write_fn, void *write_ud, long timeout_ms)
{
    int rc = 0;
    struct curl_slist *hdrs = make_headers(c, q, &rc);
    if (rc < 0) {
        curl_slist_free_all(hdrs);
        set_error(c, 0, NULL, strdup(rc == -EINVAL ? "the bearer token contains a line break"
                                                   : "out of memory building the request"));
        return rc;
    }
    setup(c, q, hdrs, r, timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, write_fn);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, write_ud);
    CURLcode cc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    if (cc == CURLE_OK)
        return 0;
    rc = cc == CURLE_WRITE_ERROR && r->body.err == -E2BIG ? -E2BIG : curl_errno(cc);
    if (rc == -EIO && stopped(c))
        rc = -ECANCELED;
    set_transport_error(c, q, cc, r, rc);
    return rc;
}

/* ---- mapping answers to errors ------------------------------------------------- */

static int status_errno(long status, const char *reason)
{
    switch (status) {
    case 400:
    case 422:
        return -EINVAL;
    case 401:
        return -EACCES;
    case 403:
        return -EPERM;
    case 404:
        return -ENOENT;
    case 405:
        return -EOPNOTSUPP;
    case 409:
        return strcmp(reason, "AlreadyExists") == 0 ? -EEXIST : -EBUSY;
    case 410:
        return -ESTALE;
    case 413:
        return -E2BIG;
    case 429:
        return -EAGAIN;
    case 504:
        return -ETIMEDOUT;
    default:
        return status >= 500 ? -EIO : -EPROTO;
    }
}

/* A short printable excerpt of a non-Status error body. */
static void add_excerpt(struct strbuf *sb, const char *body, size_t len)
{
    size_t n = len < 200 ? len : 200;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)body[i];
        sb_addc(sb, ch >= 0x20 && ch < 0x7f ? (char)ch : ' ');
    }
    if (n < len)
        sb_adds(sb, "...");
}

static const char *obj_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Words the failure from the Status object when the server sent one. */
static int set_http_error(struct kube_client *c, const struct kreq *q, long status,
                          const char *body, size_t len)
{
    json_object *st = NULL;
    if (len > 0 && gw_json_parse(body, len, 32, &st, NULL) < 0)
        st = NULL;
    const char *kind = obj_str(st, "kind");
    bool is_status = kind && strcmp(kind, "Status") == 0;
    const char *reason = is_status ? obj_str(st, "reason") : NULL;
    const char *message = is_status ? obj_str(st, "message") : NULL;
    struct strbuf sb;
    sb_init(&sb, 64 << 10);
    if (reason && *reason && message && *message)
        sb_addf(&sb, "%s: %s", reason, message);
    else if (message && *message)
        sb_adds(&sb, message);
    else {
        sb_addf(&sb, "HTTP %ld from %s %s", status, q->method, q->url);
        if (len > 0) {
            sb_adds(&sb, ": ");
            add_excerpt(&sb, body, len);
        }
    }
    int rc = status_errno(status, reason ? reason : "");
    set_error(c, status, reason, sb_detach(&sb, NULL));
    json_object_put(st);
    return rc;
}

/* ---- the retry loop --------------------------------------------------------------- */

static bool should_retry(const struct kreq *q, int rc, long status)
{
    if (rc == -ECONNREFUSED || status == 429)
        return true;
    if (!q->idempotent)
        return false;
    if (status >= 500 && status != 501)
        return true;
    return status == 0 && (rc == -EIO || rc == -ETIMEDOUT);
}

/* Sleeps in short slices so that the stop flag is seen; -ECANCELED if set. */
static int nap(const struct kube_client *c, long ms)
{
    while (ms > 0) {
        if (stopped(c))
            return -ECANCELED;
        long slice = ms < 50 ? ms : 50;
        struct timespec ts = { slice / 1000, (slice % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return stopped(c) ? -ECANCELED : 0;
}

static long backoff_ms(struct kube_client *c, unsigned attempt, long retry_after_ms)
{
    uint64_t d = gw_jitter_half(gw_backoff_ms(c->opts.backoff_base_ms, c->opts.backoff_max_ms, attempt - 1));
    if (retry_after_ms > (long)d)
        d = (uint64_t)retry_after_ms < c->opts.backoff_max_ms ? (uint64_t)retry_after_ms
                                                              : c->opts.backoff_max_ms;
    return (long)d;
}

static int parse_body(struct kube_client *c, const struct kreq *q, struct kresp *r,
                      json_object **ret)
{
    if (!ret)
        return 0;
    char *perr = NULL;
    json_object *o = NULL;
    int rc = gw_json_parse(sb_str(&r->body), r->body.len, KUBE_JSON_DEPTH, &o, &perr);
    if (rc < 0) {
        struct strbuf sb;
        sb_init(&sb, 4096);
        sb_addf(&sb, "unreadable response to %s %s: %s", q->method, q->url, perr ? perr : "?");
        set_error(c, r->status, NULL, sb_detach(&sb, NULL));
        free(perr);
        return -EBADMSG;
    }
    *ret = o;
    return 0;
}

static int run(struct kube_client *c, const struct kreq *q, json_object **ret)
{
    for (unsigned attempt = 1;; attempt++) {
        if (stopped(c)) {
            set_error(c, 0, NULL, strdup("stopped"));
            return -ECANCELED;
        }
        clear_error(c);
        struct kresp r = { .retry_after_ms = -1 };
        sb_init(&r.body, q->cap);
        int rc = perform(c, q, &r, body_write, &r, c->opts.timeout_ms);
        if (rc == 0 && r.status >= 200 && r.status < 300 && q->raw) {
            *q->raw = r.body;
            sb_init(&r.body, 0);
        } else if (rc == 0 && r.status >= 200 && r.status < 300) {
            rc = parse_body(c, q, &r, ret);
        }
        else if (rc == 0)
            rc = set_http_error(c, q, r.status, sb_str(&r.body), r.body.len);
        sb_release(&r.body);
        if (rc == 0 || attempt >= c->opts.max_tries || !should_retry(q, rc, r.status))
            return rc;
        if (nap(c, backoff_ms(c, attempt, r.retry_after_ms)) < 0)
            return rc;
    }
}

/* ---- typed calls ------------------------------------------------------------------ */

static int call(struct kube_client *c, const char *method, struct strbuf *url,
                const char *content_type, json_object *body, bool idempotent, size_t cap,
                json_object **ret)
{
    if (sb_failed(url)) {
        sb_release(url);
        return -ENOMEM;
    }
    const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
    struct kreq q = {
        .method = method, .url = sb_str(url), .content_type = body ? content_type : NULL,
        .body = text, .body_len = text ? strlen(text) : 0, .cap = cap, .idempotent = idempotent,
    };
    int rc = run(c, &q, ret);
    sb_release(url);
    return rc;
}

int kube_request(struct kube_client *c, const char *method, const char *path_and_query,
                 const char *content_type, json_object *body, bool idempotent,
                 json_object **ret)
{
    struct strbuf url;
    sb_init(&url, 64 << 10);
    sb_adds(&url, c->cfg->server);
    sb_adds(&url, path_and_query);
    return call(c, method, &url, content_type, body, idempotent, KUBE_MAX_LIST_BYTES, ret);
}

int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
             const char *name, json_object **ret)
{
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, name, NULL);
    return call(c, "GET", &url, NULL, NULL, true, KUBE_MAX_OBJECT_BYTES, ret);
}

int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
                json_object *obj, json_object **ret)
{
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, NULL, NULL);
    return call(c, "POST", &url, ACCEPT_JSON, obj, false, KUBE_MAX_OBJECT_BYTES, ret);
}

int kube_update(struct kube_client *c, const struct kube_resource *res, const char *ns,
                const char *name, const char *subresource, json_object *obj, json_object **ret)
{
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, name, subresource);
    return call(c, "PUT", &url, ACCEPT_JSON, obj, true, KUBE_MAX_OBJECT_BYTES, ret);
}

int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
                const char *name)
{
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, name, NULL);
    add_query(&url, "propagationPolicy", "Background");
    return call(c, "DELETE", &url, NULL, NULL, true, KUBE_MAX_OBJECT_BYTES, NULL);
}

int kube_patch(struct kube_client *c, const struct kube_resource *res, const char *ns,
               const char *name, const char *subresource, enum kube_patch_type type,
               json_object *patch, json_object **ret)
{
    static const char *const types[] = {
        [KUBE_PATCH_MERGE] = "application/merge-patch+json",
        [KUBE_PATCH_JSON] = "application/json-patch+json",
        [KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
    };
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, name, subresource);
    if (type == KUBE_PATCH_APPLY) {
        add_query(&url, "fieldManager", KUBE_FIELD_MANAGER);
        add_query(&url, "force", "true");
    }
    /* A JSON patch may append to lists, so repeating it is not safe. */
    return call(c, "PATCH", &url, types[type], patch, type != KUBE_PATCH_JSON,
                KUBE_MAX_OBJECT_BYTES, ret);
}

/* ---- lists ----------------------------------------------------------------------- */

static void add_selectors(struct strbuf *url, const char *labels, const char *fields)
{
    if (labels && *labels)
        add_query(url, "labelSelector", labels);
    if (fields && *fields)
        add_query(url, "fieldSelector", fields);
}

/* One page: parsed into *ret, or, with raw, its text into *raw. */
static int list_one(struct kube_client *c, const struct kube_resource *res, const char *ns,
                    const struct kube_list_opts *o, json_object **ret, struct strbuf *raw)
{
    static const struct kube_list_opts none = { 0 };
    if (!o)
        o = &none;
    struct strbuf url;
    sb_init(&url, 64 << 10);
    add_path(&url, c->cfg, res, ns, NULL, NULL);
    add_selectors(&url, o->label_selector, o->field_selector);
    if (o->limit)
        add_query_uint(&url, "limit", o->limit);
    if (o->continue_token && *o->continue_token)
        add_query(&url, "continue", o->continue_token);
    if (sb_failed(&url)) {
        sb_release(&url);
        return -ENOMEM;
    }
    struct kreq q = {
        .method = "GET", .url = sb_str(&url), .accept = o->metadata_only ? ACCEPT_META_LIST : NULL,
        .cap = KUBE_MAX_LIST_BYTES, .idempotent = true, .raw = raw,
    };
    int rc = run(c, &q, ret);
    sb_release(&url);
    return rc;
}

int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
              const struct kube_list_opts *o, json_object **ret)
{
    return list_one(c, res, ns, o, ret, NULL);
}

static json_object *list_items(json_object *list)
{
    json_object *items = NULL;
    bool has = json_object_object_get_ex(list, "items", &items);
    /* An empty PartialObjectMetadataList carries "items": null. */
    if (has && !items && json_object_object_add(list, "items", json_object_new_array()) == 0)
        items = json_object_object_get(list, "items");
    return json_object_is_type(items, json_type_array) ? items : NULL;
}

/* Moves the items of page onto the array items (references, not copies). */
static int append_items(json_object *items, json_object *page)
{
    json_object *src = list_items(page);
    size_t n = src ? json_object_array_length(src) : 0;
    if (json_object_array_length(items) + n > LIST_MAX_ITEMS)
        return -E2BIG;
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_get(json_object_array_get_idx(src, i));
        if (json_object_array_add(items, it) < 0) {
            json_object_put(it);
            return -ENOMEM;
        }
    }
    return 0;
}

/* Items of a typed list carry no kind/apiVersion; the list's tell them. */
static void fill_item_types(json_object *list)
{
    const char *kind = obj_str(list, "kind");
    const char *api = obj_str(list, "apiVersion");
    json_object *items = list_items(list);
    size_t klen = kind ? strlen(kind) : 0;
    if (!items || klen <= 4 || strcmp(kind + klen - 4, "List") != 0)
        return;
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        json_object *it = json_object_array_get_idx(items, i);
        if (!json_object_is_type(it, json_type_object))
            continue;
        if (!json_object_object_get(it, "kind"))
            json_object_object_add(it, "kind", json_object_new_string_len(kind, (int)klen - 4));
        if (api && !json_object_object_get(it, "apiVersion"))
            json_object_object_add(it, "apiVersion", json_object_new_string(api));
    }
}

static const char *list_continue(json_object *list)
{
    const char *cont = obj_str(json_object_object_get(list, "metadata"), "continue");
    return cont && *cont ? cont : NULL;
}

/* Fetches every page into *ret; -ESTALE when a continue token expired. */
static int list_pages(struct kube_client *c, const struct kube_resource *res, const char *ns,
                      const struct kube_list_opts *o, json_object **ret)
{
    struct kube_list_opts po = *o;
    po.limit = o->limit ? o->limit : 500;
    po.continue_token = NULL;
    json_object *all = NULL, *page = NULL;
    int rc = kube_list(c, res, ns, &po, &all);
    char *cont = NULL;
    while (rc == 0 && list_continue(page ? page : all)) {
        free(cont);
        cont = strdup(list_continue(page ? page : all));
        json_object_put(page);
        page = NULL;
        po.continue_token = cont;
        rc = cont ? kube_list(c, res, ns, &po, &page) : -ENOMEM;
        if (rc == 0)
            rc = list_items(all) ? append_items(list_items(all), page) : -EBADMSG;
    }
    free(cont);
    json_object_put(page);
    if (rc < 0) {
        json_object_put(all);
        return rc;
    }
    json_object *meta = json_object_object_get(all, "metadata");
    if (meta) {
        json_object_object_del(meta, "continue");
        json_object_object_del(meta, "remainingItemCount");
    }
    *ret = all;
    return 0;
}

int kube_list_all(struct kube_client *c, const struct kube_resource *res, const char *ns,
                  const struct kube_list_opts *o, json_object **ret)
{
    static const struct kube_list_opts none = { 0 };
    json_object *all = NULL;
    int rc = list_pages(c, res, ns, o ? o : &none, &all);
    if (rc == -ESTALE)
        rc = list_pages(c, res, ns, o ? o : &none, &all);
    if (rc < 0)
        return rc;
    if (!list_items(all)) {
        json_object_put(all);
        set_error(c, 200, NULL, strdup("list response without items"));
        return -EBADMSG;
    }
    fill_item_types(all);
    *ret = all;
    return 0;
}

/* Parses a strict piece of a list answer; an unreadable one is the
 * client's error, as for any answer. */
static int parse_piece(struct kube_client *c, const char *text, size_t len, json_object **ret)
{
    char *perr = NULL;
    if (gw_json_parse(text, len, KUBE_JSON_DEPTH, ret, &perr) == 0)
        return 0;
    struct strbuf sb;
    sb_init(&sb, 4096);
    sb_addf(&sb, "unreadable list response: %s", perr ? perr : "?");
    set_error(c, 200, NULL, sb_detach(&sb, NULL));
    free(perr);
    return -EBADMSG;
}

/* The list text without its items ("items":[]), parsed. */
static int parse_list_shell(struct kube_client *c, const struct strbuf *body, size_t items_start, size_t items_end,
                            json_object **ret)
{
    struct strbuf shell;
    sb_init(&shell, body->len + 2);
    sb_add(&shell, body->buf, items_start);
    sb_adds(&shell, "[]");
    sb_add(&shell, body->buf + items_end, body->len - items_end);
    if (sb_failed(&shell)) {
        sb_release(&shell);
        return -ENOMEM;
    }
    int rc = parse_piece(c, sb_str(&shell), shell.len, ret);
    sb_release(&shell);
    return rc;
}

/* Hands fn the page in body one item at a time: the list's shell with that
 * item alone in its items, each item parsed when its turn comes. *ret_page
 * is the shell (the caller reads the continue token from it). */
static int page_items(struct kube_client *c, const struct strbuf *body, kube_page_fn fn, void *ud,
                      json_object **ret_page)
{
    size_t start = 0, end = 0;
    int rc = gw_json_find_array(body->buf, body->len, "items", &start, &end);
    if (rc == -ENOENT) /* an empty PartialObjectMetadataList says "items": null */
        rc = parse_piece(c, body->buf, body->len, ret_page);
    else if (rc == 0)
        rc = parse_list_shell(c, body, start, end, ret_page);
    else
        rc = parse_piece(c, body->buf, body->len, ret_page); /* says what is wrong */
    if (rc != 0 || !list_items(*ret_page)) {
        if (rc == 0)
            set_error(c, 200, NULL, strdup("list response without items"));
        return rc ? rc : -EBADMSG;
    }
    json_object *items = list_items(*ret_page);
    size_t pos = start, a = 0, b = 0;
    while (end > start && (rc = gw_json_next_element(body->buf, end, &pos, &a, &b)) > 0) {
        json_object *it = NULL;
        rc = parse_piece(c, body->buf + a, b - a, &it);
        if (rc == 0 && json_object_array_add(items, it) != 0) {
            json_object_put(it);
            rc = -ENOMEM;
        }
        if (rc == 0) {
            fill_item_types(*ret_page);
            rc = fn(ud, *ret_page);
        }
        json_object_array_del_idx(items, 0, json_object_array_length(items));
        if (rc != 0)
            return rc;
    }
    if (rc < 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "unreadable list response: its items break off at byte %zu", pos);
        set_error(c, 200, NULL, strdup(msg));
        return -EBADMSG;
    }
    return 0;
}

int kube_list_pages(struct kube_client *c, const struct kube_resource *res, const char *ns,
                    const struct kube_list_opts *o, kube_page_fn fn, void *ud)
{
    static const struct kube_list_opts none = { 0 };
    struct kube_list_opts po = o ? *o : none;
    po.limit = po.limit ? po.limit : 500;
    po.continue_token = NULL;
    char *cont = NULL;
    int rc = 0;
    for (;;) {
        json_object *page = NULL;
        struct strbuf body;
        sb_init(&body, 0);
        rc = list_one(c, res, ns, &po, NULL, &body);
        if (rc == 0)
            rc = page_items(c, &body, fn, ud, &page);
        sb_release(&body);
        const char *next = rc == 0 ? list_continue(page) : NULL;
        free(cont);
        cont = next ? strdup(next) : NULL;
        json_object_put(page);
        if (rc != 0 || !next)
            break;
        if (!cont) {
            rc = -ENOMEM;
            break;
        }
        po.continue_token = cont;
    }
    free(cont);
    return rc;
}

/* ---- watch ------------------------------------------------------------------------ */

struct watch_ctx {
    struct kube_client *c;
    kube_watch_fn fn;
    void *ud;
    struct kresp *resp;
    struct strbuf line;
    int cb_rc;       /* what the callback returned, or a parse error */
    char *err;       /* why the stream was unreadable, when it was */
    bool checked;    /* status looked at */
};

const char *kube_event_type_name(enum kube_event_type t)
{
    static const char *const names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR" };
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static int event_type(const char *s, enum kube_event_type *ret)
{
    for (int t = KUBE_EVENT_ADDED; t <= KUBE_EVENT_ERROR; t++)
        if (s && strcmp(s, kube_event_type_name((enum kube_event_type)t)) == 0) {
            *ret = (enum kube_event_type)t;
            return 0;
        }
    return -EBADMSG;
}

static int dispatch_line(struct watch_ctx *w)
{
    const char *s = sb_str(&w->line);
    size_t len = w->line.len;
    while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    if (len == 0)
        return 0;
    json_object *ev = NULL;
    char *perr = NULL;
    int rc = gw_json_parse(s, len, KUBE_JSON_DEPTH, &ev, &perr);
    enum kube_event_type t = KUBE_EVENT_ERROR;
    json_object *obj = json_object_get(json_object_object_get(ev, "object"));
    if (rc == 0 && (event_type(obj_str(ev, "type"), &t) < 0 || !obj))
        rc = -EBADMSG;
    /* Free the envelope first so that obj has no other owner. */
    json_object_put(ev);
    ev = NULL;
    if (rc == 0) {
        rc = w->fn(w->ud, t, obj);
        obj = NULL;
    } else {
        struct strbuf sb;
        sb_init(&sb, 4096);
        sb_addf(&sb, "unreadable watch event: %s", perr ? perr : "no type or object");
        w->err = sb_detach(&sb, NULL);
        rc = -EBADMSG;
    }
    free(perr);
    json_object_put(obj);
    return rc;
}

static int watch_feed(struct watch_ctx *w, const char *p, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(p, '\n', len);
        size_t take = nl ? (size_t)(nl - p) : len;
        if (sb_add(&w->line, p, take) < 0) {
            w->err = strdup("watch event larger than its cap");
            return w->line.err;
        }
        if (!nl)
            return 0;
        int rc = dispatch_line(w);
        sb_release(&w->line);
        if (rc != 0)
            return rc;
        p = nl + 1;
        len -= take + 1;
    }
    return 0;
}

int kube_watch_parse(const char *buf, size_t len, size_t chunk, kube_watch_fn fn, void *ud,
                     char **ret_err)
{
    struct watch_ctx w = { .fn = fn, .ud = ud };
    sb_init(&w.line, KUBE_MAX_EVENT_BYTES);
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < len;) {
        size_t n = chunk && chunk < len - off ? chunk : len - off;
        rc = watch_feed(&w, buf + off, n);
        off += n;
    }
    if (rc != 0 && w.err && ret_err) {
        *ret_err = w.err;
        w.err = NULL;
    }
    free(w.err);
    sb_release(&w.line);
    return rc;
}

static size_t watch_write(char *p, size_t size, size_t n, void *ud)
{
    struct watch_ctx *w = ud;
    size_t len = size * n;
    if (!w->checked) {
        curl_easy_getinfo(w->c->curl, CURLINFO_RESPONSE_CODE, &w->resp->status);
        w->checked = true;
    }
    if (w->resp->status != 200)
        return body_write(p, size, n, w->resp);
    int rc = watch_feed(w, p, len);
    if (rc != 0) {
        w->cb_rc = rc;
        return 0;
    }
    return len;
}

static void watch_url(struct strbuf *url, const struct kube_config *cfg,
                      const struct kube_resource *res, const char *ns,
                      const struct kube_watch_opts *o)
{
    add_path(url, cfg, res, ns, NULL, NULL);
    add_query(url, "watch", "1");
    add_query(url, "allowWatchBookmarks", "true");
    if (o->resource_version && *o->resource_version)
        add_query(url, "resourceVersion", o->resource_version);
    add_query_uint(url, "timeoutSeconds", o->timeout_seconds ? o->timeout_seconds : 300);
    add_selectors(url, o->label_selector, o->field_selector);
}

static int watch_perform(struct kube_client *c, const struct kreq *q, struct watch_ctx *w,
                         long timeout_ms)
{
    clear_error(c);
    int rc = perform(c, q, w->resp, watch_write, w, timeout_ms);
    if (w->cb_rc != 0) {
        set_error(c, 200, NULL, w->err ? w->err : strdup("watch ended by its event handler"));
        w->err = NULL;
        return w->cb_rc;
    }
    if (w->resp->status != 0 && w->resp->status != 200)
        return set_http_error(c, q, w->resp->status, sb_str(&w->resp->body), w->resp->body.len);
    return rc;
}

int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
               const struct kube_watch_opts *o, kube_watch_fn fn, void *ud)
{
    if (stopped(c))
        return -ECANCELED;
    struct strbuf url;
    sb_init(&url, 64 << 10);
    watch_url(&url, c->cfg, res, ns, o);
    if (sb_failed(&url)) {
        sb_release(&url);
        return -ENOMEM;
    }
    struct kresp resp = { .retry_after_ms = -1 };
    sb_init(&resp.body, ERROR_BODY_CAP);
    struct watch_ctx w = { .c = c, .fn = fn, .ud = ud, .resp = &resp };
    sb_init(&w.line, KUBE_MAX_EVENT_BYTES);
    struct kreq q = {
        .method = "GET", .url = sb_str(&url), .accept = o->metadata_only ? ACCEPT_META : NULL,
        .cap = KUBE_MAX_EVENT_BYTES,
    };
    long secs = (long)(o->timeout_seconds ? o->timeout_seconds : 300) + WATCH_GRACE_SECS;
    int rc = watch_perform(c, &q, &w, secs * 1000);
    free(w.err);
    sb_release(&w.line);
    sb_release(&resp.body);
    sb_release(&url);
    return rc;
}

/* ---- helpers ------------------------------------------------------------------------ */

const char *kube_meta_str(json_object *obj, const char *field)
{
    return obj_str(json_object_object_get(obj, "metadata"), field);
}

int kube_object_key(json_object *obj, char **ret)
{
    const char *name = kube_meta_str(obj, "name");
    const char *ns = kube_meta_str(obj, "namespace");
    if (!name || !*name)
        return -EINVAL;
    struct strbuf sb;
    sb_init(&sb, 1024);
    if (ns && *ns)
        sb_addf(&sb, "%s/", ns);
    sb_adds(&sb, name);
    char *key = sb_detach(&sb, NULL);
    if (!key)
        return -ENOMEM;
    *ret = key;
    return 0;
}

int kube_status_code(json_object *status)
{
    json_object *code = json_object_object_get(status, "code");
    return json_object_is_type(code, json_type_int) ? json_object_get_int(code) : 0;
}
