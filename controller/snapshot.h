/* snapshot: a consistent, parsed view of the informer caches that worker
 * threads plan against.
 *
 * Snapshots are immutable and shared (reference counted). The world keeps
 * the newest one; a worker gets it as long as no cache changed since
 * (world_bump counts changes), else a new one is built. Building reuses
 * every parsed object whose resourceVersion did not change, so with
 * thousands of objects a rebuild costs a list of references and a hash
 * lookup per object, not a parse. */
#ifndef CTL_SNAPSHOT_H
#define CTL_SNAPSHOT_H
#include <stddef.h>

#include "informer.h"
#include "model.h"

struct snapshot {
    const struct gw_object **all;   /* every object */
    size_t n;
    const struct gw_object **ours;  /* all but gateways of other controllers */
    size_t n_ours;
};

/* One source of objects: an informer and the kind its objects have
 * (GW_KIND_SECRET sources hold PartialObjectMetadata). */
struct snapshot_source {
    struct informer *inf;
    enum gw_kind kind;
};

struct world;

int world_new(const struct snapshot_source *sources, size_t n, struct world **ret);
void world_free(struct world *w);
/* Records that some cache changed (call after the cache is updated). */
void world_bump(struct world *w);
/* The current snapshot, with a reference for the caller (snapshot_put), or
 * NULL when out of memory. Thread-safe. */
const struct snapshot *world_snapshot(struct world *w);
void snapshot_put(const struct snapshot *s);

/* O(1) lookup by kind, namespace ("" or NULL for cluster-scoped) and name. */
const struct gw_object *snapshot_find(const struct snapshot *s, enum gw_kind kind, const char *ns,
                                      const char *name);

#endif
