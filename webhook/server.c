/* The I/O shell around admission.c: libmicrohttpd daemons, the certificate
 * watcher, request bookkeeping, metrics and the log lines. */
#include "webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <strings.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "admission.h"
#include "certs.h"
#include "clock.h"
#include "conversion.h"
#include "metrics.h"
#include "reply.h"
#include "routes.h"
#include "spare.h"
#include "log.h"

/* TLS 1.2 and 1.3 only, and in TLS 1.2 only AEAD ciphers (AES-GCM,
 * ChaCha20-Poly1305) with ECDHE: no CBC, no SHA-1 MACs, no RSA key exchange.
 * TLS 1.3 suites are all AEAD. */
#define WH_TLS_PRIORITIES                                                                                     \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"      \
    "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
/* Per-connection memory pool: request line, headers and read buffer (the
 * body is copied out as it arrives, so this does not bound it). */
#define WH_CONNECTION_MEMORY (32u << 10)
#define WH_LISTEN_BACKLOG 1024u
/* HTTP parsing strictness 1: bare LF line ends and obs-fold header
 * continuations are answered 400 and the connection closed (libmicrohttpd
 * >= 0.9.77; test/harness/build-libmicrohttpd.sh builds one for bookworm).
 * Older versions accept both whatever the level. */
#if MHD_VERSION >= 0x00097701
#define WH_STRICT_OPTION MHD_OPTION_CLIENT_DISCIPLINE_LVL
#else
#define WH_STRICT_OPTION MHD_OPTION_STRICT_FOR_CLIENT
#endif
#define WH_WARNING_HEADER_MAX 1024

struct wh_conn;

struct wh_server {
    struct wh_options opt;
    struct wh_judge judge;
    char *cert_dir;
    struct wh_certstore *certs;
    struct wh_metrics metrics;
    struct MHD_Daemon *tls;
    struct wh_acceptor *acceptor;   /* accepts for tls */
    struct MHD_Daemon *health;
    uint16_t tls_port;
    uint16_t health_port;
    atomic_bool draining;
    uint64_t request_timeout_ns;

    pthread_t watcher;
    bool watcher_started;
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    bool stopping;

    /* Every open webhook connection, least recently active first. */
    pthread_mutex_t clock;
    struct wh_conn *oldest, *newest;
    size_t n_conns;
};

/* One TLS connection: the certificate its handshake was given, and what the
 * connection keeper needs (where it stands in the activity order, whether a
 * request is in progress, since when it is idle). Members below cert are
 * guarded by the server's clock mutex. */
struct wh_conn {
    struct wh_server *srv;
    struct wh_cert *cert;
    struct wh_conn *prev, *next;
    MHD_socket fd;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } peer;
    uint64_t since_ns;        /* accepted, or its last answer completed */
    uint64_t request_ns;      /* the request in progress started */
    bool busy;                /* a request is in progress */
    bool answered;            /* the request in progress has its answer queued */
    bool served;              /* a request's headers arrived: past the handshake */
    bool closing;             /* shut down by the keeper, not yet closed */
};

/* What answers the requests of one endpoint. */
typedef int (*route_fn)(const struct wh_server *s, enum wh_endpoint ep, const char *body, size_t len,
                        struct wh_reply *out);

/* One request, from its headers to the last byte of its answer. */
struct wh_request {
    route_fn handle;              /* NULL: not found */
    enum wh_endpoint ep;
    uint64_t start_ns;
    struct strbuf body;
    bool answered;
    bool too_big;
    size_t discarded;
    enum wh_kind kind;
    enum wh_op op;
    enum wh_verdict verdict;
    unsigned status;              /* the HTTP status answered */
    bool close;                   /* close the connection after the answer */
};

/* --- TLS certificate selection ------------------------------------------- */

/* gnutls asks for the certificate during each handshake. The connection
 * keeps a reference to the pair it was given (released when it closes), so
 * a reload meanwhile cannot free what the handshake still uses; a second
 * call in the same handshake gets the same pair. */
static int on_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                          const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                          unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct MHD_Connection *conn = gnutls_session_get_ptr(session);
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    struct wh_conn *c = ci ? ci->socket_context : NULL;
    if (!c)
        return -1;
    if (!c->cert)
        c->cert = wh_certstore_acquire(c->srv->certs);
    if (!c->cert)
        return -1;
    wh_cert_credentials(c->cert, pcert, pcert_length, pkey);
    return 0;
}

