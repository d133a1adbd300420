/* Workqueue: de-duplication, never two workers on one key, delayed adds,
 * rate-limited backoff, shutdown, and the worker pool under contention. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "strbuf.h"
#include "workqueue.h"

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static struct workqueue *new_queue(uint64_t base, uint64_t max)
{
    struct wq_opts o = { .base_delay_ms = base, .max_delay_ms = max };
    struct workqueue *q = NULL;
    assert_int_equal(wq_new(&o, &q), 0);
    return q;
}

static void test_backoff_doubles_to_cap(void **state)
{
    (void)state;
    assert_int_equal(wq_backoff_ms(NULL, 0), 5);
    assert_int_equal(wq_backoff_ms(NULL, 1), 10);
    assert_int_equal(wq_backoff_ms(NULL, 2), 20);
    assert_int_equal(wq_backoff_ms(NULL, 10), 5120);
    assert_int_equal(wq_backoff_ms(NULL, 30), 1000u * 1000u);
    assert_int_equal(wq_backoff_ms(NULL, 4000000000u), 1000u * 1000u);
    uint64_t prev = 0;
    for (unsigned i = 0; i < 40; i++) {
        uint64_t d = wq_backoff_ms(NULL, i);
        assert_true(d >= prev);
        prev = d;
    }
}

static void test_rate_limited_counts_and_forget(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(1, 4);
    for (int i = 0; i < 3; i++)
        assert_int_equal(wq_add_rate_limited(q, "ns/a"), 0);
    assert_int_equal(wq_num_requeues(q, "ns/a"), 3);
    assert_int_equal(wq_num_requeues(q, "ns/other"), 0);
    const char *key = NULL;
    assert_int_equal(wq_get(q, &key), 0);
    assert_string_equal(key, "ns/a");
    wq_forget(q, key);
    wq_done(q, key);
    assert_int_equal(wq_num_requeues(q, "ns/a"), 0);
    wq_free(q);
}

static void test_duplicates_are_queued_once(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(5, 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(wq_add(q, "ns/a"), 0);
    assert_int_equal(wq_add(q, "ns/b"), 0);
    assert_int_equal(wq_add(q, "ns/a"), 0);
    assert_int_equal(wq_len(q), 2);
    const char *k1 = NULL, *k2 = NULL;
    assert_int_equal(wq_get(q, &k1), 0);
    assert_int_equal(wq_get(q, &k2), 0);
    assert_string_equal(k1, "ns/a");
    assert_string_equal(k2, "ns/b");
    assert_int_equal(wq_len(q), 0);
    wq_done(q, k1);
    wq_done(q, k2);
    assert_int_equal(wq_len(q), 0);
    wq_free(q);
}

static void test_added_while_processing_waits_for_done(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(5, 1000);
    const char *key = NULL;
    assert_int_equal(wq_add(q, "ns/a"), 0);
    assert_int_equal(wq_get(q, &key), 0);
    assert_int_equal(wq_add(q, "ns/a"), 0);
    assert_int_equal(wq_add(q, "ns/a"), 0);
    /* Not handed out again while a worker has it. */
    assert_int_equal(wq_len(q), 0);
    wq_done(q, key);
    assert_int_equal(wq_len(q), 1);
    assert_int_equal(wq_get(q, &key), 0);
    assert_string_equal(key, "ns/a");
    wq_done(q, key);
    assert_int_equal(wq_len(q), 0);
    wq_free(q);
}

static void test_delayed_key_comes_after_immediate(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(5, 1000);
    const char *key = NULL;
    assert_int_equal(wq_add_after(q, "ns/late", 150), 0);
    assert_int_equal(wq_add(q, "ns/now"), 0);
    assert_int_equal(wq_len(q), 1);
    assert_int_equal(wq_get(q, &key), 0);
    assert_string_equal(key, "ns/now");
    wq_done(q, key);
    assert_int_equal(wq_get(q, &key), 0);
    assert_string_equal(key, "ns/late");
    wq_done(q, key);
    wq_free(q);
}

static void test_earlier_due_time_wins(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(5, 1000);
    const char *key = NULL;
    /* An hour away, then soon: the soon one must be what counts, and the key
     * comes out once. */
    assert_int_equal(wq_add_after(q, "ns/x", 3600u * 1000u), 0);
    assert_int_equal(wq_add_after(q, "ns/x", 10), 0);
    assert_int_equal(wq_add_after(q, "ns/x", 3600u * 1000u), 0);
    assert_int_equal(wq_get(q, &key), 0);
    assert_string_equal(key, "ns/x");
    wq_done(q, key);
    assert_int_equal(wq_len(q), 0);
    wq_free(q);
}

