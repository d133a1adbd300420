#include "controller.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache_project.h"
#include "deps.h"
#include "events.h"
#include "doc.h"
#include "informer.h"
#include "kube_client.h"
#include "mcp_tools.h"
#include "plan.h"
#include "reconcile.h"
#include "secrets.h"
#include "snapshot.h"
#include "workqueue.h"
#include "clock.h"
#include "log.h"
#include "metrics_text.h"
#include "jsonutil.h"

/* Where a gateway's rollout is looked at again when no event arrives. */
#define CTL_ROLLOUT_RECHECK_MS 30000
/* Objects whose last once-per-generation Event is remembered. */
#define CTL_EVENT_MEMO_CAP 4096
#define CTL_LIST_PAGE 100
#define CTL_OWNED_SELECTOR "app.kubernetes.io/managed-by=" KUBE_FIELD_MANAGER

enum inf_id {
    I_AIGW, I_TOOLGW, I_ROUTE, I_AICLASS, I_TOOLCLASS, I_GUARD, I_PROVIDER, I_SERVER, I_SECRET,
    I_NAMESPACE, I_CM, I_DEPLOY, I_SVC, I__N
};

struct inf_spec {
    enum gw_kind kind;          /* GW_KIND_UNKNOWN for owned children */
    const struct kube_resource *res;
    bool owned;
    bool metadata_only;
    informer_project_fn project; /* what the cache keeps (below) */
};

static const struct inf_spec SPECS[I__N] = {
    [I_AIGW] = { GW_KIND_AIGATEWAY, &CTL_AIGATEWAYS, false, false, ctl_project_identity },
    [I_TOOLGW] = { GW_KIND_TOOLGATEWAY, &CTL_TOOLGATEWAYS, false, false, ctl_project_toolgateway },
    [I_ROUTE] = { GW_KIND_TOOLROUTE, &CTL_TOOLROUTES, false, false, ctl_project_route },
    [I_AICLASS] = { GW_KIND_AIGATEWAYCLASS, &CTL_AIGATEWAYCLASSES, false, false, ctl_project_identity },
    [I_TOOLCLASS] = { GW_KIND_TOOLGATEWAYCLASS, &CTL_TOOLGATEWAYCLASSES, false, false, ctl_project_identity },
    [I_GUARD] = { GW_KIND_GUARD, &CTL_GUARDS, false, false, ctl_project_identity },
    [I_PROVIDER] = { GW_KIND_GUARDRAILPROVIDER, &CTL_GUARDRAILPROVIDERS, false, false, ctl_project_identity },
    [I_SERVER] = { GW_KIND_TOOLSERVER, &CTL_TOOLSERVERS, false, false, ctl_project_identity },
    [I_SECRET] = { GW_KIND_SECRET, &KUBE_SECRETS, false, true, ctl_project_identity },
    /* Labels, for allowedRoutes selectors. In namespaced mode one informer
     * per watched namespace, by name (make_slots). */
    [I_NAMESPACE] = { GW_KIND_NAMESPACE, &KUBE_NAMESPACES, false, true, ctl_project_labels },
    [I_CM] = { GW_KIND_UNKNOWN, &KUBE_CONFIGMAPS, true, false, ctl_project_child },
    [I_DEPLOY] = { GW_KIND_UNKNOWN, &KUBE_DEPLOYMENTS, true, false, ctl_project_deployment },
    [I_SVC] = { GW_KIND_UNKNOWN, &KUBE_SERVICES, true, false, ctl_project_child },
};

/* Metrics, controller-runtime's names: the controller label is the kind of
 * the key (a dependency's key fans out to the gateways it affects). */
enum ctl_name { CN_AIGATEWAY, CN_TOOLGATEWAY, CN_TOOLROUTE, CN_DEPENDENCY, CN__N };
static const char *const CTL_NAMES[CN__N] = { "aigateway", "toolgateway", "toolroute", "dependency" };
enum ctl_result { CR_SUCCESS, CR_ERROR, CR_REQUEUE_AFTER, CR__N };
static const char *const CTL_RESULTS[CR__N] = { "success", "error", "requeue_after" };
#define CTL_QUEUE_NAME "litellm-gateway-operator"

struct ctl_metrics {
    atomic_ullong total[CN__N][CR__N];
    atomic_ullong errors[CN__N];
    struct gw_hist time[CN__N];
    struct wq_metrics wq;
};

struct handler_ctx {
    struct controller *c;
    enum inf_id id;
};

/* One informer per kind, or per kind and namespace in namespaced mode
 * (cluster-scoped kinds keep one). */
struct inf_slot {
    enum inf_id id;
    const char *ns;             /* NULL: all namespaces; for Namespaces: this one */
    struct informer *inf;
    struct handler_ctx h;
};

