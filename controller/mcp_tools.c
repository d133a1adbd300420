#include "mcp_tools.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <inttypes.h>
#include <time.h>

#include "strbuf.h"
#include "clock.h"

#define MCP_MAX_PAGES 20
#define MCP_DEFAULT_TIMEOUT_MS 5000L
#define MCP_DEFAULT_CONNECT_MS 3000L
#define MCP_PROTOCOL_VERSION "2025-03-26"

struct exchange {
    CURL *h;
    const char *url;
    char session[256];          /* Mcp-Session-Id, "" when the server has none */
    char version[32];           /* protocol version the server agreed to */
    struct strbuf body;
    long deadline_ms;           /* absolute, CLOCK_MONOTONIC */
    char *err;
    int rc;                     /* the errno that goes with err */
    bool allow_link_local;
    const char *addr_refused;   /* set when the address check refused a peer */
    bool over_cap;
};

/* --- bounds ------------------------------------------------------------- */

static bool v4_refused(const unsigned char a[4], const char **why)
{
    if (a[0] == 169 && a[1] == 254) {
        *why = "a link-local address (169.254.0.0/16, where cloud metadata services live)";
        return true;
    }
    if (a[0] == 100 && a[1] == 100 && a[2] == 100 && a[3] == 200) {
        *why = "a cloud metadata address";
        return true;
    }
    return false;
}

bool mcp_addr_refused(const struct sockaddr *sa, socklen_t len, const char **ret_why)
{
    const char *why = NULL;
    bool refused = false;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        refused = v4_refused((const unsigned char *)&in->sin_addr, &why);
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
        static const unsigned char ec2[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 };
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
            why = "a link-local address (fe80::/10)";
            refused = true;
        } else if (memcmp(a, ec2, 16) == 0) {
            why = "a cloud metadata address (fd00:ec2::254)";
            refused = true;
        } else if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) {
            refused = v4_refused(a + 12, &why);
        }
    }
    if (refused && ret_why)
        *ret_why = why;
    return refused;
}

const char *mcp_url_refused(const char *url)
{
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return "the URL is not http or https";
    CURLU *u = curl_url();
    if (!u)
        return "the URL cannot be parsed";
    const char *why = NULL;
    char *part = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        why = "the URL cannot be parsed";
    else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK)
        why = "the URL carries credentials, which the operator never sends";
    else if (curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK)
        why = "the URL carries credentials, which the operator never sends";
    else if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || !part || !*part)
        why = "the URL has no host";
    curl_free(part);
    curl_url_cleanup(u);
    return why;
}

/* Every connection curl makes goes through here, after name resolution:
 * the one place where the peer address is known for sure. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct exchange *x = ud;
    (void)purpose;
    const char *why = NULL;
    if (!x->allow_link_local && mcp_addr_refused(&addr->addr, addr->addrlen, &why)) {
        x->addr_refused = why;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    size_t len = size * n;
    if (x->body.len + len > MCP_MAX_RESPONSE) {
        x->over_cap = true;
        return 0; /* aborts the transfer: over the cap */
    }
    sb_add(&x->body, p, len);
    return sb_failed(&x->body) ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    size_t len = size * n;
    static const char name[] = "mcp-session-id:";
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        const char *v = p + sizeof(name) - 1;
        size_t vl = len - (sizeof(name) - 1);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl < sizeof(x->session)) {
            memcpy(x->session, v, vl);
            x->session[vl] = '\0';
        }
    }
    return len;
}

static void fail_rc(struct exchange *x, const char *step, const char *why, int rc)
{
    if (x->err)
        return;
    x->rc = rc;
    size_t n = strlen(step) + strlen(why) + 64;
    x->err = malloc(n);
    if (x->err)
        snprintf(x->err, n, "%s: %s", step, why);
}

static void fail(struct exchange *x, const char *step, const char *why)
{
    fail_rc(x, step, why, -EIO);
}

/* What went wrong with the transfer, in our words. */
static void fail_transfer(struct exchange *x, const char *step, CURLcode cc)
{
    char why[200];
    int rc = -EIO;
    if (x->addr_refused) {
        snprintf(why, sizeof(why), "refused to connect: the upstream resolves to %s", x->addr_refused);
        rc = -EACCES;
    } else if (x->over_cap || cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(why, sizeof(why), "the answer exceeds %u bytes", MCP_MAX_RESPONSE);
        rc = -EFBIG;
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(why, sizeof(why), "timed out");
        rc = -ETIMEDOUT;
    } else if (cc == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(why, sizeof(why), "the host name does not resolve");
    } else if (cc == CURLE_COULDNT_CONNECT) {
        snprintf(why, sizeof(why), "the connection was refused or could not be made");
    } else if (cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION) {
        snprintf(why, sizeof(why), "the TLS handshake or certificate verification failed");
    } else if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
        snprintf(why, sizeof(why), "the URL is not http or https");
        rc = -EACCES;
    } else if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR) {
        snprintf(why, sizeof(why), "the connection closed without an answer");
    } else {
        snprintf(why, sizeof(why), "the transfer failed (curl error %d)", (int)cc);
    }
    fail_rc(x, step, why, rc);
}

