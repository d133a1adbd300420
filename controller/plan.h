/* plan: what one reconcile should do, decided purely from a snapshot of the
 * world (the informer caches, parsed) and the live children. The I/O shell
 * (reconcile.c) carries the plan out: server-side apply of the children that
 * differ, a status patch where status changed, Events. Nothing to do is the
 * common case, and then the plan is empty: a resync over a converged cluster
 * writes nothing. */
#ifndef CTL_PLAN_H
#define CTL_PLAN_H
#include <json-c/json.h>
#include <stdbool.h>

#include "model.h"
#include "resolve.h"
#include "tool_lists.h"

/* Whether a gateway belongs to us: its class names our controller; with no
 * class name, the default class does. Classes come from set. *ret_why says
 * why not (static text). */
bool ctl_gateway_is_ours(const struct gw_object *gw, const struct gw_objset *set, const char **ret_why);

/* The live children of a gateway, as the caches hold them (NULL = absent). */
struct ctl_live {
    json_object *configmap;
    json_object *deployment;
    json_object *service;
};

/* A status to write: the object it belongs to and a JSON merge patch of its
 * .status: the whole new status, with null for each top-level key the live
 * status holds and the new one does not (see ctl_status_patch). Planned
 * only when the live status says something else. */
struct ctl_status_write {
    enum gw_kind kind;
    const char *ns;             /* borrowed from the snapshot */
    const char *name;
    json_object *status;        /* owned */
};

struct ctl_event {
    bool warning;
    const char *reason;         /* static */
    char *message;              /* owned */
};

struct ctl_plan {
    bool ours;                  /* false: leave the object alone (nothing planned) */
    json_object *apply[3];      /* ConfigMap, Deployment, Service to apply; NULL = up to date */
    struct ctl_status_write *statuses;
    size_t n_statuses;
    struct ctl_event *events;
    size_t n_events;
    bool requeue;               /* rollout in progress: look again later */
};

/* The MCP upstreams whose tool lists planning gw needs (a ToolGateway of
 * ours with routes whose tool filters have globs), one entry per such
 * route, in route order, each with status -EAGAIN and no answer yet. The
 * caller answers them before planning (mcp_cache_answer answers from
 * memory, never waiting on an upstream) and hands them to the planner in
 * ctl_plan_options, so planning itself calls nothing. 0 with *ret (free
 * with mcp_tool_lists_free; n may be 0), or -ENOMEM. */
int ctl_plan_tool_needs(const struct gw_object *gw, const struct gw_objset *set, struct mcp_tool_list **ret,
                        size_t *ret_n);

struct ctl_plan_options {
    const char *image;          /* NULL = the pinned default */
    const char *otlp_endpoint;  /* OTLP/HTTP endpoint for every gateway's traces;
                                 * NULL: none unless a config patch sets one */
    const char *now;            /* RFC 3339, for condition transitions */
    /* The answered ctl_plan_tool_needs of the gateway (borrowed). A list
     * still being fetched (-EAGAIN) makes the gateway's plan empty but for
     * requeue, so that no route is failed for want of it; a failed list is
     * named in the route's message. NULL: glob filters fail closed. */
    const struct mcp_tool_list *tool_lists;
    size_t n_tool_lists;
};

/* Plans the reconcile of gw (AiGateway or ToolGateway) in set. For a
 * ToolGateway the plan also carries the status of every attached route;
 * a route is Ready (and has a url) only while its gateway is Ready. Routes
 * the gateway's allowedRoutes refuses get Accepted=False with the reason
 * and stay out of the config. The gateway's status also holds what the
 * v1beta1 print columns read: status.models (AiGateway: the model names,
 * comma-separated) and status.attachedRoutes (ToolGateway: the routes
 * admitted). A
 * gateway whose class does not exist gets a Warning Event and nothing
 * else (its status belongs to whoever implements that class).
 * Returns 0 or -ENOMEM; release the plan with ctl_plan_release(). */
int ctl_plan_gateway(const struct gw_object *gw, const struct gw_objset *set, const struct ctl_live *live,
                     const struct ctl_plan_options *opt, struct ctl_plan *ret);

/* Plans the status of a ToolRoute that attaches to no gateway of ours:
 * it says why (no default ToolGateway, the named one does not exist). ours
 * holds only the gateways we own (see ctl_gateway_is_ours) besides every
 * other kind; all holds every gateway. A route whose gateway is ours is
 * planned with that gateway instead, and a route that names a gateway of
 * another controller is left alone (ret->ours false). */
int ctl_plan_orphan_route(const struct gw_object *route, const struct gw_objset *ours,
                          const struct gw_objset *all, const struct ctl_plan_options *opt,
                          struct ctl_plan *ret);

void ctl_plan_release(struct ctl_plan *p);

#endif