struct controller {
    struct ctl_options opt;
    struct inf_slot *slots;
    size_t n_slots;
    pthread_mutex_t lock;       /* guards q, workers, leading */
    struct workqueue *q;
    struct wq_workers *workers;
    bool leading;
    pthread_key_t client_key;
    struct world *world;
    struct mcp_cache *tools;    /* upstream tool lists, fetched off the workers */
    atomic_ulong reconciles, errors, applies, status_writes;
    atomic_bool halt;           /* set by ctl_set_leading(false) */
    struct ctl_metrics m;
    struct secret_digests *digests;
    struct ctl_event_memo *events;  /* Events posted once per generation */
    pthread_mutex_t list_lock;  /* the informers list one at a time */
};

/* No write may start: leadership is gone (or going). */
static bool fenced(struct controller *c)
{
    if (atomic_load(&c->halt) || (c->opt.fence && atomic_load(c->opt.fence)))
        return true;
    /* The term ended by the clock before the elector said so (a thawed
     * process): the clients have stopped already, say why. */
    return gw_deadline_passed(c->opt.term_end);
}

static const atomic_bool *stop_flag(struct controller *c)
{
    return c->opt.fence ? c->opt.fence : &c->halt;
}

/* --- queueing ------------------------------------------------------------ */

/* Queues a key. A gateway's key waits for the coalescing moment, so that
 * changes arriving together (a gateway and its routes applied at once, a
 * Secret and the gateway naming it) make one reconcile, one config and one
 * rollout; later adds within the moment join the one already waiting. */
static void enqueue_key(struct controller *c, const struct ctl_key *k, bool now, uint64_t after_ms)
{
    char enc[600];
    if (ctl_key_encode(k, enc, sizeof(enc)) < 0)
        return;
    bool gateway = k->op == CTL_KEY_OBJECT && (k->kind == GW_KIND_AIGATEWAY || k->kind == GW_KIND_TOOLGATEWAY);
    if (!after_ms && !now && gateway)
        after_ms = c->opt.coalesce_ms;
    pthread_mutex_lock(&c->lock);
    if (c->q)
        wq_add_after(c->q, enc, after_ms);
    pthread_mutex_unlock(&c->lock);
}

static void enqueue_object(struct controller *c, enum gw_kind kind, const char *ns, const char *name)
{
    struct ctl_key k;
    if (ctl_key_object(kind, ns, name, &k) == 0)
        enqueue_key(c, &k, false, 0);
}

static void enqueue_every(struct controller *c, enum gw_kind kind)
{
    struct ctl_key k = { .op = CTL_KEY_EVERY, .kind = kind };
    enqueue_key(c, &k, false, 0);
}

/* Keys from deps (their encodings). */
static void enqueue_keys(struct controller *c, const struct ctl_keys *keys)
{
    for (size_t i = 0; i < keys->n; i++) {
        struct ctl_key k;
        if (ctl_key_decode(keys->items[i], &k) == 0)
            enqueue_key(c, &k, false, 0);
    }
}

/* The gateway a route version points at, so leaving it refreshes it. */
static void enqueue_route_gateway(struct controller *c, json_object *route)
{
    json_object *ref = jobj_get(jobj_get(route, "spec"), "toolGatewayRef");
    json_object *name = jobj_get(ref, "name"), *ns = jobj_get(ref, "namespace");
    if (name)
        enqueue_object(c, GW_KIND_TOOLGATEWAY, ns ? json_object_get_string(ns) : kube_meta_str(route, "namespace"),
                       json_object_get_string(name));
    else
        enqueue_every(c, GW_KIND_TOOLGATEWAY); /* it used the default one */
}

