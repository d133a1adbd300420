/* serve: the admission webhook server, and the controller beside it, until
 * SIGTERM or SIGINT.
 *
 * The webhook stands alone: it serves as soon as its certificate is loaded,
 * judging with caches of its own (owner.h) that need no API call on the
 * request path. The controller starts afterwards on a thread of its own and
 * retries until it is up: a slow or absent API server, a failed class
 * start-up or unsynced controller caches never keep the webhook from
 * serving. /readyz is the webhook's readiness (certificate and its own
 * caches); the controller reports through logs and /metrics.
 *
 * Stopping runs in the reverse order of starting: the controller is detached
 * from /metrics (under the slot's lock, so a scrape in progress finishes
 * first) and stopped, then the webhook drains and stops, then its caches.
 *
 * Signals are blocked in every thread (the mask is set before any thread
 * starts, and threads inherit it) and taken synchronously here with
 * sigwait, so no handler runs inside libmicrohttpd or gnutls code. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "clock.h"
#include "commands.h"
#include "ctlrun.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"
#include "owner.h"
#include "strbuf.h"
#include "webhook.h"

#define DEFAULT_WEBHOOK_PORT 9443
/* The port deploy/base probes and scrapes ("metrics"). */
#define DEFAULT_HEALTH_PORT 8080

static void serve_usage(FILE *to)
{
    fprintf(to,
            "usage: litellm-gateway-operator serve --cert-dir DIR [options]\n"
            "\n"
            "  --cert-dir DIR          directory with tls.crt and tls.key (reloaded when they change)\n"
            "  --webhook-port N        HTTPS port for /validate, /mutate, /preview (default %d; 0 = any)\n"
            "  --bind ADDR             address to listen on (default 0.0.0.0)\n"
            "  --health-port N         HTTP port for /healthz, /readyz, /metrics (default %d; 0 = any)\n"
            "  --health-bind ADDR      address for the health port (default: --bind)\n"
            "  --threads N             TLS worker threads (default: online CPUs)\n"
            "  --max-body-bytes N      largest request body (default 16777216)\n"
            "  --idle-timeout S        close idle connections after S seconds (default 30)\n"
            "  --handshake-timeout S   close connections that send no request within S seconds of\n"
            "                          connecting (default 10)\n"
            "  --request-timeout S     a request body must arrive within S seconds (default 10)\n"
            "  --per-ip-limit N        connections per client address (default 256)\n"
            "  --connection-limit N    connections in total (default 1024)\n"
            "  --drain-timeout S       on SIGTERM, wait at most S seconds for requests in flight (default 25)\n"
            "  --log-requests          log every request, not only refusals\n"
            "  --ownership MODE        cluster: judge only objects of our classes, from the webhook's own\n"
            "                          caches of classes and ToolGateways (default); all: judge every\n"
            "                          object as ours and need no cluster (offline use, tests)\n"
            "  --log-format FMT        json, text or auto (text on a terminal, else JSON; default auto)\n"
            "  --v N                   verbosity: 0 info (default), 1 debug (includes libmicrohttpd's\n"
            "                          messages), 2 trace; -1 warnings and errors only\n"
            "  -v, --verbose           the same as --v=1\n",
            DEFAULT_WEBHOOK_PORT, DEFAULT_HEALTH_PORT);
}

static int parse_uint(const char *flag, const char *text, unsigned long max, unsigned long *ret)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || !end || *end || end == text || text[0] == '-' || v > max) {
        fprintf(stderr, "litellm-gateway-operator serve: %s: \"%s\" is not a number between 0 and %lu\n", flag,
                text, max);
        return -EINVAL;
    }
    *ret = v;
    return 0;
}

enum {
    OPT_CERT_DIR = 256,
    OPT_WEBHOOK_PORT,
    OPT_BIND,
    OPT_HEALTH_PORT,
    OPT_HEALTH_BIND,
    OPT_THREADS,
    OPT_MAX_BODY,
    OPT_IDLE_TIMEOUT,
    OPT_REQUEST_TIMEOUT,
    OPT_PER_IP,
    OPT_CONN_LIMIT,
    OPT_DRAIN_TIMEOUT,
    OPT_LOG_REQUESTS,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_OWNERSHIP,
    OPT_LOG_FORMAT,
    OPT_V,
};

/* What serve itself needs beyond the webhook's and the controller's options. */
struct serve_opts {
    bool judge_all;                 /* --ownership=all */
    enum gw_log_format log_format;
    int verbosity;
};

