/* Helpers of the unit tests that plan reconciles: the fixture's gateway
 * and objects by name, what a plan wrote, and a live world that caught up
 * with a plan (children applied, the Deployment rolled out). */
#ifndef GW_PLANTEST_H
#define GW_PLANTEST_H

#include "testutil.h"

#include "model_compact.h"
#include "plan.h"

static const struct ctl_plan_options PLAN_OPT = { .image = "litellm:test", .now = "2026-11-26T00:00:00Z" };

static inline const struct gw_object *first_gateway(struct fixture *f)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->objs[i]->kind == GW_KIND_AIGATEWAY || f->objs[i]->kind == GW_KIND_TOOLGATEWAY)
            return f->objs[i];
    fail_msg("no gateway in fixture");
    return NULL;
}

static inline struct gw_object *obj_named(struct fixture *f, enum gw_kind kind, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->objs[i]->kind == kind && strcmp(f->objs[i]->meta.name, name) == 0)
            return f->objs[i];
    fail_msg("no %s in fixture", name);
    return NULL;
}

/* f's objects parsed again from their trees and detached from them, as
 * the controller's world holds them (model_compact.h). */
static inline void detached_twin(struct fixture *f, struct fixture *twin)
{
    twin->n = 0;
    for (size_t i = 0; i < f->n; i++) {
        json_object *copy = NULL;
        assert_int_equal(json_object_deep_copy(f->objs[i]->root, &copy, NULL), 0);
        struct gw_errlist e;
        errlist_init(&e);
        struct gw_object *o = NULL;
        assert_int_equal(gw_object_parse(copy, &o, &e), 0);
        assert_int_equal(gw_object_read_beta(o, &e), 0);
        errlist_free(&e);
        json_object_put(copy);
        assert_int_equal(gw_object_detach(o), 0);
        twin->objs[twin->n++] = o;
    }
}

static inline void assert_same_json(json_object *a, json_object *b, const char *what)
{
    if (!json_object_equal(a, b))
        fail_msg("%s differs: %s vs %s", what, json_object_to_json_string(a), json_object_to_json_string(b));
}

/* Two plans write the same: children, statuses, Events, requeue. */
static inline void assert_same_plan(const struct ctl_plan *a, const struct ctl_plan *b)
{
    assert_int_equal(a->ours, b->ours);
    assert_int_equal(a->requeue, b->requeue);
    for (int i = 0; i < 3; i++)
        assert_same_json(a->apply[i], b->apply[i], "an applied child");
    assert_int_equal(a->n_statuses, b->n_statuses);
    for (size_t i = 0; i < a->n_statuses; i++) {
        assert_int_equal(a->statuses[i].kind, b->statuses[i].kind);
        assert_string_equal(a->statuses[i].name, b->statuses[i].name);
        assert_same_json(a->statuses[i].status, b->statuses[i].status, "a status write");
    }
    assert_int_equal(a->n_events, b->n_events);
    for (size_t i = 0; i < a->n_events; i++) {
        assert_string_equal(a->events[i].reason, b->events[i].reason);
        assert_string_equal(a->events[i].message, b->events[i].message);
    }
}

/* Plans the fixture's first gateway with opt, and checks on the way that
 * the same objects detached from their trees plan exactly the same. */
static inline int plan_first_with(struct fixture *f, const struct ctl_live *live, const struct ctl_plan_options *opt,
                                  struct ctl_plan *p)
{
    struct gw_objset set = { (const struct gw_object *const *)f->objs, f->n };
    int r = ctl_plan_gateway(first_gateway(f), &set, live, opt, p);
    struct fixture twin;
    detached_twin(f, &twin);
    struct gw_objset tset = { (const struct gw_object *const *)twin.objs, twin.n };
    struct ctl_plan tp;
    assert_int_equal(ctl_plan_gateway(first_gateway(&twin), &tset, live, opt, &tp), r);
    if (r == 0) {
        assert_same_plan(p, &tp);
        ctl_plan_release(&tp);
    }
    for (size_t i = 0; i < twin.n; i++)
        gw_object_free(twin.objs[i]);
    return r;
}

/* Plans the fixture's first gateway with PLAN_OPT (and its detached twin,
 * plan_first_with). */
static inline int plan_first(struct fixture *f, const struct ctl_live *live, struct ctl_plan *p)
{
    return plan_first_with(f, live, &PLAN_OPT, p);
}

/* The status the plan writes for an object, or NULL. */
static inline json_object *status_of(struct ctl_plan *p, enum gw_kind kind, const char *name)
{
    for (size_t i = 0; i < p->n_statuses; i++)
        if (p->statuses[i].kind == kind && strcmp(p->statuses[i].name, name) == 0)
            return p->statuses[i].status;
    return NULL;
}

/* A field of the condition of type in a status, or NULL. */
static inline const char *cond_field(json_object *status, const char *type, const char *field)
{
    json_object *conds = json_object_object_get(status, "conditions");
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *c = json_object_array_get_idx(conds, i);
        if (strcmp(json_object_get_string(json_object_object_get(c, "type")), type) == 0)
            return json_object_get_string(json_object_object_get(c, field));
    }
    return NULL;
}

/* Makes what the plan wrote the objects' live status, as a merge patch
 * would: null removes a key. */
static inline void write_statuses(struct fixture *f, struct ctl_plan *p)
{
    for (size_t i = 0; i < p->n_statuses; i++) {
        struct gw_object *o = obj_named(f, p->statuses[i].kind, p->statuses[i].name);
        json_object *st = NULL;
        if (!json_object_object_get_ex(o->root, "status", &st)) {
            st = json_object_new_object();
            json_object_object_add(o->root, "status", st);
        }
        json_object_object_foreach(p->statuses[i].status, k, v) {
            if (v)
                json_object_object_add(st, k, json_object_get(v));
            else
                json_object_object_del(st, k);
        }
    }
}

/* Makes the children the plan applies live, with a Deployment the
 * "kubelet" rolled out. */
static inline void make_live(struct ctl_plan *p, struct ctl_live *live)
{
    json_object **slot[3] = { &live->configmap, &live->deployment, &live->service };
    for (int i = 0; i < 3; i++) {
        if (!p->apply[i])
            continue;
        json_object_put(*slot[i]);
        assert_int_equal(json_object_deep_copy(p->apply[i], slot[i], NULL), 0);
    }
    json_object *md = json_object_object_get(live->deployment, "metadata");
    json_object_object_add(md, "generation", json_object_new_int64(1));
    json_object *st = yaml_obj("{observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1, "
                               "readyReplicas: 1}");
    json_object_object_add(live->deployment, "status", st);
}

/* The plan applies no child. */
static inline void assert_no_apply(const struct ctl_plan *p)
{
    for (int i = 0; i < 3; i++)
        if (p->apply[i])
            fail_msg("child %d is applied", i);
}

/* The plan writes nothing at all: no child, no status, no Event. */
static inline void assert_no_writes(const struct ctl_plan *p)
{
    assert_no_apply(p);
    assert_int_equal(p->n_statuses + p->n_events, 0);
}

static inline void live_release(struct ctl_live *l)
{
    json_object_put(l->configmap);
    json_object_put(l->deployment);
    json_object_put(l->service);
}

#endif