static void on_change(struct handler_ctx *h, json_object *obj, json_object *old)
{
    const struct inf_spec *s = &SPECS[h->id];
    if (!s->owned)
        world_apply(h->c->world, s->kind, obj, old == obj);
    if (s->kind == GW_KIND_SECRET && old == obj)
        secret_digests_forget(h->c->digests, kube_meta_str(obj, "namespace"), kube_meta_str(obj, "name"));
    /* Namespaces change (status, annotations) without concern to us: only
     * their labels matter. */
    if (s->kind == GW_KIND_NAMESPACE && old && old != obj &&
        json_object_equal(jobj_get(jobj_get(old, "metadata"), "labels"), jobj_get(jobj_get(obj, "metadata"), "labels")))
        return;
    if (s->owned) {
        struct ctl_keys k = { 0 };
        if (ctl_owner_key(obj, &k) == 0)
            enqueue_keys(h->c, &k);
        ctl_keys_release(&k);
        return;
    }
    /* A route that names its gateway is that gateway's business: queue the
     * gateway (one key for all its routes) instead of the route. */
    if (s->kind == GW_KIND_TOOLROUTE && jobj_get(jobj_get(obj, "spec"), "toolGatewayRef"))
        enqueue_route_gateway(h->c, obj);
    else
        enqueue_object(h->c, s->kind, kube_meta_str(obj, "namespace"), kube_meta_str(obj, "name"));
    if (s->kind == GW_KIND_TOOLROUTE && old && old != obj)
        enqueue_route_gateway(h->c, old);
    /* A ToolGateway appearing, going or changing its default marker or
     * class changes where ref-less routes attach. */
    if (s->kind == GW_KIND_TOOLGATEWAY &&
        (!old || old == obj || !json_object_equal(jobj_get(jobj_get(old, "metadata"), "annotations"),
                                                  jobj_get(jobj_get(obj, "metadata"), "annotations")) ||
         !json_object_equal(jobj_get(old, "spec"), jobj_get(obj, "spec"))))
        enqueue_every(h->c, GW_KIND_TOOLROUTE);
}

static void h_add(void *ud, json_object *obj)
{
    on_change(ud, obj, NULL);
}

/* The old version comes from the cache, as its projection's text
 * (cache_project.h): read as a private tree. */
static void h_update(void *ud, json_object *old_obj, json_object *new_obj)
{
    json_object *old = ctl_cached_tree(old_obj);
    on_change(ud, new_obj, old);
    json_object_put(old);
}

static void h_delete(void *ud, json_object *old_obj)
{
    json_object *old = ctl_cached_tree(old_obj);
    if (old)
        on_change(ud, old, old);
    json_object_put(old);
}

/* --- upstream tool lists ------------------------------------------------ */

/* Tool lists are fetched by the cache's own threads, never on a worker: a
 * gateway whose lists are not there yet plans nothing and waits. When a list
 * lands, the ToolGateways plan again (those that did not wait for it find
 * nothing new to write). */
#define CTL_TOOLS_TIMEOUT_MS 5000L

static void tools_ready(void *ctx, const char *url, const char *transport)
{
    (void)url;
    (void)transport;
    enqueue_every(ctx, GW_KIND_TOOLGATEWAY);
}

/* --- reconciling ----------------------------------------------------------- */

static struct kube_client *thread_client(struct controller *c)
{
    struct kube_client *kc = pthread_getspecific(c->client_key);
    if (!kc && kube_client_new(c->opt.cfg, NULL, &kc) == 0)
        pthread_setspecific(c->client_key, kc);
    /* Both flags: the leader's fence (set by the elector the moment
     * leadership ends) when there is one, our own otherwise. */
    if (kc) {
        kube_client_set_stop(kc, stop_flag(c));
        kube_client_set_deadline(kc, c->opt.term_end);
    }
    return kc;
}


static json_object *owned(struct controller *c, enum inf_id id, const char *ns, const char *name,
                          const char *suffix)
{
    char key[600];
    snprintf(key, sizeof(key), "%s/%s%s", ns, name, suffix);
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].id == id && (!c->slots[i].ns || strcmp(c->slots[i].ns, ns) == 0))
        {
            json_object *cached = informer_get(c->slots[i].inf, key);
            json_object *tree = ctl_cached_tree(cached);
            informer_put(c->slots[i].inf, cached);
            return tree;
        }
    return NULL;
}


/* Whether this worker's current key already logged its failure. */
static _Thread_local bool failure_logged;

static int run_plan(struct controller *c, const struct gw_object *subject, const struct ctl_plan *p)
{
    if (!p->ours)
        return 0;
    bool writes = p->apply[0] || p->apply[1] || p->apply[2] || p->n_statuses;
    if (!writes && !p->n_events)
        return 0;
    struct kube_client *kc = thread_client(c);
    if (!kc)
        return -ENOMEM;
    struct ctl_exec_stats st = { 0 };
    int r = ctl_execute_plan(kc, subject, p, &st);
    atomic_fetch_add(&c->applies, st.applied);
    atomic_fetch_add(&c->status_writes, st.status_writes);
    struct gw_logobj lo = { gw_kind_name(subject->kind), subject->meta.ns, subject->meta.name };
    if (r == -ECANCELED && fenced(c))
        gw_log(GW_LOG_INFO, "controller", &lo, NULL,
               "reconcile stopped: no longer the leader (applied %u, status writes %u, events %u)", st.applied,
               st.status_writes, st.events);
    else if (r < 0)
        gw_log(GW_LOG_ERROR, "controller", &lo, kube_client_error(kc),
               "reconcile failed (applied %u, status writes %u, events %u before the failure)", st.applied,
               st.status_writes, st.events);
    else if (writes)
        gw_log(GW_LOG_INFO, "controller", &lo, NULL, "reconciled (applied %u, status writes %u, events %u)",
               st.applied, st.status_writes, st.events);
    if (r < 0)
        failure_logged = true;
    return r;
}

