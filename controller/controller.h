/* controller: the reconciling half of `serve`. Informers keep caches of
 * every kind we read; while this replica leads, a workqueue feeds worker
 * threads that plan (plan.h) and carry out (reconcile.h) each gateway.
 *
 * Keys in the queue are typed (struct ctl_key, deps.h): an object of any
 * kind we watch, every object of a kind, or the periodic resync. Gateway
 * keys are reconciled; a ToolRoute key is handed to its gateway
 * (or planned alone when it attaches to none); any other kind is turned into
 * the gateway keys it affects (deps.h) against a snapshot of the caches. */
#ifndef CTL_CONTROLLER_H
#define CTL_CONTROLLER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kubeconfig.h"

struct ctl_options {
    struct kube_config *cfg;   /* must outlive the controller */
    unsigned workers;          /* reconcile threads; 0 = 2 */
    const char *image;         /* LiteLLM image; NULL = pinned default */
    const char *otlp_endpoint; /* traces of every gateway go here; NULL: none */
    unsigned resync_secs;      /* periodic full re-check; 0 = 600 */
    bool allow_link_local_upstreams; /* list tools of link-local and cloud
                                      * metadata addresses too */
    unsigned coalesce_ms;      /* a changed gateway waits this long for more
                                * changes before it is reconciled; 0: none */
    /* True whenever this replica must not write (leader_fence); must
     * outlive the controller. NULL: only ctl_set_leading decides. Every
     * worker's client stops on it: no request starts once it is set. */
    const atomic_bool *fence;
    /* With fence: when the leader's term ends (leader_term_end); every
     * worker's client stops then too, by the clock. NULL: none. */
    const _Atomic uint64_t *term_end;
    /* Namespaced mode: watch (and so reconcile) only these namespaces, with
     * one informer per namespace and kind, so that Roles in each suffice
     * (classes stay cluster-wide). n_namespaces 0: the whole cluster. The
     * strings must outlive the controller. */
    const char *const *namespaces;
    size_t n_namespaces;
};

struct ctl_stats {
    unsigned long reconciles;
    unsigned long reconcile_errors;
    unsigned long applies;
    unsigned long status_writes;
};

struct controller;

/* Starts the informers (on every replica, so a new leader starts warm).
 * Reconciling starts with ctl_set_leading(c, true). 0 or a negative errno;
 * *ret_err (caller frees) says what failed. */
int ctl_start(const struct ctl_options *opts, struct controller **ret, char **ret_err);

/* The process's malloc policy for the controller: at most two arenas, and a
 * fixed mmap threshold of 128 KiB (MALLOC_ARENA_MAX and
 * MALLOC_MMAP_THRESHOLD_ in the environment still win). ctl_start applies
 * it; call it earlier when other threads start first. */
void ctl_limit_malloc(void);

/* Leadership changed: true waits for the caches (giving up when the fence
 * is set meanwhile), starts the workers and queues every object; false
 * fences the workers at once (no write starts after it; a request in flight
 * aborts), then joins them. Idempotent. Objects being deleted (with a
 * deletionTimestamp) are never reconciled. */
void ctl_set_leading(struct controller *c, bool leading);

/* Whether every cache holds its first list. */
bool ctl_synced(struct controller *c);

void ctl_get_stats(struct controller *c, struct ctl_stats *ret);

struct strbuf;
/* Appends the controller's metrics in the Prometheus text format:
 * controller_runtime_reconcile_{total,errors_total,time_seconds} and the
 * work queue's workqueue_* families, HELP and TYPE on each. */
void ctl_write_metrics(struct controller *c, struct strbuf *out);

/* Stops workers and informers and frees everything. NULL is fine. */
void ctl_stop(struct controller *c);

#endif
