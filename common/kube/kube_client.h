/* kube_client: the Kubernetes REST API over libcurl.
 *
 * One client per thread: a client wraps one curl easy handle (connection
 * reuse, CURLOPT_NOSIGNAL) and is never shared. The kube_config it reads
 * credentials from is shared and must outlive every client made from it.
 *
 * Requests send and receive JSON (json-c trees). Bodies are capped
 * (KUBE_MAX_OBJECT_BYTES for one object, KUBE_MAX_LIST_BYTES for lists),
 * requests time out (connect and total), and retryable failures are retried
 * with exponential backoff and jitter, honouring Retry-After, a bounded
 * number of times: 429 and connection failures for every request (the server
 * did not act on it), 5xx and broken transfers only for requests that are
 * safe to repeat (GET, PUT, DELETE, apply and merge patches; not POST or
 * JSON patch).
 *
 * Every call returns 0 or a negative errno; on failure the client keeps a
 * message (kube_client_error) worded from the API server's Status object
 * ("AlreadyExists: configmaps \"x\" already exists"), the HTTP status and
 * the Status reason. Mapping:
 *   404 -ENOENT, 409 AlreadyExists -EEXIST, 409 Conflict -EBUSY,
 *   410 Gone/Expired -ESTALE, 400 and 422 -EINVAL, 401 -EACCES, 403 -EPERM,
 *   405 -EOPNOTSUPP, 413 -E2BIG, 429 -EAGAIN, 504 -ETIMEDOUT, other 5xx -EIO;
 *   transport: could not connect -ECONNREFUSED, timeout -ETIMEDOUT, TLS -EPROTO,
 *   body over its cap -E2BIG, stopped through the stop flag -ECANCELED,
 *   unparsable body -EBADMSG, anything else -EIO. */
#ifndef GW_KUBE_CLIENT_H
#define GW_KUBE_CLIENT_H

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig.h"

#define KUBE_FIELD_MANAGER "litellm-gateway-operator"
#define KUBE_MAX_OBJECT_BYTES ((size_t)16 << 20)
#define KUBE_MAX_LIST_BYTES ((size_t)64 << 20)
/* One watch event (one line) may be as large as one object. */
#define KUBE_MAX_EVENT_BYTES KUBE_MAX_OBJECT_BYTES
#define KUBE_JSON_DEPTH 256

/* A resource type: the path segments its URLs are made of. */
struct kube_resource {
    const char *group;     /* "" for the core group */
    const char *version;   /* "v1" */
    const char *plural;    /* "configmaps" */
    bool namespaced;
};

extern const struct kube_resource KUBE_NAMESPACES;
extern const struct kube_resource KUBE_CONFIGMAPS;
extern const struct kube_resource KUBE_SECRETS;
extern const struct kube_resource KUBE_SERVICES;
extern const struct kube_resource KUBE_SERVICEACCOUNTS;
extern const struct kube_resource KUBE_EVENTS;
extern const struct kube_resource KUBE_DEPLOYMENTS;
extern const struct kube_resource KUBE_LEASES;

struct kube_client;

/* Tunables; kube_client_new starts from these defaults. */
struct kube_client_opts {
    long connect_timeout_ms;   /* 5 s */
    long timeout_ms;           /* whole request, 30 s */
    unsigned max_tries;        /* 5; 1 disables retries */
    unsigned backoff_base_ms;  /* 200 */
    unsigned backoff_max_ms;   /* 10 s; also caps a Retry-After */
};

/* Sets up curl once for the process (safe to call from any thread, any number
 * of times). kube_client_new calls it; call kube_global_cleanup once at exit
 * after every client is freed. */
int kube_global_init(void);
void kube_global_cleanup(void);

/* Makes a client for cfg (not copied: it must outlive the client). opts may
 * be NULL for the defaults. Returns 0 or -ENOMEM. */
int kube_client_new(struct kube_config *cfg, const struct kube_client_opts *opts,
                    struct kube_client **ret);