/* --- the connection keeper -------------------------------------------------
 *
 * libmicrohttpd refuses connections beyond its limits, and a client that
 * opens connections and never speaks could hold them all. So the keeper
 * enforces the limits itself, below libmicrohttpd's: a connection that has
 * not sent a request's headers within the handshake timeout of its first
 * byte, or that sat idle past the idle timeout, is shut down; when the
 * server (or one client address) nears its limit, idle connections are
 * shut down to make room (those that never sent a request first, then the
 * least recently active), so a new client always gets in. A connection is shut down (shutdown(2)), never closed here: its
 * daemon thread sees the end of the stream and closes and frees it as for
 * any other client, so no descriptor is ever touched after it is closed. */

static void list_unlink(struct wh_server *s, struct wh_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->oldest = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->newest = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(struct wh_server *s, struct wh_conn *c)
{
    c->prev = s->newest;
    c->next = NULL;
    if (s->newest)
        s->newest->next = c;
    else
        s->oldest = c;
    s->newest = c;
}

/* Called with clock held. */
static void shut(struct wh_server *s, struct wh_conn *c, const char *why)
{
    if (c->closing || c->fd == MHD_INVALID_SOCKET)
        return;
    c->closing = true;
    /* Counted before the shutdown, so a client that sees its connection end
     * finds it already counted. */
    atomic_fetch_add_explicit(&s->metrics.connections_shed, 1, memory_order_relaxed);
    shutdown(c->fd, SHUT_RDWR);
    if (gw_log_enabled(GW_LOG_DEBUG))
        gw_log(GW_LOG_DEBUG, "webhook", NULL, NULL, "closing a connection: %s", why);
}

static bool same_peer(const struct wh_conn *a, const struct wh_conn *b)
{
    if (a->peer.sa.sa_family != b->peer.sa.sa_family)
        return false;
    if (a->peer.sa.sa_family == AF_INET)
        return a->peer.in4.sin_addr.s_addr == b->peer.in4.sin_addr.s_addr;
    if (a->peer.sa.sa_family == AF_INET6)
        return memcmp(&a->peer.in6.sin6_addr, &b->peer.in6.sin6_addr, sizeof(a->peer.in6.sin6_addr)) == 0;
    return false;
}

/* Room kept free below a limit for new clients. */
static size_t headroom(size_t limit)
{
    size_t r = limit / 8;
    return r < 1 ? 1 : r > 64 ? 64 : r;
}

/* Shuts down idle connections other than c, oldest first, while *count is
 * above limit (clock held); only those of c's address when mine_only.
 * Connections that never got as far as a request go before those that
 * served one: a client that has made requests reuses its idle connection
 * without warning, and an HTTP client does not resend a POST the server
 * closed under it, so shedding one could fail a real admission call. */
static void shed_idle(struct wh_server *s, struct wh_conn *c, size_t *count, size_t limit, bool mine_only,
                      const char *why)
{
    for (int pass = 0; pass < 2; pass++)
        for (struct wh_conn *o = s->oldest; o && *count > limit; o = o->next)
            if (o != c && !o->closing && !o->busy && o->served == (pass == 1) && (!mine_only || same_peer(o, c))) {
                shut(s, o, why);
                (*count)--;
            }
}

/* Makes room for the connection c just accepted (clock held): idle
 * connections go, of its own address when that address is at its limit,
 * of anyone when the server is (see shed_idle for the order). With no idle
 * connection to shed for its address, the new connection itself is turned
 * away. */
static void make_room(struct wh_server *s, struct wh_conn *c)
{
    size_t per_ip = 0;
    for (struct wh_conn *o = s->oldest; o; o = o->next)
        if (!o->closing && same_peer(o, c))
            per_ip++;
    shed_idle(s, c, &per_ip, s->opt.per_ip_limit, true,
              "its address is at the per-address limit; this one was idle");
    if (per_ip > s->opt.per_ip_limit)
        shut(s, c, "its address is at the per-address limit and has no idle connection to give up");
    size_t open = 0;
    for (struct wh_conn *o = s->oldest; o; o = o->next)
        open += !o->closing;
    shed_idle(s, c, &open, s->opt.connection_limit - headroom(s->opt.connection_limit), false,
              "the server is near its connection limit; this one was idle");
}

/* How long ago t was, at now; 0 when t is later (a clock read by another
 * thread just before it took the lock). Unsigned wrap-around here once
 * read "just now" as "585 years ago" and shut busy connections down. */
static uint64_t since(uint64_t now, uint64_t t)
{
    return now > t ? now - t : 0;
}

/* Shuts down connections past their timeouts; runs on the keeper thread.
 * The clock is read with the lock held: every time stamp the request
 * threads wrote under it is then no later than now. */
static void reap(struct wh_server *s)
{
    uint64_t handshake = (uint64_t)s->opt.handshake_timeout_s * 1000000000u;
    uint64_t idle = (uint64_t)s->opt.idle_timeout_s * 1000000000u;
    pthread_mutex_lock(&s->clock);
    uint64_t now = gw_mono_ns();
    for (struct wh_conn *c = s->oldest; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->busy) {
            if (!c->answered && since(now, c->request_ns) > s->request_timeout_ns)
                shut(s, c, "its request did not arrive within the request timeout");
        } else if (!c->served && since(now, c->since_ns) > handshake) {
            shut(s, c, "no request within the handshake timeout");
        } else if (c->served && since(now, c->since_ns) > idle) {
            shut(s, c, "idle past the idle timeout");
        }
    }
    pthread_mutex_unlock(&s->clock);
}

