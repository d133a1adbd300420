/* status: what the controller says about an object, computed purely from
 * what it observed (rendered output, the live Deployment) and the time it
 * is given. Nothing here talks to the API server.
 *
 * Conditions follow metav1.Condition: lastTransitionTime changes only when
 * status flips, so a resync over an unchanged world produces the same status
 * and no write. */
#ifndef CTL_STATUS_H
#define CTL_STATUS_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* Condition types and reasons shared with the ecosystem. */
#define CTL_AI_CONFIGURED "AiGatewayConfigured"
#define CTL_AI_READY "AiGatewayReady"
#define CTL_TOOL_CONFIGURED "ToolGatewayConfigured"
#define CTL_TOOL_READY "ToolGatewayReady"
#define CTL_ROUTE_ACCEPTED "Accepted"
#define CTL_ROUTE_READY "Ready"
#define CTL_ROUTE_RESOLUTION_FAILED "ResolutionFailed"

#define CTL_R_CONFIGURATION_APPLIED "ConfigurationApplied"
#define CTL_R_ROLLING_OUT "DeploymentRollingOut"
#define CTL_R_CONFIG_FAILED "ConfigGenerationFailed"
#define CTL_R_GUARDS_FAILED "GuardrailsResolutionFailed"
#define CTL_R_PATCH_INVALID "ConfigPatchInvalid"
#define CTL_R_WORKLOAD_FAILED "WorkloadFailed"
#define CTL_R_RECONCILED "Reconciled"
#define CTL_R_UPSTREAM_UNRESOLVED "UpstreamUnresolved"
#define CTL_R_DUPLICATE_NAME "DuplicateServerName"
#define CTL_R_GATEWAY_NOT_READY "GatewayNotReady"
#define CTL_R_NO_GATEWAY "NoGateway"
#define CTL_R_CLASS_NOT_FOUND "ClassNotFound"
/* A ToolGateway's allowedRoutes does not admit the route's namespace. */
#define CTL_R_NOT_ALLOWED "NotAllowedByListeners"
/* allowedRoutes.namespaces.from Selector, and the controller cannot read
 * the labels of the route's namespace: not admitted. */
#define CTL_R_NAMESPACE_LABELS_UNKNOWN "NamespaceLabelsUnknown"

/* The summary conditions generic tools read. kstatus (Flux, `kubectl wait`,
 * cli-utils) computes InProgress from Reconciling=True or Ready=False,
 * Failed from Stalled=True, Current from Ready=True, after checking
 * status.observedGeneration against metadata.generation; Argo CD's health
 * checks for our kinds (deploy/health) read the same three. Every object we
 * report on carries all three, with exactly one of them saying where it
 * stands, so none is left stale from an earlier state. */
#define CTL_COND_READY "Ready"
#define CTL_COND_RECONCILING "Reconciling"
#define CTL_COND_STALLED "Stalled"

enum ctl_progress {
    CTL_PROGRESS_DONE,          /* Ready=True */
    CTL_PROGRESS_WORKING,       /* Ready=False, Reconciling=True: will settle by itself */
    CTL_PROGRESS_STALLED,       /* Ready=False, Stalled=True: needs a change from someone */
};

struct ctl_condition {
    const char *type;
    bool status;
    const char *reason;
    const char *message;
};

/* Fills out[0..2] with Ready, Reconciling and Stalled for state, reason
 * and message (borrowed: out points at them). */
void ctl_summary_conditions(enum ctl_progress state, const char *reason, const char *message,
                            struct ctl_condition out[3]);

/* Whether a live Deployment has finished rolling out what was last applied:
 * the Deployment controller has observed the current generation, every
 * desired replica runs the newest template, all of them are available and
 * no old replica is left. ret_message (owned by the caller) says where the
 * rollout stands ("1 of 2 replicas updated, 0 available"). A rollout that
 * exceeded its progress deadline sets *ret_failed. Returns 1 when ready, 0
 * when not, -ENOMEM. deploy NULL means "not created yet". */
int ctl_deployment_ready(json_object *deploy, bool *ret_failed, char **ret_message);

/* The condition of type in a conditions array, borrowed, or NULL. */
json_object *ctl_condition_find(json_object *conds, const char *type);

/* Whether the conditions already hold c with the same status, reason and
 * message (lastTransitionTime and observedGeneration aside). */
bool ctl_condition_says(json_object *conds, const struct ctl_condition *c);

/* Builds status.conditions: each new condition keeps the old one's
 * lastTransitionTime when its status did not change, otherwise gets now
 * (RFC 3339). Conditions of other types already present are kept (another
 * writer may own them). Sorted by type for stable output. Returns a new
 * array, or NULL on allocation failure. */
json_object *ctl_conditions_build(json_object *old_conditions, const struct ctl_condition *conds,
                                  size_t n, int64_t observed_generation, const char *now);

/* Whether two status objects say the same thing (deep equality). */
bool ctl_json_equal(json_object *a, json_object *b);

/* The status write that turns the live status old (NULL: none) into
 * desired. A JSON merge patch keeps every key it does not mention, so the
 * patch is desired plus null for each top-level key old holds and desired
 * does not (a route that stops being Ready loses its url). Keys whose value
 * in old is null count as absent. Sets *ret_patch to NULL when old already
 * says exactly desired (nothing to write), else to a new object. Returns 0
 * or -ENOMEM; desired is only read. */
int ctl_status_patch(json_object *old, json_object *desired, json_object **ret_patch);

/* Whether every field of desired is present in live with an equal value:
 * mappings are compared key by key (extra keys in live are defaults the API
 * server added), lists item by item with equal length. */
bool ctl_json_subset(json_object *desired, json_object *live);

/* The annotation that records the hash of what we last applied, so a field
 * we stop setting is noticed even though live still carries it. */
#define CTL_ANN_APPLIED_HASH "litellm-gateway-operator.agentic-layer.ai/applied-hash"

/* Stamps desired (a ConfigMap, Deployment or Service we render) with the
 * hash of its canonical JSON under CTL_ANN_APPLIED_HASH. 0 or -ENOMEM. */
int ctl_stamp_applied_hash(json_object *desired);

/* Whether live already holds desired (stamped): same applied hash and
 * nothing we set has drifted. When false, the caller applies. */
bool ctl_live_matches(json_object *desired, json_object *live);

#endif