/* The JSON-RPC response with id among the body: plain JSON, or the data:
 * lines of an event stream. New reference, or NULL. */
static json_object *find_response(const char *body, int id)
{
    json_object *o = json_tokener_parse(body);
    if (o && json_object_is_type(o, json_type_object)) {
        json_object *jid = NULL;
        if (json_object_object_get_ex(o, "id", &jid) && json_object_get_int(jid) == id)
            return o;
    }
    json_object_put(o);
    for (const char *line = body; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len > 5 && strncmp(line, "data:", 5) == 0) {
            char *chunk = strndup(line + 5, len - 5);
            json_object *ev = chunk ? json_tokener_parse(chunk) : NULL;
            free(chunk);
            json_object *jid = NULL;
            if (ev && json_object_object_get_ex(ev, "id", &jid) && json_object_get_int(jid) == id)
                return ev;
            json_object_put(ev);
        }
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* A JSON-RPC 2.0 message; a request when id > 0, else a notification. */
static json_object *rpc_message(int id, const char *method, json_object *params)
{
    json_object *msg = json_object_new_object();
    json_object_object_add(msg, "jsonrpc", json_object_new_string("2.0"));
    if (id > 0)
        json_object_object_add(msg, "id", json_object_new_int(id));
    json_object_object_add(msg, "method", json_object_new_string(method));
    if (params)
        json_object_object_add(msg, "params", json_object_get(params));
    return msg;
}

/* The headers of every message: JSON, both answer types, and once agreed
 * the protocol version and the session. */
static struct curl_slist *rpc_headers(const struct exchange *x)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json, text/event-stream");
    char line[300];
    if (x->version[0]) {
        snprintf(line, sizeof(line), "MCP-Protocol-Version: %s", x->version);
        hdr = curl_slist_append(hdr, line);
    }
    if (x->session[0]) {
        snprintf(line, sizeof(line), "Mcp-Session-Id: %s", x->session);
        hdr = curl_slist_append(hdr, line);
    }
    return hdr;
}

/* POSTs text within left ms; the answer lands in x->body. 0, or -1 with
 * the failure recorded in x. */
static int rpc_post(struct exchange *x, const char *step, const char *text, long left)
{
    struct curl_slist *hdr = rpc_headers(x);
    sb_release(&x->body);
    sb_init(&x->body, MCP_MAX_RESPONSE + 1);
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, left);
    CURLcode cc = curl_easy_perform(x->h);
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK) {
        fail_transfer(x, step, cc);
        return -1;
    }
    if (code < 200 || code >= 300) {
        char why[96];
        snprintf(why, sizeof(why), "HTTP %ld%s", code,
                 code >= 300 && code < 400 ? " (a redirect, which the operator does not follow)" : "");
        fail(x, step, why);
        return -1;
    }
    return 0;
}

/* The result of the response with id in x->body, or NULL with the failure
 * recorded in x. */
static json_object *rpc_result(struct exchange *x, const char *step, int id)
{
    json_object *resp = find_response(sb_str(&x->body), id);
    json_object *result = NULL, *error = NULL;
    if (resp && json_object_object_get_ex(resp, "result", &result) && result) {
        json_object_get(result);
        json_object_put(resp);
        return result;
    }
    if (resp && json_object_object_get_ex(resp, "error", &error) && error) {
        /* The upstream's message is its own text: only the code is ours to
         * repeat, and only when it is a plain integer. */
        json_object *code_o = NULL;
        char why[96];
        if (json_object_object_get_ex(error, "code", &code_o) && json_object_is_type(code_o, json_type_int))
            snprintf(why, sizeof(why), "the upstream answered with JSON-RPC error %" PRId64,
                     json_object_get_int64(code_o));
        else
            snprintf(why, sizeof(why), "the upstream answered with a JSON-RPC error");
        fail(x, step, why);
    } else {
        fail_rc(x, step, "the answer is not MCP (no JSON-RPC response)", -EPROTO);
    }
    json_object_put(resp);
    return NULL;
}

