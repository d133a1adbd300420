/* model: the typed view of our custom resources (runtime.agentic-layer.ai).
 *
 * gw_object_parse() checks an object the way the CRD schema would (types,
 * required fields, enums, ranges, patterns, unknown fields) and fills the
 * typed struct. Strings in the structs are borrowed from the json-c tree the
 * object keeps a reference to, so they live exactly as long as the object.
 * Semantic rules a schema cannot express live in validate.h. */
#ifndef GW_MODEL_H
#define GW_MODEL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "errlist.h"
#include "model_types.h"

const char *gw_kind_name(enum gw_kind k);
/* The apiVersion objects of kind k are read in: v1 for the core kinds,
 * v1alpha1 (the storage version) for ours. */
const char *gw_kind_api_version(enum gw_kind k);
/* Kind from apiVersion + kind; GW_KIND_UNKNOWN when it is not ours. */
enum gw_kind gw_kind_of(const char *api_version, const char *kind);
bool gw_kind_namespaced(enum gw_kind k);

/* Releases what f holds (f itself is not freed); f may be NULL. */
void gw_beta_fields_free(struct gw_beta_fields *f);

/* Parses root (a reference is taken) into *ret. Every schema problem is
 * appended to errs (field paths relative to the object). Returns 0 when the
 * object could be typed, even if errs gained entries; -EINVAL when it is not
 * an object or not one of our kinds (errs says why); -ENOMEM. On success the
 * caller owns *ret (gw_object_free). */
int gw_object_parse(json_object *root, struct gw_object **ret, struct gw_errlist *errs);
void gw_object_free(struct gw_object *o);

/* "AiGateway ai-gateway/main" for messages (static buffer per call site:
 * caller passes the buffer). */
const char *gw_object_label(const struct gw_object *o, char *buf, size_t cap);

/* The GuardrailProvider spec.type of a guard type ("presidio-api") and the
 * spec block that configures it on a Guard or a provider ("presidio");
 * NULL for GW_GUARD_NONE. */
const char *gw_guard_type_name(enum gw_guard_type t);
const char *gw_guard_block_name(enum gw_guard_type t);

/* Checks a GuardrailProvider against the Guard that references it: the
 * Guard's block must match the provider's type. field prefixes messages
 * ("spec.guardrails[0]"). */
void gw_guard_provider_check(const struct gw_object *guard, const struct gw_object *provider,
                             const char *field, struct gw_errlist *errors);

/* Namespace of a reference with the referrer's namespace as default. */
static inline const char *gw_ref_ns(const struct gw_ref *r, const char *referrer_ns)
{
    return r->ns && *r->ns ? r->ns : referrer_ns;
}

#endif
