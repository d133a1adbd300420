#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>

#include "convert.h"
#include "doc.h"
#include "model_compact.h"
#include "plan.h"
#include "textutil.h"

/* A parsed object shared by the snapshots that contain it. */
struct pobj {
    atomic_int refs;
    struct gw_object *o;
    char *key;                  /* "<kind>/<ns>/<name>" */
};

/* The live set is json-c's linkhash, keyed by the pobj's own key string.
 * A snapshot's index is an open-addressing table of item numbers (4 bytes
 * a slot, where a linkhash entry takes 40, and several snapshots may be
 * alive at once): a lookup only reads, so it is safe from any thread. */
struct snap {
    struct snapshot pub;        /* first: a snapshot pointer is a snap pointer */
    atomic_int refs;
    uint64_t gen;
    struct pobj **items;
    size_t n;
    uint32_t *index;            /* item number + 1 by key hash (0: free), built once, then read only */
    size_t n_index;             /* a power of two, at least twice n */
};

/* The live set, kept current by the informers' handlers (world_apply). */
struct world {
    pthread_mutex_t lock;       /* guards everything below */
    uint64_t gen;               /* bumped by every change */
    struct lh_table *live;      /* key -> pobj (a reference each) */
    struct snap *current;       /* the newest snapshot, for gen current->gen */
};

static atomic_long live_parsed;

long world_live_objects(void)
{
    return atomic_load(&live_parsed);
}

static void pobj_put(struct pobj *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
        atomic_fetch_sub(&live_parsed, 1);
        gw_object_free(p->o);
        free(p->key);
        free(p);
    }
}

static int make_key(char *buf, size_t cap, enum gw_kind kind, const char *ns, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s/%s", gw_kind_name(kind), ns ? ns : "", name ? name : "");
    return n < 0 || (size_t)n >= cap ? -EINVAL : 0;
}

static struct pobj *snap_lookup(const struct snap *s, const char *key)
{
    if (!s || !s->index)
        return NULL;
    size_t mask = s->n_index - 1;
    for (size_t at = gw_fnv1a(key, strlen(key)) & mask;; at = (at + 1) & mask) {
        uint32_t slot = s->index[at];
        if (!slot)
            return NULL; /* the table is never full: an empty slot ends every probe */
        if (strcmp(s->items[slot - 1]->key, key) == 0)
            return s->items[slot - 1];
    }
}

static void snap_free(struct snap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        pobj_put(s->items[i]);
    free(s->items);
    free(s->index);
    free(s->pub.all);
    free(s->pub.ours);
    free(s);
}

void snapshot_put(const struct snapshot *pub)
{
    struct snap *s = (struct snap *)pub;
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snap_free(s);
}

const struct gw_object *snapshot_find(const struct snapshot *pub, enum gw_kind kind, const char *ns,
                                      const char *name)
{
    char key[600];
    if (make_key(key, sizeof(key), kind, ns, name) < 0)
        return NULL;
    struct pobj *p = snap_lookup((const struct snap *)pub, key);
    return p ? p->o : NULL;
}

/* Secrets and Namespaces are cached as PartialObjectMetadata: give them
 * their own kind. */
static json_object *as_core(json_object *meta_obj, enum gw_kind kind)
{
    json_object *o = json_object_new_object(), *md = NULL;
    if (!o)
        return NULL;
    json_object_object_get_ex(meta_obj, "metadata", &md);
    json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(o, "kind", json_object_new_string(gw_kind_name(kind)));
    json_object_object_add(o, "metadata", json_object_get(md));
    return o;
}

