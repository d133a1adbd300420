/* owner: whose an object is, for the webhook, from its own small caches.
 *
 * The contract's class rules: a gateway naming a class is ours when that
 * class's spec.controller is ours (an explicit class never falls back to the
 * default); a gateway naming none is ours when the one class marked default
 * is ours. A ToolRoute is ours when its ToolGateway is (its toolGatewayRef,
 * namespace defaulting to the route's; without one, the default ToolGateway
 * among ours, as the controller resolves it).
 *
 * Three informers of the webhook's own (AiGatewayClass, ToolGatewayClass,
 * ToolGateway) keep the caches; nothing here calls the API server on the
 * request path. Until they are synced, or when the class or gateway an
 * object names does not exist (yet), the answer is WH_OWNER_UNKNOWN and the
 * webhook applies only the contract's own rules. */
#ifndef WH_OWNER_H
#define WH_OWNER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "admission.h"
#include "kubeconfig.h"

struct wh_owner_caches;

/* Starts the informers with cfg (which must outlive the caches). They list
 * and watch in the background and retry on their own; this returns at once.
 * With namespaces (the controller's --namespace list, which must outlive the
 * caches) ToolGateways are watched in those namespaces only, so Roles there
 * suffice, and objects of other namespaces are judged by the contract's
 * rules only (another instance may own them). Returns 0 or a negative
 * errno; *ret is freed with wh_owner_stop. */
int wh_owner_start(struct kube_config *cfg, const char *const *namespaces, size_t n_namespaces,
                   struct wh_owner_caches **ret);

/* Stops the informers and frees everything. NULL is fine. */
void wh_owner_stop(struct wh_owner_caches *oc);

/* True once every cache holds its first list; otherwise writes which one is
 * missing and its last error into why (cap bytes). Thread-safe. */
bool wh_owner_synced(struct wh_owner_caches *oc, char *why, size_t cap);

/* A wh_judge callback (ctx: struct wh_owner_caches). Thread-safe; reads the
 * caches only. */
enum wh_owner wh_owner_of(void *ctx, enum gw_kind kind, json_object *obj, const char *ns, char *why,
                          size_t why_cap);

#endif
