#include "ctlrun.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "leader.h"
#include "reconcile.h"
#include "clock.h"
#include "log.h"
#include "metrics_text.h"
#include "strbuf.h"
#include "textutil.h"

enum {
    O_CONTROLLER = CTLRUN_OPT_BASE,
    O_KUBECONFIG,
    O_CONTEXT,
    O_WORKERS,
    O_IMAGE,
    O_RESYNC,
    O_LEADER_ELECT,
    O_LEASE_NS,
    O_LEASE_NAME,
    O_IDENTITY,
    O_LEASE,
    O_RENEW,
    O_RETRY,
    O_COALESCE,
    O_NAMESPACE,
    O_ALLOW_LINK_LOCAL,
    O_DEFAULT_CLASS,
    O_OTLP,
};

static const struct option OPTS[] = {
    { "controller", required_argument, NULL, O_CONTROLLER },
    { "kubeconfig", required_argument, NULL, O_KUBECONFIG },
    { "context", required_argument, NULL, O_CONTEXT },
    { "workers", required_argument, NULL, O_WORKERS },
    { "litellm-image", required_argument, NULL, O_IMAGE },
    { "resync", required_argument, NULL, O_RESYNC },
    { "leader-elect", optional_argument, NULL, O_LEADER_ELECT },
    { "leader-election-namespace", required_argument, NULL, O_LEASE_NS },
    { "leader-election-name", required_argument, NULL, O_LEASE_NAME },
    { "identity", required_argument, NULL, O_IDENTITY },
    { "lease-duration", required_argument, NULL, O_LEASE },
    { "renew-deadline", required_argument, NULL, O_RENEW },
    { "retry-period", required_argument, NULL, O_RETRY },
    { "coalesce", required_argument, NULL, O_COALESCE },
    { "namespace", required_argument, NULL, O_NAMESPACE },
    { "allow-link-local-upstreams", optional_argument, NULL, O_ALLOW_LINK_LOCAL },
    { "default-class", optional_argument, NULL, O_DEFAULT_CLASS },
    { "otlp-endpoint", required_argument, NULL, O_OTLP },
    { NULL, 0, NULL, 0 },
};

void ctlrun_defaults(struct ctlrun_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->enabled = true;
    o->workers = 2;
    o->resync_secs = 600;
    o->coalesce_ms = 500;
    o->lease_name = "litellm-gateway-operator";
    o->lease_secs = 15;
    o->renew_secs = 10;
    o->retry_secs = 2;
}

const void *ctlrun_long_options(size_t *ret_n)
{
    *ret_n = sizeof(OPTS) / sizeof(OPTS[0]) - 1;
    return OPTS;
}

void ctlrun_usage(FILE *to)
{
    fprintf(to,
            "\ncontroller:\n"
            "  --controller=BOOL       run the controller beside the webhook (default true)\n"
            "  --kubeconfig PATH       kubeconfig (default: $KUBECONFIG, else the in-cluster service account)\n"
            "  --context NAME          kubeconfig context (default: current-context)\n"
            "  --workers N             reconcile threads (default 2)\n"
            "  --litellm-image REF     LiteLLM image for the gateways' Deployments (default: the pinned one)\n"
            "  --resync S              re-check every object every S seconds (default 600)\n"
            "  --coalesce D            a changed gateway waits D (e.g. 500ms, 2s, 0) for changes that come with it,\n"
            "                          so they make one config and one rollout (default 500ms)\n"
            "  --namespace NS          watch and reconcile only namespace NS (repeat for more; Roles in each\n"
            "                          suffice, classes stay cluster-wide); default: the whole cluster\n"
            "  --otlp-endpoint URL     OTLP/HTTP endpoint: every gateway gets LiteLLM's otel callback and OTEL_*\n"
            "                          env (a gateway's config patch may override or empty it; default: none)\n"
            "  --default-class[=BOOL]  when a litellm class is missing and no class of its kind is the default,\n"
            "                          create it marked default (default false: created unmarked)\n"
            "  --allow-link-local-upstreams[=BOOL]  list the tools of upstreams at link-local and cloud\n"
            "                          metadata addresses too (default false: such calls are refused)\n"
            "  --leader-elect[=BOOL]   reconcile only while holding the Lease (default false)\n"
            "  --leader-election-namespace NS  the Lease's namespace (default: $POD_NAMESPACE, else default)\n"
            "  --leader-election-name NAME     the Lease's name (default litellm-gateway-operator)\n"
            "  --identity ID           holder identity (default: hostname and a random suffix)\n"
            "  --lease-duration S      (default 15)  --renew-deadline S (default 10)  --retry-period S (default 2)\n");
}