static struct wh_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* A request's headers arrived on c. */
static void conn_busy(struct wh_server *s, struct wh_conn *c, uint64_t now)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->clock);
    c->busy = true;
    c->served = true;
    c->answered = false;
    c->request_ns = now;
    pthread_mutex_unlock(&s->clock);
}

static void conn_answered(struct wh_server *s, struct wh_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->clock);
    c->answered = true;
    pthread_mutex_unlock(&s->clock);
}

/* c's request is complete: it is the most recently active now. */
static void conn_idle(struct wh_server *s, struct wh_conn *c, uint64_t now)
{
    if (!c)
        return;
    pthread_mutex_lock(&s->clock);
    c->busy = false;
    c->since_ns = now;
    list_unlink(s, c);
    list_append(s, c);
    pthread_mutex_unlock(&s->clock);
}

static void conn_started(struct wh_server *s, struct MHD_Connection *conn, struct wh_conn *c)
{
    /* Each answer may live in the same storage of the connection (it does in
     * libmicrohttpd 1.0): read one before asking for the next. */
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = fd ? fd->connect_fd : MHD_INVALID_SOCKET;
    const union MHD_ConnectionInfo *addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (addr && addr->client_addr) {
        if (addr->client_addr->sa_family == AF_INET)
            memcpy(&c->peer.in4, addr->client_addr, sizeof(c->peer.in4));
        else if (addr->client_addr->sa_family == AF_INET6)
            memcpy(&c->peer.in6, addr->client_addr, sizeof(c->peer.in6));
    }
    c->since_ns = gw_mono_ns();
    pthread_mutex_lock(&s->clock);
    list_append(s, c);
    s->n_conns++;
    make_room(s, c);
    pthread_mutex_unlock(&s->clock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct wh_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        wh_acceptor_started(s->acceptor);
        struct wh_conn *c = calloc(1, sizeof(*c));
        *socket_context = c;
        atomic_fetch_add_explicit(&s->metrics.connections, 1, memory_order_relaxed);
        if (c) {
            c->srv = s;
            conn_started(s, conn, c);
        }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct wh_conn *c = *socket_context;
        if (c) {
            pthread_mutex_lock(&s->clock);
            list_unlink(s, c);
            s->n_conns--;
            pthread_mutex_unlock(&s->clock);
            wh_cert_unref(c->cert);
            free(c);
        }
        *socket_context = NULL;
        atomic_fetch_sub_explicit(&s->metrics.connections, 1, memory_order_relaxed);
    }
}

/* --- answers --------------------------------------------------------------- */

/* A Warning header value: 299 - "text", with the text as an HTTP
 * quoted-string of printable ASCII (anything else becomes '?'). */
