/* metrics: the webhook's Prometheus counters. Updates are lock-free
 * (relaxed atomics: a scrape may see one request's counters half updated,
 * which Prometheus tolerates); rendering reads a consistent enough view
 * into text exposition format 0.0.4. */
#ifndef WH_METRICS_H
#define WH_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "admission.h"
#include "strbuf.h"

#define WH_METRICS_PREFIX "litellm_gateway_operator_webhook_"
/* controller-runtime's names, so the ecosystem's dashboards work. */
#define WH_CR_PREFIX "controller_runtime_webhook_"
#define WH_STATUS_MAX 600
#define WH_LATENCY_BUCKETS 14

/* Upper bounds of the latency buckets, in seconds (+Inf is implied). */
extern const double wh_latency_bounds[WH_LATENCY_BUCKETS];

struct wh_metrics {
    atomic_ullong requests[WH_EP__MAX][WH_K__MAX][WH_OP__MAX][WH_V__MAX];
    atomic_ullong latency_bucket[WH_EP__MAX][WH_LATENCY_BUCKETS + 1]; /* not cumulative; last is +Inf */
    atomic_ullong latency_count[WH_EP__MAX];
    atomic_ullong latency_sum_ns[WH_EP__MAX];
    atomic_ullong by_code[WH_EP__MAX][WH_STATUS_MAX]; /* HTTP status answered */
    atomic_llong in_flight;
    atomic_ullong connections_shed; /* closed by the connection keeper */
    atomic_llong connections;
    atomic_llong cert_not_after;     /* unix seconds; 0 before the first load */
    atomic_ullong cert_reloads;
    atomic_ullong cert_reload_errors;
};

void wh_metrics_init(struct wh_metrics *m);

/* Counts one finished request, its HTTP status (0: the answer was not
 * delivered) and its latency. */
void wh_metrics_observe(struct wh_metrics *m, enum wh_endpoint ep, enum wh_kind kind, enum wh_op op,
                        enum wh_verdict verdict, unsigned status, uint64_t elapsed_ns);

/* Appends the exposition text. Returns 0 or the strbuf's error. */
int wh_metrics_render(struct wh_metrics *m, struct strbuf *out);

/* Appends the process_* metrics (CPU, memory, descriptors, start time) read
 * from /proc/self. Returns 0 or the strbuf's error. */
int wh_metrics_render_process(struct strbuf *out);

#endif