void kube_client_free(struct kube_client *c);
void kube_client_set_opts(struct kube_client *c, const struct kube_client_opts *opts);
void kube_client_get_opts(const struct kube_client *c, struct kube_client_opts *ret);
/* When *stop turns true, a request in flight aborts within about a second
 * and backoff sleeps end, with -ECANCELED. NULL detaches the flag. */
void kube_client_set_stop(struct kube_client *c, const atomic_bool *stop);
/* Once gw_mono_ms() reaches *due_ms (when nonzero) the client acts as if
 * stopped: no request starts, one in flight aborts, -ECANCELED. For a
 * leader's writers (leader_term_end): a term ends at its renew deadline
 * even when the thread that sets the fence has not run yet, as after the
 * process was frozen and thawed. NULL detaches. */
void kube_client_set_deadline(struct kube_client *c, const _Atomic uint64_t *due_ms);

/* The last failure: message (never NULL, "" after success), HTTP status (0
 * for a transport error) and Status reason ("" when none). Valid until the
 * next call on this client. */
const char *kube_client_error(const struct kube_client *c);
long kube_client_status(const struct kube_client *c);
const char *kube_client_reason(const struct kube_client *c);

/* ---- objects ----------------------------------------------------------- *
 * ns is ignored for cluster-scoped resources and may be NULL for "all
 * namespaces" in lists and watches. On success *ret (when ret is not NULL)
 * is a new tree the caller puts. Bodies passed in are serialized with
 * json-c, which caches the text inside the tree: pass a tree this thread
 * owns (a private copy, not a shared informer tree). */

int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
             const char *name, json_object **ret);
int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
                json_object *obj, json_object **ret);
/* PUT; obj carries metadata.resourceVersion for optimistic concurrency
 * (-EBUSY when someone else wrote first). subresource may be NULL or
 * "status". */
int kube_update(struct kube_client *c, const struct kube_resource *res, const char *ns,
                const char *name, const char *subresource, json_object *obj, json_object **ret);
/* Background propagation; -ENOENT when already gone. */
int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
                const char *name);

enum kube_patch_type {
    KUBE_PATCH_MERGE,   /* application/merge-patch+json */
    KUBE_PATCH_JSON,    /* application/json-patch+json */
    KUBE_PATCH_APPLY,   /* server-side apply, fieldManager=KUBE_FIELD_MANAGER, force */
};

int kube_patch(struct kube_client *c, const struct kube_resource *res, const char *ns,
               const char *name, const char *subresource, enum kube_patch_type type,
               json_object *patch, json_object **ret);

/* Server-side apply of a whole object (apiVersion, kind, metadata.name). */
static inline int kube_apply(struct kube_client *c, const struct kube_resource *res,
                             const char *ns, const char *name, json_object *obj,
                             json_object **ret)
{
    return kube_patch(c, res, ns, name, NULL, KUBE_PATCH_APPLY, obj, ret);
}

/* Merge patch of the status subresource: {"status": {...}}. */
static inline int kube_patch_status(struct kube_client *c, const struct kube_resource *res,
                                    const char *ns, const char *name, json_object *patch,
                                    json_object **ret)
{
    return kube_patch(c, res, ns, name, "status", KUBE_PATCH_MERGE, patch, ret);
}

/* ---- lists ------------------------------------------------------------- */

struct kube_list_opts {
    const char *label_selector;   /* NULL = everything */
    const char *field_selector;
    unsigned limit;               /* page size, 0 = server decides */
    const char *continue_token;   /* for kube_list: the page to fetch */
    bool metadata_only;           /* PartialObjectMetadataList */
};

/* One page. The list's metadata.continue names the next page. */
int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
              const struct kube_list_opts *opts, json_object **ret);
/* Every page (opts->limit per request, 500 when 0), returned as one list
 * whose metadata.resourceVersion is the snapshot's. Items get kind and
 * apiVersion filled in from the list when the server left them out. A
 * continue token that expires mid-way restarts the list once. */
int kube_list_all(struct kube_client *c, const struct kube_resource *res, const char *ns,
                  const struct kube_list_opts *opts, json_object **ret);