static void warning_value(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    static const char head[] = "299 - \"";
    memcpy(out, head, sizeof(head) - 1);
    o = sizeof(head) - 1;
    for (const char *p = text; *p && o + 4 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            out[o++] = '\\';
        out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void log_reply(const struct wh_server *s, const struct wh_request *rq, const struct wh_reply *rep)
{
    enum gw_log_level lvl = GW_LOG_DEBUG;
    if (rep->verdict == WH_V_ERROR)
        lvl = GW_LOG_ERROR;
    else if (rep->verdict == WH_V_DENIED || rep->verdict == WH_V_BAD_REQUEST || s->opt.log_requests)
        lvl = GW_LOG_INFO;
    /* The summary holds text from the request (kinds, names, messages):
     * gw_log escapes it, so it can never start a line of its own. */
    if (gw_log_enabled(lvl))
        gw_log(lvl, "webhook", NULL, NULL, "%s %u %s", wh_endpoint_name(rq->ep), rep->status, rep->summary);
}

static enum MHD_Result send_reply(struct wh_server *s, struct MHD_Connection *conn, struct wh_request *rq,
                                  struct wh_reply *rep)
{
    rq->answered = true;
    rq->kind = rep->kind;
    rq->op = rep->op;
    rq->verdict = rep->verdict;
    conn_answered(s, conn_of(conn));
    log_reply(s, rq, rep);
    struct MHD_Response *resp;
    if (rep->body) {
        resp = MHD_create_response_from_buffer_with_free_callback(rep->body_len, rep->body, wh_spare_keep);
        if (resp)
            rep->body = NULL;
    } else {
        static const char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                  "\"reason\":\"InternalError\",\"code\":500}";
        resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        rep->status = 500;
        rep->content_type = "application/json";
    }
    rq->status = rep->status;
    if (!resp) {
        wh_reply_release(rep);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    if (ok == MHD_YES && rep->allow)
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    for (size_t i = 0; ok == MHD_YES && i < rep->n_warnings; i++) {
        char v[WH_WARNING_HEADER_MAX];
        warning_value(rep->warnings[i], v, sizeof(v));
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_WARNING, v);
    }
    if (ok == MHD_YES && (atomic_load(&s->draining) || rq->close))
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    wh_reply_release(rep);
    return ok;
}

/* --- the webhook port ------------------------------------------------------ */

/* The webhook port's routes, one line each. */
static int handle_review(const struct wh_server *s, enum wh_endpoint ep, const char *body, size_t len,
                         struct wh_reply *out)
{
    return wh_handle_judged(ep, body, len, s->judge.owner_of ? &s->judge : NULL, out);
}

static int handle_preview(const struct wh_server *s, enum wh_endpoint ep, const char *body, size_t len,
                          struct wh_reply *out)
{
    (void)s;
    (void)ep;
    return wh_preview(body, len, out);
}

static int handle_convert(const struct wh_server *s, enum wh_endpoint ep, const char *body, size_t len,
                          struct wh_reply *out)
{
    (void)s;
    (void)ep;
    return wh_convert(body, len, out);
}

/* The handler of each endpoint (routes.h maps paths to endpoints). */
static const route_fn HANDLERS[WH_EP__MAX] = {
    [WH_EP_VALIDATE] = handle_review,
    [WH_EP_MUTATE] = handle_review,
    [WH_EP_PREVIEW] = handle_preview,
    [WH_EP_CONVERT] = handle_convert,
};

/* What the framing headers say, all of them (libmicrohttpd's lookup sees
 * only the first of a repeated header). */
struct framing {
    unsigned n_length;
    const char *length;
    bool lengths_differ;
    unsigned n_encoding;
    const char *encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->n_length++ && strcmp(f->length, value ? value : "") != 0)
            f->lengths_differ = true;
        if (f->n_length == 1)
            f->length = value ? value : "";
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        if (f->n_encoding++ == 0)
            f->encoding = value ? value : "";
    }
    return MHD_YES;
}

/* Request smuggling shapes: a body whose length two parties could read
 * differently is refused, and the connection closes after the answer. */
static bool framing_refused(struct MHD_Connection *conn, struct wh_reply *out)
{
    struct framing f = { 0 };
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    const char *why = NULL;
    if (f.lengths_differ)
        why = "differing Content-Length headers";
    else if (f.n_length && f.n_encoding)
        why = "both Content-Length and Transfer-Encoding";
    else if (f.n_encoding > 1 || (f.n_encoding && strcasecmp(f.encoding, "chunked") != 0))
        why = "a Transfer-Encoding other than chunked";
    if (!why)
        return false;
    wh_reply_init(out);
    wh_bad_request(out, 400, "bad request framing: %s", why);
    out->verdict = WH_V_BAD_REQUEST;
    return true;
}

