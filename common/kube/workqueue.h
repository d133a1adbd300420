/* workqueue: the keys ("namespace/name") that need reconciling, and the
 * worker threads that reconcile them.
 *
 * The semantics are client-go's:
 * - a key is queued at most once however often it is added (de-duplication);
 * - a key is never handed to two workers at once: added while it is being
 *   processed, it is queued again when wq_done is called for it;
 * - wq_add_after queues a key once a delay has passed (an earlier due time
 *   wins over a later one);
 * - wq_add_rate_limited delays a key by base * 2^failures, capped (5 ms
 *   doubling to 1000 s by default) until wq_forget resets its count;
 * - wq_shutdown wakes every blocked wq_get, which then returns -ESHUTDOWN.
 *   Keys still queued are dropped: after a shutdown (SIGTERM, or leadership
 *   lost) nothing more must be reconciled. A key being processed finishes.
 *
 * All functions are thread-safe. Keys are copied on add. */
#ifndef GW_WORKQUEUE_H
#define GW_WORKQUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_text.h"

/* client-go's workqueue metrics. May outlive (and be shared by) several
 * queues, one after the other: the controller makes a queue per term of
 * leadership. Initialize with wq_metrics_init. */
struct wq_metrics {
    atomic_llong depth;             /* keys ready to be processed */
    atomic_ullong adds;             /* keys newly queued */
    atomic_ullong retries;          /* rate-limited re-adds */
    struct gw_hist queue_duration;  /* queued -> handed to a worker */
    struct gw_hist work_duration;   /* handed to a worker -> done */
};

void wq_metrics_init(struct wq_metrics *m);
/* The five families, HELP and TYPE included, for queue `name`. */
void wq_metrics_write(const struct wq_metrics *m, const char *name, struct strbuf *out);

struct wq_opts {
    uint64_t base_delay_ms;   /* first rate-limited delay; 0 = 5 */
    uint64_t max_delay_ms;    /* cap; 0 = 1000 s */
    struct wq_metrics *metrics;   /* NULL: none; must outlive the queue */
};

struct workqueue;

/* opts NULL = defaults. Returns 0 or -ENOMEM. */
int wq_new(const struct wq_opts *opts, struct workqueue **ret);
/* Frees the queue; no thread may use it any more (join workers first). */
void wq_free(struct workqueue *q);

/* 0, -ESHUTDOWN after wq_shutdown, or -ENOMEM. */
int wq_add(struct workqueue *q, const char *key);
int wq_add_after(struct workqueue *q, const char *key, uint64_t delay_ms);
int wq_add_rate_limited(struct workqueue *q, const char *key);
/* Resets the key's failure count (after a successful reconcile). */
void wq_forget(struct workqueue *q, const char *key);
unsigned wq_num_requeues(struct workqueue *q, const char *key);

/* Blocks until a key is due and returns it in *ret_key, borrowed: it stays
 * valid until wq_done for that key. Returns -ESHUTDOWN once shut down. */
int wq_get(struct workqueue *q, const char **ret_key);
/* Marks the key processed; re-queues it if it was added meanwhile. */
void wq_done(struct workqueue *q, const char *key);

void wq_shutdown(struct workqueue *q);
/* Keys ready now (not counting delayed or in-process ones). */
size_t wq_len(struct workqueue *q);

/* The delay for a key that has failed `failures` times: base * 2^failures,
 * at most max. Pure. */
uint64_t wq_backoff_ms(const struct wq_opts *opts, unsigned failures);

/* ---- workers ------------------------------------------------------------- */

/* Reconciles one key. Return 0 when done (the failure count is forgotten),
 * a negative errno to retry with rate-limited backoff, or a positive number
 * of milliseconds to look again after that long (e.g. while a Deployment
 * rolls out). */
typedef int (*wq_process_fn)(void *ud, const char *key);

struct wq_workers;

/* Starts n threads that take keys from q and call fn(ud, key). Returns 0 or
 * a negative errno (no thread left running then). */
int wq_workers_start(struct workqueue *q, unsigned n, wq_process_fn fn, void *ud,
                     struct wq_workers **ret);
/* Shuts the queue down, waits for the workers to finish their current key
 * and frees them (not the queue). NULL is fine. */
void wq_workers_stop(struct wq_workers *w);

#endif
