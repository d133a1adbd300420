/* A fake API server that serves one coordination.k8s.io/v1 Lease, for unit
 * tests of leader election: GET, POST (create) and PUT (update with
 * optimistic concurrency on metadata.resourceVersion), one connection at a
 * time, "Connection: close". It records every successful write and when it
 * happened, can be told to fail or stall every request, and lets the test
 * play another replica that holds and renews the Lease. Header-only; include
 * after cmocka.h. */
#ifndef GW_TEST_FAKELEASE_H
#define GW_TEST_FAKELEASE_H

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "strbuf.h"

#include "fakehttp.h"

enum fl_mode { FL_OK, FL_FAIL, FL_STALL };

#define FL_MAX_WRITES 4096

struct fl_write {
    uint64_t at_ms;        /* gw_mono_ms when the server accepted it */
    char holder[128];
};

struct fakelease {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool quit;
    pthread_mutex_t lock;
    atomic_int mode;
    bool exists;
    char holder[128];
    char renew[40];
    long duration_s;
    long transitions;
    long rv;
    struct fl_write writes[FL_MAX_WRITES];
    size_t n_writes;
    unsigned long requests;
};

static void fl_send(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* The Lease as JSON (lock held). */
static char *fl_lease_json(struct fakelease *f)
{
    struct strbuf sb;
    sb_init(&sb, 4096);
    sb_addf(&sb,
            "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"l\","
            "\"namespace\":\"ns\",\"resourceVersion\":\"%ld\"},\"spec\":{\"holderIdentity\":\"%s\","
            "\"leaseDurationSeconds\":%ld,\"renewTime\":\"%s\",\"leaseTransitions\":%ld}}",
            f->rv, f->holder, f->duration_s, f->renew, f->transitions);
    return sb_detach(&sb, NULL);
}

static void fl_record(struct fakelease *f, const char *holder)
{
    if (f->n_writes < FL_MAX_WRITES) {
        struct fl_write *w = &f->writes[f->n_writes++];
        w->at_ms = gw_mono_ms();
        snprintf(w->holder, sizeof(w->holder), "%s", holder);
    }
}

/* Takes spec and resourceVersion from a written body (lock held). */
static int fl_take(struct fakelease *f, const char *body, bool create)
{
    json_object *o = json_tokener_parse(body);
    json_object *spec = NULL, *meta = NULL, *v = NULL;
    if (!o || !json_object_object_get_ex(o, "spec", &spec)) {
        json_object_put(o);
        return 400;
    }
    if (!create) {
        json_object_object_get_ex(o, "metadata", &meta);
        const char *rv = json_object_object_get_ex(meta, "resourceVersion", &v) ? json_object_get_string(v) : "";
        char *end = NULL;
        errno = 0;
        long got = strtol(rv, &end, 10);
        if (errno || end == rv || *end || got != f->rv) {
            json_object_put(o);
            return 409;
        }
    }
    const char *holder = json_object_object_get_ex(spec, "holderIdentity", &v) ? json_object_get_string(v) : "";
    snprintf(f->holder, sizeof(f->holder), "%s", holder);
    const char *renew = json_object_object_get_ex(spec, "renewTime", &v) ? json_object_get_string(v) : "";
    snprintf(f->renew, sizeof(f->renew), "%s", renew);
    f->duration_s = json_object_object_get_ex(spec, "leaseDurationSeconds", &v) ? json_object_get_int64(v) : 0;
    f->transitions = json_object_object_get_ex(spec, "leaseTransitions", &v) ? json_object_get_int64(v) : 0;
    f->rv++;
    f->exists = true;
    fl_record(f, holder);
    json_object_put(o);
    return create ? 201 : 200;
}

static void fl_serve(struct fakelease *f, int c)
{
    char *req = read_request(c);
    int mode = atomic_load(&f->mode);
    pthread_mutex_lock(&f->lock);
    f->requests++;
    pthread_mutex_unlock(&f->lock);
    if (mode == FL_FAIL) {
        fl_send(c, 500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"down\"}");
    } else if (mode == FL_STALL) {
        while (!atomic_load(&f->quit) && atomic_load(&f->mode) == FL_STALL) {
            struct pollfd p = { .fd = c, .events = POLLIN };
            char b[64];
            if (poll(&p, 1, 20) > 0 && recv(c, b, sizeof(b), 0) <= 0)
                break; /* the client gave up */
        }
    } else {
        const char *body = strstr(req, "\r\n\r\n");
        body = body ? body + 4 : "";
        pthread_mutex_lock(&f->lock);
        char *answer = NULL;
        int status = 200;
        if (strncmp(req, "GET ", 4) == 0) {
            status = f->exists ? 200 : 404;
        } else if (strncmp(req, "POST ", 5) == 0) {
            status = f->exists ? 409 : fl_take(f, body, true);
        } else if (strncmp(req, "PUT ", 4) == 0) {
            status = f->exists ? fl_take(f, body, false) : 404;
        } else {
            status = 405;
        }
        if (status < 300)
            answer = fl_lease_json(f);
        pthread_mutex_unlock(&f->lock);
        if (answer)
            fl_send(c, status, answer);
        else if (status == 409)
            fl_send(c, 409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\",\"message\":\"conflict\"}");
        else
            fl_send(c, status, "{\"kind\":\"Status\",\"message\":\"no\"}");
        free(answer);
    }
    free(req);
}

static void *fl_main(void *arg)
{
    struct fakelease *f = arg;
    while (!atomic_load(&f->quit)) {
        struct pollfd p = { .fd = f->fd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        fl_serve(f, c);
        close(c);
    }
    return NULL;
}

static void fl_start(struct fakelease *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->fd, 16), 0);
    socklen_t len = sizeof(a);
    getsockname(f->fd, (struct sockaddr *)&a, &len);
    f->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, fl_main, f), 0);
}

static void fl_stop(struct fakelease *f)
{
    atomic_store(&f->quit, true);
    pthread_join(f->thread, NULL);
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
}

/* Another replica holds (or renews) the Lease, as its own elector would. */
static void fl_other_renews(struct fakelease *f, const char *holder, long duration_s)
{
    pthread_mutex_lock(&f->lock);
    char now[32];
    snprintf(now, sizeof(now), "t%llu", (unsigned long long)gw_mono_ms());
    if (strcmp(f->holder, holder) != 0)
        f->transitions++;
    snprintf(f->holder, sizeof(f->holder), "%s", holder);
    snprintf(f->renew, sizeof(f->renew), "%s", now);
    f->duration_s = duration_s;
    f->exists = true;
    f->rv++;
    fl_record(f, holder);
    pthread_mutex_unlock(&f->lock);
}

/* Number of writes by holder, and the time of the last one (0 if none). */
static size_t fl_writes_by(struct fakelease *f, const char *holder, uint64_t *ret_last_ms)
{
    size_t n = 0;
    uint64_t last = 0;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n_writes; i++)
        if (strcmp(f->writes[i].holder, holder) == 0) {
            n++;
            last = f->writes[i].at_ms;
        }
    pthread_mutex_unlock(&f->lock);
    if (ret_last_ms)
        *ret_last_ms = last;
    return n;
}

#endif
