/* resolve: which objects a gateway uses, found among a set of parsed
 * objects (the controller's caches or the files given to `render`).
 * Pure lookups; nothing here talks to the API server. */
#ifndef GW_RESOLVE_H
#define GW_RESOLVE_H

#include <stddef.h>

#include "model.h"
#include "render_types.h"

/* Marks a ToolGateway as the one routes without toolGatewayRef attach to
 * when more than one ToolGateway exists. */
#define GW_DEFAULT_TOOLGATEWAY_ANNOTATION "toolgateway.agentic-layer.ai/is-default"

struct gw_objset {
    const struct gw_object *const *items;
    size_t n;
};

const struct gw_object *gw_find(const struct gw_objset *set, enum gw_kind kind, const char *ns,
                                const char *name);

/* The Guards of spec.guardrails in order, each with its provider (NULL
 * members where a reference did not resolve). *ret has one entry per
 * reference; caller frees the array. */
int gw_resolve_guards(const struct gw_object *gw, const struct gw_objset *set,
                      struct gw_resolved_guard **ret, size_t *ret_n);

/* The ToolGateway routes without a reference attach to: the one marked
 * with GW_DEFAULT_TOOLGATEWAY_ANNOTATION if exactly one is, else the only
 * ToolGateway if exactly one exists, else NULL (*ret_why says why). */
const struct gw_object *gw_default_toolgateway(const struct gw_objset *set, const char **ret_why);

/* The ToolRoute's gateway: its toolGatewayRef, else the default. */
const struct gw_object *gw_route_gateway(const struct gw_object *route, const struct gw_objset *set,
                                         const char **ret_why);

/* Routes attached to gw, sorted by namespace/name, each with its ToolServer
 * (NULL when unresolved). Routes gw's allowedRoutes does not admit are not
 * attached (see gw_refused_routes). Caller frees the array. */
int gw_attached_routes(const struct gw_object *gw, const struct gw_objset *set,
                       struct gw_route_input **ret, size_t *ret_n);

/* Whether a ToolGateway's spec.allowedRoutes (v1beta1) lets route attach:
 * All (the default) admits every namespace, Same only the gateway's own,
 * Selector the namespaces whose labels the selector selects (labelsel.h).
 * The labels are those of the route's Namespace object in set
 * (GW_KIND_NAMESPACE, metadata only); when set holds none (the controller
 * may not read Namespaces), the route is not admitted and
 * *ret_labels_unknown is set so the caller can say so. On false, *ret_why
 * says why (static text). */
bool gw_route_allowed(const struct gw_object *gw, const struct gw_object *route, const struct gw_objset *set,
                      bool *ret_labels_unknown, const char **ret_why);

/* Whether gw is a ToolGateway whose allowedRoutes depend on Namespace
 * labels (from: Selector): a label change must re-evaluate it. */
bool gw_selects_namespaces(const struct gw_object *gw);

/* A route that names gw (or attaches to it as the default) but that gw's
 * allowedRoutes does not admit. */
struct gw_refused_route {
    const struct gw_object *route;
    const char *why;            /* static text */
    bool labels_unknown;        /* Selector, and the route's Namespace is not in the set */
};

/* The routes gw refuses, sorted by namespace/name. Caller frees the array. */
int gw_refused_routes(const struct gw_object *gw, const struct gw_objset *set, struct gw_refused_route **ret,
                      size_t *ret_n);

/* Both at once, in one pass over set: the routes attached to gw (as
 * gw_attached_routes) and those it refuses (as gw_refused_routes). Either
 * pair of outputs may be NULL. Caller frees the arrays. */
int gw_gateway_routes(const struct gw_object *gw, const struct gw_objset *set, struct gw_route_input **ret_attached,
                      size_t *ret_n_attached, struct gw_refused_route **ret_refused, size_t *ret_n_refused);

/* Versions of the referenced Secrets present in set (for the hash).
 * Caller frees the array; strings are borrowed from the set. */
int gw_secret_versions(const struct gw_render_input *in, const struct gw_objset *set,
                       struct gw_secret_version **ret, size_t *ret_n);

#endif