static enum MHD_Result first_call(struct wh_server *s, struct MHD_Connection *conn, const char *url,
                                  const char *method, void **req_cls)
{
    struct wh_request *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return MHD_NO;
    rq->start_ns = gw_mono_ns();
    conn_busy(s, conn_of(conn), rq->start_ns);
    rq->ep = wh_endpoint_of(url);
    rq->handle = HANDLERS[rq->ep];
    rq->kind = WH_K_OTHER;
    sb_init(&rq->body, s->opt.max_body);
    *req_cls = rq;
    atomic_fetch_add_explicit(&s->metrics.in_flight, 1, memory_order_relaxed);
    struct wh_reply rep;
    if (framing_refused(conn, &rep)) {
        rq->close = true;
        return send_reply(s, conn, rq, &rep);
    }
    if (!rq->handle) {
        wh_reply_init(&rep);
        wh_reply_error(&rep, 404, "not found: the webhook serves POST /validate, /mutate, /preview and /convert");
        return send_reply(s, conn, rq, &rep);
    }
    /* Decided before any byte of the body is read: a 100 MB upload is
     * refused from its headers, and the connection closes after the answer. */
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (wh_precheck(method, ct, cl, s->opt.max_body, &rep)) {
        rq->close = rep.status != 405 && rep.status != 415;
        return send_reply(s, conn, rq, &rep);
    }
    /* A body of declared length is read into one allocation of that size
     * (ConversionReviews run to megabytes: no copies while it grows). */
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > 0 && declared <= s->opt.max_body)
        wh_spare_reserve(&rq->body, (size_t)declared);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    struct wh_server *s = cls;
    struct wh_request *rq = *req_cls;
    if (!rq)
        return first_call(s, conn, url, method, req_cls);
    if (rq->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (gw_mono_ns() - rq->start_ns > s->request_timeout_ns) {
            gw_log(GW_LOG_INFO, "webhook", NULL, NULL, "%s: body not complete after %us, closing the connection",
                   wh_endpoint_name(rq->ep), s->opt.request_timeout_s);
            return MHD_NO;
        }
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!rq->too_big && n <= s->opt.max_body - rq->body.len) {
            if (sb_add(&rq->body, upload_data, n) < 0)
                return MHD_NO;
            return MHD_YES;
        }
        /* A chunked body that outgrew the cap: the answer (413) can only be
         * queued once the body ended, so the rest is counted, not stored,
         * and a body twice the cap ends the connection instead. */
        rq->too_big = true;
        rq->discarded += n;
        if (rq->discarded > s->opt.max_body)
            return MHD_NO;
        return MHD_YES;
    }
    struct wh_reply rep;
    if (rq->too_big) {
        wh_reply_init(&rep);
        char msg[160];
        snprintf(msg, sizeof(msg), "request body is larger than the limit of %zu bytes", s->opt.max_body);
        wh_reply_error(&rep, 413, msg);
        rq->close = true;
    } else if (rq->handle(s, rq->ep, sb_str(&rq->body), rq->body.len, &rep) < 0) {
        wh_reply_release(&rep);
        wh_reply_init(&rep);
        wh_reply_error(&rep, 500, "out of memory");
    }
    wh_spare_release(&rq->body);
    return send_reply(s, conn, rq, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct wh_server *s = cls;
    struct wh_request *rq = *req_cls;
    if (!rq)
        return;
    uint64_t now = gw_mono_ns();
    if (rq->answered)
        wh_metrics_observe(&s->metrics, rq->ep, rq->kind, rq->op,
                           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? rq->verdict : WH_V_ERROR,
                           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? rq->status : 0, now - rq->start_ns);
    conn_idle(s, conn_of(conn), now);
    wh_spare_release(&rq->body);
    free(rq);
    *req_cls = NULL;
    atomic_fetch_sub_explicit(&s->metrics.in_flight, 1, memory_order_release);
}

/* --- the health port ------------------------------------------------------- */