static int parse_int(const char *flag, const char *text, int min, int max, int *ret)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || !end || *end || end == text || v < min || v > max) {
        fprintf(stderr, "litellm-gateway-operator serve: %s: \"%s\" is not a number between %d and %d\n", flag,
                text, min, max);
        return -EINVAL;
    }
    *ret = (int)v;
    return 0;
}

static int parse_ownership(const char *text, bool *ret_all)
{
    if (strcmp(text, "cluster") == 0 || strcmp(text, "all") == 0) {
        *ret_all = strcmp(text, "all") == 0;
        return 0;
    }
    fprintf(stderr, "litellm-gateway-operator serve: --ownership: \"%s\" is not cluster or all\n", text);
    return -EINVAL;
}

static const struct option SERVE_OPTS[] = {
    { "cert-dir", required_argument, NULL, OPT_CERT_DIR },
    { "webhook-port", required_argument, NULL, OPT_WEBHOOK_PORT },
    { "bind", required_argument, NULL, OPT_BIND },
    { "health-port", required_argument, NULL, OPT_HEALTH_PORT },
    { "health-bind", required_argument, NULL, OPT_HEALTH_BIND },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "max-body-bytes", required_argument, NULL, OPT_MAX_BODY },
    { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
    { "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
    { "per-ip-limit", required_argument, NULL, OPT_PER_IP },
    { "connection-limit", required_argument, NULL, OPT_CONN_LIMIT },
    { "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
    { "log-requests", no_argument, NULL, OPT_LOG_REQUESTS },
    { "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
    { "ownership", required_argument, NULL, OPT_OWNERSHIP },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "v", required_argument, NULL, OPT_V },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
};

#define N_SERVE_OPTS (sizeof(SERVE_OPTS) / sizeof(SERVE_OPTS[0]))

/* serve's flags, then the controller's, then the terminator, into opts
 * (cap entries). 0 or -ENOSPC. */
static int merge_options(struct option *opts, size_t cap)
{
    size_t n_ctl = 0;
    const struct option *ctl = ctlrun_long_options(&n_ctl);
    if (N_SERVE_OPTS + n_ctl + 1 > cap)
        return -ENOSPC;
    memcpy(opts, SERVE_OPTS, sizeof(SERVE_OPTS));
    memcpy(opts + N_SERVE_OPTS, ctl, n_ctl * sizeof(*ctl));
    memset(&opts[N_SERVE_OPTS + n_ctl], 0, sizeof(opts[0]));
    return 0;
}

/* The webhook's numeric flags and the largest value of each. */
static const struct {
    int id;
    const char *flag;
    unsigned long max;
} NUMERIC_FLAGS[] = {
    { OPT_WEBHOOK_PORT, "--webhook-port", 65535 },     { OPT_HEALTH_PORT, "--health-port", 65535 },
    { OPT_THREADS, "--threads", 256 },                 { OPT_MAX_BODY, "--max-body-bytes", 64ul << 20 },
    { OPT_IDLE_TIMEOUT, "--idle-timeout", 3600 },      { OPT_REQUEST_TIMEOUT, "--request-timeout", 3600 },
    { OPT_PER_IP, "--per-ip-limit", 65535 },           { OPT_CONN_LIMIT, "--connection-limit", 65535 },
    { OPT_DRAIN_TIMEOUT, "--drain-timeout", 3600 },    { OPT_HANDSHAKE_TIMEOUT, "--handshake-timeout", 3600 },
};

static void set_numeric(struct wh_options *o, int id, unsigned long v)
{
    switch (id) {
    case OPT_WEBHOOK_PORT: o->webhook_port = (uint16_t)v; break;
    case OPT_HEALTH_PORT: o->health_port = (uint16_t)v; break;
    case OPT_THREADS: o->threads = (unsigned)v; break;
    case OPT_MAX_BODY: o->max_body = v; break;
    case OPT_IDLE_TIMEOUT: o->idle_timeout_s = (unsigned)v; break;
    case OPT_REQUEST_TIMEOUT: o->request_timeout_s = (unsigned)v; break;
    case OPT_PER_IP: o->per_ip_limit = (unsigned)v; break;
    case OPT_CONN_LIMIT: o->connection_limit = (unsigned)v; break;
    case OPT_DRAIN_TIMEOUT: o->drain_timeout_s = (unsigned)v; break;
    case OPT_HANDSHAKE_TIMEOUT: o->handshake_timeout_s = (unsigned)v; break;
    }
}

/* A numeric webhook flag: 0 or -EINVAL (said on stderr); -ENOENT when c is
 * not one. */
static int numeric_flag(struct wh_options *o, int c, const char *arg)
{
    for (size_t i = 0; i < sizeof(NUMERIC_FLAGS) / sizeof(NUMERIC_FLAGS[0]); i++) {
        if (NUMERIC_FLAGS[i].id != c)
            continue;
        unsigned long v = 0;
        int r = parse_uint(NUMERIC_FLAGS[i].flag, arg, NUMERIC_FLAGS[i].max, &v);
        if (r == 0)
            set_numeric(o, c, v);
        return r;
    }
    return -ENOENT;
}

static int parse_log_format(const char *arg, enum gw_log_format *ret)
{
    int r = gw_log_format_parse(arg, ret);
    if (r < 0)
        fprintf(stderr, "litellm-gateway-operator serve: --log-format: \"%s\" is not json, text or auto\n", arg);
    return r;
}

/* One flag of serve's own (not numeric): 0, 1 when help was asked for
 * (and printed), -EINVAL (said on stderr). */
static int serve_flag(int c, const char *arg, struct wh_options *o, struct serve_opts *so)
{
    switch (c) {
    case OPT_CERT_DIR: o->cert_dir = arg; return 0;
    case OPT_BIND: o->bind_address = arg; return 0;
    case OPT_HEALTH_BIND: o->health_bind_address = arg; return 0;
    case OPT_LOG_REQUESTS: o->log_requests = true; return 0;
    case OPT_OWNERSHIP: return parse_ownership(arg, &so->judge_all);
    case OPT_LOG_FORMAT: return parse_log_format(arg, &so->log_format);
    case OPT_V: return parse_int("--v", arg, -1, 10, &so->verbosity);
    case 'v': so->verbosity = so->verbosity > 1 ? so->verbosity : 1; return 0;
    case 'h': serve_usage(stdout); ctlrun_usage(stdout); return 1;
    default: serve_usage(stderr); return -EINVAL;
    }
}

/* What must hold once every flag is read: no stray argument, a cert dir. */
static int check_flags(int argc, char **argv, const struct wh_options *o)
{
    if (optind < argc) {
        fprintf(stderr, "litellm-gateway-operator serve: unexpected argument \"%s\"\n", argv[optind]);
        return -EINVAL;
    }
    if (!o->cert_dir) {
        fprintf(stderr, "litellm-gateway-operator serve: --cert-dir is required\n");
        serve_usage(stderr);
        return -EINVAL;
    }
    return 0;
}

/* Fills o (webhook), co (controller) and so from argv; returns -1 to go on,
 * else the exit code. */
static int parse_flags(int argc, char **argv, struct wh_options *o, struct ctlrun_opts *co, struct serve_opts *so)
{
    struct option opts[N_SERVE_OPTS + 32];
    if (merge_options(opts, sizeof(opts) / sizeof(opts[0])) < 0)
        return 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        int r;
        if (c >= CTLRUN_OPT_BASE)
            r = ctlrun_flag(co, c, optarg);
        else if ((r = numeric_flag(o, c, optarg)) == -ENOENT)
            r = serve_flag(c, optarg, o, so);
        if (r == 1)
            return 0;
        if (r < 0)
            return 2;
    }
    return check_flags(argc, argv, o) < 0 ? 2 : -1;
}

/* --- the controller, beside the webhook ---------------------------------------
 *
 * The slot is how /metrics sees the controller: the pointer is published
 * once the controller is up and taken back, under the lock, before it is
 * stopped, so a scrape never reads a controller being freed. */
struct ctl_slot {
    pthread_mutex_t lock;
    pthread_cond_t wake;           /* the starter's retry wait; CLOCK_MONOTONIC */
    const struct ctlrun_opts *opts;
    struct ctlrun *ctl;            /* NULL until started, and after the stop */
    bool stopping;
    bool starting;                 /* ctlrun_start is running */
    unsigned long start_failures;
    pthread_t thread;
    bool thread_started;
    bool abandoned;                /* set by controller_ender */
};

#define CTL_RETRY_MIN_S 1u
#define CTL_RETRY_MAX_S 30u

/* Waits up to secs unless the slot is stopping; lock held. */
static void slot_wait(struct ctl_slot *sl, unsigned secs)
{
    uint64_t due = gw_mono_ms() + (uint64_t)secs * 1000u;
    while (!sl->stopping && gw_cond_wait_until(&sl->wake, &sl->lock, due) == 0)
        ;
}

/* The controller's start-up, retried with backoff until it succeeds or the
 * process stops. ctlrun_start is synchronous (kube config, classes,
 * informers): it runs here, never on the webhook's path. */
static void *controller_starter(void *arg)
{
    struct ctl_slot *sl = arg;
    unsigned delay = CTL_RETRY_MIN_S;
    pthread_mutex_lock(&sl->lock);
    while (!sl->stopping) {
        sl->starting = true;
        pthread_mutex_unlock(&sl->lock);
        struct ctlrun *ctl = NULL;
        int r = ctlrun_start(sl->opts, &ctl);
        pthread_mutex_lock(&sl->lock);
        sl->starting = false;
        pthread_cond_broadcast(&sl->wake);
        if (r == 0) {
            if (sl->stopping) {
                pthread_mutex_unlock(&sl->lock);
                ctlrun_stop(ctl);
                pthread_mutex_lock(&sl->lock);
            } else {
                sl->ctl = ctl;
                gw_log(GW_LOG_INFO, "serve", NULL, NULL, "controller started");
            }
            break;
        }
        sl->start_failures++;
        gw_log(GW_LOG_ERROR, "serve", NULL, strerror(-r),
               "the controller did not start (attempt %lu); the webhook keeps serving, retrying in %us",
               sl->start_failures, delay);
        slot_wait(sl, delay);
        delay = delay * 2 > CTL_RETRY_MAX_S ? CTL_RETRY_MAX_S : delay * 2;
    }
    pthread_cond_broadcast(&sl->wake);
    pthread_mutex_unlock(&sl->lock);
    return NULL;
}

static void controller_metrics(void *ctx, struct strbuf *out)
{
    struct ctl_slot *sl = ctx;
    pthread_mutex_lock(&sl->lock);
    int up = sl->ctl != NULL;
    int synced = up && ctlrun_ready(sl->ctl);
    unsigned long failures = sl->start_failures;
    /* Written under the lock: the controller cannot be stopped and freed
     * while a scrape reads it. */
    if (sl->ctl)
        ctlrun_metrics_write(sl->ctl, out);
    pthread_mutex_unlock(&sl->lock);
    sb_addf(out,
            "# HELP litellm_gateway_operator_controller_up Whether the controller beside the webhook has started "
            "(1) or is still being retried (0).\n"
            "# TYPE litellm_gateway_operator_controller_up gauge\nlitellm_gateway_operator_controller_up %d\n"
            "# HELP litellm_gateway_operator_controller_start_failures_total Controller start-ups that failed "
            "and were retried.\n"
            "# TYPE litellm_gateway_operator_controller_start_failures_total counter\n"
            "litellm_gateway_operator_controller_start_failures_total %lu\n"
            "# HELP litellm_gateway_operator_controller_caches_synced Whether every cache of the controller holds "
            "its first list (the webhook's readiness does not wait for it).\n"
            "# TYPE litellm_gateway_operator_controller_caches_synced gauge\n"
            "litellm_gateway_operator_controller_caches_synced %d\n",
            up, failures, synced);
}

/* Waits up to secs for the starter to leave ctlrun_start; lock held. */
static void slot_wait_starter(struct ctl_slot *sl, unsigned secs)
{
    uint64_t due = gw_mono_ms() + (uint64_t)secs * 1000u;
    while (sl->starting && gw_cond_wait_until(&sl->wake, &sl->lock, due) == 0)
        ;
}

static int controller_begin(struct ctl_slot *sl, const struct ctlrun_opts *co)
{
    pthread_mutex_init(&sl->lock, NULL);
    gw_cond_init_mono(&sl->wake);
    sl->opts = co;
    if (!co->enabled)
        return 0;
    int r = -pthread_create(&sl->thread, NULL, controller_starter, sl);
    sl->thread_started = r == 0;
    return r;
}

/* How long a stop waits for a controller start-up in progress to return
 * before the process exits without it (it holds no lease yet). */
#define CTL_START_ABANDON_S 2

/* Takes the controller out of the slot and stops it. A start-up still in
 * progress is waited for briefly and otherwise left to the process's exit
 * (returns true then: the process must not tear down what it uses). */
static bool controller_end(struct ctl_slot *sl)
{
    pthread_mutex_lock(&sl->lock);
    sl->stopping = true;
    pthread_cond_broadcast(&sl->wake);
    if (sl->starting)
        slot_wait_starter(sl, CTL_START_ABANDON_S);
    bool abandoned = sl->starting;
    struct ctlrun *ctl = sl->ctl;
    sl->ctl = NULL;
    pthread_mutex_unlock(&sl->lock);
    ctlrun_stop(ctl);
    if (!sl->thread_started)
        return false;
    if (abandoned) {
        gw_log(GW_LOG_WARN, "serve", NULL, NULL, "the controller's start-up is still running; exiting without it");
        pthread_detach(sl->thread);
        return true;
    }
    pthread_join(sl->thread, NULL);
    return false;
}

static void *controller_ender(void *arg)
{
    struct ctl_slot *sl = arg;
    sl->abandoned = controller_end(sl);
    return NULL;
}

/* --- the webhook's own caches -------------------------------------------------- */

struct webhook_side {
    struct kube_config *cfg;
    struct wh_owner_caches *owner;
    struct wh_judge judge;
};

/* /readyz: the certificate (checked by the server) and the caches. */
static bool webhook_ready(void *ctx, char *why, size_t why_cap)
{
    struct webhook_side *w = ctx;
    return wh_owner_synced(w->owner, why, why_cap);
}

/* Loads the client configuration (files only, no API call) and starts the
 * caches, which list and watch in the background. On failure the webhook
 * still serves, judging ownership unknown, and /readyz says why. */
static void webhook_side_start(struct webhook_side *w, const struct ctlrun_opts *co)
{
    char *err = NULL;
    int r = ctlrun_kube_config(co, &w->cfg, &err);
    if (r < 0) {
        gw_log(GW_LOG_ERROR, "webhook", NULL, err ? err : strerror(-r),
               "cannot load the Kubernetes client configuration: objects are judged by the contract's rules only "
               "until restarted with one (or --ownership=all)");
        free(err);
        return;
    }
    r = wh_owner_start(w->cfg, co->namespaces, co->n_namespaces, &w->owner);
    if (r < 0)
        gw_log(GW_LOG_ERROR, "webhook", NULL, strerror(-r), "cannot start the webhook's caches");
}

static void webhook_side_stop(struct webhook_side *w)
{
    wh_owner_stop(w->owner);
    w->owner = NULL;
    kube_config_free(w->cfg);
    w->cfg = NULL;
}

/* Many clients (and the keeper's headroom) need descriptors: use the hard
 * limit, as the Go runtime does. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* SIGTERM and SIGINT blocked in this thread and every thread it starts
 * (they are taken with sigwait); SIGPIPE ignored. 0 or -1. */
static int block_stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    return pthread_sigmask(SIG_BLOCK, stop, NULL) == 0 ? 0 : -1;
}

