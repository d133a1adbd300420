/* model_compact: parsed gateways and routes detached from their JSON trees.
 *
 * The controller holds every AiGateway, ToolGateway and ToolRoute of the
 * cluster parsed (controller/snapshot.h), eleven thousand of them in a
 * large cluster. As a tree one costs 12 to 16 KB, because json-c spends
 * close to a kilobyte on each JSON object node, while planning reads only
 * its typed fields, a few member trees and its status. gw_object_detach
 * copies the strings the typed fields borrow into one block the object
 * owns, holds the member trees still read (a gateway's env lists, its extra
 * label and annotation maps and its annotations) by reference, keeps the
 * status as its compact JSON text packed (textpack.h: the condition keys,
 * types, reasons and fixed messages the controller writes stand for one or
 * two bytes each, and the repeats, such as the conditions' timestamps, for
 * four; a route's status of about 1 KB takes a tenth of that), and lets
 * the rest of the tree go.
 *
 * A detached object has root NULL and no labels (nor, for a route,
 * annotations): nothing reads them once its v1beta1 fields are read.
 * Everything else reads as before, and gw_object_status gives the status
 * of any object, detached or not. */
#ifndef GW_MODEL_COMPACT_H
#define GW_MODEL_COMPACT_H

#include <json-c/json.h>

#include "model_types.h"

/* Detaches o when it is an AiGateway, ToolGateway or ToolRoute (other
 * kinds are left as they are).
 * Call after gw_object_read_beta, and only on an object no other thread
 * sees yet (serializing its status writes into its tree). 0, or -ENOMEM
 * with o unchanged. */
int gw_object_detach(struct gw_object *o);

/* o's status to read, or NULL when it has none (or, for a detached
 * object, when out of memory). For a detached object it is a fresh parse,
 * and *owned is set to it for the caller to json_object_put; otherwise it
 * points into o's tree (no reference is taken: trees are shared between
 * threads, snapshot.h) and *owned is NULL. The status read back from a
 * detached object is equal (json_object_equal) to the one it held.
 * Unpacking is bounded (4 MiB of text). */
json_object *gw_object_status(const struct gw_object *o, json_object **owned);

/* Bytes a detached object spends on its status (0 when it has none or is
 * not detached), for tests and measurements. */
size_t gw_object_status_size(const struct gw_object *o);

#endif