/* An object being deleted (foreground deletion, finalizers): the garbage
 * collector is removing its children; re-applying them would fight it. */
static bool being_deleted(const struct gw_object *o)
{
    return o->meta.deleting;
}

/* The set a gateway is planned against, with each Secret of its namespace
 * standing for its data: uid dropped and resourceVersion replaced by the
 * digest of its data (secrets.h), so that the secret-hash changes exactly
 * when some referenced data does. Secrets gone meanwhile are left out.
 * Caller frees *ret_items and *ret_copies. */
struct secret_view {
    const struct gw_object **items;
    size_t n;
    struct gw_object *copies;
    char (*digests)[CTL_DIGEST_LEN];
};

static void secret_view_release(struct secret_view *v)
{
    free(v->items);
    free(v->copies);
    free(v->digests);
}

static int secret_view(struct controller *c, const struct snapshot *s, const char *ns, struct secret_view *v)
{
    size_t n_secrets = 0;
    for (size_t i = 0; i < s->n_ours; i++)
        n_secrets += s->ours[i]->kind == GW_KIND_SECRET && s->ours[i]->meta.ns && strcmp(s->ours[i]->meta.ns, ns) == 0;
    *v = (struct secret_view){ 0 };
    v->items = calloc(s->n_ours + 1, sizeof(*v->items));
    v->copies = calloc(n_secrets + 1, sizeof(*v->copies));
    v->digests = calloc(n_secrets + 1, sizeof(*v->digests));
    if (!v->items || !v->copies || !v->digests) {
        secret_view_release(v);
        return -ENOMEM;
    }
    struct kube_client *kc = thread_client(c);
    if (!kc) {
        secret_view_release(v);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n_ours; i++) {
        const struct gw_object *o = s->ours[i];
        if (o->kind != GW_KIND_SECRET || !o->meta.ns || strcmp(o->meta.ns, ns) != 0) {
            v->items[v->n++] = o;
            continue;
        }
        int r = secret_digests_get(c->digests, kc, ns, o->meta.name, o->meta.resource_version, v->digests[k]);
        if (r == -ENOENT)
            continue;
        if (r < 0) {
            struct gw_logobj lo = { "Secret", ns, o->meta.name };
            gw_log(GW_LOG_ERROR, "controller", &lo, kube_client_error(kc),
                   "cannot read the Secret to hash its data");
            failure_logged = true;
            secret_view_release(v);
            return r;
        }
        v->copies[k] = *o;
        v->copies[k].meta.uid = NULL;
        v->copies[k].meta.resource_version = v->digests[k];
        v->items[v->n++] = &v->copies[k++];
    }
    return 0;
}

static int reconcile_gateway(struct controller *c, const struct snapshot *s, const struct gw_object *gw)
{
    const char *ns = gw->meta.ns, *name = gw->meta.name;
    if (being_deleted(gw))
        return 0;
    struct secret_view sv;
    int r = secret_view(c, s, ns, &sv);
    if (r < 0)
        return r;
    struct ctl_live live = {
        .configmap = owned(c, I_CM, ns, name, "-config"),
        .deployment = owned(c, I_DEPLOY, ns, name, ""),
        .service = owned(c, I_SVC, ns, name, ""),
    };
    char now[32];
    gw_rfc3339_now(now);
    struct gw_objset ours = { sv.items, sv.n };
    struct ctl_plan_options po = { .image = c->opt.image, .otlp_endpoint = c->opt.otlp_endpoint, .now = now };
    struct mcp_tool_list *tools = NULL;
    r = ctl_plan_tool_needs(gw, &ours, &tools, &po.n_tool_lists);
    if (r == 0)
        r = mcp_cache_answer(c->tools, tools, po.n_tool_lists);
    po.tool_lists = tools;
    struct ctl_plan p;
    if (r == 0)
        r = ctl_plan_gateway(gw, &ours, &live, &po, &p);
    if (r == 0) {
        ctl_event_memo_filter(c->events, gw, &p);
        r = run_plan(c, gw, &p);
        if (r == 0 && p.requeue)
            r = CTL_ROLLOUT_RECHECK_MS;
        ctl_plan_release(&p);
    }
    mcp_tool_lists_free(tools, po.n_tool_lists);
    json_object_put(live.configmap);
    json_object_put(live.deployment);
    json_object_put(live.service);
    secret_view_release(&sv);
    return r;
}

