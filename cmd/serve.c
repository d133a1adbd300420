/* serve: the admission webhook server until SIGTERM or SIGINT.
 *
 * Signals are blocked in every thread (the mask is set before any thread
 * starts, and threads inherit it) and taken synchronously here with
 * sigwait, so no handler runs inside libmicrohttpd or gnutls code. Threads
 * started later beside the webhook (the controller) inherit the same mask. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ctlrun.h"
#include "kube_client.h"
#include "strbuf.h"
#include "webhook.h"
#include "wlog.h"

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
            "  --max-body-bytes N      largest request body (default 3145728)\n"
            "  --idle-timeout S        close idle connections after S seconds (default 30)\n"
            "  --request-timeout S     a request body must arrive within S seconds (default 10)\n"
            "  --per-ip-limit N        connections per client address (default 256)\n"
            "  --connection-limit N    connections in total (default 1024)\n"
            "  --drain-timeout S       on SIGTERM, wait at most S seconds for requests in flight (default 25)\n"
            "  --log-requests          log every request, not only refusals\n"
            "  -v, --verbose           debug logging (includes libmicrohttpd's messages)\n",
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
};

/* Fills o (webhook) and co (controller) from argv; returns -1 to go on,
 * else the exit code. */
static int parse_flags(int argc, char **argv, struct wh_options *o, struct ctlrun_opts *co)
{
    static const struct option own[] = {
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
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
    };
    /* The webhook's flags, then the controller's, then the terminator. */
    size_t n_ctl = 0;
    const struct option *ctl = ctlrun_long_options(&n_ctl);
    size_t n_own = sizeof(own) / sizeof(own[0]);
    struct option opts[sizeof(own) / sizeof(own[0]) + 32];
    if (n_own + n_ctl + 1 > sizeof(opts) / sizeof(opts[0]))
        return 2;
    memcpy(opts, own, sizeof(own));
    memcpy(opts + n_own, ctl, n_ctl * sizeof(*ctl));
    memset(&opts[n_own + n_ctl], 0, sizeof(opts[0]));
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        if (c >= CTLRUN_OPT_BASE) {
            if (ctlrun_flag(co, c, optarg) < 0)
                return 2;
            continue;
        }
        unsigned long v = 0;
        int r = 0;
        switch (c) {
        case OPT_CERT_DIR: o->cert_dir = optarg; break;
        case OPT_BIND: o->bind_address = optarg; break;
        case OPT_HEALTH_BIND: o->health_bind_address = optarg; break;
        case OPT_WEBHOOK_PORT:
            r = parse_uint("--webhook-port", optarg, 65535, &v);
            o->webhook_port = (uint16_t)v;
            break;
        case OPT_HEALTH_PORT:
            r = parse_uint("--health-port", optarg, 65535, &v);
            o->health_port = (uint16_t)v;
            break;
        case OPT_THREADS:
            r = parse_uint("--threads", optarg, 256, &v);
            o->threads = (unsigned)v;
            break;
        case OPT_MAX_BODY:
            r = parse_uint("--max-body-bytes", optarg, 64ul << 20, &v);
            o->max_body = v;
            break;
        case OPT_IDLE_TIMEOUT:
            r = parse_uint("--idle-timeout", optarg, 3600, &v);
            o->idle_timeout_s = (unsigned)v;
            break;
        case OPT_REQUEST_TIMEOUT:
            r = parse_uint("--request-timeout", optarg, 3600, &v);
            o->request_timeout_s = (unsigned)v;
            break;
        case OPT_PER_IP:
            r = parse_uint("--per-ip-limit", optarg, 65535, &v);
            o->per_ip_limit = (unsigned)v;
            break;
        case OPT_CONN_LIMIT:
            r = parse_uint("--connection-limit", optarg, 65535, &v);
            o->connection_limit = (unsigned)v;
            break;
        case OPT_DRAIN_TIMEOUT:
            r = parse_uint("--drain-timeout", optarg, 3600, &v);
            o->drain_timeout_s = (unsigned)v;
            break;
        case OPT_LOG_REQUESTS: o->log_requests = true; break;
        case 'v': wh_log_set_level(WH_LOG_DEBUG); break;
        case 'h': serve_usage(stdout); ctlrun_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
        if (r < 0)
            return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "litellm-gateway-operator serve: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!o->cert_dir) {
        fprintf(stderr, "litellm-gateway-operator serve: --cert-dir is required\n");
        serve_usage(stderr);
        return 2;
    }
    return -1;
}

/* /readyz also waits for the controller's caches (on every replica). */
static bool controller_ready(void *ctx, char *why, size_t why_cap)
{
    if (ctlrun_ready(ctx))
        return true;
    snprintf(why, why_cap, "controller caches not synced yet");
    return false;
}

static void controller_metrics(void *ctx, struct strbuf *out)
{
    ctlrun_metrics_write(ctx, out);
}

int cmd_serve(int argc, char **argv)
{
    struct wh_options o = { .webhook_port = DEFAULT_WEBHOOK_PORT, .health_port = DEFAULT_HEALTH_PORT };
    struct ctlrun_opts co;
    ctlrun_defaults(&co);
    int rc = parse_flags(argc, argv, &o, &co);
    if (rc >= 0)
        return rc;

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
        wh_log(WH_LOG_ERROR, "serve: cannot block signals");
        return 1;
    }
    /* The controller first: /readyz and /metrics consult it. */
    struct ctlrun *ctl = NULL;
    if (co.enabled) {
        if (ctlrun_start(&co, &ctl) < 0)
            return 1;
        o.ready = controller_ready;
        o.ready_ctx = ctl;
        o.metrics = controller_metrics;
        o.metrics_ctx = ctl;
    }
    struct wh_server *srv = NULL;
    if (wh_server_start(&o, &srv) < 0) {
        ctlrun_stop(ctl);
        kube_global_cleanup();
        return 1;
    }
    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    wh_log(WH_LOG_INFO, "serve: %s received, draining requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Stop writing (and hand the Lease over) before the webhook drains. */
    ctlrun_stop(ctl);
    wh_server_stop(srv);
    kube_global_cleanup();
    wh_log(WH_LOG_INFO, "serve: stopped");
    return 0;
}
