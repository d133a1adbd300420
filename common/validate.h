/* validate: the admission verdict for one object, computed from the object
 * alone (no API calls: GitOps tools apply objects in any order, so whether a
 * referenced Guard or ToolServer exists is the controller's to report).
 *
 * Errors refuse the object; warnings are advice kubectl prints. Both carry
 * field paths worded like the API server's own messages. */
#ifndef GW_VALIDATE_H
#define GW_VALIDATE_H

#include <json-c/json.h>

#include "errlist.h"
#include "model.h"

/* Validates root: schema checks (model.h), the semantic rules, and for an
 * AiGateway the config-patch annotation (parsed, merged into the config the
 * gateway alone renders, and checked). ns is the request namespace used
 * where metadata.namespace is absent (may be NULL). Returns 0 when a verdict
 * was reached (errors may be non-empty), -EINVAL when root is not one of our
 * objects (errors says why), -ENOMEM. */
int gw_validate(json_object *root, const char *ns, struct gw_errlist *errors,
                struct gw_errlist *warnings);

/* A memory of config-patch reviews, kept by the caller (the webhook shares
 * one among its threads): the review of a patch (parse, describe, merge,
 * check) depends only on the patch text and the gateway's models, so a
 * gateway updated for any other reason (labels, status, replicas) has its
 * patch reviewed once. key is an opaque byte string naming those inputs.
 * Both callbacks must be safe to call from every thread that validates. */
struct gw_patch_review_cache {
    /* 1 when key was reviewed before: its problems appended to errors and
     * warnings as the review gave them; 0 when not known; -ENOMEM. */
    int (*lookup)(void *ctx, const char *key, size_t key_len, struct gw_errlist *errors,
                  struct gw_errlist *warnings);
    /* Remembers the problems of one review: the entries of errors and
     * warnings from errors_from and warnings_from on (only read). */
    void (*store)(void *ctx, const char *key, size_t key_len, const struct gw_errlist *errors, size_t errors_from,
                  const struct gw_errlist *warnings, size_t warnings_from);
    void *ctx;
};

/* gw_validate asking cache (may be NULL) before reviewing a patch. */
int gw_validate_cached(json_object *root, const char *ns, const struct gw_patch_review_cache *cache,
                       struct gw_errlist *errors, struct gw_errlist *warnings);

/* Limits on list lengths, refused with "Too many" at the list's field
 * path. They keep the cost of admitting, rendering and serving one object
 * bounded; every check over a list is linear in its length. */
#define GW_MAX_MODELS 1000           /* spec.aiModels */
#define GW_MAX_FILTER_ENTRIES 1000   /* spec.toolFilter.allow, .deny (each) */
#define GW_MAX_GUARDRAILS 64         /* spec.guardrails */
#define GW_MAX_ENV 1000              /* spec.env */

/* The semantic rules on an already parsed object. Returns 0 (problems go
 * to the lists) or -ENOMEM. */
int gw_validate_object(const struct gw_object *o, struct gw_errlist *errors,
                       struct gw_errlist *warnings);

#endif