static int parse_bool(const char *flag, const char *arg, bool *ret)
{
    if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
        *ret = true;
        return 0;
    }
    if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
        *ret = false;
        return 0;
    }
    fprintf(stderr, "litellm-gateway-operator serve: %s: \"%s\" is not true or false\n", flag, arg);
    return -EINVAL;
}

static int parse_secs(const char *flag, const char *arg, unsigned min, unsigned *ret)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || !end || *end || end == arg || arg[0] == '-' || v < min || v > 86400) {
        fprintf(stderr, "litellm-gateway-operator serve: %s: \"%s\" is not a number between %u and 86400\n", flag,
                arg, min);
        return -EINVAL;
    }
    *ret = (unsigned)v;
    return 0;
}

/* "500ms", "2s", or a bare number of milliseconds; at most 60 s. */
static int parse_duration_ms(const char *flag, const char *arg, unsigned *ret)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    bool ok = !errno && end && end != arg && arg[0] != '-';
    if (ok && strcmp(end, "s") == 0)
        v = v <= 60 ? v * 1000 : 60001;
    else if (ok && *end && strcmp(end, "ms") != 0)
        ok = false;
    if (!ok || v > 60000) {
        fprintf(stderr, "litellm-gateway-operator serve: %s: \"%s\" is not a duration between 0 and 60s "
                        "(like 500ms or 2s)\n", flag, arg);
        return -EINVAL;
    }
    *ret = (unsigned)v;
    return 0;
}

static int add_namespace(struct ctlrun_opts *o, const char *ns)
{
    if (!ns || !*ns || strlen(ns) > 63 || strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(ns)) {
        fprintf(stderr, "litellm-gateway-operator serve: --namespace: \"%s\" is not a namespace name\n",
                ns ? ns : "");
        return -EINVAL;
    }
    if (o->n_namespaces >= CTLRUN_MAX_NAMESPACES) {
        fprintf(stderr, "litellm-gateway-operator serve: --namespace: at most %d namespaces\n",
                CTLRUN_MAX_NAMESPACES);
        return -EINVAL;
    }
    for (size_t i = 0; i < o->n_namespaces; i++)
        if (strcmp(o->namespaces[i], ns) == 0)
            return 0;
    o->namespaces[o->n_namespaces++] = ns;
    return 0;
}

int ctlrun_flag(struct ctlrun_opts *o, int code, const char *arg)
{
    switch (code) {
    case O_CONTROLLER: return parse_bool("--controller", arg, &o->enabled);
    case O_KUBECONFIG: o->kubeconfig = arg; return 0;
    case O_CONTEXT: o->context = arg; return 0;
    case O_WORKERS: return parse_secs("--workers", arg, 1, &o->workers);
    case O_IMAGE: o->image = arg; return 0;
    case O_RESYNC: return parse_secs("--resync", arg, 1, &o->resync_secs);
    case O_LEADER_ELECT: return parse_bool("--leader-elect", arg, &o->leader_elect);
    case O_LEASE_NS: o->lease_namespace = arg; return 0;
    case O_LEASE_NAME: o->lease_name = arg; return 0;
    case O_IDENTITY: o->identity = arg; return 0;
    case O_LEASE: return parse_secs("--lease-duration", arg, 1, &o->lease_secs);
    case O_RENEW: return parse_secs("--renew-deadline", arg, 1, &o->renew_secs);
    case O_RETRY: return parse_secs("--retry-period", arg, 1, &o->retry_secs);
    case O_COALESCE: return parse_duration_ms("--coalesce", arg, &o->coalesce_ms);
    case O_NAMESPACE: return add_namespace(o, arg);
    case O_OTLP: {
        const char *why = *arg ? gw_url_check(arg) : NULL;
        if (why) {
            fprintf(stderr, "litellm-gateway-operator serve: --otlp-endpoint: %s\n", why);
            return -EINVAL;
        }
        o->otlp_endpoint = *arg ? arg : NULL;
        return 0;
    }
    case O_DEFAULT_CLASS: return parse_bool("--default-class", arg, &o->default_class);
    case O_ALLOW_LINK_LOCAL: return parse_bool("--allow-link-local-upstreams", arg, &o->allow_link_local);
    default: return -EINVAL;
    }
}

