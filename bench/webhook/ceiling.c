/* webhook-ceiling: the fastest an AdmissionReview answer can come back
 * through the same stack (libmicrohttpd, GnuTLS, TLS 1.2/1.3, thread pool on
 * epoll) when the handler does no work: it reads the body and returns a
 * fixed response of the same size as the real server's. It accepts as the
 * webhook does (webhook/acceptor.c, built in). The benchmark reports the
 * webhook's figures as ratios to this one.
 *
 *   webhook-ceiling CERT KEY PORT THREADS RESPONSE_FILE
 *
 * Runs until SIGTERM or SIGINT. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acceptor.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static struct MHD_Response *fixed;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **req_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    static int marker;
    if (!*req_cls) {
        *req_cls = &marker;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, fixed);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: webhook-ceiling CERT KEY PORT THREADS RESPONSE_FILE\n");
        return 2;
    }
    size_t body_len = 0;
    char *cert = slurp(argv[1], NULL), *key = slurp(argv[2], NULL), *body = slurp(argv[5], &body_len);
    unsigned port = (unsigned)strtoul(argv[3], NULL, 10), threads = (unsigned)strtoul(argv[4], NULL, 10);
    if (!cert || !key || !body || !port) {
        fprintf(stderr, "webhook-ceiling: cannot read the certificate, key or response\n");
        return 1;
    }
    fixed = MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(fixed, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Accepted the way the webhook accepts (webhook/acceptor.h), so both
     * spread their connections over the pool alike. */
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int lfd = -1;
    uint16_t bound = 0;
    struct MHD_Daemon *d = NULL;
    struct wh_acceptor *acc = NULL;
    if (wh_acceptor_listen((struct sockaddr *)&sa, sizeof(sa), 1024, &lfd, &bound) == 0)
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS | MHD_USE_ITC |
                                 MHD_USE_NO_LISTEN_SOCKET,
                             0, NULL, NULL, on_request, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
                             MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_PRIORITIES,
                             "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_THREAD_POOL_SIZE,
                             threads > 1 ? threads : 0, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    if (!d || wh_acceptor_start(lfd, d, NULL, NULL, &acc) != 0) {
        fprintf(stderr, "webhook-ceiling: cannot listen on port %u\n", port);
        return 1;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    wh_acceptor_stop(acc);
    MHD_stop_daemon(d);
    wh_acceptor_free(acc);
    MHD_destroy_response(fixed);
    free(cert);
    free(key);
    free(body);
    return 0;
}
