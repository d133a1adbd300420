#include "reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"
#include "clock.h"
#include "jsonutil.h"

#define RES(var, plural, ns) \
    const struct kube_resource var = { GW_GROUP, "v1alpha1", plural, ns }
RES(CTL_AIGATEWAYS, "aigateways", true);
RES(CTL_TOOLGATEWAYS, "toolgateways", true);
RES(CTL_TOOLROUTES, "toolroutes", true);
RES(CTL_AIGATEWAYCLASSES, "aigatewayclasses", false);
RES(CTL_TOOLGATEWAYCLASSES, "toolgatewayclasses", false);
RES(CTL_GUARDS, "guards", true);
RES(CTL_GUARDRAILPROVIDERS, "guardrailproviders", true);
RES(CTL_TOOLSERVERS, "toolservers", true);

const struct kube_resource *ctl_resource_of(enum gw_kind kind)
{
    switch (kind) {
    case GW_KIND_AIGATEWAY: return &CTL_AIGATEWAYS;
    case GW_KIND_TOOLGATEWAY: return &CTL_TOOLGATEWAYS;
    case GW_KIND_TOOLROUTE: return &CTL_TOOLROUTES;
    case GW_KIND_AIGATEWAYCLASS: return &CTL_AIGATEWAYCLASSES;
    case GW_KIND_TOOLGATEWAYCLASS: return &CTL_TOOLGATEWAYCLASSES;
    case GW_KIND_GUARD: return &CTL_GUARDS;
    case GW_KIND_GUARDRAILPROVIDER: return &CTL_GUARDRAILPROVIDERS;
    case GW_KIND_TOOLSERVER: return &CTL_TOOLSERVERS;
    case GW_KIND_SECRET: return &KUBE_SECRETS;
    default: return NULL;
    }
}

static int jadd_str(json_object *o, const char *k, const char *v)
{
    json_object *s = json_object_new_string(v ? v : "");
    if (!s || json_object_object_add(o, k, s) != 0) {
        json_object_put(s);
        return -ENOMEM;
    }
    return 0;
}

int ctl_post_event(struct kube_client *c, const struct gw_object *o, bool warning, const char *reason,
                   const char *message)
{
    const char *ns = o->meta.ns;
    char now[32];
    gw_rfc3339_now(now);
    json_object *ev = json_object_new_object(), *emd = json_object_new_object();
    json_object *inv = json_object_new_object(), *src = json_object_new_object();
    int r = -ENOMEM;
    if (!ev || !emd || !inv || !src)
        goto fail;
    json_object_object_add(ev, "metadata", emd);
    json_object_object_add(ev, "involvedObject", inv);
    json_object_object_add(ev, "source", src);
    emd = inv = src = NULL;
    json_object *m = jobj_get(ev, "metadata"), *io = jobj_get(ev, "involvedObject"), *so = jobj_get(ev, "source");
    char gen[300];
    snprintf(gen, sizeof(gen), "%.250s.", o->meta.name ? o->meta.name : "object");
    if (jadd_str(ev, "apiVersion", "v1") || jadd_str(ev, "kind", "Event") || jadd_str(m, "generateName", gen) ||
        jadd_str(m, "namespace", ns ? ns : "default") || jadd_str(io, "apiVersion", gw_kind_api_version(o->kind)) ||
        jadd_str(io, "kind", gw_kind_name(o->kind)) || jadd_str(io, "name", o->meta.name) ||
        (ns && jadd_str(io, "namespace", ns)) || jadd_str(io, "uid", o->meta.uid) ||
        jadd_str(io, "resourceVersion", o->meta.resource_version) ||
        jadd_str(so, "component", KUBE_FIELD_MANAGER) || jadd_str(ev, "reason", reason) ||
        jadd_str(ev, "message", message) || jadd_str(ev, "type", warning ? "Warning" : "Normal") ||
        jadd_str(ev, "firstTimestamp", now) || jadd_str(ev, "lastTimestamp", now) ||
        jadd_str(ev, "reportingComponent", KUBE_FIELD_MANAGER))
        goto fail;
    json_object_object_add(ev, "count", json_object_new_int(1));
    r = kube_create(c, &KUBE_EVENTS, ns ? ns : "default", ev, NULL);
fail:
    json_object_put(ev);
    json_object_put(emd);
    json_object_put(inv);
    json_object_put(src);
    return r;
}

static const struct kube_resource *child_resource(int i)
{
    static const struct kube_resource *const res[3] = { &KUBE_CONFIGMAPS, &KUBE_DEPLOYMENTS, &KUBE_SERVICES };
    return res[i];
}

