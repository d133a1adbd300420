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

struct world {
    struct snapshot_source *src;
    size_t n_src;
    atomic_uint_fast64_t gen;
    pthread_mutex_t lock;
    struct snap *current;
};

static void pobj_put(struct pobj *p)
{
    if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
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

/* The parsed object for doc: the previous snapshot's when unchanged. */
static struct pobj *pobj_for(const struct snap *prev, enum gw_kind kind, json_object *doc)
{
    char key[600];
    if (make_key(key, sizeof(key), kind, meta_str(doc, "namespace"), meta_str(doc, "name")) < 0)
        return NULL;
    const char *rv = meta_str(doc, "resourceVersion");
    struct pobj *old = snap_lookup(prev, key);
    if (old && rv && old->o->meta.resource_version && strcmp(rv, old->o->meta.resource_version) == 0) {
        atomic_fetch_add(&old->refs, 1);
        return old;
    }
    /* Informer trees are shared between threads and their reference counts
     * are guarded by the informer: parse a private copy. */
    json_object *copy = NULL;
    if (json_object_deep_copy(doc, &copy, NULL) != 0)
        return NULL;
    json_object *j = kind == GW_KIND_SECRET ? as_secret(copy) : json_object_get(copy);
    json_object_put(copy);
    struct gw_errlist errs;
    errlist_init(&errs);
    struct gw_object *o = NULL;
    int r = j ? gw_object_parse(j, &o, &errs) : -ENOMEM;
    json_object_put(j);
    if (r < 0 || o->kind != kind) {
        errlist_free(&errs);
        gw_object_free(o);
        return NULL;
    }
    errlist_free(&errs);
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

static struct snap *build(struct world *w, const struct snap *prev, uint64_t gen)
{
    struct snap *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->gen = gen;
    size_t cap = 0;
    for (size_t i = 0; i < w->n_src; i++)
        cap += informer_count(w->src[i].inf) + 64;
    s->items = calloc(cap, sizeof(*s->items));
    if (!s->items)
        goto fail;
    for (size_t i = 0; i < w->n_src; i++) {
        json_object **docs = NULL;
        size_t n = 0;
        if (informer_list(w->src[i].inf, &docs, &n) < 0)
            goto fail;
        for (size_t j = 0; j < n && s->n < cap; j++) {
            struct pobj *p = pobj_for(prev, w->src[i].kind, docs[j]);
            if (p)
                s->items[s->n++] = p;
        }
        informer_list_free(w->src[i].inf, docs, n);
    }
    if (index_items(s) < 0 || split_ours(s) < 0)
        goto fail;
    return s;
fail:
    snap_free(s);
    return NULL;
}

const struct snapshot *world_snapshot(struct world *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t gen = atomic_load(&w->gen);
    if (!w->current || w->current->gen != gen) {
        struct snap *s = build(w, w->current, gen);
        if (s) {
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

void world_bump(struct world *w)
{
    atomic_fetch_add(&w->gen, 1);
}

int world_new(const struct snapshot_source *sources, size_t n, struct world **ret)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->src = calloc(n ? n : 1, sizeof(*w->src));
    if (!w->src) {
        free(w);
        return -ENOMEM;
    }
    memcpy(w->src, sources, n * sizeof(*sources));
    w->n_src = n;
    atomic_init(&w->gen, 1);
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
    pthread_mutex_destroy(&w->lock);
    free(w->src);
    free(w);
}
