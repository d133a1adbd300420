/* defaults: what the mutating webhook fills in, as RFC 6902 operations.
 *
 * Only defaults, never a change of meaning, and never a write inside what
 * the user owns: references (guardrails[], toolGatewayRef, toolServerRef)
 * are left as written, and the controller resolves their namespace (the
 * referrer's) and kind when it reconciles. Writing them back would make
 * every client-side apply of an unchanged manifest "configured" and give the
 * webhook's field manager fields that server-side apply then fights over.
 * What is filled: an AiGateway's spec.port when the CRD default did not
 * already set it. Applying the operations and computing them again yields
 * none. */
#ifndef WH_DEFAULTS_H
#define WH_DEFAULTS_H

#include <json-c/json.h>

#include "model.h"

#define WH_DEFAULT_PORT 80

/* Appends to a new JSON array (*ret_ops, caller puts it) one
 * {"op":"add","path":...,"value":...} per missing default of obj, an object
 * of the given kind. Returns 0 or -ENOMEM. */
int wh_default_ops(json_object *obj, enum gw_kind kind, json_object **ret_ops);

/* Admission of a v1beta1 object: the JSONPatch of defaults (wh_default_ops)
 * computed on its v1alpha1 form (the only default, spec.port, has the same
 * path in both versions). *ret_ops is a
 * new array (caller puts). Returns 0, -EINVAL (the object does not convert:
 * the validating webhook reports why) or -ENOMEM. */
int wh_beta_default_ops(json_object *beta, json_object **ret_ops);

#endif
