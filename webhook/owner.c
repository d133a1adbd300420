#include "owner.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "informer.h"
#include "model.h"
#include "jsonutil.h"

#define DEFAULT_TOOLGATEWAY_ANNOTATION "toolgateway.agentic-layer.ai/is-default"

static const struct kube_resource AIGATEWAYCLASSES = { GW_GROUP, "v1alpha1", "aigatewayclasses", false };
static const struct kube_resource TOOLGATEWAYCLASSES = { GW_GROUP, "v1alpha1", "toolgatewayclasses", false };
static const struct kube_resource TOOLGATEWAYS = { GW_GROUP, "v1alpha1", "toolgateways", true };

enum { C_AICLASS, C_TOOLCLASS, C_TOOLGW };

/* The class caches, then one ToolGateway cache for the whole cluster or one
 * per watched namespace. */
struct wh_owner_caches {
    struct informer **inf;
    const char **ns;            /* per informer: its namespace, NULL = all */
    size_t n;
    size_t n_namespaces;        /* 0: the whole cluster */
};

static const char *cache_name(size_t i)
{
    static const char *const names[] = { "AiGatewayClasses", "ToolGatewayClasses", "ToolGateways" };
    return names[i < C_TOOLGW ? i : C_TOOLGW];
}

/* One class kind's rules: its cache, our controller name, its default mark. */
struct class_rules {
    struct informer *inf;
    const char *kind;
    const char *controller;
    const char *default_annotation;
};

int wh_owner_start(struct kube_config *cfg, const char *const *namespaces, size_t n_namespaces,
                   struct wh_owner_caches **ret)
{
    struct wh_owner_caches *oc = calloc(1, sizeof(*oc));
    if (!oc)
        return -ENOMEM;
    oc->n_namespaces = n_namespaces;
    size_t n = C_TOOLGW + (n_namespaces ? n_namespaces : 1);
    oc->inf = calloc(n, sizeof(*oc->inf));
    oc->ns = calloc(n, sizeof(*oc->ns));
    int r = oc->inf && oc->ns ? 0 : -ENOMEM;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct kube_resource *res = i == C_AICLASS ? &AIGATEWAYCLASSES
                                          : i == C_TOOLCLASS ? &TOOLGATEWAYCLASSES : &TOOLGATEWAYS;
        oc->ns[i] = i >= C_TOOLGW && n_namespaces ? namespaces[i - C_TOOLGW] : NULL;
        struct informer_opts o = { .res = res, .ns = oc->ns[i] };
        r = informer_new(cfg, &o, &oc->inf[i]);
        if (r == 0) {
            oc->n = i + 1;
            r = informer_start(oc->inf[i]);
        }
    }
    if (r < 0) {
        wh_owner_stop(oc);
        return r;
    }
    *ret = oc;
    return 0;
}

static void *stop_one(void *inf)
{
    informer_stop(inf);
    return NULL;
}

/* Each informer takes up to about a second to notice its stop: stop them
 * side by side, not one after another. */
void wh_owner_stop(struct wh_owner_caches *oc)
{
    if (!oc)
        return;
    pthread_t *t = calloc(oc->n ? oc->n : 1, sizeof(*t));
    bool *joined = calloc(oc->n ? oc->n : 1, sizeof(*joined));
    for (size_t i = 0; i < oc->n; i++) {
        if (t && joined)
            joined[i] = oc->inf[i] && pthread_create(&t[i], NULL, stop_one, oc->inf[i]) == 0;
        else
            informer_stop(oc->inf[i]);
    }
    for (size_t i = 0; i < oc->n; i++) {
        if (joined && joined[i])
            pthread_join(t[i], NULL);
        informer_free(oc->inf[i]);
    }
    free(t);
    free(joined);
    free(oc->inf);
    free(oc->ns);
    free(oc);
}

/* Whether the operator watches namespace ns (every namespace without
 * --namespace). */
static bool watched(const struct wh_owner_caches *oc, const char *ns)
{
    if (!oc->n_namespaces)
        return true;
    for (size_t i = C_TOOLGW; ns && i < oc->n; i++)
        if (strcmp(oc->ns[i], ns) == 0)
            return true;
    return false;
}