/* Called once per page of kube_list_pages with the page (a typed list whose
 * items carry kind and apiVersion), borrowed for the call: take an item's
 * reference (or take it out of the array) to keep it. Return 0 to go on;
 * any other value ends the list and kube_list_pages returns it. */
typedef int (*kube_page_fn)(void *ud, json_object *page);

/* Every page (opts->limit per request, 500 when 0), handed over one at a
 * time so that only one page is held at once. Each page's
 * metadata.resourceVersion is the snapshot's. Returns 0, what fn returned,
 * -ESTALE when a continue token expired mid-way (the caller starts over:
 * fn has seen part of an older snapshot), or an error. */
int kube_list_pages(struct kube_client *c, const struct kube_resource *res, const char *ns,
                    const struct kube_list_opts *opts, kube_page_fn fn, void *ud);

/* ---- watch ------------------------------------------------------------- */

enum kube_event_type {
    KUBE_EVENT_ADDED,
    KUBE_EVENT_MODIFIED,
    KUBE_EVENT_DELETED,
    KUBE_EVENT_BOOKMARK,
    KUBE_EVENT_ERROR,      /* obj is a Status; code 410 means "relist" */
};

const char *kube_event_type_name(enum kube_event_type t);

/* Called once per event. obj belongs to the callback, which must put it or
 * keep it: nothing else refers to it (the event envelope is already gone),
 * so it may be handed to other threads. Return 0 to go on; any other value
 * ends the watch and kube_watch returns it. */
typedef int (*kube_watch_fn)(void *ud, enum kube_event_type type, json_object *obj);

struct kube_watch_opts {
    const char *resource_version;  /* NULL or "" = from now */
    const char *label_selector;
    const char *field_selector;
    unsigned timeout_seconds;      /* server-side end of the watch; 0 = 300 */
    bool metadata_only;            /* PartialObjectMetadata events */
};

/* Streams events (with bookmarks) until the server ends the watch (returns
 * 0), the callback returns non-zero (that value), the stop flag is set
 * (-ECANCELED, within about a second), the server answers 410 up front
 * (-ESTALE) or the stream breaks (-EIO; -ETIMEDOUT when the server has not
 * ended it a minute after timeout_seconds). TCP keepalive (30 s idle, 10 s
 * probes) notices a peer that vanished. Never retries: reconnecting is the
 * caller's decision. */
int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
               const struct kube_watch_opts *opts, kube_watch_fn fn, void *ud);

/* Splits watch-response bytes into events the way kube_watch does with what
 * the server streams: one JSON event per line, "\r" and blank lines
 * ignored, each line capped at KUBE_MAX_EVENT_BYTES. buf is fed in pieces of
 * chunk bytes (0 = all at once), as libcurl hands a body over; a last line
 * without its newline is not an event. fn is called as kube_watch calls it.
 * Returns 0, the callback's non-zero value, -EBADMSG (an unreadable event),
 * -E2BIG or -ENOMEM; on a parse or size failure *ret_err (caller frees,
 * when ret_err != NULL) says why. The parser on its own, for the fuzzer and
 * the unit tests. */
int kube_watch_parse(const char *buf, size_t len, size_t chunk, kube_watch_fn fn, void *ud,
                     char **ret_err);

/* ---- helpers ----------------------------------------------------------- */

/* Any request by path ("/api/v1/namespaces"), for what the typed calls do
 * not cover. content_type is needed only with a body. idempotent says
 * whether a 5xx may be retried. */
int kube_request(struct kube_client *c, const char *method, const char *path_and_query,
                 const char *content_type, json_object *body, bool idempotent,
                 json_object **ret);

/* "namespace/name" (or "name" for cluster-scoped objects), the key the
 * informer cache and the workqueue use. Caller frees. -EINVAL without a name. */
int kube_object_key(json_object *obj, char **ret);
/* Borrowed metadata string field (name, namespace, resourceVersion, uid), or
 * NULL. */
const char *kube_meta_str(json_object *obj, const char *field);
/* The code of a Status (an ERROR event's object), 0 when absent. */
int kube_status_code(json_object *status);

#endif