static bool is_ready(struct wh_server *s, char *why, size_t cap)
{
    if (atomic_load(&s->draining)) {
        snprintf(why, cap, "shutting down");
        return false;
    }
    struct wh_cert *c = wh_certstore_acquire(s->certs);
    wh_cert_unref(c);
    if (!c) {
        snprintf(why, cap, "no serving certificate");
        return false;
    }
    if (s->opt.ready && !s->opt.ready(s->opt.ready_ctx, why, cap)) {
        if (!why[0])
            snprintf(why, cap, "not ready");
        return false;
    }
    return true;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *ctype, char *text,
                                 size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, free);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (ok == MHD_YES)
        ok = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result on_health(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls)
{
    (void)version;
    (void)upload_data;
    struct wh_server *s = cls;
    static int marker;
    if (!*req_cls) {
        /* Answer from the headers; a body, if any, is not read. */
        *req_cls = &marker;
    } else if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct strbuf sb;
    sb_init(&sb, 8u << 20);
    unsigned status = 200;
    const char *ctype = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = 405;
        sb_adds(&sb, "method not allowed\n");
    } else if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0) {
        sb_adds(&sb, "ok\n");
    } else if (strcmp(url, "/readyz") == 0) {
        char why[256] = "";
        if (is_ready(s, why, sizeof(why))) {
            sb_adds(&sb, "ok\n");
        } else {
            status = 503;
            sb_addf(&sb, "not ready: %s\n", why);
        }
    } else if (strcmp(url, "/metrics") == 0) {
        ctype = "text/plain; version=0.0.4; charset=utf-8";
        wh_metrics_render(&s->metrics, &sb);
        wh_metrics_render_process(&sb);
        if (s->opt.metrics)
            s->opt.metrics(s->opt.metrics_ctx, &sb);
    } else {
        status = 404;
        sb_adds(&sb, "not found: /healthz, /readyz, /metrics\n");
    }
    size_t len = 0;
    char *text = sb_detach(&sb, &len);
    if (!text)
        return MHD_NO;
    return send_text(conn, status, ctype, text, len);
}

/* --- the certificate watcher ----------------------------------------------- */

static void note_certificate(struct wh_server *s, const char *what)
{
    struct wh_cert *c = wh_certstore_acquire(s->certs);
    if (!c)
        return;
    atomic_store(&s->metrics.cert_not_after, wh_cert_not_after(c));
    gw_log(GW_LOG_INFO, "webhook", NULL, NULL, "%s serving certificate %s", what, wh_cert_describe(c));
    if (wh_cert_not_after(c) && wh_cert_not_after(c) < (int64_t)time(NULL))
        gw_log(GW_LOG_WARN, "webhook", NULL, NULL, "the serving certificate has expired");
    wh_cert_unref(c);
}

static void refresh_certificate(struct wh_server *s, char **last_err)
{
    char *err = NULL;
    int r = wh_certstore_refresh(s->certs, &err);
    if (r == 1) {
        atomic_fetch_add(&s->metrics.cert_reloads, 1);
        note_certificate(s, "reloaded");
        free(*last_err);
        *last_err = NULL;
    } else if (r < 0) {
        const char *e = err ? err : strerror(-r);
        if (!*last_err || strcmp(*last_err, e) != 0) {
            atomic_fetch_add(&s->metrics.cert_reload_errors, 1);
            gw_log(GW_LOG_WARN, "webhook", NULL, e,
                   "the certificate files changed but do not load, still serving the previous certificate");
            free(*last_err);
            *last_err = strdup(e);
        }
    }
    free(err);
}

/* The keeper thread: connection timeouts every tick, the certificate files
 * every cert_poll_ms. */
#define KEEPER_TICK_MS 250u

static void *keeper(void *arg)
{
    struct wh_server *s = arg;
    char *last_err = NULL;
    uint64_t next_cert = gw_mono_ns() + (uint64_t)s->opt.cert_poll_ms * 1000000u;
    pthread_mutex_lock(&s->wlock);
    while (!s->stopping) {
        gw_cond_wait_until(&s->wcond, &s->wlock, gw_mono_ms() + KEEPER_TICK_MS);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->wlock);
        reap(s);
        uint64_t now = gw_mono_ns();
        if (now >= next_cert) {
            refresh_certificate(s, &last_err);
            next_cert = now + (uint64_t)s->opt.cert_poll_ms * 1000000u;
        }
        pthread_mutex_lock(&s->wlock);
    }
    pthread_mutex_unlock(&s->wlock);
    free(last_err);
    return NULL;
}

/* --- start and stop -------------------------------------------------------- */

union any_addr {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
};