struct getter {
    struct workqueue *q;
    int rc;
};

static void *getter_main(void *arg)
{
    struct getter *g = arg;
    const char *key = NULL;
    g->rc = wq_get(g->q, &key);
    return NULL;
}

static void test_shutdown_wakes_every_worker(void **state)
{
    (void)state;
    struct workqueue *q = new_queue(5, 1000);
    assert_int_equal(wq_add_after(q, "ns/later", 3600u * 1000u), 0);
    struct getter g[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        g[i] = (struct getter){ q, 1 };
        assert_int_equal(pthread_create(&t[i], NULL, getter_main, &g[i]), 0);
    }
    sleep_ms(50);
    wq_shutdown(q);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(g[i].rc, -ESHUTDOWN);
    }
    assert_int_equal(wq_add(q, "ns/a"), -ESHUTDOWN);
    const char *key = NULL;
    assert_int_equal(wq_get(q, &key), -ESHUTDOWN);
    wq_free(q);
}

/* ---- the worker pool under contention ----------------------------------------- */

#define NKEYS 16
#define NADDS 20000

struct stress {
    atomic_int in_flight[NKEYS];
    atomic_int overlaps;
    atomic_ulong seq;                /* bumped on every add */
    atomic_ulong last_add[NKEYS];    /* seq at the key's last add */
    atomic_ulong last_start[NKEYS];  /* seq when its last processing began */
    atomic_ulong processed;
    atomic_int bad;                  /* failures seen off the main thread */
    struct workqueue *q;
};

/* "ns/k<i>" -> i, or -1. */
static int key_index(const char *key)
{
    if (strncmp(key, "ns/k", 4) != 0)
        return -1;
    char *end = NULL;
    long i = strtol(key + 4, &end, 10);
    return *end == '\0' && i >= 0 && i < NKEYS ? (int)i : -1;
}

static int stress_process(void *ud, const char *key)
{
    struct stress *s = ud;
    int i = key_index(key);
    if (i < 0) {
        atomic_fetch_add(&s->bad, 1);
        return 0;
    }
    atomic_store(&s->last_start[i], atomic_load(&s->seq));
    if (atomic_fetch_add(&s->in_flight[i], 1) != 0)
        atomic_fetch_add(&s->overlaps, 1);
    sched_yield();
    atomic_fetch_sub(&s->in_flight[i], 1);
    atomic_fetch_add(&s->processed, 1);
    return 0;
}

static void *stress_producer(void *arg)
{
    struct stress *s = arg;
    unsigned r = 12345;
    for (int n = 0; n < NADDS; n++) {
        r = r * 1103515245u + 12345u;
        int i = (int)((r >> 8) % NKEYS);
        char key[16];
        snprintf(key, sizeof(key), "ns/k%d", i);
        unsigned long seq = atomic_fetch_add(&s->seq, 1) + 1;
        atomic_store(&s->last_add[i], seq);
        if (wq_add(s->q, key) != 0)
            atomic_fetch_add(&s->bad, 1);
    }
    return NULL;
}

static bool all_caught_up(struct stress *s)
{
    for (int i = 0; i < NKEYS; i++)
        if (atomic_load(&s->last_add[i]) && atomic_load(&s->last_start[i]) < atomic_load(&s->last_add[i]))
            return false;
    return true;
}

static void test_workers_never_share_a_key_and_miss_nothing(void **state)
{
    (void)state;
    static struct stress s;
    memset(&s, 0, sizeof(s));
    s.q = new_queue(1, 10);
    struct wq_workers *w = NULL;
    assert_int_equal(wq_workers_start(s.q, 8, stress_process, &s, &w), 0);
    pthread_t p[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&p[i], NULL, stress_producer, &s), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    /* Every key's last add must be followed by a processing that started
     * after it. */
    for (int waited = 0; !all_caught_up(&s) && waited < 20000; waited += 5)
        sleep_ms(5);
    assert_true(all_caught_up(&s));
    wq_workers_stop(w);
    assert_int_equal(atomic_load(&s.overlaps), 0);
    assert_int_equal(atomic_load(&s.bad), 0);
    /* De-duplication: far fewer runs than adds. */
    assert_true(atomic_load(&s.processed) < 2 * NADDS);
    print_message("  %d adds, %lu reconciles\n", 2 * NADDS, atomic_load(&s.processed));
    wq_free(s.q);
}

/* ---- what the reconcile function returns ---------------------------------------- */

struct flaky {
    atomic_int calls;
    atomic_int max_requeues;
    atomic_int done;
    struct workqueue *q;
};