/* The ToolGateway cache that holds namespace ns, or NULL. */
static struct informer *gateway_cache(const struct wh_owner_caches *oc, const char *ns)
{
    if (!oc->n_namespaces)
        return oc->inf[C_TOOLGW];
    for (size_t i = C_TOOLGW; ns && i < oc->n; i++)
        if (strcmp(oc->ns[i], ns) == 0)
            return oc->inf[i];
    return NULL;
}

bool wh_owner_synced(struct wh_owner_caches *oc, char *why, size_t cap)
{
    if (!oc) {
        snprintf(why, cap, "no Kubernetes client configuration for the webhook's caches");
        return false;
    }
    for (size_t i = 0; i < oc->n; i++) {
        if (informer_synced(oc->inf[i]))
            continue;
        char *err = informer_last_error(oc->inf[i]);
        snprintf(why, cap, "the webhook's cache of %s%s%s is not synced yet%s%.160s", cache_name(i),
                 oc->ns[i] ? " in " : "", oc->ns[i] ? oc->ns[i] : "", err ? ": " : "", err ? err : "");
        free(err);
        return false;
    }
    return true;
}

static bool marked(json_object *obj, const char *annotation)
{
    const char *v = jobj_get_str(jobj_get(jobj_get(obj, "metadata"), "annotations"), annotation);
    return v && strcmp(v, "true") == 0;
}

static enum wh_owner controller_owner(json_object *cls, const struct class_rules *cr)
{
    const char *ctl = jobj_get_str(jobj_get(cls, "spec"), "controller");
    return ctl && strcmp(ctl, cr->controller) == 0 ? WH_OWNER_OURS : WH_OWNER_FOREIGN;
}

static enum wh_owner default_class_owner(const struct class_rules *cr, char *why, size_t cap)
{
    json_object **all = NULL;
    size_t n = 0;
    if (informer_list(cr->inf, &all, &n) < 0) {
        snprintf(why, cap, "out of memory");
        return WH_OWNER_UNKNOWN;
    }
    json_object *def = NULL;
    size_t n_default = 0;
    for (size_t i = 0; i < n; i++)
        if (marked(all[i], cr->default_annotation)) {
            def = all[i];
            n_default++;
        }
    enum wh_owner o = WH_OWNER_UNKNOWN;
    if (n_default == 0)
        snprintf(why, cap, "it names no %s and none is marked default", cr->kind);
    else if (n_default > 1)
        snprintf(why, cap, "it names no %s and more than one is marked default", cr->kind);
    else if ((o = controller_owner(def, cr)) == WH_OWNER_FOREIGN)
        snprintf(why, cap, "the default %s names another controller", cr->kind);
    informer_list_free(cr->inf, all, n);
    return o;
}

/* The gateway's class rules, for a class name (NULL or "" = the default). */
static enum wh_owner class_owner(const struct class_rules *cr, const char *cname, char *why, size_t cap)
{
    if (!cname || !*cname)
        return default_class_owner(cr, why, cap);
    json_object *cls = informer_get(cr->inf, cname);
    if (!cls) {
        snprintf(why, cap, "its %s \"%.100s\" does not exist", cr->kind, cname);
        return WH_OWNER_UNKNOWN;
    }
    enum wh_owner o = controller_owner(cls, cr);
    informer_put(cr->inf, cls);
    if (o == WH_OWNER_FOREIGN)
        snprintf(why, cap, "its %s \"%.100s\" names another controller", cr->kind, cname);
    return o;
}

static struct class_rules rules_for(struct wh_owner_caches *oc, enum gw_kind kind)
{
    if (kind == GW_KIND_AIGATEWAY)
        return (struct class_rules){ oc->inf[C_AICLASS], "AiGatewayClass", GW_AI_CONTROLLER_NAME,
                                     GW_AIGW_CLASS_DEFAULT_ANNOTATION };
    return (struct class_rules){ oc->inf[C_TOOLCLASS], "ToolGatewayClass", GW_TOOL_CONTROLLER_NAME,
                                 GW_TOOLGW_CLASS_DEFAULT_ANNOTATION };
}

/* The class a gateway names, in either version (v1beta1 says className). */
static const char *gateway_class(enum gw_kind kind, json_object *gw)
{
    json_object *spec = jobj_get(gw, "spec");
    const char *c = jobj_get_str(spec, kind == GW_KIND_AIGATEWAY ? "aiGatewayClassName" : "toolGatewayClassName");
    return c ? c : jobj_get_str(spec, "className");
}

