#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8sname.h"
#include "model_compact.h"
#include "patch.h"
#include "render.h"
#include "status.h"
#include "strbuf.h"

static const char *class_controller(enum gw_kind gw_kind)
{
    return gw_kind == GW_KIND_AIGATEWAY ? GW_AI_CONTROLLER_NAME : GW_TOOL_CONTROLLER_NAME;
}

static const char WHY_NO_CLASS[] = "its class does not exist";

bool ctl_gateway_is_ours(const struct gw_object *gw, const struct gw_objset *set, const char **ret_why)
{
    enum gw_kind ck = gw->kind == GW_KIND_AIGATEWAY ? GW_KIND_AIGATEWAYCLASS : GW_KIND_TOOLGATEWAYCLASS;
    const char *cname = gw->kind == GW_KIND_AIGATEWAY ? gw->u.ai.class_name : gw->u.tool.class_name;
    const char *why = NULL;
    bool ours = false;
    if (cname && *cname) {
        /* An explicit class never falls back to the default. */
        const struct gw_object *cls = gw_find(set, ck, NULL, cname);
        if (!cls)
            why = WHY_NO_CLASS;
        else if (!cls->u.cls.controller || strcmp(cls->u.cls.controller, class_controller(gw->kind)) != 0)
            why = "its class names another controller";
        else
            ours = true;
    } else {
        size_t n_default = 0;
        const struct gw_object *def = NULL;
        for (size_t i = 0; i < set->n; i++) {
            const struct gw_object *o = set->items[i];
            if (o->kind == ck && o->u.cls.is_default) {
                n_default++;
                def = o;
            }
        }
        if (n_default == 0)
            why = "it names no class and no class is marked default";
        else if (n_default > 1)
            why = "it names no class and more than one class is marked default";
        else if (!def->u.cls.controller || strcmp(def->u.cls.controller, class_controller(gw->kind)) != 0)
            why = "the default class names another controller";
        else
            ours = true;
    }
    if (ret_why)
        *ret_why = why;
    return ours;
}

static int add_event(struct ctl_plan *p, bool warning, const char *reason, const char *message)
{
    struct ctl_event *e = realloc(p->events, (p->n_events + 1) * sizeof(*e));
    if (!e)
        return -ENOMEM;
    p->events = e;
    char *m = strdup(message);
    if (!m)
        return -ENOMEM;
    e[p->n_events++] = (struct ctl_event){ .warning = warning, .reason = reason, .message = m };
    return 0;
}

/* Adds a status write when the new status differs from the live one: a
 * merge patch that also removes what the live status holds and the new one
 * does not. Takes ownership of status. */
static int add_status(struct ctl_plan *p, const struct gw_object *o, json_object *status)
{
    json_object *owned = NULL, *patch = NULL;
    json_object *old = gw_object_status(o, &owned);
    int r = ctl_status_patch(old, status, &patch);
    json_object_put(owned);
    json_object_put(status);
    if (r < 0 || !patch)
        return r;
    struct ctl_status_write *s = realloc(p->statuses, (p->n_statuses + 1) * sizeof(*s));
    if (!s) {
        json_object_put(patch);
        return -ENOMEM;
    }
    p->statuses = s;
    s[p->n_statuses++] = (struct ctl_status_write){ .kind = o->kind, .ns = o->meta.ns, .name = o->meta.name,
                                                    .status = patch };
    return 0;
}

/* The conditions o's status holds (NULL: none); *owned as for
 * gw_object_status. */
static json_object *old_conditions(const struct gw_object *o, json_object **owned)
{
    json_object *st = gw_object_status(o, owned), *c = NULL;
    if (st)
        json_object_object_get_ex(st, "conditions", &c);
    return c;
}

/* What a gateway's status says besides its conditions, for the v1beta1
 * print columns: AiGateway status.models, ToolGateway status.attachedRoutes. */
struct status_extra {
    const char *models;         /* NULL: none */
    long long attached_routes;  /* < 0: none */
};