static const char *meta_str(json_object *doc, const char *field)
{
    json_object *md = NULL, *v = NULL;
    if (!json_object_object_get_ex(doc, "metadata", &md) || !json_object_object_get_ex(md, field, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Parses a private copy of doc (informer trees are shared between threads
 * and their reference counts are guarded by the informer). */
static struct pobj *pobj_new(enum gw_kind kind, json_object *doc, const char *key)
{
    json_object *copy = NULL;
    if (json_object_deep_copy(doc, &copy, NULL) != 0)
        return NULL;
    json_object *j = kind == GW_KIND_SECRET || kind == GW_KIND_NAMESPACE ? as_core(copy, kind) : json_object_get(copy);
    json_object_put(copy);
    struct gw_errlist errs;
    errlist_init(&errs);
    struct gw_object *o = NULL;
    int r = j ? gw_object_parse(j, &o, &errs) : -ENOMEM;
    if (r == 0 && gw_object_read_beta(o, &errs) < 0)
        r = -ENOMEM;
    if (r == 0 && gw_object_detach(o) < 0)
        r = -ENOMEM;
    errlist_free(&errs);
    json_object_put(j);
    if (r < 0 || o->kind != kind) {
        gw_object_free(o);
        return NULL;
    }
    struct pobj *p = calloc(1, sizeof(*p));
    char *k = strdup(key);
    if (!p || !k) {
        free(p);
        free(k);
        gw_object_free(o);
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->o = o;
    p->key = k;
    atomic_fetch_add(&live_parsed, 1);
    return p;
}

static int index_items(struct snap *s)
{
    size_t size = 16;
    while (size < 2 * s->n)
        size *= 2;
    if (s->n >= UINT32_MAX || size > SIZE_MAX / sizeof(*s->index))
        return -ENOMEM;
    s->index = calloc(size, sizeof(*s->index));
    if (!s->index)
        return -ENOMEM;
    s->n_index = size;
    for (size_t i = 0; i < s->n; i++) {
        size_t at = gw_fnv1a(s->items[i]->key, strlen(s->items[i]->key)) & (size - 1);
        while (s->index[at])
            at = (at + 1) & (size - 1);
        s->index[at] = (uint32_t)(i + 1);
    }
    return 0;
}

/* Gateways of other controllers are left out of "ours"; classes are
 * gathered first so the check is cheap per gateway. */
static int split_ours(struct snap *s)
{
    size_t n_classes = 0;
    const struct gw_object **classes = calloc(s->n + 1, sizeof(*classes));
    s->pub.all = calloc(s->n + 1, sizeof(*s->pub.all));
    s->pub.ours = calloc(s->n + 1, sizeof(*s->pub.ours));
    if (!classes || !s->pub.all || !s->pub.ours) {
        free(classes);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        const struct gw_object *o = s->items[i]->o;
        s->pub.all[s->pub.n++] = o;
        if (o->kind == GW_KIND_AIGATEWAYCLASS || o->kind == GW_KIND_TOOLGATEWAYCLASS)
            classes[n_classes++] = o;
    }
    struct gw_objset cls = { classes, n_classes };
    for (size_t i = 0; i < s->n; i++) {
        const struct gw_object *o = s->items[i]->o;
        bool gateway = o->kind == GW_KIND_AIGATEWAY || o->kind == GW_KIND_TOOLGATEWAY;
        if (!gateway || ctl_gateway_is_ours(o, &cls, NULL))
            s->pub.ours[s->pub.n_ours++] = o;
    }
    free(classes);
    return 0;
}

/* A snapshot of the live set (lock held): references, not copies. */
static struct snap *build(struct world *w)
{
    struct snap *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->gen = w->gen;
    s->items = calloc((size_t)lh_table_length(w->live) + 1, sizeof(*s->items));
    if (!s->items)
        goto fail;
    struct lh_entry *e;
    lh_foreach(w->live, e)
    {
        struct pobj *p = (struct pobj *)lh_entry_v(e);
        atomic_fetch_add(&p->refs, 1);
        s->items[s->n++] = p;
    }
    if (index_items(s) < 0 || split_ours(s) < 0)
        goto fail;
    return s;
fail:
    snap_free(s);
    return NULL;
}

static struct pobj *live_find(struct world *w, const char *key)
{
    void *v = NULL;
    return lh_table_lookup_ex(w->live, key, &v) ? v : NULL;
}

int world_apply(struct world *w, enum gw_kind kind, json_object *obj, bool deleted)
{
    char key[600];
    if (make_key(key, sizeof(key), kind, meta_str(obj, "namespace"), meta_str(obj, "name")) < 0)
        return -EINVAL;
    const char *rv = meta_str(obj, "resourceVersion");
    struct pobj *fresh = NULL, *old = NULL;
    if (!deleted) {
        pthread_mutex_lock(&w->lock);
        struct pobj *e = live_find(w, key);
        bool same = e && rv && e->o->meta.resource_version && strcmp(rv, e->o->meta.resource_version) == 0;
        pthread_mutex_unlock(&w->lock);
        if (same)
            return 0;
        fresh = pobj_new(kind, obj, key);
        if (!fresh)
            return -ENOMEM; /* or not parseable: the old version stays */
    }
    pthread_mutex_lock(&w->lock);
    /* The map's key is the pobj's own string: remove before the pobj goes. */
    old = live_find(w, key);
    if (old)
        lh_table_delete(w->live, key);
    if (fresh && lh_table_insert(w->live, fresh->key, fresh) != 0) {
        if (old && lh_table_insert(w->live, old->key, old) == 0)
            old = NULL; /* keep the old version rather than lose the object */
        pthread_mutex_unlock(&w->lock);
        pobj_put(fresh);
        pobj_put(old);
        return -ENOMEM;
    }
    w->gen++;
    pthread_mutex_unlock(&w->lock);
    pobj_put(old);
    return 0;
}

const struct snapshot *world_snapshot(struct world *w)
{
    pthread_mutex_lock(&w->lock);
    if (!w->current || w->current->gen != w->gen) {
        struct snap *s = build(w);
        if (s) {
            if (w->current)
                snapshot_put(&w->current->pub);
            w->current = s;
        } else if (!w->current) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
    }
    struct snap *s = w->current;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&w->lock);
    return &s->pub;
}

int world_new(struct world **ret)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->live = lh_kchar_table_new(1024, NULL);
    if (!w->live) {
        free(w);
        return -ENOMEM;
    }
    w->gen = 1;
    pthread_mutex_init(&w->lock, NULL);
    *ret = w;
    return 0;
}

void world_free(struct world *w)
{
    if (!w)
        return;
    if (w->current)
        snapshot_put(&w->current->pub);
    struct lh_entry *e, *tmp;
    lh_foreach_safe(w->live, e, tmp)
    {
        struct pobj *p = (struct pobj *)lh_entry_v(e);
        lh_table_delete_entry(w->live, e);
        pobj_put(p);
    }
    lh_table_free(w->live);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
