#include "metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const double wh_latency_bounds[WH_LATENCY_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5 };

void wh_metrics_init(struct wh_metrics *m)
{
    /* All-zero bits are a valid initial state for lock-free atomics. */
    memset(m, 0, sizeof(*m));
}

void wh_metrics_observe(struct wh_metrics *m, enum wh_endpoint ep, enum wh_kind kind, enum wh_op op,
                        enum wh_verdict verdict, unsigned status, uint64_t elapsed_ns)
{
    if (ep >= WH_EP__MAX || kind >= WH_K__MAX || op >= WH_OP__MAX || verdict >= WH_V__MAX)
        return;
    atomic_fetch_add_explicit(&m->requests[ep][kind][op][verdict], 1, memory_order_relaxed);
    if (status > 0 && status < WH_STATUS_MAX)
        atomic_fetch_add_explicit(&m->by_code[ep][status], 1, memory_order_relaxed);
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

/* controller-runtime's webhook metrics: the label webhook is the path. */
static const char *webhook_path(int ep)
{
    return ep >= 0 ? wh_endpoint_cr_label((enum wh_endpoint)ep) : NULL;
}

static void render_cr_requests(struct wh_metrics *m, struct strbuf *out)
{
    sb_adds(out, "# HELP " WH_CR_PREFIX "requests_total Total number of admission requests by HTTP status code.\n"
                 "# TYPE " WH_CR_PREFIX "requests_total counter\n");
    for (int e = 0; e < WH_EP__MAX; e++) {
        if (!webhook_path(e))
            continue;
        for (int c = 0; c < WH_STATUS_MAX; c++) {
            unsigned long long n = load(&m->by_code[e][c]);
            if (n)
                sb_addf(out, WH_CR_PREFIX "requests_total{code=\"%d\",webhook=\"%s\"} %llu\n", c, webhook_path(e), n);
        }
    }
}

static void render_cr_latency(struct wh_metrics *m, struct strbuf *out)
{
    sb_adds(out, "# HELP " WH_CR_PREFIX "latency_seconds Histogram of the latency of processing admission "
                 "requests\n# TYPE " WH_CR_PREFIX "latency_seconds histogram\n");
    for (int e = 0; e < WH_EP__MAX; e++) {
        if (!webhook_path(e))
            continue;
        unsigned long long cum = 0;
        for (int b = 0; b <= WH_LATENCY_BUCKETS; b++) {
            cum += load(&m->latency_bucket[e][b]);
            if (b < WH_LATENCY_BUCKETS)
                sb_addf(out, WH_CR_PREFIX "latency_seconds_bucket{webhook=\"%s\",le=\"%g\"} %llu\n", webhook_path(e),
                        wh_latency_bounds[b], cum);
            else
                sb_addf(out, WH_CR_PREFIX "latency_seconds_bucket{webhook=\"%s\",le=\"+Inf\"} %llu\n",
                        webhook_path(e), cum);
        }
        sb_addf(out, WH_CR_PREFIX "latency_seconds_sum{webhook=\"%s\"} %.9f\n", webhook_path(e),
                (double)load(&m->latency_sum_ns[e]) / 1e9);
        sb_addf(out, WH_CR_PREFIX "latency_seconds_count{webhook=\"%s\"} %llu\n", webhook_path(e), cum);
    }
    sb_addf(out,
            "# HELP " WH_CR_PREFIX "requests_in_flight Current number of admission requests being served.\n"
            "# TYPE " WH_CR_PREFIX "requests_in_flight gauge\n" WH_CR_PREFIX "requests_in_flight %lld\n",
            (long long)atomic_load_explicit(&m->in_flight, memory_order_relaxed));
}

int wh_metrics_render(struct wh_metrics *m, struct strbuf *out)
{
    render_requests(m, out);
    render_latency(m, out);
    render_cr_requests(m, out);
    render_cr_latency(m, out);
    sb_addf(out,
            "# HELP " WH_METRICS_PREFIX "connections_shed_total Connections the server closed: no request within "
            "the handshake timeout, idle too long, or idle longest when room was needed.\n"
            "# TYPE " WH_METRICS_PREFIX "connections_shed_total counter\n" WH_METRICS_PREFIX
            "connections_shed_total %llu\n",
            load(&m->connections_shed));
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

/* --- process_* ------------------------------------------------------------- */

struct proc_stat {
    double cpu_seconds;
    double start_time;         /* unix seconds */
    unsigned long long vsize;  /* bytes */
    unsigned long long rss;    /* bytes */
};

/* Seconds since the epoch at boot, from /proc/stat's btime. */
static double boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return 0;
    char line[256];
    unsigned long long btime = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %llu", &btime) == 1)
            break;
    fclose(f);
    return (double)btime;
}

/* Fields of /proc/self/stat after the command name (which may hold spaces
 * and parentheses: parsing starts after the last ')'). */
static int read_proc_stat(struct proc_stat *ret)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long utime, stime, start, vsize;
    long long rss;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice threads itrealvalue starttime
     * vsize rss */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
               &utime, &stime, &start, &vsize, &rss) != 5)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    ret->cpu_seconds = (double)(utime + stime) / hz;
    ret->start_time = boot_time() + (double)start / hz;
    ret->vsize = vsize;
    ret->rss = rss > 0 ? (unsigned long long)rss * (unsigned long long)page : 0;
    return 0;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

int wh_metrics_render_process(struct strbuf *out)
{
    struct proc_stat ps;
    if (read_proc_stat(&ps) == 0) {
        sb_addf(out,
                "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
                "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n"
                "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n"
                "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
                ps.cpu_seconds, ps.rss, ps.vsize, ps.start_time);
    }
    long fds = open_fds();
    if (fds >= 0)
        sb_addf(out,
                "# HELP process_open_fds Number of open file descriptors.\n"
                "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n",
                fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        sb_addf(out,
                "# HELP process_max_fds Maximum number of open file descriptors.\n"
                "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
                (unsigned long long)rl.rlim_cur);
    return out->err;
}