static int add_extra(json_object *st, const struct status_extra *x)
{
    if (!x)
        return 0;
    json_object *v = NULL;
    const char *key = NULL;
    if (x->models) {
        key = "models";
        v = json_object_new_string(x->models);
    } else if (x->attached_routes >= 0) {
        key = "attachedRoutes";
        v = json_object_new_int64(x->attached_routes);
    }
    if (!key)
        return 0;
    if (!v || json_object_object_add(st, key, v) != 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

/* status = {observedGeneration, conditions: [...], url?, models? | attachedRoutes?} */
static int set_status(struct ctl_plan *p, const struct gw_object *o, const struct ctl_condition *conds, size_t n,
                      const char *url, const struct status_extra *extra, const char *now)
{
    json_object *owned = NULL;
    json_object *st = json_object_new_object();
    json_object *c = ctl_conditions_build(old_conditions(o, &owned), conds, n, o->meta.generation, now);
    json_object_put(owned);
    json_object *g = json_object_new_int64(o->meta.generation);
    if (!st || !c || !g || json_object_object_add(st, "conditions", c) != 0) {
        json_object_put(g);
        json_object_put(c);
        json_object_put(st);
        return -ENOMEM;
    }
    if (json_object_object_add(st, "observedGeneration", g) != 0) {
        json_object_put(g);
        json_object_put(st);
        return -ENOMEM;
    }
    if (url) {
        json_object *u = json_object_new_string(url);
        if (!u || json_object_object_add(st, "url", u) != 0) {
            json_object_put(u);
            json_object_put(st);
            return -ENOMEM;
        }
    }
    if (add_extra(st, extra) < 0) {
        json_object_put(st);
        return -ENOMEM;
    }
    return add_status(p, o, st);
}

/* Whether the object already carries this condition (so an Event about it
 * was sent when it first appeared). */
static bool condition_unchanged(const struct gw_object *o, const struct ctl_condition *c)
{
    json_object *owned = NULL;
    bool same = ctl_condition_says(old_conditions(o, &owned), c);
    json_object_put(owned);
    return same;
}

/* Bounded: what does not fit is counted ("; and 12 more"), never failed. */
static char *join_errors(const struct gw_errlist *l)
{
    char *s = NULL;
    return errlist_join(l, 4000, &s) == 0 ? s : NULL;
}

static const char *failure_reason(const struct gw_errlist *errors)
{
    for (size_t i = 0; i < errors->n; i++)
        if (strncmp(errors->items[i].field, "spec.guardrails", 15) == 0)
            return CTL_R_GUARDS_FAILED;
    for (size_t i = 0; i < errors->n; i++)
        if (strcmp(errors->items[i].field, GW_PATCH_FIELD) == 0)
            return CTL_R_PATCH_INVALID;
    return CTL_R_CONFIG_FAILED;
}

/* Decides which children to apply; stamps each desired object. */
static int plan_children(struct ctl_plan *p, struct gw_render_output *out, const struct ctl_live *live)
{
    json_object *desired[3] = { out->configmap, out->deployment, out->service };
    json_object *have[3] = { live->configmap, live->deployment, live->service };
    for (int i = 0; i < 3; i++) {
        int r = ctl_stamp_applied_hash(desired[i]);
        if (r < 0)
            return r;
        if (!ctl_live_matches(desired[i], have[i]))
            p->apply[i] = json_object_get(desired[i]);
    }
    return 0;
}

static int plan_ready(struct ctl_plan *p, const struct ctl_live *live, struct ctl_condition *ready,
                      char **ret_msg)
{
    bool failed = false;
    if (p->apply[1]) {
        /* We are changing the Deployment now: its live status is stale. */
        *ret_msg = strdup(live->deployment ? "applying a new pod template" : "creating the Deployment");
        if (!*ret_msg)
            return -ENOMEM;
        *ready = (struct ctl_condition){ ready->type, false, CTL_R_ROLLING_OUT, *ret_msg };
        p->requeue = true;
        return 0;
    }
    int r = ctl_deployment_ready(live->deployment, &failed, ret_msg);
    if (r < 0)
        return r;
    if (r == 1)
        *ready = (struct ctl_condition){ ready->type, true, CTL_R_RECONCILED, *ret_msg };
    else {
        *ready = (struct ctl_condition){ ready->type, false, failed ? CTL_R_WORKLOAD_FAILED : CTL_R_ROLLING_OUT,
                                         *ret_msg };
        p->requeue = !failed;
    }
    return 0;
}

static const char *route_reason(const struct gw_route_result *rr)
{
    if (rr->reason && *rr->reason)
        return rr->reason;
    switch (rr->state) {
    case GW_ROUTE_READY:
        return CTL_R_RECONCILED;
    case GW_ROUTE_UNRESOLVED:
        return CTL_R_UPSTREAM_UNRESOLVED;
    case GW_ROUTE_DUPLICATE:
        return CTL_R_DUPLICATE_NAME;
    default:
        return CTL_R_CONFIG_FAILED;
    }
}

/* Where a gateway stands, for its routes. */
struct gw_summary {
    enum ctl_progress state;
    const char *message;
};

/* A route's status: Accepted and ResolutionFailed as given, Ready,
 * Reconciling and Stalled from where it stands (state, reason, msg). */
static int set_route_status(struct ctl_plan *p, const struct gw_object *route, struct ctl_condition accepted,
                            struct ctl_condition resolution, enum ctl_progress state, const char *reason,
                            const char *msg, const char *url, const char *now)
{
    struct ctl_condition summary[3];
    ctl_summary_conditions(state, reason, msg, summary);
    struct ctl_condition c[5] = { accepted, summary[0], resolution, summary[1], summary[2] };
    return set_status(p, route, c, 5, url, NULL, now);
}

static int plan_routes(struct ctl_plan *p, const struct gw_object *gw, const struct gw_route_input *routes,
                       size_t n, const struct gw_render_output *out, bool gateway_ok,
                       const struct gw_summary *gs, const char *now)
{
    char accepted_msg[512], waiting_msg[1024];
    snprintf(accepted_msg, sizeof(accepted_msg), "attached to ToolGateway %s/%s", gw->meta.ns, gw->meta.name);
    /* Not the gateway's own message: it changes with every step of a
     * rollout, and each change would rewrite the status of every route. */
    snprintf(waiting_msg, sizeof(waiting_msg), "the ToolGateway %s/%s is not ready yet (its Ready condition says why)",
             gw->meta.ns, gw->meta.name);
    for (size_t i = 0; i < n; i++) {
        const struct gw_object *route = routes[i].route;
        const struct gw_route_result *rr = gateway_ok && i < out->n_routes ? &out->routes[i] : NULL;
        bool route_ok = rr && rr->state == GW_ROUTE_READY;
        bool unresolved = rr && rr->state == GW_ROUTE_UNRESOLVED;
        const char *msg = rr && rr->message ? rr->message : "the gateway's configuration could not be generated";
        const char *reason = rr ? route_reason(rr) : CTL_R_CONFIG_FAILED;
        /* A route is Ready only when it is served: its own entry is fine and
         * its gateway runs the configuration that holds it. */
        enum ctl_progress state = CTL_PROGRESS_STALLED;
        const char *summary_msg = msg;
        if (route_ok && gs->state == CTL_PROGRESS_DONE) {
            state = CTL_PROGRESS_DONE;
        } else if (route_ok) {
            state = gs->state;
            reason = CTL_R_GATEWAY_NOT_READY;
            summary_msg = waiting_msg;
        }
        struct ctl_condition accepted = { CTL_ROUTE_ACCEPTED, true, "Accepted", accepted_msg };
        struct ctl_condition resolution = { CTL_ROUTE_RESOLUTION_FAILED, unresolved,
                                            unresolved ? CTL_R_UPSTREAM_UNRESOLVED : "Resolved",
                                            unresolved ? msg : "the upstream resolved" };
        int r = set_route_status(p, route, accepted, resolution, state, reason, summary_msg,
                                 state == CTL_PROGRESS_DONE ? rr->url : NULL, now);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A refused route: Accepted=False with the reason; it stays out of the
 * config until the gateway admits it or the route moves. */
static int plan_refused(struct ctl_plan *p, const struct gw_object *gw, const struct gw_refused_route *rr, size_t n,
                        const char *now)
{
    for (size_t i = 0; i < n; i++) {
        char msg[768];
        snprintf(msg, sizeof(msg), "not accepted by ToolGateway %s/%s: %s", gw->meta.ns, gw->meta.name, rr[i].why);
        const char *reason = rr[i].labels_unknown ? CTL_R_NAMESPACE_LABELS_UNKNOWN : CTL_R_NOT_ALLOWED;
        struct ctl_condition accepted = { CTL_ROUTE_ACCEPTED, false, reason, msg };
        struct ctl_condition resolution = { CTL_ROUTE_RESOLUTION_FAILED, false, "NotAttempted",
                                            "the route is not accepted by its gateway" };
        int r = set_route_status(p, rr[i].route, accepted, resolution, CTL_PROGRESS_STALLED, reason, msg, NULL,
                                 now);
        if (r < 0)
            return r;
    }
    return 0;
}

/* AiGateway status.models: the names clients ask for, comma-separated, in
 * spec order. NULL on allocation failure. */
static char *model_names(const struct gw_object *gw)
{
    struct strbuf sb;
    sb_init(&sb, 1 << 20);
    for (size_t i = 0; i < gw->u.ai.n_models; i++) {
        const char *name = gw->u.ai.models[i].name;
        if (!name)
            continue;
        if (sb.len)
            sb_addc(&sb, ',');
        sb_adds(&sb, name);
    }
    return sb_failed(&sb) ? (sb_release(&sb), NULL) : sb_detach(&sb, NULL);
}

/* The tool lists a gateway's routes read: for route i, the list gathered
 * for its upstream (NULL when it needs none). Borrowed from the options. */
struct tool_lists {
    const struct mcp_tool_list **of;
    size_t count;
};

/* Whether planning route ri needs its upstream's tool list (its filter has
 * globs): 1 with the upstream (*ret_url, caller frees; *ret_transport
 * static), 0 when it needs none, -ENOMEM. */
static int route_tool_need(const struct gw_route_input *ri, char **ret_url, const char **ret_transport)
{
    if (!gw_route_filter_needs_tools(ri->route) || (!ri->route->u.route.external_url && !ri->server))
        return 0;
    const char *transport = "http";
    char *url = gw_route_upstream_url(ri, &transport);
    if (!url)
        return -ENOMEM;
    *ret_url = url;
    *ret_transport = transport;
    return 1;
}

int ctl_plan_tool_needs(const struct gw_object *gw, const struct gw_objset *set, struct mcp_tool_list **ret,
                        size_t *ret_n)
{
    struct gw_route_input *routes = NULL;
    size_t n_routes = 0, n = 0;
    if (gw->kind == GW_KIND_TOOLGATEWAY && ctl_gateway_is_ours(gw, set, NULL)) {
        int r = gw_attached_routes(gw, set, &routes, &n_routes);
        if (r < 0)
            return r;
    }
    struct mcp_tool_list *lists = calloc(n_routes + 1, sizeof(*lists));
    int r = lists ? 0 : -ENOMEM;
    for (size_t i = 0; r >= 0 && i < n_routes; i++) {
        r = route_tool_need(&routes[i], &lists[n].url, &lists[n].transport);
        if (r == 1)
            lists[n++].status = -EAGAIN;
    }
    free(routes);
    if (r < 0) {
        mcp_tool_lists_free(lists, n);
        return r;
    }
    *ret = lists;
    *ret_n = n;
    return 0;
}

/* The gathered list for (url, transport). Lists come in route order, so
 * the cursor usually points at the one wanted. */
static const struct mcp_tool_list *find_tool_list(const struct ctl_plan_options *opt, size_t *cursor,
                                                  const char *url, const char *transport)
{
    for (size_t k = 0; k < opt->n_tool_lists; k++) {
        size_t at = (*cursor + k) % opt->n_tool_lists;
        const struct mcp_tool_list *l = &opt->tool_lists[at];
        if (strcmp(l->url, url) == 0 && strcmp(l->transport, transport) == 0) {
            *cursor = at + 1;
            return l;
        }
    }
    return NULL;
}

/* Gives each route whose globs need it the tool list gathered for its
 * upstream. -EAGAIN when a list is still being fetched. */
static int use_tool_lists(struct gw_route_input *routes, size_t n, const struct ctl_plan_options *opt,
                          struct tool_lists *t)
{
    t->of = calloc(n + 1, sizeof(*t->of));
    if (!t->of)
        return -ENOMEM;
    t->count = n;
    bool pending = false;
    size_t cursor = 0;
    for (size_t i = 0; i < n && opt->tool_lists; i++) {
        char *url = NULL;
        const char *transport = NULL;
        int r = route_tool_need(&routes[i], &url, &transport);
        if (r <= 0) {
            if (r < 0)
                return r;
            continue;
        }
        const struct mcp_tool_list *l = find_tool_list(opt, &cursor, url, transport);
        free(url);
        if (l && l->status == -EAGAIN) /* being fetched: look at every other list before giving up */
            pending = true;
        else if (l)
            t->of[i] = l;
        if (l && l->status == 0) {
            routes[i].known_tools = (const char *const *)l->names;
            routes[i].n_known_tools = l->n;
        }
    }
    return pending ? -EAGAIN : 0;
}

/* Says, in a route's message, why its globs could not be expanded. */
static int note_tool_list_failures(struct gw_render_output *out, const struct tool_lists *t)
{
    for (size_t i = 0; i < out->n_routes && i < t->count; i++) {
        const struct mcp_tool_list *l = t->of[i];
        if (!l || l->status == 0 || !l->error || out->routes[i].state != GW_ROUTE_FILTER_UNENFORCEABLE)
            continue;
        struct strbuf m;
        sb_init(&m, 8192);
        sb_addf(&m, "%s; listing the upstream's tools failed: %s", out->routes[i].message ? out->routes[i].message : "",
                l->error);
        if (sb_failed(&m)) {
            sb_release(&m);
            return -ENOMEM;
        }
        free(out->routes[i].message);
        out->routes[i].message = sb_detach(&m, NULL);
    }
    return 0;
}

/* A gateway that names a class nobody created: an Event says so. Its status
 * belongs to whoever implements that class, so it is not touched. */
static int plan_class_not_found(const struct gw_object *gw, struct ctl_plan *ret)
{
    bool ai = gw->kind == GW_KIND_AIGATEWAY;
    const char *cname = ai ? gw->u.ai.class_name : gw->u.tool.class_name;
    char m[512];
    if (cname && !k8s_check_dns1123_subdomain(cname))
        snprintf(m, sizeof(m), "%s \"%s\" does not exist; create it, or name an existing class",
                 ai ? "AiGatewayClass" : "ToolGatewayClass", cname);
    else
        snprintf(m, sizeof(m), "the %s it names does not exist", ai ? "AiGatewayClass" : "ToolGatewayClass");
    ret->ours = true; /* only the Event: no apply, no status */
    int r = add_event(ret, true, CTL_R_CLASS_NOT_FOUND, m);
    if (r < 0)
        ctl_plan_release(ret);
    return r;
}

/* The Configured condition: applied (with rendering's advice as notes) or
 * failed with the reason, the last good workload left running; a failure
 * that is news gets a Warning Event. *ret_msg (freed by the caller) backs
 * the condition's message. */
static int plan_configured(struct ctl_plan *ret, const struct gw_object *gw, const struct gw_render_output *out,
                           bool rendered, const char *type, struct ctl_condition *cond, char **ret_msg)
{
    if (rendered) {
        /* Advice from rendering (a Guard mode LiteLLM cannot run here...)
         * belongs where users look: the condition. */
        char *notes = join_errors(&out->warnings);
        struct strbuf m;
        sb_init(&m, 8192);
        sb_adds(&m, "the LiteLLM configuration, Deployment and Service are applied");
        bool have_notes = notes != NULL;
        if (notes && *notes)
            sb_addf(&m, "; notes: %s", notes);
        free(notes);
        *ret_msg = have_notes && !sb_failed(&m) ? sb_detach(&m, NULL) : (sb_release(&m), NULL);
        if (!*ret_msg)
            return -ENOMEM;
        *cond = (struct ctl_condition){ type, true, CTL_R_CONFIGURATION_APPLIED, *ret_msg };
        return 0;
    }
    *ret_msg = join_errors(&out->errors);
    if (!*ret_msg)
        return -ENOMEM;
    *cond = (struct ctl_condition){ type, false, failure_reason(&out->errors), *ret_msg };
    if (condition_unchanged(gw, cond))
        return 0;
    return add_event(ret, true, cond->reason, *ret_msg);
}

/* One Event per reconcile that changed the workload, naming what. */
static int plan_applied_event(struct ctl_plan *ret)
{
    if (!ret->apply[0] && !ret->apply[1] && !ret->apply[2])
        return 0;
    static const char *const what[3] = { "ConfigMap", "Deployment", "Service" };
    char m[600] = "applying";
    size_t len = strlen(m);
    for (int i = 0; i < 3; i++) {
        if (!ret->apply[i])
            continue;
        int k = snprintf(m + len, sizeof(m) - len, "%s %s %s", len > 8 ? "," : "", what[i],
                         json_object_get_string(json_object_object_get(
                             json_object_object_get(ret->apply[i], "metadata"), "name")));
        if (k > 0 && (size_t)k < sizeof(m) - len)
            len += (size_t)k;
    }
    return add_event(ret, false, "Applied", m);
}

/* What planning a gateway reads besides the gateway itself: resolved from
 * the set, and the tool lists gathered before planning. */
struct gw_inputs {
    bool ai;
    struct gw_resolved_guard *guards;
    size_t n_guards;
    struct gw_route_input *routes;      /* ToolGateway: the routes attached */
    size_t n_routes;
    struct gw_refused_route *refused;   /* ToolGateway: the routes allowedRoutes refuses */
    size_t n_refused;
    struct gw_secret_version *secrets;
    size_t n_secrets;
    char *models;                       /* AiGateway: status.models */
    struct tool_lists tools;
};

static void gw_inputs_release(struct gw_inputs *in)
{
    free(in->guards);
    free(in->routes);
    free(in->refused);
    free(in->secrets);
    free(in->models);
    free(in->tools.of);
}

/* Resolves what the gateway references. -EAGAIN: a tool list is still
 * being fetched. *in is to be released whatever the answer. */
static int gather_inputs(const struct gw_object *gw, const struct gw_objset *set, const struct ctl_plan_options *opt,
                         struct gw_inputs *in)
{
    memset(in, 0, sizeof(*in));
    bool ai = in->ai = gw->kind == GW_KIND_AIGATEWAY;
    int r = gw_resolve_guards(gw, set, &in->guards, &in->n_guards);
    if (r == 0 && !ai)
        r = gw_gateway_routes(gw, set, &in->routes, &in->n_routes, &in->refused, &in->n_refused);
    if (r == 0 && ai && !(in->models = model_names(gw)))
        r = -ENOMEM;
    if (r == 0 && !ai)
        r = use_tool_lists(in->routes, in->n_routes, opt, &in->tools);
    return r;
}

/* Renders the gateway's configuration and children into out. 0 with
 * *ret_rendered false when the configuration is refused (out->errors says
 * why); -ENOMEM. */
static int render_gateway(const struct gw_object *gw, const struct gw_objset *set, const struct ctl_plan_options *opt,
                          struct gw_inputs *in, struct gw_render_output *out, bool *ret_rendered)
{
    struct gw_render_input ri = { .gateway = gw, .guards = in->guards, .n_guards = in->n_guards,
                                  .routes = in->routes, .n_routes = in->n_routes, .image = opt->image,
                                  .otlp_endpoint = opt->otlp_endpoint };
    int r = gw_secret_versions(&ri, set, &in->secrets, &in->n_secrets);
    if (r < 0)
        return r;
    ri.secrets = in->secrets;
    ri.n_secrets = in->n_secrets;
    r = gw_render(&ri, out);
    if (r == -ENOMEM || (r == 0 && note_tool_list_failures(out, &in->tools) < 0))
        return -ENOMEM;
    *ret_rendered = r == 0;
    return 0;
}

/* Where the gateway stands as a whole, from Configured (conds[0]) and
 * Ready (conds[1]); *ret_reason is the summary's reason. */
static struct gw_summary gateway_summary(bool rendered, const struct ctl_condition *conds, const char **ret_reason)
{
    if (!rendered) {
        *ret_reason = conds[0].reason;
        return (struct gw_summary){ CTL_PROGRESS_STALLED, conds[0].message };
    }
    *ret_reason = conds[1].reason;
    struct gw_summary gs = { CTL_PROGRESS_DONE, conds[1].message };
    if (!conds[1].status)
        gs.state = strcmp(conds[1].reason, CTL_R_WORKLOAD_FAILED) == 0 ? CTL_PROGRESS_STALLED : CTL_PROGRESS_WORKING;
    return gs;
}

/* The gateway's status (Configured, Ready and the summary conditions
 * conds[2..4]) and those of its routes, attached and refused. */
static int plan_statuses(struct ctl_plan *ret, const struct gw_object *gw, const struct gw_inputs *in,
                         const struct gw_render_output *out, bool rendered, struct ctl_condition *conds,
                         const char *now)
{
    const char *summary_reason = NULL;
    struct gw_summary gs = gateway_summary(rendered, conds, &summary_reason);
    ctl_summary_conditions(gs.state, summary_reason, gs.message, &conds[2]);
    struct status_extra extra = { in->models, in->ai ? -1 : (long long)in->n_routes };
    int r = set_status(ret, gw, conds, 5, in->ai ? NULL : out->gateway_url, &extra, now);
    if (r == 0 && !in->ai)
        r = plan_routes(ret, gw, in->routes, in->n_routes, out, rendered, &gs, now);
    if (r == 0 && !in->ai)
        r = plan_refused(ret, gw, in->refused, in->n_refused, now);
    return r;
}

/* From a rendered (or refused) configuration: the children to apply, the
 * conditions, the statuses and the Events. */
static int plan_outcome(struct ctl_plan *ret, const struct gw_object *gw, const struct ctl_live *live,
                        const struct gw_inputs *in, struct gw_render_output *out, bool rendered, const char *now)
{
    bool ai = in->ai;
    struct ctl_condition conds[5];
    conds[1] = (struct ctl_condition){ ai ? CTL_AI_READY : CTL_TOOL_READY, false, CTL_R_ROLLING_OUT, "" };
    char *ready_msg = NULL, *err_msg = NULL;
    /* A refused config is no failure of the reconcile: it says why. */
    int r = rendered ? plan_children(ret, out, live) : 0;
    if (r == 0)
        r = plan_configured(ret, gw, out, rendered, ai ? CTL_AI_CONFIGURED : CTL_TOOL_CONFIGURED, &conds[0],
                            &err_msg);
    if (r == 0)
        r = plan_ready(ret, live, &conds[1], &ready_msg);
    if (r == 0)
        r = plan_statuses(ret, gw, in, out, rendered, conds, now);
    if (r == 0)
        r = plan_applied_event(ret);
    free(ready_msg);
    free(err_msg);
    return r;
}

int ctl_plan_gateway(const struct gw_object *gw, const struct gw_objset *set, const struct ctl_live *live,
                     const struct ctl_plan_options *opt, struct ctl_plan *ret)
{
    memset(ret, 0, sizeof(*ret));
    const char *why = NULL;
    if (!ctl_gateway_is_ours(gw, set, &why))
        return why == WHY_NO_CLASS ? plan_class_not_found(gw, ret) : 0;
    ret->ours = true;
    struct gw_inputs in;
    struct gw_render_output out;
    memset(&out, 0, sizeof(out));
    bool rendered = false;
    int r = gather_inputs(gw, set, opt, &in);
    if (r == -EAGAIN) {
        /* A tool list is still being fetched: plan nothing rather than a
         * route that fails for want of it, and look again. */
        ret->requeue = true;
        r = 0;
        goto done;
    }
    if (r == 0)
        r = render_gateway(gw, set, opt, &in, &out, &rendered);
    if (r == 0)
        r = plan_outcome(ret, gw, live, &in, &out, rendered, opt->now);
done:
    gw_inputs_release(&in);
    gw_render_output_release(&out);
    if (r < 0)
        ctl_plan_release(ret);
    return r < 0 ? r : 0;
}

int ctl_plan_orphan_route(const struct gw_object *route, const struct gw_objset *ours,
                          const struct gw_objset *all, const struct ctl_plan_options *opt,
                          struct ctl_plan *ret)
{
    memset(ret, 0, sizeof(*ret));
    const char *why = NULL;
    if (gw_route_gateway(route, ours, &why))
        return 0; /* planned with its gateway */
    if (route->u.route.gateway.set && gw_route_gateway(route, all, NULL))
        return 0; /* another controller's gateway: its business */
    ret->ours = true;
    char msg[512];
    snprintf(msg, sizeof(msg), "not attached: %s", why ? why : "no ToolGateway found");
    /* Waiting for a gateway is progress, not failure: GitOps tools apply
     * a route and its gateway in any order. */
    struct ctl_condition accepted = { CTL_ROUTE_ACCEPTED, false, CTL_R_NO_GATEWAY, msg };
    struct ctl_condition resolution = { CTL_ROUTE_RESOLUTION_FAILED, false, "NotAttempted",
                                        "the route is not attached to a gateway" };
    int r = set_route_status(ret, route, accepted, resolution, CTL_PROGRESS_WORKING, CTL_R_NO_GATEWAY, msg, NULL,
                             opt->now);
    if (r < 0)
        ctl_plan_release(ret);
    return r;
}

void ctl_plan_release(struct ctl_plan *p)
{
    if (!p)
        return;
    for (int i = 0; i < 3; i++)
        json_object_put(p->apply[i]);
    for (size_t i = 0; i < p->n_statuses; i++)
        json_object_put(p->statuses[i].status);
    free(p->statuses);
    for (size_t i = 0; i < p->n_events; i++)
        free(p->events[i].message);
    free(p->events);
    memset(p, 0, sizeof(*p));
}
