/* cache_project: what the controller's informer caches keep of each object
 * (informer_project_fn, informer.h).
 *
 * Every watched object of the project's kinds is parsed once into the world
 * (snapshot.h), which is what the workers plan against; the informers'
 * caches keep only what their own readers use:
 *   - the kinds parsed into the world: identity (apiVersion, kind, name,
 *     namespace, resourceVersion) for the relist diff and the full
 *     re-check, plus what the change handler compares with the old version:
 *     a ToolRoute's spec.toolGatewayRef, a ToolGateway's annotations and
 *     spec;
 *   - owned children (ConfigMap, Deployment, Service): what the plan reads
 *     from the live object: the whole object as applied (drift detection
 *     checks that the desired object is a subset of it, ctl_live_matches),
 *     without status (the Deployment keeps what readiness reads:
 *     observedGeneration, the replica counts, the conditions' type and
 *     reason, ctl_deployment_ready) and without the metadata the server
 *     sets (uid, creationTimestamp, selfLink).
 *
 * The cache keeps a projection as its compact JSON text in a single string
 * node: json-c spends about a kilobyte on every JSON object node, so a
 * Deployment's tree takes some 60 KB where its text takes 4 KB. The text
 * is packed (textpack.h): the keys and fixed values of the children we
 * render, and the lines of the LiteLLM config, stand for one or two bytes
 * each and repeats within the text for four, which leaves a third to a
 * quarter of it (a Deployment 1.3 KB, a ConfigMap 0.7 KB). Packing is
 * lossless, so every reader sees exactly the projection: drift detection
 * and readiness answer as they would on the text. Readers turn it back
 * into a tree with ctl_cached_tree.
 *
 * Each ctl_project_* returns a new string node (the caller owns it) made
 * from obj, which is only read, or NULL when out of memory. The string
 * holds packed text, not JSON: read it only through ctl_cached_tree. */
#ifndef CTL_CACHE_PROJECT_H
#define CTL_CACHE_PROJECT_H

#include <json-c/json.h>

json_object *ctl_project_identity(json_object *obj);
/* identity and metadata.labels (Namespaces, for allowedRoutes selectors) */
json_object *ctl_project_labels(json_object *obj);
json_object *ctl_project_route(json_object *obj);
json_object *ctl_project_toolgateway(json_object *obj);
json_object *ctl_project_child(json_object *obj);
json_object *ctl_project_deployment(json_object *obj);

/* A private tree of what a cache holds (the caller json_object_puts it):
 * the projection's text unpacked (at most 8 MiB) and parsed, or a deep
 * copy of a tree. cached is only read, so it may be a shared cache entry.
 * NULL when out of memory or for NULL. */
json_object *ctl_cached_tree(json_object *cached);

#endif