struct ctlrun {
    struct kube_config *cfg;
    struct controller *ctl;
    struct leader *le;
    char lease_name[256];       /* the leader_election_master_status label */
    const char *namespaces[CTLRUN_MAX_NAMESPACES];   /* copied from the options */
    bool default_class;         /* mark the classes it creates default */
    pthread_t starter;          /* ensures the classes; without leader
                                 * election, then starts leading */
    bool starter_running;
    atomic_bool stopping;
};



static void on_started(void *ud)
{
    struct ctlrun *r = ud;
    gw_log(GW_LOG_INFO, "leader", NULL, NULL, "became the leader (%s); reconciling", leader_identity(r->le));
    ctl_set_leading(r->ctl, true);
}

static void on_stopped(void *ud)
{
    struct ctlrun *r = ud;
    char *why = leader_last_error(r->le);
    gw_log(GW_LOG_WARN, "leader", NULL, why, "no longer the leader (%s); writes were fenced, stopping the workers",
           leader_identity(r->le));
    free(why);
    ctl_set_leading(r->ctl, false);
}

/* Writes the start-up class report line by line. */
static void log_report(char *report)
{
    for (char *line = report, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        gw_log(GW_LOG_INFO, "controller", NULL, NULL, "%s", line);
    }
}

static int ensure_classes(struct ctlrun *r)
{
    struct kube_client *kc = NULL;
    int e = kube_client_new(r->cfg, NULL, &kc);
    if (e < 0)
        return e;
    kube_client_set_stop(kc, &r->stopping);
    char *report = NULL;
    e = ctl_ensure_classes(kc, r->default_class, &report);
    if (e < 0 && e != -ECANCELED)
        gw_log(GW_LOG_ERROR, "controller", NULL, kube_client_error(kc),
               "could not ensure the litellm classes; retrying");
    else
        log_report(report);
    free(report);
    kube_client_free(kc);
    return e;
}

/* Sleeps up to ms, in slices, unless stopping; true when stopping. */
static bool nap(struct ctlrun *r, uint64_t ms)
{
    for (uint64_t slept = 0; slept < ms && !atomic_load(&r->stopping); slept += 50) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return atomic_load(&r->stopping);
}

/* The start-up work that needs the API server, off the caller's thread so
 * that an unreachable or refusing API server never holds up the webhook:
 * the classes (retried with backoff until they exist), then, without
 * leader election, reconciling (which waits for the caches). */
static void *starter_main(void *arg)
{
    struct ctlrun *r = arg;
    for (unsigned failures = 0; ensure_classes(r) < 0; failures++)
        if (nap(r, gw_jitter_half(gw_backoff_ms(1000, 30000, failures))))
            return NULL;
    if (!r->le && !atomic_load(&r->stopping))
        ctl_set_leading(r->ctl, true);
    return NULL;
}

int ctlrun_kube_config(const struct ctlrun_opts *o, struct kube_config **ret, char **ret_err)
{
    const char *path = o->kubeconfig ? o->kubeconfig : getenv("KUBECONFIG");
    return kube_config_auto(path && *path ? path : NULL, o->context, ret, ret_err);
}

static int load_config(struct ctlrun *r, const struct ctlrun_opts *o)
{
    char *err = NULL;
    int e = ctlrun_kube_config(o, &r->cfg, &err);
    if (e < 0)
        gw_log(GW_LOG_ERROR, "controller", NULL, err ? err : strerror(-e),
               "cannot load the Kubernetes client configuration");
    free(err);
    return e;
}

/* The elector, when --leader-elect asks for one (not started yet). */
static int new_elector(struct ctlrun *r, const struct ctlrun_opts *o)
{
    const char *ns = o->lease_namespace ? o->lease_namespace : getenv("POD_NAMESPACE");
    struct leader_opts lo = {
        .ns = ns && *ns ? ns : "default",
        .name = o->lease_name,
        .identity = o->identity,
        .lease_ms = o->lease_secs * 1000u,
        .renew_deadline_ms = o->renew_secs * 1000u,
        .retry_period_ms = o->retry_secs * 1000u,
        .on_started = on_started,
        .on_stopped = on_stopped,
        .ud = r,
    };
    int e = leader_new(r->cfg, &lo, &r->le);
    if (e == -EINVAL)
        gw_log(GW_LOG_ERROR, "controller", NULL, "need lease-duration > renew-deadline > retry-period",
               "invalid leader election settings");
    return e;
}

