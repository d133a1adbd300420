#include "metrics.h"

#include <string.h>

const double wh_latency_bounds[WH_LATENCY_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5 };

void wh_metrics_init(struct wh_metrics *m)
{
    /* All-zero bits are a valid initial state for lock-free atomics. */
    memset(m, 0, sizeof(*m));
}

void wh_metrics_observe(struct wh_metrics *m, enum wh_endpoint ep, enum wh_kind kind, enum wh_op op,
                        enum wh_verdict verdict, uint64_t elapsed_ns)
{
    if (ep >= WH_EP__MAX || kind >= WH_K__MAX || op >= WH_OP__MAX || verdict >= WH_V__MAX)
        return;
    atomic_fetch_add_explicit(&m->requests[ep][kind][op][verdict], 1, memory_order_relaxed);
    double s = (double)elapsed_ns / 1e9;
    size_t b = 0;
    while (b < WH_LATENCY_BUCKETS && s > wh_latency_bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->latency_bucket[ep][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_count[ep], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->latency_sum_ns[ep], elapsed_ns, memory_order_relaxed);
}

static unsigned long long load(atomic_ullong *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_requests(struct wh_metrics *m, struct strbuf *out)
{
    sb_adds(out, "# HELP " WH_METRICS_PREFIX "requests_total Admission requests by endpoint, kind, operation and "
                 "verdict.\n# TYPE " WH_METRICS_PREFIX "requests_total counter\n");
    for (int e = 0; e < WH_EP__MAX; e++)
        for (int k = 0; k < WH_K__MAX; k++)
            for (int o = 0; o < WH_OP__MAX; o++)
                for (int v = 0; v < WH_V__MAX; v++) {
                    unsigned long long n = load(&m->requests[e][k][o][v]);
                    if (n == 0)
                        continue;
                    sb_addf(out,
                            WH_METRICS_PREFIX "requests_total{endpoint=\"%s\",kind=\"%s\",operation=\"%s\","
                                              "verdict=\"%s\"} %llu\n",
                            wh_endpoint_name(e), wh_kind_label(k), o == WH_OP_NONE ? "none" : wh_op_name(o),
                            wh_verdict_name(v), n);
                }
}

static void render_latency(struct wh_metrics *m, struct strbuf *out)
{
    sb_adds(out, "# HELP " WH_METRICS_PREFIX "request_duration_seconds Time from the request's headers to the "
                 "last byte of the answer.\n# TYPE " WH_METRICS_PREFIX "request_duration_seconds histogram\n");
    for (int e = 0; e < WH_EP__MAX; e++) {
        unsigned long long count = load(&m->latency_count[e]);
        if (count == 0)
            continue;
        unsigned long long cum = 0;
        for (int b = 0; b <= WH_LATENCY_BUCKETS; b++) {
            cum += load(&m->latency_bucket[e][b]);
            if (b < WH_LATENCY_BUCKETS)
                sb_addf(out, WH_METRICS_PREFIX "request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                        wh_endpoint_name(e), wh_latency_bounds[b], cum);
            else
                sb_addf(out, WH_METRICS_PREFIX "request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                        wh_endpoint_name(e), cum);
        }
        sb_addf(out, WH_METRICS_PREFIX "request_duration_seconds_sum{endpoint=\"%s\"} %.9f\n", wh_endpoint_name(e),
                (double)load(&m->latency_sum_ns[e]) / 1e9);
        sb_addf(out, WH_METRICS_PREFIX "request_duration_seconds_count{endpoint=\"%s\"} %llu\n", wh_endpoint_name(e),
                cum);
    }
}

int wh_metrics_render(struct wh_metrics *m, struct strbuf *out)
{
    render_requests(m, out);
    render_latency(m, out);
    sb_addf(out,
            "# HELP " WH_METRICS_PREFIX "requests_in_flight Requests whose headers arrived and whose answer is "
            "not sent yet.\n# TYPE " WH_METRICS_PREFIX "requests_in_flight gauge\n" WH_METRICS_PREFIX
            "requests_in_flight %lld\n",
            (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    sb_addf(out,
            "# HELP " WH_METRICS_PREFIX "open_connections TLS connections open on the webhook port.\n"
            "# TYPE " WH_METRICS_PREFIX "open_connections gauge\n" WH_METRICS_PREFIX "open_connections %lld\n",
            (long long)atomic_load_explicit(&m->connections, memory_order_relaxed));
    sb_addf(out,
            "# HELP " WH_METRICS_PREFIX "certificate_expiry_timestamp_seconds When the serving certificate in use "
            "expires (unix time).\n# TYPE " WH_METRICS_PREFIX "certificate_expiry_timestamp_seconds gauge\n"
            WH_METRICS_PREFIX "certificate_expiry_timestamp_seconds %lld\n",
            (long long)atomic_load_explicit(&m->cert_not_after, memory_order_relaxed));
    sb_addf(out,
            "# HELP " WH_METRICS_PREFIX "certificate_reloads_total Serving certificate reloads after the files "
            "changed.\n# TYPE " WH_METRICS_PREFIX "certificate_reloads_total counter\n" WH_METRICS_PREFIX
            "certificate_reloads_total{result=\"success\"} %llu\n" WH_METRICS_PREFIX
            "certificate_reloads_total{result=\"failure\"} %llu\n",
            load(&m->cert_reloads), load(&m->cert_reload_errors));
    return out->err;
}