static int flaky_process(void *ud, const char *key)
{
    struct flaky *f = ud;
    int n = atomic_fetch_add(&f->calls, 1) + 1;
    int rq = (int)wq_num_requeues(f->q, key);
    if (rq > atomic_load(&f->max_requeues))
        atomic_store(&f->max_requeues, rq);
    if (n <= 3)
        return -EIO;
    if (n == 4)
        return 20;   /* look again in 20 ms */
    atomic_store(&f->done, 1);
    return 0;
}

static void test_errors_back_off_then_forget(void **state)
{
    (void)state;
    struct flaky f = { .calls = 0 };
    f.q = new_queue(1, 50);
    struct wq_workers *w = NULL;
    assert_int_equal(wq_workers_start(f.q, 2, flaky_process, &f, &w), 0);
    assert_int_equal(wq_add(f.q, "ns/flaky"), 0);
    for (int waited = 0; !atomic_load(&f.done) && waited < 10000; waited += 5)
        sleep_ms(5);
    wq_workers_stop(w);
    assert_int_equal(atomic_load(&f.done), 1);
    assert_int_equal(atomic_load(&f.calls), 5);
    /* Three failures were counted before the success forgot them. */
    assert_int_equal(atomic_load(&f.max_requeues), 3);
    assert_int_equal(wq_num_requeues(f.q, "ns/flaky"), 0);
    wq_free(f.q);
}

/* client-go's metrics: adds count keys newly queued (not duplicates),
 * retries count rate-limited re-adds, depth is what waits, and each key
 * handed out and done is timed once in each histogram. */
static void test_metrics_follow_client_go(void **state)
{
    (void)state;
    static struct wq_metrics m;
    wq_metrics_init(&m);
    struct wq_opts o = { .base_delay_ms = 1, .max_delay_ms = 1, .metrics = &m };
    struct workqueue *q = NULL;
    assert_int_equal(wq_new(&o, &q), 0);
    wq_add(q, "a");
    wq_add(q, "a");
    wq_add(q, "b");
    assert_int_equal(atomic_load(&m.adds), 2);
    assert_int_equal(atomic_load(&m.depth), 2);
    const char *k = NULL;
    assert_int_equal(wq_get(q, &k), 0);
    assert_int_equal(atomic_load(&m.depth), 1);
    sleep_ms(5);
    wq_add_rate_limited(q, k);
    assert_int_equal(atomic_load(&m.retries), 1);
    wq_done(q, k);
    assert_int_equal(atomic_load(&m.queue_duration.count), 1);
    assert_int_equal(atomic_load(&m.work_duration.count), 1);
    assert_true(atomic_load(&m.work_duration.sum_ns) >= 5000000u);
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    wq_metrics_write(&m, "q\"1", &sb);
    const char *t = sb_str(&sb);
    assert_non_null(strstr(t, "# HELP workqueue_depth Current depth of workqueue\n# TYPE workqueue_depth gauge\n"
                              "workqueue_depth{name=\"q\\\"1\"} 1\n"));
    assert_non_null(strstr(t, "workqueue_adds_total{name=\"q\\\"1\"} 2\n"));
    assert_non_null(strstr(t, "workqueue_retries_total{name=\"q\\\"1\"} 1\n"));
    assert_non_null(strstr(t, "# TYPE workqueue_work_duration_seconds histogram\n"));
    assert_non_null(strstr(t, "workqueue_work_duration_seconds_bucket{name=\"q\\\"1\",le=\"0.001\"} 0\n"));
    assert_non_null(strstr(t, "workqueue_work_duration_seconds_bucket{name=\"q\\\"1\",le=\"+Inf\"} 1\n"));
    assert_non_null(strstr(t, "workqueue_work_duration_seconds_count{name=\"q\\\"1\"} 1\n"));
    sb_release(&sb);
    wq_shutdown(q);
    assert_int_equal(atomic_load(&m.depth), 0);
    wq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_to_cap),
        cmocka_unit_test(test_rate_limited_counts_and_forget),
        cmocka_unit_test(test_duplicates_are_queued_once),
        cmocka_unit_test(test_added_while_processing_waits_for_done),
        cmocka_unit_test(test_delayed_key_comes_after_immediate),
        cmocka_unit_test(test_earlier_due_time_wins),
        cmocka_unit_test(test_shutdown_wakes_every_worker),
        cmocka_unit_test(test_workers_never_share_a_key_and_miss_nothing),
        cmocka_unit_test(test_errors_back_off_then_forget),
        cmocka_unit_test(test_metrics_follow_client_go),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