/* POSTs one JSON-RPC message; for requests (id > 0) returns the result. */
static json_object *rpc(struct exchange *x, const char *step, int id, const char *method, json_object *params)
{
    long left = x->deadline_ms - (long)gw_mono_ms();
    if (left <= 0) {
        fail(x, step, "timed out");
        return NULL;
    }
    json_object *msg = rpc_message(id, method, params);
    const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    int r = rpc_post(x, step, text, left);
    json_object_put(msg);
    if (r < 0)
        return NULL;
    if (id <= 0)
        return json_object_new_object(); /* a notification: nothing to read */
    return rpc_result(x, step, id);
}

static int collect_names(json_object *result, char ***names, size_t *n, size_t *cap)
{
    json_object *tools = NULL;
    if (!json_object_object_get_ex(result, "tools", &tools) || !json_object_is_type(tools, json_type_array))
        return -EBADMSG;
    for (size_t i = 0; i < json_object_array_length(tools); i++) {
        json_object *name = NULL;
        if (!json_object_object_get_ex(json_object_array_get_idx(tools, i), "name", &name) ||
            !json_object_is_type(name, json_type_string))
            continue;
        if (*n >= MCP_TOOLS_MAX)
            return -E2BIG;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 32;
            char **g = realloc(*names, nc * sizeof(*g));
            if (!g)
                return -ENOMEM;
            *names = g;
            *cap = nc;
        }
        (*names)[*n] = strdup(json_object_get_string(name));
        if (!(*names)[*n])
            return -ENOMEM;
        (*n)++;
    }
    return 0;
}

static json_object *initialize_params(void)
{
    json_object *p = json_object_new_object(), *info = json_object_new_object();
    json_object_object_add(p, "protocolVersion", json_object_new_string(MCP_PROTOCOL_VERSION));
    json_object_object_add(p, "capabilities", json_object_new_object());
    json_object_object_add(info, "name", json_object_new_string("litellm-gateway-operator"));
    json_object_object_add(info, "version", json_object_new_string("1"));
    json_object_object_add(p, "clientInfo", info);
    return p;
}

/* Sets up x for one listing of url: a curl handle with every bound of the
 * header (no redirects, no proxy, no netrc, the size cap, the address
 * check at connect). 0 or -ENOMEM. */
