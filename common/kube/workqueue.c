#include "workqueue.h"
#include "clock.h"

#include <errno.h>
#include <json-c/linkhash.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define F_DIRTY 1u       /* needs processing */
#define F_PROCESSING 2u  /* a worker has it */
#define F_WAITING 4u     /* due at item->due_ms */

/* One entry per key that is queued, processing, waiting or has failures. */
struct wq_item {
    char *key;
    unsigned flags;
    unsigned failures;
    unsigned heap_refs;    /* heap entries still pointing here */
    uint64_t due_ms;
    uint64_t queued_ns;    /* when it was queued (metrics); 0 when not */
    uint64_t started_ns;   /* when a worker got it (metrics) */
    struct wq_item *next;  /* FIFO link while queued */
};

struct heap_entry {
    uint64_t due_ms;
    struct wq_item *it;
};

struct workqueue {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct wq_opts opts;
    struct lh_table *items;
    struct wq_item *head, *tail;
    size_t len;
    struct heap_entry *heap;
    size_t heap_n, heap_alloc;
    bool shutdown;
};

static const struct wq_opts DEFAULTS = { .base_delay_ms = 5, .max_delay_ms = 1000u * 1000u };

uint64_t wq_backoff_ms(const struct wq_opts *o, unsigned failures)
{
    if (!o)
        o = &DEFAULTS;
    return gw_backoff_ms(o->base_delay_ms, o->max_delay_ms, failures);
}

void wq_metrics_init(struct wq_metrics *m)
{
    atomic_init(&m->depth, 0);
    atomic_init(&m->adds, 0);
    atomic_init(&m->retries, 0);
    gw_hist_init(&m->queue_duration, GW_BUCKETS_WORKQUEUE, GW_BUCKETS_WORKQUEUE_N);
    gw_hist_init(&m->work_duration, GW_BUCKETS_WORKQUEUE, GW_BUCKETS_WORKQUEUE_N);
}

void wq_metrics_write(const struct wq_metrics *m, const char *name, struct strbuf *out)
{
    mt_family(out, "workqueue_depth", "gauge", "Current depth of workqueue");
    mt_sample(out, "workqueue_depth", (double)atomic_load(&m->depth), "name", name, NULL);
    mt_family(out, "workqueue_adds_total", "counter", "Total number of adds handled by workqueue");
    mt_sample(out, "workqueue_adds_total", (double)atomic_load(&m->adds), "name", name, NULL);
    mt_family(out, "workqueue_retries_total", "counter", "Total number of retries handled by workqueue");
    mt_sample(out, "workqueue_retries_total", (double)atomic_load(&m->retries), "name", name, NULL);
    mt_family(out, "workqueue_queue_duration_seconds", "histogram",
              "How long in seconds an item stays in workqueue before being requested");
    mt_hist(out, "workqueue_queue_duration_seconds", "name", name, &m->queue_duration);
    mt_family(out, "workqueue_work_duration_seconds", "histogram",
              "How long in seconds processing an item from workqueue takes");
    mt_hist(out, "workqueue_work_duration_seconds", "name", name, &m->work_duration);
}

/* ---- lifecycle --------------------------------------------------------------- */

int wq_new(const struct wq_opts *opts, struct workqueue **ret)
{
    struct workqueue *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->opts = opts ? *opts : DEFAULTS;
    if (!q->opts.base_delay_ms)
        q->opts.base_delay_ms = DEFAULTS.base_delay_ms;
    if (!q->opts.max_delay_ms)
        q->opts.max_delay_ms = DEFAULTS.max_delay_ms;
    q->items = lh_kchar_table_new(64, NULL);
    int r = gw_cond_init_mono(&q->cond);
    if (r == 0 && pthread_mutex_init(&q->lock, NULL) != 0) {
        pthread_cond_destroy(&q->cond);
        r = -1;
    }
    if (r != 0 || !q->items) {
        if (q->items)
            lh_table_free(q->items);
        free(q);
        return -ENOMEM;
    }
    *ret = q;
    return 0;
}