static int reconcile_route(struct controller *c, const struct snapshot *s, const struct gw_object *route)
{
    struct gw_objset ours = { s->ours, s->n_ours };
    struct gw_objset all = { s->all, s->n };
    const struct gw_ref *ref = &route->u.route.gateway;
    /* Named gateway: an O(1) lookup (snapshots hold thousands of routes);
     * its reconcile writes the route's status if the gateway is ours. */
    const struct gw_object *gw = ref->set ? snapshot_find(s, GW_KIND_TOOLGATEWAY, gw_ref_ns(ref, route->meta.ns),
                                                          ref->name)
                                          : gw_route_gateway(route, &ours, NULL);
    if (gw) {
        enqueue_object(c, gw->kind, gw->meta.ns, gw->meta.name);
        return 0;
    }
    if (being_deleted(route))
        return 0;

    char now[32];
    gw_rfc3339_now(now);
    struct ctl_plan_options po = { .image = c->opt.image, .otlp_endpoint = c->opt.otlp_endpoint, .now = now };
    struct ctl_plan p;
    int r = ctl_plan_orphan_route(route, &ours, &all, &po, &p);
    if (r == 0) {
        r = run_plan(c, route, &p);
        ctl_plan_release(&p);
    }
    return r;
}

/* A ToolGateway that does not exist: the routes naming it say so. */
static int orphan_routes_of(struct controller *c, const struct snapshot *s, const char *ns, const char *name)
{
    int r = 0;
    for (size_t i = 0; i < s->n && r >= 0; i++) {
        const struct gw_object *rt = s->all[i];
        const struct gw_ref *ref = &rt->u.route.gateway;
        if (rt->kind == GW_KIND_TOOLROUTE && ref->set && ref->name && strcmp(ref->name, name) == 0 &&
            strcmp(gw_ref_ns(ref, rt->meta.ns), ns) == 0)
            r = reconcile_route(c, s, rt);
    }
    return r;
}

/* A dependency changed: queue the gateways it affects. */
static int fan_out(struct controller *c, const struct snapshot *s, enum gw_kind kind, const char *ns, const char *name)
{
    struct gw_object gone;
    memset(&gone, 0, sizeof(gone));
    const struct gw_object *o = snapshot_find(s, kind, ns, name);
    if (!o) { /* deleted: its kind, namespace and name are enough */
        gone.kind = kind;
        gone.meta.ns = ns;
        gone.meta.name = name;
        o = &gone;
    }
    struct gw_objset all = { s->all, s->n };
    struct ctl_keys k = { 0 };
    int r = ctl_affected_keys(&all, o, NULL, &k);
    if (r == 0)
        enqueue_keys(c, &k);
    ctl_keys_release(&k);
    return r;
}

static void enqueue_everything(struct controller *c);

static uint64_t resync_ms(const struct controller *c)
{
    return (uint64_t)(c->opt.resync_secs ? c->opt.resync_secs : 600) * 1000u;
}

/* The periodic full re-check: queues everything and comes back. */
static void schedule_resync(struct controller *c)
{
    struct ctl_key k = { .op = CTL_KEY_RESYNC };
    enqueue_key(c, &k, true, resync_ms(c));
}

/* Every object of a kind, one key each (kind's objects in the snapshot:
 * ours for gateways, all for routes). */
static void expand_every(struct controller *c, const struct snapshot *s, enum gw_kind kind)
{
    const struct gw_object *const *items = kind == GW_KIND_TOOLROUTE ? s->all : s->ours;
    size_t n = kind == GW_KIND_TOOLROUTE ? s->n : s->n_ours;
    for (size_t i = 0; i < n; i++)
        if (items[i]->kind == kind)
            enqueue_object(c, kind, items[i]->meta.ns, items[i]->meta.name);
}

static int process_object(struct controller *c, const struct snapshot *s, const struct ctl_key *k)
{
    if (k->kind == GW_KIND_AIGATEWAY || k->kind == GW_KIND_TOOLGATEWAY) {
        const struct gw_object *gw = snapshot_find(s, k->kind, k->ns, k->name);
        if (gw)
            return reconcile_gateway(c, s, gw);
        return k->kind == GW_KIND_TOOLGATEWAY ? orphan_routes_of(c, s, k->ns, k->name) : 0;
    }
    if (k->kind == GW_KIND_TOOLROUTE) {
        const struct gw_object *route = snapshot_find(s, k->kind, k->ns, k->name);
        return route ? reconcile_route(c, s, route) : 0;
    }
    return fan_out(c, s, k->kind, k->ns, k->name);
}

