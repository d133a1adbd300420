#include "metrics_text.h"

#include <stdarg.h>
#include <stdio.h>

const double GW_BUCKETS_RECONCILE[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45,
                                        0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0,
                                        4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60 };
const size_t GW_BUCKETS_RECONCILE_N = sizeof(GW_BUCKETS_RECONCILE) / sizeof(GW_BUCKETS_RECONCILE[0]);
const double GW_BUCKETS_WORKQUEUE[] = { 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000 };
const size_t GW_BUCKETS_WORKQUEUE_N = sizeof(GW_BUCKETS_WORKQUEUE) / sizeof(GW_BUCKETS_WORKQUEUE[0]);

void gw_hist_init(struct gw_hist *h, const double *bounds, size_t n)
{
    h->bounds = bounds;
    h->n = n < GW_HIST_MAX_BUCKETS ? n : GW_HIST_MAX_BUCKETS;
    for (size_t i = 0; i <= GW_HIST_MAX_BUCKETS; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_ns, 0);
}

void gw_hist_observe_ns(struct gw_hist *h, uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < h->n && s > h->bounds[i])
        i++;
    atomic_fetch_add(&h->counts[i], 1);
    atomic_fetch_add(&h->sum_ns, ns);
    atomic_fetch_add(&h->count, 1);
}

void mt_escape(struct strbuf *sb, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\')
            sb_adds(sb, "\\\\");
        else if (*v == '"')
            sb_adds(sb, "\\\"");
        else if (*v == '\n')
            sb_adds(sb, "\\n");
        else
            sb_add(sb, v, 1);
    }
}

void mt_family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
    sb_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void number(struct strbuf *sb, double v)
{
    if (v == (double)(long long)v && v < 9e15 && v > -9e15)
        sb_addf(sb, " %lld\n", (long long)v);
    else
        sb_addf(sb, " %.9g\n", v);
}

void mt_sample(struct strbuf *sb, const char *name, double value, ...)
{
    sb_adds(sb, name);
    va_list ap;
    va_start(ap, value);
    int n = 0;
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *), n++) {
        const char *v = va_arg(ap, const char *);
        sb_addf(sb, "%s%s=\"", n ? "," : "{", k);
        mt_escape(sb, v);
        sb_adds(sb, "\"");
    }
    va_end(ap);
    if (n)
        sb_adds(sb, "}");
    number(sb, value);
}

static void label_prefix(struct strbuf *sb, const char *label, const char *value)
{
    if (!label)
        return;
    sb_addf(sb, "%s=\"", label);
    mt_escape(sb, value);
    sb_adds(sb, "\",");
}

void mt_hist(struct strbuf *sb, const char *name, const char *label, const char *value,
             const struct gw_hist *h)
{
    unsigned long long cum = 0;
    for (size_t i = 0; i <= h->n; i++) {
        cum += atomic_load(&h->counts[i]);
        sb_addf(sb, "%s_bucket{", name);
        label_prefix(sb, label, value);
        if (i < h->n)
            sb_addf(sb, "le=\"%g\"} %llu\n", h->bounds[i], cum);
        else
            sb_addf(sb, "le=\"+Inf\"} %llu\n", cum);
    }
    sb_addf(sb, "%s_sum", name);
    if (label) {
        sb_addf(sb, "{%s=\"", label);
        mt_escape(sb, value);
        sb_adds(sb, "\"}");
    }
    sb_addf(sb, " %.9g\n%s_count", (double)atomic_load(&h->sum_ns) / 1e9, name);
    if (label) {
        sb_addf(sb, "{%s=\"", label);
        mt_escape(sb, value);
        sb_adds(sb, "\"}");
    }
    sb_addf(sb, " %llu\n", cum);
}