static int exchange_open(struct exchange *x, const char *url, const struct mcp_options *o)
{
    long timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : MCP_DEFAULT_TIMEOUT_MS;
    long connect_ms = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms : MCP_DEFAULT_CONNECT_MS;
    if (connect_ms > timeout_ms)
        connect_ms = timeout_ms;
    *x = (struct exchange){ .url = url, .deadline_ms = (long)gw_mono_ms() + timeout_ms,
                            .allow_link_local = o && o->allow_link_local };
    sb_init(&x->body, MCP_MAX_RESPONSE + 1);
    x->h = curl_easy_init();
    if (!x->h) {
        sb_release(&x->body);
        return -ENOMEM;
    }
    curl_easy_setopt(x->h, CURLOPT_URL, url);
    curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(x->h, CURLOPT_MAXREDIRS, 0L);
    curl_easy_setopt(x->h, CURLOPT_PROXY, "");
    curl_easy_setopt(x->h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MCP_MAX_RESPONSE);
    curl_easy_setopt(x->h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(x->h, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(x->h, CURLOPT_USERAGENT, "litellm-gateway-operator");
    return 0;
}

/* initialize (keeping the protocol version the upstream agreed to), then
 * notifications/initialized. false when either failed (recorded in x). */
static bool handshake(struct exchange *x)
{
    json_object *params = initialize_params();
    json_object *init = rpc(x, "initialize", 1, "initialize", params);
    json_object_put(params);
    json_object *agreed = NULL;
    if (init && json_object_object_get_ex(init, "protocolVersion", &agreed) &&
        json_object_is_type(agreed, json_type_string) && json_object_get_string_len(agreed) < (int)sizeof(x->version))
        snprintf(x->version, sizeof(x->version), "%s", json_object_get_string(agreed));
    json_object *ack = init ? rpc(x, "notifications/initialized", 0, "notifications/initialized", NULL) : NULL;
    json_object_put(init);
    json_object_put(ack);
    return ack != NULL;
}

/* tools/list, page after page (at most MCP_MAX_PAGES), into names. 0, or
 * a negative errno (-EIO when a call failed: x says why). */
static int list_pages(struct exchange *x, char ***names, size_t *n)
{
    size_t cap = 0;
    int r = -EIO;
    char *cursor = NULL;
    for (int page = 0; page < MCP_MAX_PAGES; page++) {
        json_object *p = json_object_new_object();
        if (cursor)
            json_object_object_add(p, "cursor", json_object_new_string(cursor));
        json_object *res = rpc(x, "tools/list", 2 + page, "tools/list", p);
        json_object_put(p);
        free(cursor);
        cursor = NULL;
        if (!res)
            break;
        r = collect_names(res, names, n, &cap);
        json_object *next = NULL;
        if (r == 0 && json_object_object_get_ex(res, "nextCursor", &next) && json_object_is_type(next, json_type_string))
            cursor = strdup(json_object_get_string(next));
        json_object_put(res);
        if (r < 0) {
            fail(x, "tools/list", r == -E2BIG ? "more tools than the operator lists" : "unexpected result");
            break;
        }
        if (!cursor)
            break;
    }
    free(cursor);
    return r;
}

int mcp_list_tools_opt(const char *url, const char *transport, const struct mcp_options *o, char ***ret_names,
                       size_t *ret_n, char **ret_err)
{
    *ret_err = NULL;
    if (!transport || strcmp(transport, "http") != 0) {
        *ret_err = strdup("only streamable HTTP upstreams can be listed");
        return -EOPNOTSUPP;
    }
    const char *bad_url = mcp_url_refused(url);
    if (bad_url) {
        *ret_err = strdup(bad_url);
        return -EACCES;
    }
    struct exchange x;
    if (exchange_open(&x, url, o) < 0)
        return -ENOMEM;
    char **names = NULL;
    size_t n = 0;
    int r = handshake(&x) ? list_pages(&x, &names, &n) : -EIO;
    curl_easy_cleanup(x.h);
    sb_release(&x.body);
    if (x.err || r < 0) {
        mcp_tools_free(names, n);
        *ret_err = x.err ? x.err : strdup("tools/list failed");
        return r < 0 && r != -EIO ? r : (x.rc ? x.rc : -EIO);
    }
    *ret_names = names;
    *ret_n = n;
    return 0;
}

int mcp_list_tools(const char *url, const char *transport, long timeout_ms, char ***ret_names, size_t *ret_n,
                   char **ret_err)
{
    struct mcp_options o = { .timeout_ms = timeout_ms };
    return mcp_list_tools_opt(url, transport, &o, ret_names, ret_n, ret_err);
}

void mcp_tools_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* --- the tool-list cache ------------------------------------------------ */

struct cache_entry {
    struct cache_entry *next;
    char *url, *transport;
    char **names;               /* the last answer (NULL with err) */
    size_t n;
    char *err;
    int rc;                     /* 0, or the failure */
    bool answered;              /* an answer (or failure) is here */
    bool queued;                /* a fetch is wanted */
    bool running;               /* a fetcher has it */
    long expires_ms;
    long used_ms;               /* for eviction */
};

struct mcp_cache {
    struct mcp_cache_options o;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct cache_entry *entries;
    size_t n_entries;
    bool stopping;
    pthread_t *threads;
    unsigned n_threads;
    unsigned long fetches;
};

static void entry_free(struct cache_entry *e)
{
    if (!e)
        return;
    mcp_tools_free(e->names, e->n);
    free(e->err);
    free(e->url);
    free(e->transport);
    free(e);
}

/* The queued entry to fetch next (lock held), or NULL. */
static struct cache_entry *next_queued(struct mcp_cache *c)
{
    /* First what nobody has an answer for, then refreshes. */
    for (struct cache_entry *e = c->entries; e; e = e->next)
        if (e->queued && !e->running && !e->answered)
            return e;
    for (struct cache_entry *e = c->entries; e; e = e->next)
        if (e->queued && !e->running)
            return e;
    return NULL;
}

static bool same_names(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static void *fetcher(void *ud)
{
    struct mcp_cache *c = ud;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        struct cache_entry *e = NULL;
        while (!c->stopping && !(e = next_queued(c)))
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping)
            break;
        e->running = true;
        char *url = strdup(e->url), *transport = strdup(e->transport);
        c->fetches++;
        pthread_mutex_unlock(&c->lock);
        char **names = NULL, *err = NULL;
        size_t n = 0;
        int rc = url && transport ? mcp_list_tools_opt(url, transport, &c->o.call, &names, &n, &err) : -ENOMEM;
        long now = (long)gw_mono_ms();
        pthread_mutex_lock(&c->lock);
        /* The entry stays while running: eviction skips it. */
        bool changed = !e->answered || e->rc != rc || !same_names(e->names, e->n, names, n);
        mcp_tools_free(e->names, e->n);
        free(e->err);
        e->names = names;
        e->n = n;
        e->err = err;
        e->rc = rc;
        e->answered = true;
        e->queued = false;
        e->running = false;
        e->expires_ms = now + (rc == 0 ? c->o.ttl_ms : c->o.retry_ms);
        pthread_mutex_unlock(&c->lock);
        if (changed && c->o.on_ready && url && transport)
            c->o.on_ready(c->o.ctx, url, transport);
        free(url);
        free(transport);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int mcp_cache_new(const struct mcp_cache_options *o, struct mcp_cache **ret)
{
    struct mcp_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->o = *o;
    if (!c->o.fetchers)
        c->o.fetchers = 4;
    if (c->o.ttl_ms <= 0)
        c->o.ttl_ms = 300000;
    if (c->o.retry_ms <= 0)
        c->o.retry_ms = 30000;
    if (!c->o.max_entries)
        c->o.max_entries = 4096;
    c->threads = calloc(c->o.fetchers, sizeof(*c->threads));
    if (!c->threads) {
        free(c);
        return -ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    for (unsigned i = 0; i < c->o.fetchers; i++) {
        int r = pthread_create(&c->threads[i], NULL, fetcher, c);
        if (r != 0) {
            mcp_cache_free(c);
            return -r;
        }
        c->n_threads++;
    }
    *ret = c;
    return 0;
}

void mcp_cache_free(struct mcp_cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    for (unsigned i = 0; i < c->n_threads; i++)
        pthread_join(c->threads[i], NULL);
    while (c->entries) {
        struct cache_entry *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->threads);
    free(c);
}

/* Drops the least recently used entry that no fetcher holds (lock held). */
static void evict_one(struct mcp_cache *c)
{
    struct cache_entry **victim = NULL;
    for (struct cache_entry **pp = &c->entries; *pp; pp = &(*pp)->next)
        if (!(*pp)->queued && !(*pp)->running && (!victim || (*pp)->used_ms < (*victim)->used_ms))
            victim = pp;
    if (!victim)
        return;
    struct cache_entry *e = *victim;
    *victim = e->next;
    entry_free(e);
    c->n_entries--;
}

static int copy_answer(const struct cache_entry *e, char ***ret_names, size_t *ret_n, char **ret_err)
{
    if (e->rc < 0) {
        *ret_err = strdup(e->err ? e->err : "listing the tools failed");
        return *ret_err ? e->rc : -ENOMEM;
    }
    char **out = calloc(e->n + 1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    for (size_t i = 0; i < e->n; i++) {
        out[i] = strdup(e->names[i]);
        if (!out[i]) {
            mcp_tools_free(out, i);
            return -ENOMEM;
        }
    }
    *ret_names = out;
    *ret_n = e->n;
    return 0;
}

int mcp_cache_list_tools(struct mcp_cache *c, const char *url, const char *transport, char ***ret_names,
                         size_t *ret_n, char **ret_err)
{
    long now = (long)gw_mono_ms();
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = c->entries;
    while (e && (strcmp(e->url, url) != 0 || strcmp(e->transport, transport) != 0))
        e = e->next;
    if (!e) {
        if (c->n_entries >= c->o.max_entries)
            evict_one(c);
        e = calloc(1, sizeof(*e));
        if (!e || !(e->url = strdup(url)) || !(e->transport = strdup(transport))) {
            pthread_mutex_unlock(&c->lock);
            entry_free(e);
            return -ENOMEM;
        }
        e->next = c->entries;
        c->entries = e;
        c->n_entries++;
    }
    e->used_ms = now;
    if (!e->queued && !e->running && (!e->answered || e->expires_ms <= now)) {
        e->queued = true;
        pthread_cond_signal(&c->wake);
    }
    int r = e->answered ? copy_answer(e, ret_names, ret_n, ret_err) : -EAGAIN;
    pthread_mutex_unlock(&c->lock);
    return r;
}

int mcp_cache_answer(struct mcp_cache *c, struct mcp_tool_list *lists, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mcp_tool_list *l = &lists[i];
        mcp_tool_list_clear(l);
        l->status = mcp_cache_list_tools(c, l->url, l->transport, &l->names, &l->n, &l->error);
        if (l->status == -ENOMEM)
            return -ENOMEM;
    }
    return 0;
}

unsigned long mcp_cache_fetches(struct mcp_cache *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned long n = c->fetches;
    pthread_mutex_unlock(&c->lock);
    return n;
}
