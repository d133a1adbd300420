/* snapshot: a consistent, parsed view of the objects the informers hold,
 * which worker threads plan against.
 *
 * The world is the live set: the informers' handlers parse each object once
 * per resourceVersion into it (world_apply). Snapshots are immutable and
 * shared (reference counted); a worker gets the newest one as long as
 * nothing changed since, else a new one is made, which costs a reference
 * per object, not a parse.
 *
 * Ownership of the JSON trees (json-c's reference counts and its cached
 * serializations are not atomic, and the informers and workers are many
 * threads):
 *   - informer caches: shared read-only, references taken and dropped only
 *     under the cache lock (informer.h); handlers and world_apply read them
 *     on the informer's thread, and world_apply parses a private deep copy;
 *   - parsed objects (gw_object.root and everything it points into): owned
 *     by the live set, freed by whichever thread drops the last reference
 *     (an atomic count here). Workers only read them: no json_object_get or
 *     put, no serializing (json_object_to_json_string writes into the
 *     tree), no changes; whatever goes into a request body is a deep copy
 *     (render and status copy what they take over);
 *   - what a worker builds (plans, request bodies, responses) is its own
 *     and never handed to another thread. */
#ifndef CTL_SNAPSHOT_H
#define CTL_SNAPSHOT_H
#include <stddef.h>

#include <json-c/json.h>
#include <stdbool.h>
#include "model.h"

struct snapshot {
    const struct gw_object **all;   /* every object */
    size_t n;
    const struct gw_object **ours;  /* all but gateways of other controllers */
    size_t n_ours;
};

struct world;

int world_new(struct world **ret);
void world_free(struct world *w);
/* Brings the live set up to date with one object of kind (GW_KIND_SECRET
 * objects are PartialObjectMetadata) as an informer handler sees it:
 * added or updated (parsed once per resourceVersion), or deleted. obj is
 * only read. 0, -ENOMEM, or -EINVAL for an object without a name. */
int world_apply(struct world *w, enum gw_kind kind, json_object *obj, bool deleted);
/* The current snapshot, with a reference for the caller (snapshot_put), or
 * NULL when out of memory. Built from the live set only when it changed
 * since the last one: references to the parsed objects, no parsing.
 * Thread-safe. */
const struct snapshot *world_snapshot(struct world *w);
void snapshot_put(const struct snapshot *s);

/* Parsed objects alive in the process (in the live set or held by a
 * snapshot): each is freed when the last of those lets it go. For tests. */
long world_live_objects(void);

/* O(1) lookup by kind, namespace ("" or NULL for cluster-scoped) and name. */
const struct gw_object *snapshot_find(const struct snapshot *s, enum gw_kind kind, const char *ns,
                                      const char *name);

#endif
