/* webhook: the admission webhook server.
 *
 * Two listeners, both libmicrohttpd:
 *   - the webhook port: HTTPS (TLS 1.2/1.3, GnuTLS), an internal thread pool
 *     on epoll, POST /validate, /mutate and /preview (admission.h);
 *   - the health port: plain HTTP, GET /healthz, /readyz and /metrics.
 *
 * The serving certificate is read from cert_dir (tls.crt, tls.key) and
 * swapped when the files change; handshakes in progress keep the pair they
 * started with. Request bodies are capped before they are read. Every
 * connection is timed from its first byte: one that sends no request
 * within the handshake timeout, or sits idle past the idle timeout, is
 * closed, and near the connection limit (in total or for one address) the
 * connections idle longest are closed to make room, so a new client always
 * gets in. Ambiguous request framing (differing Content-Length headers,
 * Content-Length with Transfer-Encoding, a Transfer-Encoding other than
 * chunked) is answered 400 and the connection closed. Stopping drains the
 * requests in flight.
 *
 * The server needs nothing but its certificate: whose an object is comes
 * from the judge (owner.h), which reads caches and never the network.
 *
 * The server runs on its own threads; the caller's thread is free for a
 * controller or a signal loop. Everything here is safe to call from the
 * thread that started the server. */
#ifndef WH_WEBHOOK_H
#define WH_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admission.h"
#include "strbuf.h"

struct wh_options {
    const char *cert_dir;           /* required: holds tls.crt and tls.key */
    const char *bind_address;       /* IPv4 or IPv6 literal; NULL = 0.0.0.0 */
    uint16_t webhook_port;          /* 0 = a free port (see wh_server_webhook_port) */
    const char *health_bind_address;/* NULL = bind_address */
    uint16_t health_port;           /* 0 = a free port */
    unsigned threads;               /* TLS worker threads; 0 = online CPUs */
    size_t max_body;                /* 0 = WH_BODY_CAP_DEFAULT (16 MiB) */
    unsigned idle_timeout_s;        /* connection idle timeout; 0 = 30 */
    unsigned handshake_timeout_s;   /* from the first byte to a request's headers; 0 = 10 */
    unsigned request_timeout_s;     /* whole body must arrive within; 0 = 10 */
    unsigned connection_limit;      /* 0 = 1024 */
    unsigned per_ip_limit;          /* 0 = 256 (the API server opens many); beyond it the
                                     * address's idle connections make room */
    unsigned drain_timeout_s;       /* on stop, wait this long for requests in flight; 0 = 25 */
    unsigned cert_poll_ms;          /* how often the cert files are looked at; 0 = 1000 */
    bool log_requests;              /* one log line per request, allowed ones too */
    /* Whose an object is; NULL judges everything ours. Copied. */
    const struct wh_judge *judge;

    /* /readyz is ready when the certificate is loaded, the server is not
     * draining, and ready (when set) says so; it may write a reason into
     * why (why_cap bytes) when it says no. Called on the health thread. */
    bool (*ready)(void *ctx, char *why, size_t why_cap);
    void *ready_ctx;
    /* Appends more exposition text to /metrics (e.g. the controller's).
     * Called on the health thread. */
    void (*metrics)(void *ctx, struct strbuf *out);
    void *metrics_ctx;
};

struct wh_server;

/* Loads the certificate, binds both ports and starts serving. Problems are
 * logged. Returns 0, -EINVAL (bad options or certificate), -EADDRINUSE and
 * friends from bind, or -ENOMEM. */
int wh_server_start(const struct wh_options *opt, struct wh_server **ret);

/* The ports actually bound (useful with port 0). */
uint16_t wh_server_webhook_port(const struct wh_server *s);
uint16_t wh_server_health_port(const struct wh_server *s);

/* True once every request in flight has been answered. */
bool wh_server_idle(const struct wh_server *s);

/* Graceful stop: /readyz turns 503, the webhook port stops accepting (the
 * listening socket closes, so new connections are refused at once), answers
 * still in flight are completed (for at most drain_timeout_s; answers carry
 * "Connection: close" meanwhile), then every connection and thread ends and
 * everything is freed. Accepts NULL. */
void wh_server_stop(struct wh_server *s);

#endif