/* The default ToolGateway among ours, as the controller's resolver picks it:
 * the one marked default, else the only one. */
static enum wh_owner default_gateway_owner(struct wh_owner_caches *oc, char *why, size_t cap)
{
    struct class_rules cr = rules_for(oc, GW_KIND_TOOLGATEWAY);
    size_t n_ours = 0, n_marked = 0;
    char ignored[64];
    for (size_t c = C_TOOLGW; c < oc->n; c++) {
        json_object **all = NULL;
        size_t n = 0;
        if (informer_list(oc->inf[c], &all, &n) < 0) {
            snprintf(why, cap, "out of memory");
            return WH_OWNER_UNKNOWN;
        }
        for (size_t i = 0; i < n; i++) {
            if (class_owner(&cr, gateway_class(GW_KIND_TOOLGATEWAY, all[i]), ignored, sizeof(ignored)) !=
                WH_OWNER_OURS)
                continue;
            n_ours++;
            if (marked(all[i], DEFAULT_TOOLGATEWAY_ANNOTATION))
                n_marked++;
        }
        informer_list_free(oc->inf[c], all, n);
    }
    if (n_marked == 1 || (n_marked == 0 && n_ours == 1))
        return WH_OWNER_OURS;
    snprintf(why, cap, "it names no ToolGateway and no default ToolGateway of ours is known");
    return WH_OWNER_UNKNOWN;
}

static enum wh_owner route_owner(struct wh_owner_caches *oc, json_object *route, const char *ns, char *why,
                                 size_t cap)
{
    json_object *spec = jobj_get(route, "spec");
    json_object *ref = jobj_get(spec, "toolGatewayRef");
    if (!ref)
        ref = jobj_get(spec, "gatewayRef"); /* v1beta1 */
    const char *name = jobj_get_str(ref, "name");
    if (!ref || !name || !*name)
        return default_gateway_owner(oc, why, cap);
    const char *gns = jobj_get_str(ref, "namespace");
    if (!gns || !*gns)
        gns = ns;
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", gns ? gns : "", name);
    struct informer *cache = gateway_cache(oc, gns);
    if (!cache) {
        snprintf(why, cap, "its ToolGateway %.200s is outside the namespaces this operator watches", key);
        return WH_OWNER_UNKNOWN;
    }
    json_object *gw = informer_get(cache, key);
    if (!gw) {
        snprintf(why, cap, "its ToolGateway %.200s does not exist", key);
        return WH_OWNER_UNKNOWN;
    }
    struct class_rules cr = rules_for(oc, GW_KIND_TOOLGATEWAY);
    char inner[200] = "";
    enum wh_owner o = class_owner(&cr, gateway_class(GW_KIND_TOOLGATEWAY, gw), inner, sizeof(inner));
    informer_put(cache, gw);
    if (o != WH_OWNER_OURS)
        snprintf(why, cap, "its ToolGateway %.200s is not ours: %s", key, inner);
    return o;
}

enum wh_owner wh_owner_of(void *ctx, enum gw_kind kind, json_object *obj, const char *ns, char *why,
                          size_t why_cap)
{
    struct wh_owner_caches *oc = ctx;
    if (!wh_owner_synced(oc, why, why_cap))
        return WH_OWNER_UNKNOWN;
    const char *obj_ns = ns && *ns ? ns : jobj_get_str(jobj_get(obj, "metadata"), "namespace");
    if (!watched(oc, obj_ns)) {
        snprintf(why, why_cap, "its namespace is outside the namespaces this operator watches");
        return WH_OWNER_UNKNOWN;
    }
    switch (kind) {
    case GW_KIND_AIGATEWAY:
    case GW_KIND_TOOLGATEWAY: {
        struct class_rules cr = rules_for(oc, kind);
        return class_owner(&cr, gateway_class(kind, obj), why, why_cap);
    }
    case GW_KIND_TOOLROUTE:
        return route_owner(oc, obj, ns, why, why_cap);
    default:
        snprintf(why, why_cap, "not a kind this webhook judges");
        return WH_OWNER_FOREIGN;
    }
}