static int process_key(struct controller *c, const struct ctl_key *k)
{
    if (k->op == CTL_KEY_RESYNC) {
        enqueue_everything(c);
        schedule_resync(c);
        return 0;
    }
    const struct snapshot *s = world_snapshot(c->world);
    if (!s)
        return -ENOMEM;
    atomic_fetch_add(&c->reconciles, 1);
    int r = 0;
    if (k->op == CTL_KEY_EVERY)
        expand_every(c, s, k->kind);
    else
        r = process_object(c, s, k);
    snapshot_put(s);
    if (r < 0 && !(r == -ECANCELED && fenced(c))) {
        atomic_fetch_add(&c->errors, 1);
        if (!failure_logged) {
            struct gw_logobj lo = { gw_kind_name(k->kind), k->ns, k->name };
            gw_log(GW_LOG_ERROR, "controller", &lo, strerror(-r), "reconcile failed while planning");
        }
    }
    return r;
}

/* --- lifecycle ---------------------------------------------------------- */

static enum ctl_name name_of_key(const struct ctl_key *k)
{
    switch (k->kind) {
    case GW_KIND_AIGATEWAY: return CN_AIGATEWAY;
    case GW_KIND_TOOLGATEWAY: return CN_TOOLGATEWAY;
    case GW_KIND_TOOLROUTE: return CN_TOOLROUTE;
    default: return CN_DEPENDENCY;
    }
}

/* One key: reconciled, timed and counted. */
static int process(void *ud, const char *key)
{
    struct controller *c = ud;
    if (fenced(c))
        return 0; /* the queue is going away with the leadership */
    failure_logged = false;
    struct ctl_key k;
    if (ctl_key_decode(key, &k) < 0)
        return 0; /* not ours: nothing puts such a key in the queue */
    if (k.op == CTL_KEY_RESYNC)
        return process_key(c, &k); /* a timer, not a reconcile */
    uint64_t t0 = gw_mono_ns();
    int r = process_key(c, &k);
    if (r == -ECANCELED && fenced(c))
        return r;
    enum ctl_name n = name_of_key(&k);
    enum ctl_result res = r < 0 ? CR_ERROR : r > 0 ? CR_REQUEUE_AFTER : CR_SUCCESS;
    gw_hist_observe_ns(&c->m.time[n], gw_mono_ns() - t0);
    atomic_fetch_add(&c->m.total[n][res], 1);
    if (r < 0)
        atomic_fetch_add(&c->m.errors[n], 1);
    return r;
}

void ctl_write_metrics(struct controller *c, struct strbuf *out)
{
    mt_family(out, "controller_runtime_reconcile_total", "counter",
              "Total number of reconciliations per controller");
    for (int n = 0; n < CN__N; n++)
        for (int r = 0; r < CR__N; r++)
            mt_sample(out, "controller_runtime_reconcile_total", (double)atomic_load(&c->m.total[n][r]),
                      "controller", CTL_NAMES[n], "result", CTL_RESULTS[r], NULL);
    mt_family(out, "controller_runtime_reconcile_errors_total", "counter",
              "Total number of reconciliation errors per controller");
    for (int n = 0; n < CN__N; n++)
        mt_sample(out, "controller_runtime_reconcile_errors_total", (double)atomic_load(&c->m.errors[n]),
                  "controller", CTL_NAMES[n], NULL);
    mt_family(out, "controller_runtime_reconcile_time_seconds", "histogram",
              "Length of time per reconciliation per controller");
    for (int n = 0; n < CN__N; n++)
        mt_hist(out, "controller_runtime_reconcile_time_seconds", "controller", CTL_NAMES[n], &c->m.time[n]);
    wq_metrics_write(&c->m.wq, CTL_QUEUE_NAME, out);
    mt_family(out, "litellm_gateway_operator_applies_total", "counter",
              "Children (ConfigMap, Deployment, Service) applied with server-side apply");
    mt_sample(out, "litellm_gateway_operator_applies_total", (double)atomic_load(&c->applies), NULL);
    mt_family(out, "litellm_gateway_operator_status_writes_total", "counter",
              "Status subresource writes of gateways and routes");
    mt_sample(out, "litellm_gateway_operator_status_writes_total", (double)atomic_load(&c->status_writes), NULL);
}

static void enqueue_everything(struct controller *c)
{
    for (size_t i = 0; i < c->n_slots; i++) {
        enum inf_id id = c->slots[i].id;
        if (id != I_AIGW && id != I_TOOLGW && id != I_ROUTE)
            continue;
        struct informer *inf = c->slots[i].inf;
        json_object **docs = NULL;
        size_t n = 0;
        if (informer_list(inf, &docs, &n) < 0)
            continue;
        for (size_t j = 0; j < n; j++) {
            struct ctl_key k;
            json_object *doc = ctl_cached_tree(docs[j]);
            /* The caches are complete: no need to wait for more changes. */
            if (doc && ctl_key_object(SPECS[id].kind, kube_meta_str(doc, "namespace"), kube_meta_str(doc, "name"),
                                      &k) == 0)
                enqueue_key(c, &k, true, 0);
            json_object_put(doc);
        }
        informer_list_free(inf, docs, n);
    }
}

