/* informer: a local, always-current copy of one kind of object, and a call
 * for every change.
 *
 * One thread per informer, with its own kube_client. It lists (page by
 * page: each page's objects are cached and reported before the next page is
 * fetched, so one page at a time is held in full) and then watches from the list's resourceVersion with bookmarks, so a
 * reconnect resumes where it left off. When the API server says the
 * resourceVersion is too old (410 Gone up front or an ERROR event with code
 * 410) it lists again and reports the difference as ordinary events: added,
 * updated (resourceVersion changed) and deleted objects, so a handler misses
 * nothing, not even a delete it never saw. A broken stream is retried with
 * exponential backoff and jitter (200 ms doubling to 30 s).
 *
 * Objects are cached without metadata.managedFields and without kubectl's
 * last-applied-configuration annotation, which no reader needs.
 *
 * Projection: an informer may be given a project function, which makes the
 * tree the cache keeps from each object (only the fields its readers use),
 * so that the cache holds each object once, in a compact form. Then the
 * handlers see the new object as it came from the server (slimmed as
 * above; a private tree of the informer thread, borrowed for the call) and
 * the old one as cached (the projection); readers of the cache
 * (informer_get, informer_list) see projections only. A relist tells an
 * unchanged object from a changed one by the resourceVersion at
 * metadata.resourceVersion of the cached tree: a projection that does not
 * keep it there (one that caches text, say) makes a relist report every
 * listed object as updated. Without a project function, handlers and
 * readers share the cached trees.
 *
 * The cache is keyed "namespace/name" (or "name" for cluster-scoped kinds)
 * and holds json-c trees that are never modified once cached. Readers get a
 * reference to the shared tree. json-c's reference counts are not atomic
 * (Debian builds it without threading support) and even serializing a tree
 * writes into it, so the rules for a shared tree are:
 *   - release it with informer_put (or informer_list_free), never with
 *     json_object_put: the count changes under the cache lock;
 *   - only read it (get_ex, get_string of string nodes, array access); to
 *     serialize it or change it, take a private copy (informer_get_copy).
 * Handlers run on the informer thread, with no lock held, after the cache
 * has been updated; they get borrowed trees (informer_ref keeps one) and
 * should hand work over (enqueue a key) and return quickly.
 *
 * A relist (the first list, or after a 410) updates the cache object by
 * object: the handlers hear of an object when its page arrives, and of the
 * deletes (objects the list no longer names) at its end. */
#ifndef GW_INFORMER_H
#define GW_INFORMER_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube_client.h"

struct informer_handlers {
    /* obj is borrowed for the duration of the call (take a reference to keep
     * it). Any handler may be NULL. */
    void (*on_add)(void *ud, json_object *obj);
    void (*on_update)(void *ud, json_object *old_obj, json_object *new_obj);
    void (*on_delete)(void *ud, json_object *old_obj);
    void *ud;
};

/* Makes the tree to cache from obj (only read): a new tree owned by the
 * cache, or NULL when out of memory (then the object is not cached and the
 * list or watch fails and is retried). Runs on the informer thread. */
typedef json_object *(*informer_project_fn)(json_object *obj);

struct informer_opts {
    const struct kube_resource *res;   /* required; must outlive the informer */
    const char *ns;                    /* NULL = all namespaces */
    const char *label_selector;        /* NULL = everything */
    const char *field_selector;
    bool metadata_only;                /* PartialObjectMetadata (for Secrets) */
    informer_project_fn project;       /* NULL: cache objects as they come */
    unsigned page_size;                /* list page; 0 = 500 */
    /* Informers given the same lock list one at a time (each list, all its
     * pages, under it), so that a start with many caches holds one page in
     * full at a time, not one per informer. NULL: lists run freely. */
    pthread_mutex_t *list_lock;
    unsigned watch_timeout_secs;       /* 0 = random in [300, 600) like client-go */
    struct informer_handlers handlers;
    struct kube_client_opts client;    /* zeroed = kube_client defaults */
};

struct informer_stats {
    unsigned long lists;          /* full lists done (first one included) */
    unsigned long relists_gone;   /* of which forced by 410 Gone */
    unsigned long watches;        /* watch requests started */
    unsigned long watch_errors;   /* watches that ended in an error */
    unsigned long events;         /* events delivered to handlers */
};

struct informer;

/* Copies opts (strings included). cfg must outlive the informer. Returns 0,
 * -EINVAL without opts->res, or -ENOMEM. */
int informer_new(struct kube_config *cfg, const struct informer_opts *opts,
                 struct informer **ret);
/* Starts the thread. 0 or a negative errno. */
int informer_start(struct informer *inf);
/* Asks the thread to stop (a request in flight aborts within about a
 * second) and returns at once: stopping many informers, ask them all first
 * and then join each with informer_stop, so that they wind down together.
 * Safe to call twice or without a start. */
void informer_request_stop(struct informer *inf);
/* Whether a stop was asked for (and not undone by a later start). */
bool informer_stop_requested(struct informer *inf);
/* Asks the thread to stop (a request in flight aborts within about a
 * second) and joins it. Safe to call twice or without a start; not from a
 * handler (that is the informer's own thread). */
void informer_stop(struct informer *inf);
/* Stops if needed, then frees the cache. NULL is fine. */
void informer_free(struct informer *inf);

/* True once the first list is in the cache and its events were delivered. */
bool informer_synced(struct informer *inf);
/* Waits until synced or the timeout passes; true when synced. */
bool informer_wait_synced(struct informer *inf, unsigned timeout_ms);

/* The cached tree for a key, shared (release with informer_put), or NULL. */
json_object *informer_get(struct informer *inf, const char *key);
/* A private deep copy of the cached tree (caller json_object_puts), or NULL
 * when absent or out of memory. */
json_object *informer_get_copy(struct informer *inf, const char *key);
/* Takes another reference to a shared tree (e.g. one a handler got). */
json_object *informer_ref(struct informer *inf, json_object *obj);
/* Releases a shared tree. NULL is fine. */
void informer_put(struct informer *inf, json_object *obj);
/* Every cached tree, shared, in a malloc'ed array; release with
 * informer_list_free. Returns 0 or -ENOMEM. */
int informer_list(struct informer *inf, json_object ***ret, size_t *ret_n);
void informer_list_free(struct informer *inf, json_object **objs, size_t n);
size_t informer_count(struct informer *inf);
/* The resourceVersion the next watch would resume from (caller frees), or
 * NULL before the first list. */
char *informer_resource_version(struct informer *inf);
void informer_get_stats(struct informer *inf, struct informer_stats *ret);
/* The last list or watch failure (caller frees), or NULL. */
char *informer_last_error(struct informer *inf);

#endif