void wq_free(struct workqueue *q)
{
    if (!q)
        return;
    struct lh_entry *e, *tmp;
    lh_foreach_safe(q->items, e, tmp)
    {
        struct wq_item *it = (struct wq_item *)lh_entry_v(e);
        free(it->key);
        free(it);
    }
    lh_table_free(q->items);
    free(q->heap);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* ---- items (lock held) ---------------------------------------------------------- */

static struct wq_item *item_find(struct workqueue *q, const char *key)
{
    void *v = NULL;
    return lh_table_lookup_ex(q->items, key, &v) ? v : NULL;
}

static struct wq_item *item_get(struct workqueue *q, const char *key)
{
    struct wq_item *it = item_find(q, key);
    if (it)
        return it;
    it = calloc(1, sizeof(*it));
    if (!it || !(it->key = strdup(key))) {
        free(it);
        return NULL;
    }
    if (lh_table_insert(q->items, it->key, it) != 0) {
        free(it->key);
        free(it);
        return NULL;
    }
    return it;
}

/* Drops the entry once nothing refers to the key any more. */
static void item_release(struct workqueue *q, struct wq_item *it)
{
    if (it->flags || it->failures || it->heap_refs)
        return;
    lh_table_delete(q->items, it->key);
    free(it->key);
    free(it);
}

static void set_depth(struct workqueue *q)
{
    if (q->opts.metrics)
        atomic_store(&q->opts.metrics->depth, (long long)q->len);
}

static void fifo_push(struct workqueue *q, struct wq_item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->len++;
    set_depth(q);
}

static struct wq_item *fifo_pop(struct workqueue *q)
{
    struct wq_item *it = q->head;
    q->head = it->next;
    if (!q->head)
        q->tail = NULL;
    it->next = NULL;
    q->len--;
    set_depth(q);
    return it;
}

static void add_locked(struct workqueue *q, struct wq_item *it)
{
    if (it->flags & F_DIRTY)
        return;
    it->flags |= F_DIRTY;
    if (q->opts.metrics) {
        atomic_fetch_add(&q->opts.metrics->adds, 1);
        if (!it->queued_ns)
            it->queued_ns = gw_mono_ns();
    }
    if (it->flags & F_PROCESSING)
        return;
    fifo_push(q, it);
    pthread_cond_signal(&q->cond);
}

/* ---- the delay heap (lock held) -------------------------------------------------- */

static void heap_swap(struct heap_entry *h, size_t a, size_t b)
{
    struct heap_entry t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static int heap_push(struct workqueue *q, struct wq_item *it, uint64_t due)
{
    if (q->heap_n == q->heap_alloc) {
        size_t n = q->heap_alloc ? q->heap_alloc * 2 : 16;
        struct heap_entry *h = realloc(q->heap, n * sizeof(*h));
        if (!h)
            return -ENOMEM;
        q->heap = h;
        q->heap_alloc = n;
    }
    size_t i = q->heap_n++;
    q->heap[i] = (struct heap_entry){ due, it };
    it->heap_refs++;
    while (i > 0 && q->heap[(i - 1) / 2].due_ms > q->heap[i].due_ms) {
        heap_swap(q->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct heap_entry heap_pop(struct workqueue *q)
{
    struct heap_entry top = q->heap[0];
    q->heap[0] = q->heap[--q->heap_n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->heap_n && q->heap[l].due_ms < q->heap[m].due_ms)
            m = l;
        if (r < q->heap_n && q->heap[r].due_ms < q->heap[m].due_ms)
            m = r;
        if (m == i)
            break;
        heap_swap(q->heap, i, m);
        i = m;
    }
    top.it->heap_refs--;
    return top;
}

/* Moves keys whose time has come into the FIFO. An entry whose due time no
 * longer matches its item was superseded by an earlier one and is dropped. */
static void promote_due(struct workqueue *q, uint64_t now)
{
    while (q->heap_n > 0 && q->heap[0].due_ms <= now) {
        struct heap_entry e = heap_pop(q);
        if ((e.it->flags & F_WAITING) && e.it->due_ms == e.due_ms) {
            e.it->flags &= ~F_WAITING;
            add_locked(q, e.it);
        }
        item_release(q, e.it);
    }
}

static int add_after_locked(struct workqueue *q, struct wq_item *it, uint64_t delay_ms)
{
    if (delay_ms == 0) {
        add_locked(q, it);
        return 0;
    }
    uint64_t due = gw_mono_ms() + delay_ms;
    if ((it->flags & F_WAITING) && it->due_ms <= due)
        return 0;
    int r = heap_push(q, it, due);
    if (r < 0)
        return r;
    it->flags |= F_WAITING;
    it->due_ms = due;
    /* A waiter may be sleeping until a later due time. */
    pthread_cond_broadcast(&q->cond);
    return 0;
}

/* ---- public calls ------------------------------------------------------------------- */

static int with_item(struct workqueue *q, const char *key, bool rate_limited, uint64_t delay_ms)
{
    pthread_mutex_lock(&q->lock);
    int r = -ESHUTDOWN;
    struct wq_item *it = q->shutdown ? NULL : item_get(q, key);
    if (!q->shutdown && !it)
        r = -ENOMEM;
    if (it && rate_limited) {
        delay_ms = wq_backoff_ms(&q->opts, it->failures++);
        if (q->opts.metrics)
            atomic_fetch_add(&q->opts.metrics->retries, 1);
    }
    if (it) {
        r = add_after_locked(q, it, delay_ms);
        item_release(q, it);
    }
    pthread_mutex_unlock(&q->lock);
    return r;
}

int wq_add(struct workqueue *q, const char *key)
{
    return with_item(q, key, false, 0);
}

int wq_add_after(struct workqueue *q, const char *key, uint64_t delay_ms)
{
    return with_item(q, key, false, delay_ms);
}

int wq_add_rate_limited(struct workqueue *q, const char *key)
{
    return with_item(q, key, true, 0);
}

void wq_forget(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    struct wq_item *it = item_find(q, key);
    if (it) {
        it->failures = 0;
        item_release(q, it);
    }
    pthread_mutex_unlock(&q->lock);
}

unsigned wq_num_requeues(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    struct wq_item *it = item_find(q, key);
    unsigned n = it ? it->failures : 0;
    pthread_mutex_unlock(&q->lock);
    return n;
}

static void wait_for_work(struct workqueue *q)
{
    if (q->heap_n == 0) {
        pthread_cond_wait(&q->cond, &q->lock);
        return;
    }
    gw_cond_wait_until(&q->cond, &q->lock, q->heap[0].due_ms);
}

int wq_get(struct workqueue *q, const char **ret_key)
{
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->shutdown) {
            pthread_mutex_unlock(&q->lock);
            return -ESHUTDOWN;
        }
        promote_due(q, gw_mono_ms());
        if (q->head)
            break;
        wait_for_work(q);
    }
    struct wq_item *it = fifo_pop(q);
    it->flags = (it->flags & ~F_DIRTY) | F_PROCESSING;
    if (q->opts.metrics) {
        it->started_ns = gw_mono_ns();
        if (it->queued_ns)
            gw_hist_observe_ns(&q->opts.metrics->queue_duration, it->started_ns - it->queued_ns);
        it->queued_ns = 0;
    }
    *ret_key = it->key;
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void wq_done(struct workqueue *q, const char *key)
{
    pthread_mutex_lock(&q->lock);
    struct wq_item *it = item_find(q, key);
    if (it && (it->flags & F_PROCESSING)) {
        it->flags &= ~F_PROCESSING;
        if (q->opts.metrics)
            gw_hist_observe_ns(&q->opts.metrics->work_duration, gw_mono_ns() - it->started_ns);
        if ((it->flags & F_DIRTY) && !q->shutdown) {
            fifo_push(q, it);
            pthread_cond_signal(&q->cond);
        }
        item_release(q, it);
    }
    pthread_mutex_unlock(&q->lock);
}

void wq_shutdown(struct workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->shutdown = true;
    if (q->opts.metrics)
        atomic_store(&q->opts.metrics->depth, 0); /* queued keys are dropped */
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

size_t wq_len(struct workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->len;
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* ---- workers --------------------------------------------------------------------- */

struct wq_workers {
    struct workqueue *q;
    wq_process_fn fn;
    void *ud;
    pthread_t *threads;
    unsigned n;
};

static void process_one(struct wq_workers *w, const char *key)
{
    int r = w->fn(w->ud, key);
    if (r < 0) {
        wq_add_rate_limited(w->q, key);
    } else {
        wq_forget(w->q, key);
        if (r > 0)
            wq_add_after(w->q, key, (uint64_t)r);
    }
    wq_done(w->q, key);
}

static void *worker_main(void *arg)
{
    struct wq_workers *w = arg;
    const char *key = NULL;
    while (wq_get(w->q, &key) == 0)
        process_one(w, key);
    return NULL;
}

int wq_workers_start(struct workqueue *q, unsigned n, wq_process_fn fn, void *ud,
                     struct wq_workers **ret)
{
    struct wq_workers *w = calloc(1, sizeof(*w));
    if (!w || !(w->threads = calloc(n ? n : 1, sizeof(pthread_t)))) {
        free(w);
        return -ENOMEM;
    }
    *w = (struct wq_workers){ .q = q, .fn = fn, .ud = ud, .threads = w->threads };
    for (; w->n < n; w->n++) {
        int r = pthread_create(&w->threads[w->n], NULL, worker_main, w);
        if (r != 0) {
            wq_workers_stop(w);
            return -r;
        }
    }
    *ret = w;
    return 0;
}

void wq_workers_stop(struct wq_workers *w)
{
    if (!w)
        return;
    wq_shutdown(w->q);
    for (unsigned i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    free(w->threads);
    free(w);
}