/* The controller stops (it stops writing and hands the Lease over) while
 * the webhook drains: neither waits for the other, and /metrics reads the
 * controller only through the slot. The webhook's caches go after the
 * webhook, which reads them. */
static void stop_all(struct ctl_slot *slot, struct wh_server *srv, struct webhook_side *w)
{
    pthread_t ender;
    bool ending = pthread_create(&ender, NULL, controller_ender, slot) == 0;
    if (!ending)
        controller_ender(slot);
    wh_server_stop(srv);
    webhook_side_stop(w);
    if (ending)
        pthread_join(ender, NULL);
    if (!slot->abandoned)
        kube_global_cleanup();
}

int cmd_serve(int argc, char **argv)
{
    struct wh_options o = { .webhook_port = DEFAULT_WEBHOOK_PORT, .health_port = DEFAULT_HEALTH_PORT };
    /* Static: a controller start-up abandoned at exit may still read them. */
    static struct ctlrun_opts co;
    static struct ctl_slot slot;
    ctlrun_defaults(&co);
    struct serve_opts so = { .log_format = GW_LOG_FORMAT_AUTO };
    int rc = parse_flags(argc, argv, &o, &co, &so);
    if (rc >= 0)
        return rc;
    gw_log_setup(so.log_format, so.verbosity);
    raise_fd_limit();

    sigset_t stop;
    if (block_stop_signals(&stop) < 0) {
        gw_log(GW_LOG_ERROR, "serve", NULL, NULL, "cannot block signals");
        return 1;
    }
    /* The webhook first, with its own caches; then the controller. */
    struct webhook_side w = { 0 };
    if (!so.judge_all) {
        webhook_side_start(&w, &co);
        w.judge = (struct wh_judge){ .owner_of = wh_owner_of, .ctx = w.owner };
        o.judge = &w.judge;
        o.ready = webhook_ready;
        o.ready_ctx = &w;
    }
    o.metrics = controller_metrics;
    o.metrics_ctx = &slot;
    struct wh_server *srv = NULL;
    if (wh_server_start(&o, &srv) < 0) {
        webhook_side_stop(&w);
        kube_global_cleanup();
        return 1;
    }
    if (controller_begin(&slot, &co) < 0)
        gw_log(GW_LOG_ERROR, "serve", NULL, NULL, "cannot start the controller's thread; serving the webhook only");
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    gw_log(GW_LOG_INFO, "serve", NULL, NULL, "%s received, draining requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop_all(&slot, srv, &w);
    gw_log(GW_LOG_INFO, "serve", NULL, NULL, "stopped");
    return 0;
}
