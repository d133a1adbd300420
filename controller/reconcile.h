/* reconcile: carries a plan out against the API server, and the start-up
 * duty of making sure our classes exist. The only place in the controller
 * that writes. */
#ifndef CTL_RECONCILE_H
#define CTL_RECONCILE_H
#include <stdbool.h>

#include "kube_client.h"
#include "model.h"
#include "plan.h"

/* Our custom resources, by kind (NULL for kinds we do not serve). */
const struct kube_resource *ctl_resource_of(enum gw_kind kind);
extern const struct kube_resource CTL_AIGATEWAYS, CTL_TOOLGATEWAYS, CTL_TOOLROUTES, CTL_AIGATEWAYCLASSES,
    CTL_TOOLGATEWAYCLASSES, CTL_GUARDS, CTL_GUARDRAILPROVIDERS, CTL_TOOLSERVERS;

/* Counts of what a plan did, for logs, metrics and tests. */
struct ctl_exec_stats {
    unsigned applied;
    unsigned status_writes;
    unsigned events;
};

/* Applies the plan's children (server-side apply, our field manager),
 * writes statuses (merge patch of the status subresource) and posts Events
 * about gw. Stops at the first failed write and returns its error; the
 * client's error text says what failed. A status write that finds the
 * object gone (-ENOENT) is not an error. */
int ctl_execute_plan(struct kube_client *c, const struct gw_object *gw, const struct ctl_plan *p,
                     struct ctl_exec_stats *stats);

/* Makes sure AiGatewayClass and ToolGatewayClass `litellm` exist with our
 * controller names: creates what is missing (with mark_default, marked
 * default unless another class of the kind already is; without, unmarked:
 * the default class of a cluster is the user's choice), never takes over a
 * class that names another controller. *ret_report (caller frees) says what was done or
 * found, one line per class. Returns 0, or the first API error. */
int ctl_ensure_classes(struct kube_client *c, bool mark_default, char **ret_report);

/* Posts a core/v1 Event about o (reason static, message free text). */
int ctl_post_event(struct kube_client *c, const struct gw_object *o, bool warning, const char *reason,
                   const char *message);

#endif