int ctl_execute_plan(struct kube_client *c, const struct gw_object *gw, const struct ctl_plan *p,
                     struct ctl_exec_stats *stats)
{
    int r = 0;
    for (int i = 0; i < 3 && r == 0; i++) {
        json_object *obj = p->apply[i];
        if (!obj)
            continue;
        json_object *md = jobj_get(obj, "metadata");
        r = kube_apply(c, child_resource(i), jobj_get_str(md, "namespace"), jobj_get_str(md, "name"), obj, NULL);
        if (r == 0 && stats)
            stats->applied++;
    }
    for (size_t i = 0; i < p->n_statuses && r == 0; i++) {
        const struct ctl_status_write *w = &p->statuses[i];
        json_object *patch = json_object_new_object();
        if (!patch || json_object_object_add(patch, "status", json_object_get(w->status)) != 0) {
            json_object_put(patch);
            return -ENOMEM;
        }
        r = kube_patch_status(c, ctl_resource_of(w->kind), w->ns, w->name, patch, NULL);
        json_object_put(patch);
        if (r == -ENOENT)
            r = 0; /* deleted meanwhile: nothing to report on */
        else if (r == 0 && stats)
            stats->status_writes++;
    }
    /* Events are best effort: a refused Event must not fail the reconcile. */
    for (size_t i = 0; i < p->n_events && r == 0; i++)
        if (ctl_post_event(c, gw, p->events[i].warning, p->events[i].reason, p->events[i].message) == 0 &&
            stats)
            stats->events++;
    return r;
}

struct class_spec {
    const struct kube_resource *res;
    const char *kind;
    const char *controller;
    const char *default_annotation;
};

static bool any_default(json_object *list, const char *annotation)
{
    json_object *items = jobj_get(list, "items");
    for (size_t i = 0; items && i < json_object_array_length(items); i++) {
        const char *v = jobj_get_str(jobj_get(jobj_get(json_object_array_get_idx(items, i), "metadata"), "annotations"), annotation);
        if (v && strcmp(v, "true") == 0)
            return true;
    }
    return false;
}

static int ensure_class(struct kube_client *c, const struct class_spec *cs, bool want_default, struct strbuf *report)
{
    json_object *have = NULL;
    int r = kube_get(c, cs->res, NULL, GW_CLASS_NAME, &have);
    if (r == 0) {
        const char *ctl = jobj_get_str(jobj_get(have, "spec"), "controller");
        if (ctl && strcmp(ctl, cs->controller) == 0)
            sb_addf(report, "%s %s: present, controller %s\n", cs->kind, GW_CLASS_NAME, ctl);
        else
            sb_addf(report, "%s %s: names controller \"%s\", not ours (%s); left as it is, and gateways of this "
                            "class are not reconciled by this operator\n",
                    cs->kind, GW_CLASS_NAME, ctl ? ctl : "", cs->controller);
        json_object_put(have);
        return 0;
    }
    if (r != -ENOENT)
        return r;
    bool mark_default = false;
    if (want_default) {
        json_object *list = NULL;
        r = kube_list(c, cs->res, NULL, NULL, &list);
        if (r < 0)
            return r;
        mark_default = !any_default(list, cs->default_annotation);
        json_object_put(list);
    }
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"name\":\"%s\","
             "\"labels\":{\"app.kubernetes.io/managed-by\":\"%s\"}%s%s%s},\"spec\":{\"controller\":\"%s\"}}",
             GW_V1ALPHA1, cs->kind, GW_CLASS_NAME, KUBE_FIELD_MANAGER,
             mark_default ? ",\"annotations\":{\"" : "", mark_default ? cs->default_annotation : "",
             mark_default ? "\":\"true\"}" : "", cs->controller);
    json_object *obj = json_tokener_parse(buf);
    if (!obj)
        return -ENOMEM;
    r = kube_create(c, cs->res, NULL, obj, NULL);
    json_object_put(obj);
    if (r == -EEXIST) /* another replica was quicker */
        return ensure_class(c, cs, want_default, report);
    if (r == 0)
        sb_addf(report, "%s %s: created with controller %s%s\n", cs->kind, GW_CLASS_NAME, cs->controller,
                mark_default ? ", marked default" : want_default ? " (another class is the default)" : "");
    return r;
}

int ctl_ensure_classes(struct kube_client *c, bool mark_default, char **ret_report)
{
    static const struct class_spec classes[] = {
        { &CTL_AIGATEWAYCLASSES, "AiGatewayClass", GW_AI_CONTROLLER_NAME, GW_AIGW_CLASS_DEFAULT_ANNOTATION },
        { &CTL_TOOLGATEWAYCLASSES, "ToolGatewayClass", GW_TOOL_CONTROLLER_NAME, GW_TOOLGW_CLASS_DEFAULT_ANNOTATION },
    };
    struct strbuf report;
    sb_init(&report, 4096);
    int r = 0;
    for (size_t i = 0; i < 2 && r == 0; i++)
        r = ensure_class(c, &classes[i], mark_default, &report);
    if (r == 0 && sb_failed(&report))
        r = -ENOMEM;
    if (r == 0)
        *ret_report = sb_detach(&report, NULL);
    else
        sb_release(&report);
    return r;
}