static int parse_addr(const char *text, uint16_t port, union any_addr *a, bool *ret_v6)
{
    memset(a, 0, sizeof(*a));
    if (!text || !*text)
        text = "0.0.0.0";
    if (inet_pton(AF_INET, text, &a->in4.sin_addr) == 1) {
        a->in4.sin_family = AF_INET;
        a->in4.sin_port = htons(port);
        *ret_v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, text, &a->in6.sin6_addr) == 1) {
        a->in6.sin6_family = AF_INET6;
        a->in6.sin6_port = htons(port);
        *ret_v6 = true;
        return 0;
    }
    return -EINVAL;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    gw_log(GW_LOG_DEBUG, "webhook", NULL, NULL, "libmicrohttpd: %s", msg);
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

static void apply_defaults(struct wh_options *o)
{
    if (!o->max_body)
        o->max_body = WH_BODY_CAP_DEFAULT;
    if (!o->idle_timeout_s)
        o->idle_timeout_s = 30;
    if (!o->request_timeout_s)
        o->request_timeout_s = 10;
    if (!o->connection_limit)
        o->connection_limit = 1024;
    if (!o->per_ip_limit)
        o->per_ip_limit = 256;
    if (!o->handshake_timeout_s)
        o->handshake_timeout_s = 10;
    if (!o->drain_timeout_s)
        o->drain_timeout_s = 25;
    if (!o->cert_poll_ms)
        o->cert_poll_ms = 1000;
    if (!o->threads)
        o->threads = online_cpus();
    if (!o->health_bind_address)
        o->health_bind_address = o->bind_address;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

/* The acceptor's question: below the connection limit, counting those
 * handed over and not yet started (else connections wait in the backlog;
 * the keeper makes room as each new one starts). */
static bool has_room(void *ctx, size_t pending)
{
    struct wh_server *s = ctx;
    pthread_mutex_lock(&s->clock);
    bool room = s->n_conns + pending < s->opt.connection_limit;
    pthread_mutex_unlock(&s->clock);
    return room;
}

static int start_tls(struct wh_server *s)
{
    union any_addr a;
    bool v6 = false;
    if (parse_addr(s->opt.bind_address, s->opt.webhook_port, &a, &v6) < 0) {
        gw_log(GW_LOG_ERROR, "webhook", NULL, NULL, "--bind %s is not an IP address", s->opt.bind_address);
        return -EINVAL;
    }
    int lfd = -1;
    int r = wh_acceptor_listen(&a.sa, v6 ? sizeof(a.in6) : sizeof(a.in4), (int)WH_LISTEN_BACKLOG, &lfd,
                               &s->tls_port);
    if (r == 0) {
        /* Connections come from the acceptor (acceptor.h), which spreads
         * them over the pool's workers. */
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS | MHD_USE_ITC |
                         MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
        errno = 0;
        s->tls = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
            MHD_OPTION_HTTPS_CERT_CALLBACK, on_certificate, MHD_OPTION_HTTPS_PRIORITIES, WH_TLS_PRIORITIES,
            MHD_OPTION_THREAD_POOL_SIZE, s->opt.threads > 1 ? s->opt.threads : 0,
            /* The limit is the acceptor's to keep (has_room): the daemon's
             * share per worker must never refuse first. */
            MHD_OPTION_CONNECTION_LIMIT, s->opt.connection_limit * (s->opt.threads > 1 ? s->opt.threads : 1),
            MHD_OPTION_CONNECTION_TIMEOUT, s->opt.idle_timeout_s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WH_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, WH_STRICT_OPTION, (int)1,
            MHD_OPTION_END);
        r = s->tls ? 0 : -(errno ? errno : EINVAL);
        if (r < 0)
            close(lfd);
    }
    if (r == 0) {
        r = wh_acceptor_start(lfd, s->tls, has_room, s, &s->acceptor);
        if (r < 0) {
            MHD_stop_daemon(s->tls);
            s->tls = NULL;
        }
    }
    if (r < 0)
        gw_log(GW_LOG_ERROR, "webhook", NULL, strerror(-r), "cannot serve HTTPS on %s port %u",
               s->opt.bind_address ? s->opt.bind_address : "0.0.0.0", s->opt.webhook_port);
    return r;
}

