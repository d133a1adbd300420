#include "informer.h"
#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/linkhash.h>

#define BACKOFF_BASE_MS 200u
#define BACKOFF_MAX_MS 30000u

struct informer {
    struct kube_config *cfg;
    const struct kube_resource *res;
    char *ns, *labels, *fields;
    bool metadata_only;
    informer_project_fn project;
    pthread_mutex_t *list_lock;
    unsigned page_size;
    unsigned watch_timeout;
    struct informer_handlers h;
    struct kube_client_opts copts;
    bool copts_set;

    /* The map and every reference count change on the trees in it. */
    pthread_mutex_t cache_lock;
    json_object *cache;

    /* The rest of the shared state, and the stop wake-up. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *rv;
    char *err;
    struct informer_stats stats;
    bool synced;
    atomic_bool stop;
    bool running;
    pthread_t thread;
};

/* What one watch sees, for the event callback. */
struct watch_state {
    struct informer *inf;
    bool got_event;
    char *error;     /* an ERROR event's message */
};

/* ---- lifecycle ------------------------------------------------------------- */

static int dup_opt(const char *s, char **ret)
{
    *ret = NULL;
    if (!s || !*s)
        return 0;
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

static int init_sync(struct informer *inf)
{
    if (gw_cond_init_mono(&inf->cond) != 0)
        return -ENOMEM;
    pthread_mutex_init(&inf->lock, NULL);
    pthread_mutex_init(&inf->cache_lock, NULL);
    return 0;
}

int informer_new(struct kube_config *cfg, const struct informer_opts *o, struct informer **ret)
{
    if (!o || !o->res)
        return -EINVAL;
    struct informer *inf = calloc(1, sizeof(*inf));
    if (!inf)
        return -ENOMEM;
    inf->cfg = cfg;
    inf->res = o->res;
    inf->metadata_only = o->metadata_only;
    inf->project = o->project;
    inf->list_lock = o->list_lock;
    inf->page_size = o->page_size ? o->page_size : 500;
    inf->watch_timeout = o->watch_timeout_secs;
    inf->h = o->handlers;
    inf->copts = o->client;
    inf->copts_set = o->client.timeout_ms != 0;
    atomic_init(&inf->stop, false);
    int r = dup_opt(o->ns, &inf->ns);
    if (r == 0)
        r = dup_opt(o->label_selector, &inf->labels);
    if (r == 0)
        r = dup_opt(o->field_selector, &inf->fields);
    if (r == 0 && !(inf->cache = json_object_new_object()))
        r = -ENOMEM;
    if (r == 0 && init_sync(inf) < 0) {
        json_object_put(inf->cache);
        inf->cache = NULL;
        r = -ENOMEM;
    }
    if (r < 0) {
        free(inf->ns);
        free(inf->labels);
        free(inf->fields);
        json_object_put(inf->cache);
        free(inf);
        return r;
    }
    *ret = inf;
    return 0;
}

void informer_request_stop(struct informer *inf)
{
    if (!inf || !inf->running)
        return;
    atomic_store(&inf->stop, true);
    pthread_mutex_lock(&inf->lock);
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
}

bool informer_stop_requested(struct informer *inf)
{
    return inf && atomic_load(&inf->stop);
}

void informer_stop(struct informer *inf)
{
    if (!inf || !inf->running)
        return;
    informer_request_stop(inf);
    pthread_join(inf->thread, NULL);
    inf->running = false;
}

void informer_free(struct informer *inf)
{
    if (!inf)
        return;
    informer_stop(inf);
    json_object_put(inf->cache);
    free(inf->ns);
    free(inf->labels);
    free(inf->fields);
    free(inf->rv);
    free(inf->err);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->lock);
    pthread_mutex_destroy(&inf->cache_lock);
    free(inf);
}

/* ---- readers ------------------------------------------------------------------- */

json_object *informer_get(struct informer *inf, const char *key)
{
    pthread_mutex_lock(&inf->cache_lock);
    json_object *o = json_object_get(json_object_object_get(inf->cache, key));
    pthread_mutex_unlock(&inf->cache_lock);
    return o;
}

json_object *informer_get_copy(struct informer *inf, const char *key)
{
    json_object *copy = NULL;
    pthread_mutex_lock(&inf->cache_lock);
    json_object *o = json_object_object_get(inf->cache, key);
    if (o && json_object_deep_copy(o, &copy, NULL) != 0)
        copy = NULL;
    pthread_mutex_unlock(&inf->cache_lock);
    return copy;
}

json_object *informer_ref(struct informer *inf, json_object *obj)
{
    pthread_mutex_lock(&inf->cache_lock);
    json_object_get(obj);
    pthread_mutex_unlock(&inf->cache_lock);
    return obj;
}

void informer_put(struct informer *inf, json_object *obj)
{
    if (!obj)
        return;
    pthread_mutex_lock(&inf->cache_lock);
    json_object_put(obj);
    pthread_mutex_unlock(&inf->cache_lock);
}

int informer_list(struct informer *inf, json_object ***ret, size_t *ret_n)
{
    pthread_mutex_lock(&inf->cache_lock);
    size_t n = (size_t)json_object_object_length(inf->cache), i = 0;
    json_object **objs = calloc(n ? n : 1, sizeof(*objs));
    if (objs) {
        json_object_object_foreach(inf->cache, k, v)
        {
            (void)k;
            objs[i++] = json_object_get(v);
        }
    }
    pthread_mutex_unlock(&inf->cache_lock);
    if (!objs)
        return -ENOMEM;
    *ret = objs;
    *ret_n = i;
    return 0;
}

void informer_list_free(struct informer *inf, json_object **objs, size_t n)
{
    if (!objs)
        return;
    pthread_mutex_lock(&inf->cache_lock);
    for (size_t i = 0; i < n; i++)
        json_object_put(objs[i]);
    pthread_mutex_unlock(&inf->cache_lock);
    free(objs);
}

size_t informer_count(struct informer *inf)
{
    pthread_mutex_lock(&inf->cache_lock);
    size_t n = (size_t)json_object_object_length(inf->cache);
    pthread_mutex_unlock(&inf->cache_lock);
    return n;
}

static char *locked_strdup(struct informer *inf, char *const *field)
{
    pthread_mutex_lock(&inf->lock);
    char *s = *field ? strdup(*field) : NULL;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

char *informer_resource_version(struct informer *inf)
{
    return locked_strdup(inf, &inf->rv);
}

char *informer_last_error(struct informer *inf)
{
    return locked_strdup(inf, &inf->err);
}

void informer_get_stats(struct informer *inf, struct informer_stats *ret)
{
    pthread_mutex_lock(&inf->lock);
    *ret = inf->stats;
    pthread_mutex_unlock(&inf->lock);
}

bool informer_synced(struct informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

bool informer_wait_synced(struct informer *inf, unsigned timeout_ms)
{
    uint64_t due = gw_mono_ms() + timeout_ms;
    pthread_mutex_lock(&inf->lock);
    int r = 0;
    while (!inf->synced && r != ETIMEDOUT)
        r = gw_cond_wait_until(&inf->cond, &inf->lock, due);
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

/* ---- bookkeeping (informer thread) ------------------------------------------------- */

static void count(struct informer *inf, unsigned long *field)
{
    pthread_mutex_lock(&inf->lock);
    (*field)++;
    pthread_mutex_unlock(&inf->lock);
}

static void set_rv(struct informer *inf, const char *rv)
{
    if (!rv || !*rv)
        return;
    char *copy = strdup(rv);
    if (!copy)
        return;
    pthread_mutex_lock(&inf->lock);
    free(inf->rv);
    inf->rv = copy;
    pthread_mutex_unlock(&inf->lock);
}

static void set_err(struct informer *inf, const char *msg)
{
    char *copy = msg ? strdup(msg) : NULL;
    pthread_mutex_lock(&inf->lock);
    free(inf->err);
    inf->err = copy;
    pthread_mutex_unlock(&inf->lock);
}

static void set_synced(struct informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    inf->synced = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
}

static bool stopping(struct informer *inf)
{
    return atomic_load(&inf->stop);
}

/* Sleeps for the backoff of the n-th consecutive failure, or until stopped. */
static void backoff(struct informer *inf, unsigned failures)
{
    uint64_t d = gw_jitter_half(gw_backoff_ms(BACKOFF_BASE_MS, BACKOFF_MAX_MS, failures ? failures - 1 : 0));
    uint64_t due = gw_mono_ms() + d;
    pthread_mutex_lock(&inf->lock);
    int r = 0;
    while (!stopping(inf) && r != ETIMEDOUT)
        r = gw_cond_wait_until(&inf->cond, &inf->lock, due);
    pthread_mutex_unlock(&inf->lock);
}

/* ---- handlers ---------------------------------------------------------------------- */

static void notify_add(struct informer *inf, json_object *obj)
{
    count(inf, &inf->stats.events);
    if (inf->h.on_add)
        inf->h.on_add(inf->h.ud, obj);
}

static void notify_update(struct informer *inf, json_object *old_obj, json_object *new_obj)
{
    count(inf, &inf->stats.events);
    if (inf->h.on_update)
        inf->h.on_update(inf->h.ud, old_obj, new_obj);
}

static void notify_delete(struct informer *inf, json_object *old_obj)
{
    count(inf, &inf->stats.events);
    if (inf->h.on_delete)
        inf->h.on_delete(inf->h.ud, old_obj);
}

/* ---- list and relist ------------------------------------------------------------------ */

static bool same_version(json_object *a, json_object *b)
{
    const char *ra = kube_meta_str(a, "resourceVersion");
    const char *rb = kube_meta_str(b, "resourceVersion");
    return ra && rb && strcmp(ra, rb) == 0;
}

/* What no reader of the cache needs and what makes up half of many an
 * object: field ownership records and kubectl's copy of the last applied
 * manifest. Dropped before an object is cached or handed to a handler. */
static void slim(json_object *obj)
{
    json_object *md = NULL, *ann = NULL;
    if (!json_object_object_get_ex(obj, "metadata", &md) || !md)
        return;
    json_object_object_del(md, "managedFields");
    if (json_object_object_get_ex(md, "annotations", &ann) && ann) {
        json_object_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
        if (json_object_object_length(ann) == 0)
            json_object_object_del(md, "annotations");
    }
}

/* The tree the cache keeps for obj: the projection when there is one, else
 * obj itself (a reference). NULL when out of memory. */
static json_object *cached_form(struct informer *inf, json_object *obj)
{
    if (!inf->project)
        return json_object_get(obj);
    return inf->project(obj);
}

/* Caches obj under key and tells the handlers: added, or updated when the
 * cached version differs (unless every is set: a watch event always
 * counts). obj is the caller's; the cache takes what it needs. */
static int upsert(struct informer *inf, const char *key, json_object *obj, bool every)
{
    json_object *keep = cached_form(inf, obj);
    if (!keep)
        return -ENOMEM;
    pthread_mutex_lock(&inf->cache_lock);
    json_object *old = json_object_get(json_object_object_get(inf->cache, key));
    bool same = !every && old && same_version(old, obj);
    int r = same ? 0 : json_object_object_add(inf->cache, key, keep);
    if (same || r != 0)
        json_object_put(keep);
    pthread_mutex_unlock(&inf->cache_lock);
    /* Handlers see the object as it came (the cached tree itself when
     * nothing is projected away) and the old version as cached. */
    json_object *shown = inf->project ? obj : keep;
    if (r == 0 && !same && old)
        notify_update(inf, old, shown);
    else if (r == 0 && !same)
        notify_add(inf, shown);
    informer_put(inf, old);
    return r != 0 ? -ENOMEM : 0;
}

/* One (re)list, page by page: each item is cached and reported as it
 * arrives, so that only one page is held in full at a time; at the end the
 * cached objects the list did not name are deleted and reported. */
struct list_pass {
    struct informer *inf;
    struct lh_table *seen;      /* keys in this list (owned strings) */
    char *rv;
    int err;
};

static void free_seen_key(struct lh_entry *e)
{
    free(lh_entry_k(e));
}

static int list_item(struct list_pass *lp, json_object *it)
{
    char *key = NULL;
    int r = kube_object_key(it, &key);
    if (r < 0)
        return r == -ENOMEM ? r : 0;
    slim(it);
    if (lh_table_lookup_entry(lp->seen, key) || lh_table_insert(lp->seen, key, NULL) != 0) {
        free(key); /* listed twice (a broken server): the first one counts */
        return 0;
    }
    return upsert(lp->inf, key, it, false);
}

static int on_page(void *ud, json_object *page)
{
    struct list_pass *lp = ud;
    const char *rv = kube_meta_str(page, "resourceVersion");
    if (rv && *rv) {
        free(lp->rv);
        lp->rv = strdup(rv);
    }
    json_object *items = json_object_object_get(page, "items");
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n; i++) {
        /* Out of the page at once: the page's memory goes with the item. */
        json_object *it = json_object_get(json_object_array_get_idx(items, i));
        json_object_array_put_idx(items, i, NULL);
        int r = list_item(lp, it);
        informer_put(lp->inf, it); /* cached itself when nothing is projected */
        if (r < 0)
            return r;
        if (stopping(lp->inf))
            return -ECANCELED;
    }
    return 0;
}

/* Deletes (and reports) every cached object the list did not name. */
static int drop_unseen(struct informer *inf, struct lh_table *seen)
{
    size_t n = 0, cap = 0;
    char **gone = NULL;
    int r = 0;
    pthread_mutex_lock(&inf->cache_lock);
    json_object_object_foreach(inf->cache, key, v)
    {
        (void)v;
        if (lh_table_lookup_entry(seen, key))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **g = realloc(gone, nc * sizeof(*g));
            if (!g) {
                r = -ENOMEM;
                break;
            }
            gone = g;
            cap = nc;
        }
        if (!(gone[n] = strdup(key))) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    pthread_mutex_unlock(&inf->cache_lock);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&inf->cache_lock);
        json_object *old = json_object_get(json_object_object_get(inf->cache, gone[i]));
        json_object_object_del(inf->cache, gone[i]);
        pthread_mutex_unlock(&inf->cache_lock);
        if (old)
            notify_delete(inf, old);
        informer_put(inf, old);
        free(gone[i]);
    }
    free(gone);
    return r;
}

static int list_pass(struct informer *inf, struct kube_client *c, struct list_pass *lp)
{
    struct kube_list_opts lo = {
        .label_selector = inf->labels, .field_selector = inf->fields,
        .limit = inf->page_size, .metadata_only = inf->metadata_only,
    };
    lp->seen = lh_kchar_table_new(1024, free_seen_key);
    if (!lp->seen)
        return -ENOMEM;
    if (inf->list_lock)
        pthread_mutex_lock(inf->list_lock);
    int r = kube_list_pages(c, inf->res, inf->ns, &lo, on_page, lp);
    if (inf->list_lock)
        pthread_mutex_unlock(inf->list_lock);
    if (r == 0)
        r = drop_unseen(inf, lp->seen);
    lh_table_free(lp->seen);
    lp->seen = NULL;
    return r;
}

static int do_list(struct informer *inf, struct kube_client *c)
{
    struct list_pass lp = { .inf = inf };
    int r = list_pass(inf, c, &lp);
    if (r == -ESTALE) /* a continue token expired: once more from the start */
        r = list_pass(inf, c, &lp);
    if (r < 0) {
        if (r != -ECANCELED)
            set_err(inf, r == -ENOMEM ? "out of memory while listing" : kube_client_error(c));
        free(lp.rv);
        return r;
    }
    count(inf, &inf->stats.lists);
    set_rv(inf, lp.rv);
    free(lp.rv);
    set_synced(inf);
    return 0;
}

/* ---- watch ------------------------------------------------------------------------------ */

static void apply_delete(struct informer *inf, char *key, json_object *obj)
{
    pthread_mutex_lock(&inf->cache_lock);
    json_object *old = json_object_get(json_object_object_get(inf->cache, key));
    json_object_object_del(inf->cache, key);
    pthread_mutex_unlock(&inf->cache_lock);
    notify_delete(inf, old ? old : obj);
    informer_put(inf, old);
}

static int on_error_event(struct watch_state *ws, json_object *status)
{
    int code = kube_status_code(status);
    const char *msg = json_object_get_string(json_object_object_get(status, "message"));
    free(ws->error);
    ws->error = strdup(msg ? msg : "watch ERROR event");
    json_object_put(status);
    return code == 410 ? -ESTALE : -EPROTO;
}

static int on_event(void *ud, enum kube_event_type t, json_object *obj)
{
    struct watch_state *ws = ud;
    struct informer *inf = ws->inf;
    if (t == KUBE_EVENT_ERROR)
        return on_error_event(ws, obj);
    ws->got_event = true;
    set_rv(inf, kube_meta_str(obj, "resourceVersion"));
    char *key = NULL;
    if (t == KUBE_EVENT_BOOKMARK || kube_object_key(obj, &key) < 0) {
        json_object_put(obj);
        return 0;
    }
    slim(obj);
    if (t == KUBE_EVENT_DELETED)
        apply_delete(inf, key, obj);
    else
        upsert(inf, key, obj, true);
    /* The handlers had it borrowed; the cache holds its own reference. */
    informer_put(inf, obj);
    free(key);
    return 0;
}

static unsigned watch_timeout(struct informer *inf)
{
    if (inf->watch_timeout)
        return inf->watch_timeout;
    return 300u + (unsigned)(gw_rand() % 300u);
}

/* One watch from the current resourceVersion. *worked tells the caller
 * whether the stream worked at all (to reset the backoff): it delivered an
 * event or bookmark, or it stayed open for a while. */
static int do_watch(struct informer *inf, struct kube_client *c, bool *worked)
{
    uint64_t started = gw_mono_ms();
    char *rv = informer_resource_version(inf);
    struct kube_watch_opts wo = {
        .resource_version = rv, .label_selector = inf->labels, .field_selector = inf->fields,
        .timeout_seconds = watch_timeout(inf), .metadata_only = inf->metadata_only,
    };
    struct watch_state ws = { .inf = inf };
    count(inf, &inf->stats.watches);
    int r = kube_watch(c, inf->res, inf->ns, &wo, on_event, &ws);
    if (r < 0 && r != -ECANCELED) {
        count(inf, &inf->stats.watch_errors);
        set_err(inf, ws.error ? ws.error : kube_client_error(c));
    }
    *worked = ws.got_event || gw_mono_ms() - started >= 1000;
    free(ws.error);
    free(rv);
    return r;
}

/* ---- the thread --------------------------------------------------------------------------- */

/* One step: a list when needed, else a watch. Returns what happened and
 * updates *need_list. */
static int step(struct informer *inf, struct kube_client *c, bool *need_list, bool *progress)
{
    *progress = false;
    if (*need_list) {
        int r = do_list(inf, c);
        *need_list = r < 0;
        *progress = r == 0;
        return r;
    }
    int r = do_watch(inf, c, progress);
    if (r == -ESTALE) {
        count(inf, &inf->stats.relists_gone);
        *need_list = true;
    } else if (r == -EPROTO) {
        /* An ERROR event we do not understand: start over from a list. */
        *need_list = true;
    }
    return r;
}

static void *informer_main(void *arg)
{
    struct informer *inf = arg;
    struct kube_client *c = NULL;
    if (kube_client_new(inf->cfg, inf->copts_set ? &inf->copts : NULL, &c) < 0) {
        set_err(inf, "out of memory creating the API client");
        return NULL;
    }
    kube_client_set_stop(c, &inf->stop);
    bool need_list = true;
    unsigned failures = 0, gone = 0;
    while (!stopping(inf)) {
        bool progress = false;
        int r = step(inf, c, &need_list, &progress);
        if (progress)
            failures = 0;
        gone = r == -ESTALE ? gone + 1 : 0;
        /* A normal end of a watch, or the first 410, goes on at once; but a
         * watch that ends at once without a single event (not even a
         * bookmark) must not turn into a busy loop. */
        bool idle_end = r == 0 && !progress && !need_list;
        if ((r == 0 && !idle_end) || (r == -ESTALE && gone == 1) || r == -ECANCELED)
            continue;
        backoff(inf, ++failures);
    }
    kube_client_free(c);
    return NULL;
}

int informer_start(struct informer *inf)
{
    if (inf->running)
        return -EALREADY;
    atomic_store(&inf->stop, false);
    int r = pthread_create(&inf->thread, NULL, informer_main, inf);
    if (r != 0)
        return -r;
    inf->running = true;
    return 0;
}