/* The controller (informers and workers), fenced by the elector if any. */
static int start_controller(struct ctlrun *r, const struct ctlrun_opts *o)
{
    char *err = NULL;
    struct ctl_options co = { .cfg = r->cfg, .workers = o->workers, .image = o->image,
                              .otlp_endpoint = o->otlp_endpoint,
                              .resync_secs = o->resync_secs, .allow_link_local_upstreams = o->allow_link_local,
                              .coalesce_ms = o->coalesce_ms, .namespaces = r->namespaces,
                              .n_namespaces = o->n_namespaces, .fence = r->le ? leader_fence(r->le) : NULL,
                              .term_end = r->le ? leader_term_end(r->le) : NULL };
    int e = ctl_start(&co, &r->ctl, &err);
    if (e < 0)
        gw_log(GW_LOG_ERROR, "controller", NULL, err ? err : strerror(-e), "cannot start the controller");
    free(err);
    return e;
}

int ctlrun_start(const struct ctlrun_opts *o, struct ctlrun **ret)
{
    /* Before the elector's and informers' threads make arenas of their own. */
    ctl_limit_malloc();
    struct ctlrun *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    snprintf(r->lease_name, sizeof(r->lease_name), "%s", o->lease_name ? o->lease_name : "");
    r->default_class = o->default_class;
    for (size_t i = 0; i < o->n_namespaces; i++)
        r->namespaces[i] = o->namespaces[i]; /* argv strings: they outlive us */
    int e = load_config(r, o);
    if (e == 0 && o->leader_elect)
        e = new_elector(r, o);
    if (e == 0)
        e = start_controller(r, o);
    if (e == 0)
        e = -pthread_create(&r->starter, NULL, starter_main, r);
    if (e < 0)
        goto fail;
    r->starter_running = true;
    if (!r->le) {
        gw_log(GW_LOG_INFO, "controller", NULL, NULL, "leader election off; reconciling once the caches are synced");
        *ret = r;
        return 0;
    }
    e = leader_start(r->le);
    if (e < 0)
        goto fail;
    gw_log(GW_LOG_INFO, "leader", NULL, NULL, "waiting for the Lease (%s)", leader_identity(r->le));
    *ret = r;
    return 0;
fail:
    ctlrun_stop(r);
    return e;
}

bool ctlrun_ready(struct ctlrun *r)
{
    return !r || ctl_synced(r->ctl);
}

void ctlrun_metrics_write(struct ctlrun *r, struct strbuf *out)
{
    if (!r || !r->ctl)
        return;
    ctl_write_metrics(r->ctl, out);
    mt_family(out, "leader_election_master_status", "gauge",
              "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates "
              "master. 'name' is the string used to identify the lease.");
    mt_sample(out, "leader_election_master_status", r->le ? (double)leader_is_leader(r->le) : 1.0, "name",
              r->lease_name, NULL);
}

void ctlrun_metrics(struct ctlrun *r, char *buf, size_t cap)
{
    if (!r || !r->ctl || cap == 0)
        return;
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    ctlrun_metrics_write(r, &sb);
    size_t len = strlen(buf);
    snprintf(buf + len, cap > len ? cap - len : 0, "%s", sb_str(&sb));
    sb_release(&sb);
}

void ctlrun_stop(struct ctlrun *r)
{
    if (!r)
        return;
    /* Fence and stop reconciling first, then release the Lease; the fence
     * stays valid until the controller is gone. */
    atomic_store(&r->stopping, true);
    if (r->le)
        leader_stop(r->le);
    if (r->starter_running) {
        if (r->ctl)
            ctl_set_leading(r->ctl, false); /* fences; the starter gives up waiting */
        pthread_join(r->starter, NULL);
    }
    ctl_stop(r->ctl);
    leader_free(r->le);
    kube_config_free(r->cfg);
    free(r);
}
