/* ctlrun: the controller side of `serve`: its flags, start-up (kube config,
 * classes, informers, leader election) and orderly stop. serve.c owns the
 * process (signals, the webhook server); this file owns the controller. */
#ifndef GW_CTLRUN_H
#define GW_CTLRUN_H
#include <stdbool.h>
#include <stdio.h>

#define CTLRUN_MAX_NAMESPACES 64

struct kube_config;

struct ctlrun_opts {
    bool enabled;               /* --controller=false turns the controller off */
    const char *kubeconfig;     /* NULL: $KUBECONFIG, else in-cluster */
    const char *context;
    unsigned workers;           /* 2 */
    const char *image;          /* NULL: the pinned LiteLLM image */
    const char *otlp_endpoint;  /* NULL: gateways send no traces unless patched to */
    unsigned resync_secs;       /* 600 */
    bool default_class;         /* false: classes it creates are not marked default */
    bool allow_link_local;      /* false: upstreams at link-local addresses are not called */
    unsigned coalesce_ms;       /* 500: changes to a gateway gathered this long */
    const char *namespaces[CTLRUN_MAX_NAMESPACES];  /* --namespace, repeated; */
    size_t n_namespaces;        /* 0: the whole cluster */
    bool leader_elect;
    const char *lease_namespace;  /* NULL: $POD_NAMESPACE, else "default" */
    const char *lease_name;     /* litellm-gateway-operator */
    const char *identity;       /* NULL: hostname + random suffix */
    unsigned lease_secs, renew_secs, retry_secs;   /* 15, 10, 2 */
};

void ctlrun_defaults(struct ctlrun_opts *o);

/* The Kubernetes client configuration the flags name: --kubeconfig, else
 * $KUBECONFIG, else the in-cluster service account (kube_config_auto's
 * contract: 0 with *ret, or a negative errno with *ret_err to free). */
int ctlrun_kube_config(const struct ctlrun_opts *o, struct kube_config **ret, char **ret_err);

/* getopt_long entries for the controller flags, terminated by a zeroed
 * entry; their codes start at CTLRUN_OPT_BASE. */
#define CTLRUN_OPT_BASE 512
const void *ctlrun_long_options(size_t *ret_n);
/* Handles one of those codes; 0, or -EINVAL after printing why. */
int ctlrun_flag(struct ctlrun_opts *o, int code, const char *arg);
void ctlrun_usage(FILE *to);

struct ctlrun;
/* Loads the kube config, ensures the classes, starts the informers and
 * (with leader election) the elector. Errors are printed. 0 or -errno. */
int ctlrun_start(const struct ctlrun_opts *o, struct ctlrun **ret);
/* Ready: caches synced (on every replica: the webhook serves anyway). */
bool ctlrun_ready(struct ctlrun *r);
struct strbuf;
/* The controller's metrics in the Prometheus text format, HELP and TYPE on
 * each family: controller_runtime_reconcile_total{controller,result},
 * controller_runtime_reconcile_errors_total{controller},
 * controller_runtime_reconcile_time_seconds, workqueue_depth,
 * workqueue_adds_total, workqueue_retries_total,
 * workqueue_queue_duration_seconds, workqueue_work_duration_seconds (all
 * {name}), leader_election_master_status{name}. NULL r writes nothing. */
void ctlrun_metrics_write(struct ctlrun *r, struct strbuf *out);
/* The same, appended to buf (cap bytes, cut when full): prefer
 * ctlrun_metrics_write, the histograms need more than a few KiB. */
void ctlrun_metrics(struct ctlrun *r, char *buf, size_t cap);
/* Stops reconciling, releases the lease, stops informers, frees. NULL ok. */
void ctlrun_stop(struct ctlrun *r);

#endif