/* Whether the API server refuses this informer's list for want of a
 * permission. */
static bool refused(struct informer *inf)
{
    char *e = informer_last_error(inf);
    bool r = e && strstr(e, "forbidden") != NULL;
    free(e);
    return r;
}

/* Waits for a cache, giving up early when the fence is set, and for the
 * Namespaces when they may not be read: only allowedRoutes selectors need
 * them, and those then say so on each route (resolve.h) instead of every
 * gateway waiting. */
static bool wait_synced(struct controller *c, const struct inf_slot *sl, unsigned timeout_ms)
{
    uint64_t due = gw_mono_ms() + timeout_ms;
    while (!informer_wait_synced(sl->inf, 100)) {
        if (fenced(c) || gw_mono_ms() >= due)
            return false;
        if (sl->id == I_NAMESPACE && refused(sl->inf)) {
            gw_log(GW_LOG_WARN, "controller", NULL, NULL,
                   "Namespaces%s%s may not be read: ToolGateways with allowedRoutes from Selector admit no route "
                   "until list and watch on namespaces are granted", sl->ns ? " " : "", sl->ns ? sl->ns : "");
            return true;
        }
    }
    return true;
}

void ctl_set_leading(struct controller *c, bool leading)
{
    pthread_mutex_lock(&c->lock);
    if (leading == c->leading) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    c->leading = leading;
    struct wq_workers *stop = NULL;
    struct workqueue *q = NULL;
    if (leading) {
        atomic_store(&c->halt, false);
        /* Plan only against complete caches: partial ones would make a
         * route look unattached or a gateway look new. */
        pthread_mutex_unlock(&c->lock);
        for (size_t i = 0; i < c->n_slots; i++) {
            if (wait_synced(c, &c->slots[i], 60000))
                continue;
            if (fenced(c))
                break;
            char *e = informer_last_error(c->slots[i].inf);
            gw_log(GW_LOG_WARN, "controller", NULL, e ? e : "no error reported",
                   "the %s cache%s%s is not synced after 60 s; reconciling anyway", SPECS[c->slots[i].id].res->plural,
                   c->slots[i].ns ? " of namespace " : "", c->slots[i].ns ? c->slots[i].ns : "");
            free(e);
        }
        pthread_mutex_lock(&c->lock);
        if (!c->leading || c->q || fenced(c)) { /* lost it meanwhile, or started twice */
            pthread_mutex_unlock(&c->lock);
            return;
        }
        struct wq_opts qo = { .metrics = &c->m.wq };
        if (wq_new(&qo, &c->q) == 0 &&
            wq_workers_start(c->q, c->opt.workers ? c->opt.workers : 2, process, c, &c->workers) != 0) {
            wq_free(c->q);
            c->q = NULL;
        }
    } else {
        atomic_store(&c->halt, true); /* before anything else: no new write */
        stop = c->workers;
        q = c->q;
        c->workers = NULL;
        c->q = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (leading) {
        enqueue_everything(c);
        schedule_resync(c);
    } else {
        wq_workers_stop(stop);
        wq_free(q);
    }
}

bool ctl_synced(struct controller *c)
{
    for (size_t i = 0; i < c->n_slots; i++)
        if (!informer_synced(c->slots[i].inf) && !(c->slots[i].id == I_NAMESPACE && refused(c->slots[i].inf)))
            return false; /* Namespaces refused: see wait_synced */
    return true;
}

void ctl_get_stats(struct controller *c, struct ctl_stats *ret)
{
    ret->reconciles = atomic_load(&c->reconciles);
    ret->reconcile_errors = atomic_load(&c->errors);
    ret->applies = atomic_load(&c->applies);
    ret->status_writes = atomic_load(&c->status_writes);
}

static void free_client(void *p)
{
    kube_client_free(p);
}

/* Which informers: every kind across all namespaces, or, in namespaced
 * mode, every namespaced kind once per namespace. */
static int make_slots(struct controller *c)
{
    size_t n_ns = c->opt.n_namespaces;
    c->slots = calloc((size_t)I__N * (n_ns ? n_ns : 1), sizeof(*c->slots));
    if (!c->slots)
        return -ENOMEM;
    for (int i = 0; i < I__N; i++) {
        if (!n_ns || (!SPECS[i].res->namespaced && i != I_NAMESPACE)) {
            c->slots[c->n_slots++] = (struct inf_slot){ .id = (enum inf_id)i };
            continue;
        }
        for (size_t j = 0; j < n_ns; j++)
            c->slots[c->n_slots++] = (struct inf_slot){ .id = (enum inf_id)i, .ns = c->opt.namespaces[j] };
    }
    return 0;
}

/* glibc gives each thread that allocates at the same time as another its
 * own arena, up to eight per core, and each keeps the memory its thread
 * freed: with informer and worker threads that is many heaps of garbage.
 * Two arenas keep contention low for the few threads that allocate much. */
void ctl_limit_malloc(void)
{
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 2);
    /* A fixed threshold: glibc raises its own after each large free, and
     * then list pages and response bodies of a few hundred KB come from
     * the heap and leave holes between the small blocks that stay. */
    if (!getenv("MALLOC_MMAP_THRESHOLD_"))
        mallopt(M_MMAP_THRESHOLD, 128 << 10);
}

