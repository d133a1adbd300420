/* defaults: what the mutating webhook fills in, as RFC 6902 operations.
 *
 * Only defaults, never a change of meaning: the namespace and kind of each
 * object reference (a reference without a namespace means the referrer's
 * namespace, so writing it down changes nothing but makes it visible), and
 * an AiGateway's spec.port when the CRD default did not already set it.
 * Fields of the wrong type are left alone for validation to report.
 * Applying the operations and computing them again yields none. */
#ifndef WH_DEFAULTS_H
#define WH_DEFAULTS_H

#include <json-c/json.h>

#include "model.h"

#define WH_DEFAULT_PORT 80

/* Appends to a new JSON array (*ret_ops, caller puts it) one
 * {"op":"add","path":...,"value":...} per missing default of obj, an object
 * of the given kind; ns is the namespace references default to (NULL or ""
 * leaves namespaces alone). Returns 0 or -ENOMEM. */
int wh_default_ops(json_object *obj, enum gw_kind kind, const char *ns, json_object **ret_ops);

#endif
