/* metrics_text: counters, gauges and histograms in the Prometheus text
 * exposition format (0.0.4), for the controller's and the webhook's
 * /metrics. Every family is written with its HELP and TYPE lines first.
 *
 * A gw_hist is updated lock-free from any thread (atomic counters) and read
 * by the writer; a scrape may see a sample half-way (count one ahead of the
 * buckets), which Prometheus tolerates. Label values passed to the writer
 * are escaped here. */
#ifndef GW_METRICS_TEXT_H
#define GW_METRICS_TEXT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define GW_HIST_MAX_BUCKETS 40

struct gw_hist {
    const double *bounds;      /* upper bounds in seconds, ascending; static */
    size_t n;                  /* at most GW_HIST_MAX_BUCKETS */
    atomic_ullong counts[GW_HIST_MAX_BUCKETS + 1];   /* per bucket; last: +Inf */
    atomic_ullong count;
    atomic_ullong sum_ns;
};

/* controller-runtime's reconcile_time_seconds buckets (5 ms .. 60 s). */
extern const double GW_BUCKETS_RECONCILE[];
extern const size_t GW_BUCKETS_RECONCILE_N;
/* client-go's workqueue buckets: 10 ns .. 1000 s, factor 10. */
extern const double GW_BUCKETS_WORKQUEUE[];
extern const size_t GW_BUCKETS_WORKQUEUE_N;

void gw_hist_init(struct gw_hist *h, const double *bounds, size_t n);
void gw_hist_observe_ns(struct gw_hist *h, uint64_t ns);

/* "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). */
void mt_family(struct strbuf *sb, const char *name, const char *type, const char *help);
/* One sample. labels: NULL, or alternating name/value strings ended by NULL
 * ("controller", "aigateway", "result", "success", NULL). */
void mt_sample(struct strbuf *sb, const char *name, double value, ...);
/* A histogram's _bucket (cumulative, with le), _sum and _count lines for
 * one label set, given as a name/value pair or NULL. */
void mt_hist(struct strbuf *sb, const char *name, const char *label, const char *value,
             const struct gw_hist *h);
/* Appends v escaped as a label value (backslash, quote, newline). */
void mt_escape(struct strbuf *sb, const char *v);

#endif
