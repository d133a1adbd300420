#define _GNU_SOURCE
#include "acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* Connections taken per wake-up before the stop pipe is looked at again. */
#define ACCEPT_BATCH 64
/* The pause when the server is full or the process is out of descriptors. */
#define PAUSE_MS 10

struct wh_acceptor {
    int fd;
    int stop[2];   /* a byte written to stop[1] ends the loop */
    struct MHD_Daemon *d;
    bool (*has_room)(void *ctx, size_t pending);
    void *ctx;
    pthread_t thread;
    uint64_t warned_ns;
    /* handed over, not yet started; and when one last started */
    atomic_size_t pending;
    _Atomic uint64_t started_ns;
};

/* A connection the daemon dropped between hand-over and start (out of
 * memory) would stay pending for ever: pending counts are forgotten when
 * nothing has started for this long while the server seems full. */
#define PENDING_STALE_NS 2000000000ull

int wh_acceptor_listen(const struct sockaddr *sa, socklen_t len, int backlog, int *ret_fd, uint16_t *ret_port)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int on = 1;
    if (sa->sa_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    struct sockaddr_storage got;
    socklen_t got_len = sizeof(got);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 || bind(fd, sa, len) < 0 ||
        listen(fd, backlog) < 0 || getsockname(fd, (struct sockaddr *)&got, &got_len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *ret_port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                : ((struct sockaddr_in *)&got)->sin_port);
    *ret_fd = fd;
    return 0;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = { 0, (long)ms * 1000000L };
    nanosleep(&ts, NULL);
}

/* Takes what waits in the backlog: false when the loop should wait. */
static bool room(struct wh_acceptor *a)
{
    if (!a->has_room)
        return true;
    size_t pending = atomic_load(&a->pending);
    if (a->has_room(a->ctx, pending))
        return true;
    if (pending > 0 && gw_mono_ns() - atomic_load(&a->started_ns) > PENDING_STALE_NS) {
        atomic_store(&a->pending, 0);
        return a->has_room(a->ctx, 0);
    }
    return false;
}

void wh_acceptor_started(struct wh_acceptor *a)
{
    if (!a)
        return;
    atomic_store(&a->started_ns, gw_mono_ns());
    size_t p = atomic_load(&a->pending);
    while (p > 0 && !atomic_compare_exchange_weak(&a->pending, &p, p - 1))
        ;
}

static void take_waiting(struct wh_acceptor *a)
{
    for (int k = 0; k < ACCEPT_BATCH; k++) {
        if (!room(a)) {
            pause_ms(PAUSE_MS);
            return;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int c = accept4(a->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                uint64_t now = gw_mono_ns();
                if (now - a->warned_ns > 1000000000ull) {
                    gw_log(GW_LOG_WARN, "webhook", NULL, strerror(errno), "cannot accept a connection");
                    a->warned_ns = now;
                }
                pause_ms(PAUSE_MS);
            }
            return;
        }
        /* On failure (no memory) the daemon closes the socket itself. */
        atomic_fetch_add(&a->pending, 1);
        atomic_store(&a->started_ns, gw_mono_ns());
        if (MHD_add_connection(a->d, c, (const struct sockaddr *)&ss, sl) != MHD_YES)
            wh_acceptor_started(a);
    }
}

static void *accept_loop(void *arg)
{
    struct wh_acceptor *a = arg;
    struct pollfd p[2] = { { .fd = a->fd, .events = POLLIN }, { .fd = a->stop[0], .events = POLLIN } };
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            pause_ms(PAUSE_MS);
            continue;
        }
        if (p[1].revents)
            return NULL;
        if (p[0].revents)
            take_waiting(a);
    }
}

int wh_acceptor_start(int listen_fd, struct MHD_Daemon *d, bool (*has_room)(void *ctx, size_t pending), void *ctx,
                      struct wh_acceptor **ret)
{
    struct wh_acceptor *a = calloc(1, sizeof(*a));
    if (!a) {
        close(listen_fd);
        return -ENOMEM;
    }
    a->fd = listen_fd;
    a->d = d;
    a->has_room = has_room;
    a->ctx = ctx;
    a->started_ns = gw_mono_ns();
    /* Set before the first connection can start: its worker tells a. */
    *ret = a;
    int r = pipe2(a->stop, O_CLOEXEC) < 0 ? -errno : 0;
    if (r == 0) {
        r = -pthread_create(&a->thread, NULL, accept_loop, a);
        if (r < 0) {
            close(a->stop[0]);
            close(a->stop[1]);
        }
    }
    if (r < 0) {
        *ret = NULL;
        close(listen_fd);
        free(a);
        return r;
    }
    return 0;
}

void wh_acceptor_stop(struct wh_acceptor *a)
{
    if (!a || a->fd < 0)
        return;
    char b = 1;
    while (write(a->stop[1], &b, 1) < 0 && errno == EINTR)
        ;
    pthread_join(a->thread, NULL);
    close(a->stop[0]);
    close(a->stop[1]);
    close(a->fd);
    a->fd = -1;
}

void wh_acceptor_free(struct wh_acceptor *a)
{
    wh_acceptor_stop(a);
    free(a);
}
