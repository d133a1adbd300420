#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "plan.h"

/* A parsed object shared by the snapshots that contain it. */
struct pobj {
    atomic_int refs;
    struct gw_object *o;
    char *key;                  /* "<kind>/<ns>/<name>" */
};

struct snap {
    struct snapshot pub;        /* first: a snapshot pointer is a snap pointer */
    atomic_int refs;
    uint64_t gen;
    struct pobj **items;
    size_t n;
    int32_t *slots;             /* open addressing: index into items, -1 empty */
    size_t n_slots;             /* power of two */
};

/* The live set, kept current by the informers' handlers (world_apply). */
struct entry {
    struct entry *next;
    struct pobj *p;
};

struct world {
    pthread_mutex_t lock;       /* guards everything below */
    uint64_t gen;               /* bumped by every change */
    struct entry **buckets;
    size_t n_buckets;           /* power of two */
    size_t count;
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

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int make_key(char *buf, size_t cap, enum gw_kind kind, const char *ns, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s/%s", gw_kind_name(kind), ns ? ns : "", name ? name : "");
    return n < 0 || (size_t)n >= cap ? -EINVAL : 0;
}

static struct pobj *snap_lookup(const struct snap *s, const char *key)
{
    if (!s || !s->n_slots)
        return NULL;
    size_t mask = s->n_slots - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        int32_t at = s->slots[i];
        if (at < 0)
            return NULL;
        if (strcmp(s->items[at]->key, key) == 0)
            return s->items[at];
    }
}

static void snap_free(struct snap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        pobj_put(s->items[i]);
    free(s->items);
    free(s->slots);
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

/* Secrets are cached as PartialObjectMetadata: give them their own kind. */
static json_object *as_secret(json_object *meta_obj)
{
    json_object *o = json_object_new_object(), *md = NULL;
    if (!o)
        return NULL;
    json_object_object_get_ex(meta_obj, "metadata", &md);
    json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
    json_object_object_add(o, "kind", json_object_new_string("Secret"));
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
    json_object *j = kind == GW_KIND_SECRET ? as_secret(copy) : json_object_get(copy);
    json_object_put(copy);
    struct gw_errlist errs;
    errlist_init(&errs);
    struct gw_object *o = NULL;
    int r = j ? gw_object_parse(j, &o, &errs) : -ENOMEM;
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
    s->n_slots = 16;
    while (s->n_slots < s->n * 2)
        s->n_slots *= 2;
    s->slots = malloc(s->n_slots * sizeof(*s->slots));
    if (!s->slots)
        return -ENOMEM;
    memset(s->slots, 0xff, s->n_slots * sizeof(*s->slots));
    size_t mask = s->n_slots - 1;
    for (size_t i = 0; i < s->n; i++) {
        size_t at = hash_str(s->items[i]->key) & mask;
        while (s->slots[at] >= 0)
            at = (at + 1) & mask;
        s->slots[at] = (int32_t)i;
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
    s->items = calloc(w->count + 1, sizeof(*s->items));
    if (!s->items)
        goto fail;
    for (size_t b = 0; b < w->n_buckets; b++)
        for (struct entry *e = w->buckets[b]; e; e = e->next) {
            atomic_fetch_add(&e->p->refs, 1);
            s->items[s->n++] = e->p;
        }
    if (index_items(s) < 0 || split_ours(s) < 0)
        goto fail;
    return s;
fail:
    snap_free(s);
    return NULL;
}

static struct entry **find_slot(struct world *w, const char *key)
{
    struct entry **pp = &w->buckets[hash_str(key) & (w->n_buckets - 1)];
    while (*pp && strcmp((*pp)->p->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void grow(struct world *w)
{
    size_t nb = w->n_buckets * 2;
    struct entry **b = calloc(nb, sizeof(*b));
    if (!b)
        return; /* keep the longer chains */
    for (size_t i = 0; i < w->n_buckets; i++)
        for (struct entry *e = w->buckets[i], *next; e; e = next) {
            next = e->next;
            struct entry **slot = &b[hash_str(e->p->key) & (nb - 1)];
            e->next = *slot;
            *slot = e;
        }
    free(w->buckets);
    w->buckets = b;
    w->n_buckets = nb;
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
        struct entry *e = *find_slot(w, key);
        bool same = e && rv && e->p->o->meta.resource_version && strcmp(rv, e->p->o->meta.resource_version) == 0;
        pthread_mutex_unlock(&w->lock);
        if (same)
            return 0;
        fresh = pobj_new(kind, obj, key);
        if (!fresh)
            return -ENOMEM; /* or not parseable: the old version stays */
    }
    pthread_mutex_lock(&w->lock);
    struct entry **slot = find_slot(w, key);
    if (*slot && fresh) {
        old = (*slot)->p;
        (*slot)->p = fresh;
    } else if (*slot) {
        struct entry *e = *slot;
        *slot = e->next;
        old = e->p;
        free(e);
        w->count--;
    } else if (fresh) {
        struct entry *e = calloc(1, sizeof(*e));
        if (!e) {
            pthread_mutex_unlock(&w->lock);
            pobj_put(fresh);
            return -ENOMEM;
        }
        e->p = fresh;
        e->next = NULL;
        *slot = e;
        if (++w->count > w->n_buckets)
            grow(w);
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
    w->n_buckets = 1024;
    w->buckets = calloc(w->n_buckets, sizeof(*w->buckets));
    if (!w->buckets) {
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
    for (size_t b = 0; b < w->n_buckets; b++)
        for (struct entry *e = w->buckets[b], *next; e; e = next) {
            next = e->next;
            pobj_put(e->p);
            free(e);
        }
    free(w->buckets);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
