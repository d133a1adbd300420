/* A scripted HTTP/1.1 server for unit tests of our HTTP clients: it accepts
 * one connection per script entry, records each request and answers as
 * scripted. Header-only; include after cmocka.h. */
#ifndef GW_TEST_FAKEHTTP_H
#define GW_TEST_FAKEHTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

struct reply {
    int status;                 /* 0 = close the connection without answering */
    const char *headers;        /* extra header lines, each ending in \r\n */
    const char *body;
    const char *const *chunks;  /* streamed one by one instead of body */
    bool hang;                  /* after the headers, send nothing until the client leaves */
};

#define MAX_SEEN 16

struct fake {
    int fd;
    int port;
    const struct reply *script;
    size_t n;
    pthread_t thread;
    char *seen[MAX_SEEN];       /* request head + body, as received */
    size_t n_seen;
};

static inline void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static inline void send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        len -= (size_t)w;
    }
}

/* Reads one request (head and Content-Length body); gives up after 5 s of
 * silence. */
static inline char *read_request(int fd)
{
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    char buf[4096];
    size_t want = 0;
    for (;;) {
        const char *end = strstr(sb_str(&sb), "\r\n\r\n");
        if (end && !want) {
            const char *cl = strstr(sb_str(&sb), "Content-Length:");
            want = (size_t)(end - sb_str(&sb)) + 4 + (cl ? strtoul(cl + 15, NULL, 10) : 0);
        }
        if (want && sb.len >= want)
            break;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0)
            break;
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r <= 0)
            break;
        sb_add(&sb, buf, (size_t)r);
    }
    return sb_detach(&sb, NULL);
}

static inline void wait_client_gone(int fd)
{
    char buf[256];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (poll(&p, 1, 10000) > 0 && recv(fd, buf, sizeof(buf), 0) > 0)
        ;
}

static inline void answer(int fd, const struct reply *r)
{
    if (r->status == 0)
        return;
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: close\r\n%s%s\r\n",
                     r->status, r->headers ? r->headers : "", "");
    send_all(fd, head, (size_t)n);
    if (r->body)
        send_all(fd, r->body, strlen(r->body));
    for (size_t i = 0; r->chunks && r->chunks[i]; i++) {
        send_all(fd, r->chunks[i], strlen(r->chunks[i]));
        sleep_ms(20);
    }
    if (r->hang)
        wait_client_gone(fd);
}

static inline void *fake_main(void *arg)
{
    struct fake *f = arg;
    for (size_t i = 0; i < f->n; i++) {
        struct pollfd p = { .fd = f->fd, .events = POLLIN };
        if (poll(&p, 1, 10000) <= 0)
            break;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            break;
        char *req = read_request(c);
        if (f->n_seen < MAX_SEEN)
            f->seen[f->n_seen++] = req;
        else
            free(req);
        answer(c, &f->script[i]);
        close(c);
    }
    return NULL;
}

static inline void fake_start(struct fake *f, const struct reply *script, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->script = script;
    f->n = n;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->fd, 8), 0);
    socklen_t len = sizeof(a);
    getsockname(f->fd, (struct sockaddr *)&a, &len);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Waits for the script to finish; the requests stay readable. */
static inline void fake_stop(struct fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->fd);
}

static inline void fake_free(struct fake *f)
{
    for (size_t i = 0; i < f->n_seen; i++)
        free(f->seen[i]);
    f->n_seen = 0;
}

#endif