static int start_health(struct wh_server *s)
{
    union any_addr a;
    bool v6 = false;
    if (parse_addr(s->opt.health_bind_address, s->opt.health_port, &a, &v6) < 0) {
        gw_log(GW_LOG_ERROR, "webhook", NULL, NULL, "health bind address %s is not an IP address", s->opt.health_bind_address);
        return -EINVAL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    s->health = MHD_start_daemon(flags, 0, NULL, NULL, on_health, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                                 MHD_OPTION_SOCK_ADDR, &a.sa, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                                 MHD_OPTION_CONNECTION_LIMIT, 64u,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                 (size_t)(16u << 10), MHD_OPTION_END);
    if (!s->health) {
        int e = errno ? errno : EADDRINUSE;
        gw_log(GW_LOG_ERROR, "webhook", NULL, strerror(e), "cannot serve health on %s port %u",
               s->opt.health_bind_address ? s->opt.health_bind_address : "0.0.0.0", s->opt.health_port);
        return -e;
    }
    s->health_port = bound_port(s->health);
    return 0;
}

int wh_server_start(const struct wh_options *opt, struct wh_server **ret)
{
    if (!opt || !opt->cert_dir || !*opt->cert_dir) {
        gw_log(GW_LOG_ERROR, "webhook", NULL, NULL, "a certificate directory is required (--cert-dir)");
        return -EINVAL;
    }
    struct wh_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->opt = *opt;
    apply_defaults(&s->opt);
    s->request_timeout_ns = (uint64_t)s->opt.request_timeout_s * 1000000000u;
    wh_metrics_init(&s->metrics);
    atomic_init(&s->draining, false);
    if (opt->judge)
        s->judge = *opt->judge;
    s->opt.judge = NULL;
    pthread_mutex_init(&s->clock, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    gw_cond_init_mono(&s->wcond);
    s->cert_dir = strdup(opt->cert_dir);
    s->opt.cert_dir = s->cert_dir;
    int r = s->cert_dir ? 0 : -ENOMEM;
    char *err = NULL;
    if (r == 0) {
        r = wh_certstore_open(s->cert_dir, &s->certs, &err);
        if (r < 0)
            gw_log(GW_LOG_ERROR, "webhook", NULL, err ? err : strerror(-r), "cannot load the serving certificate from %s",
                   s->cert_dir);
        free(err);
    }
    if (r == 0) {
        note_certificate(s, "loaded");
        r = start_tls(s);
    }
    if (r == 0)
        r = start_health(s);
    if (r == 0) {
        r = -pthread_create(&s->watcher, NULL, keeper, s);
        s->watcher_started = r == 0;
    }
    if (r < 0) {
        wh_server_stop(s);
        return r;
    }
    gw_log(GW_LOG_INFO, "webhook", NULL, NULL, "serving https on %s:%u (%u threads), health and metrics on http %s:%u",
           s->opt.bind_address ? s->opt.bind_address : "0.0.0.0", s->tls_port, s->opt.threads,
           s->opt.health_bind_address ? s->opt.health_bind_address : "0.0.0.0", s->health_port);
    *ret = s;
    return 0;
}

uint16_t wh_server_webhook_port(const struct wh_server *s)
{
    return s->tls_port;
}

uint16_t wh_server_health_port(const struct wh_server *s)
{
    return s->health_port;
}

bool wh_server_idle(const struct wh_server *s)
{
    return atomic_load_explicit(&((struct wh_server *)s)->metrics.in_flight, memory_order_acquire) == 0;
}

static void drain(struct wh_server *s)
{
    wh_acceptor_stop(s->acceptor);
    uint64_t deadline = gw_mono_ns() + (uint64_t)s->opt.drain_timeout_s * 1000000000u;
    long long left;
    while ((left = atomic_load_explicit(&s->metrics.in_flight, memory_order_acquire)) > 0 && gw_mono_ns() < deadline) {
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (left > 0)
        gw_log(GW_LOG_WARN, "webhook", NULL, NULL, "%lld request(s) still in flight after %us, closing them", left,
               s->opt.drain_timeout_s);
}

void wh_server_stop(struct wh_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    if (s->tls) {
        drain(s);
        MHD_stop_daemon(s->tls);
        s->tls = NULL;
    }
    wh_acceptor_free(s->acceptor);
    s->acceptor = NULL;
    if (s->watcher_started) {
        pthread_mutex_lock(&s->wlock);
        s->stopping = true;
        pthread_cond_signal(&s->wcond);
        pthread_mutex_unlock(&s->wlock);
        pthread_join(s->watcher, NULL);
    }
    if (s->health)
        MHD_stop_daemon(s->health);
    wh_certstore_free(s->certs);
    pthread_cond_destroy(&s->wcond);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->clock);
    free(s->cert_dir);
    free(s);
}
