/* Shared by the C integration programs. They run against a real API server:
 * test_kube_client.py starts them with KUBECONFIG and GW_TEST_NS (a fresh
 * namespace) set, and may pick tests with GW_TEST_FILTER (comma-separated
 * names). Interactive tests talk to the Python side over stdin/stdout, one
 * line per message, and run only when GW_TEST_INTERACTIVE is set. */
#ifndef GW_ITEST_H
#define GW_ITEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kube_client.h"
#include "kubeconfig.h"

#define assert_ok(expr, client)                                                     \
    do {                                                                            \
        int r_ = (expr);                                                            \
        if (r_ != 0)                                                                \
            fail_msg("%s = %d: %s", #expr, r_, kube_client_error(client));          \
    } while (0)

static inline const char *it_ns(void)
{
    const char *ns = getenv("GW_TEST_NS");
    if (!ns || !*ns)
        fail_msg("GW_TEST_NS is not set");
    return ns;
}

static inline struct kube_config *it_config(void)
{
    struct kube_config *cfg = NULL;
    char *err = NULL;
    if (kube_config_auto(NULL, NULL, &cfg, &err) != 0)
        fail_msg("kubeconfig: %s", err ? err : "?");
    return cfg;
}

static inline struct kube_client *it_client(struct kube_config *cfg)
{
    struct kube_client *c = NULL;
    assert_int_equal(kube_client_new(cfg, NULL, &c), 0);
    return c;
}

/* Parses JSON built with printf formatting. */
static inline json_object *it_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline json_object *it_json(const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_object *o = json_tokener_parse(buf);
    if (!o)
        fail_msg("bad test JSON: %s", buf);
    return o;
}

static inline const char *it_path_str(json_object *o, const char *a, const char *b)
{
    json_object *v = json_object_object_get(json_object_object_get(o, a), b);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static inline void it_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static inline uint64_t it_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls cond until true or timeout; returns the last result. */
static inline bool it_wait(bool (*cond)(void *), void *ud, unsigned timeout_ms)
{
    uint64_t end = it_now_ms() + timeout_ms;
    while (!cond(ud)) {
        if (it_now_ms() > end)
            return cond(ud);
        it_sleep_ms(50);
    }
    return true;
}

/* ---- the line protocol ------------------------------------------------------- */

static inline void it_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void it_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* Reads one line without its newline; false at end of input. */
static inline bool it_read_line(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return false;
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

static inline void it_skip_unless_interactive(void)
{
    if (!getenv("GW_TEST_INTERACTIVE"))
        skip();
}

/* ---- running ------------------------------------------------------------------ */

static inline bool it_selected(const char *name)
{
    const char *f = getenv("GW_TEST_FILTER");
    if (!f || !*f)
        return true;
    size_t n = strlen(name);
    for (const char *p = f; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static inline int it_run(const char *group, const struct CMUnitTest *tests, size_t n)
{
    struct CMUnitTest *picked = calloc(n ? n : 1, sizeof(*picked));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (it_selected(tests[i].name))
            picked[k++] = tests[i];
    if (k == 0) {
        fprintf(stderr, "%s: GW_TEST_FILTER selects no test\n", group);
        free(picked);
        return 2;
    }
    int rc = _cmocka_run_group_tests(group, picked, k, NULL, NULL);
    free(picked);
    kube_global_cleanup();
    return rc;
}

#define IT_RUN(tests) it_run(__FILE__, (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