/* The informer of one slot, not started. */
static int new_informer(struct controller *c, struct inf_slot *sl)
{
    sl->h = (struct handler_ctx){ c, sl->id };
    /* A Namespace by name: the grant may then name the namespaces
     * (resourceNames), since the API server authorizes a list or watch
     * with a metadata.name field selector as one of that name. */
    char by_name[300];
    bool one_ns = sl->id == I_NAMESPACE && sl->ns;
    snprintf(by_name, sizeof(by_name), "metadata.name=%s", one_ns ? sl->ns : "");
    struct informer_opts io = {
        .res = SPECS[sl->id].res,
        .ns = one_ns ? NULL : sl->ns,
        .field_selector = one_ns ? by_name : NULL,
        .label_selector = SPECS[sl->id].owned ? CTL_OWNED_SELECTOR : NULL,
        .metadata_only = SPECS[sl->id].metadata_only,
        .project = SPECS[sl->id].project,
        /* Smaller pages, one list at a time: a start over a converged
         * world holds one page of whole objects (with their
         * managedFields until they are dropped) at a time. */
        .page_size = CTL_LIST_PAGE,
        .list_lock = &c->list_lock,
        .handlers = { h_add, h_update, h_delete, &sl->h },
    };
    return informer_new(c->opt.cfg, &io, &sl->inf);
}

int ctl_start(const struct ctl_options *opts, struct controller **ret, char **ret_err)
{
    ctl_limit_malloc();
    struct controller *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->opt = *opts;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->list_lock, NULL);
    pthread_key_create(&c->client_key, free_client);
    atomic_init(&c->halt, true);
    wq_metrics_init(&c->m.wq);
    for (int n = 0; n < CN__N; n++)
        gw_hist_init(&c->m.time[n], GW_BUCKETS_RECONCILE, GW_BUCKETS_RECONCILE_N);
    struct mcp_cache_options mo = { .call = { .timeout_ms = CTL_TOOLS_TIMEOUT_MS,
                                              .allow_link_local = opts->allow_link_local_upstreams },
                                    .on_ready = tools_ready, .ctx = c };
    int r = mcp_cache_new(&mo, &c->tools);
    if (r == 0)
        r = world_new(&c->world);
    if (r == 0)
        r = secret_digests_new(&c->digests);
    if (r == 0)
        r = ctl_event_memo_new(CTL_EVENT_MEMO_CAP, &c->events);
    if (r == 0)
        r = make_slots(c);
    for (size_t i = 0; i < c->n_slots && r == 0; i++)
        r = new_informer(c, &c->slots[i]);
    for (size_t i = 0; i < c->n_slots && r == 0; i++) {
        r = informer_start(c->slots[i].inf);
        if (r < 0 && ret_err) {
            char msg[256];
            snprintf(msg, sizeof(msg), "starting the %s informer: %s", SPECS[c->slots[i].id].res->plural,
                     strerror(-r));
            *ret_err = strdup(msg);
        }
    }
    if (r < 0) {
        ctl_stop(c);
        return r;
    }
    *ret = c;
    return 0;
}

void ctl_stop(struct controller *c)
{
    if (!c)
        return;
    ctl_set_leading(c, false);
    mcp_cache_free(c->tools);
    /* All asked first, then joined: their requests in flight abort
     * together instead of one after another. */
    for (size_t i = 0; i < c->n_slots; i++)
        informer_request_stop(c->slots[i].inf);
    for (size_t i = 0; i < c->n_slots; i++)
        informer_stop(c->slots[i].inf);
    world_free(c->world);
    for (size_t i = 0; i < c->n_slots; i++)
        informer_free(c->slots[i].inf);
    free(c->slots);
    secret_digests_free(c->digests);
    ctl_event_memo_free(c->events);
    pthread_key_delete(c->client_key);
    pthread_mutex_destroy(&c->list_lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
