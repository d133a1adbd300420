#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textutil.h"
#include "yamlout.h"

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object))
        return NULL;
    json_object_object_get_ex(o, key, &v);
    return v;
}

static int64_t get_int(json_object *o, const char *key, int64_t dflt)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

static const char *get_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool progress_deadline_exceeded(json_object *status)
{
    json_object *conds = get(status, "conditions");
    if (!conds || !json_object_is_type(conds, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *c = json_object_array_get_idx(conds, i);
        const char *type = get_str(c, "type"), *reason = get_str(c, "reason");
        if (type && reason && strcmp(type, "Progressing") == 0 && strcmp(reason, "ProgressDeadlineExceeded") == 0)
            return true;
    }
    return false;
}

int ctl_deployment_ready(json_object *deploy, bool *ret_failed, char **ret_message)
{
    struct strbuf msg;
    sb_init(&msg, 512);
    bool failed = false;
    int ready = 0;
    if (!deploy) {
        sb_adds(&msg, "the Deployment does not exist yet");
    } else {
        json_object *spec = get(deploy, "spec"), *status = get(deploy, "status");
        int64_t generation = get_int(get(deploy, "metadata"), "generation", 0);
        int64_t observed = get_int(status, "observedGeneration", 0);
        int64_t want = get_int(spec, "replicas", 1);
        int64_t total = get_int(status, "replicas", 0);
        int64_t updated = get_int(status, "updatedReplicas", 0);
        int64_t available = get_int(status, "availableReplicas", 0);
        failed = progress_deadline_exceeded(status);
        if (observed < generation)
            sb_addf(&msg, "the Deployment controller has not yet observed generation %" PRId64, generation);
        else if (updated < want || available < want || total > updated)
            sb_addf(&msg, "%" PRId64 " of %" PRId64 " replicas updated, %" PRId64 " available%s", updated, want,
                    available, total > updated ? ", old replicas still running" : "");
        else {
            ready = 1;
            sb_addf(&msg, "%" PRId64 " of %" PRId64 " replicas updated and available", updated, want);
        }
        if (failed && !ready)
            sb_adds(&msg, "; the rollout exceeded its progress deadline");
    }
    if (sb_failed(&msg)) {
        sb_release(&msg);
        return -ENOMEM;
    }
    *ret_failed = failed && !ready;
    *ret_message = sb_detach(&msg, NULL);
    return ready;
}

json_object *ctl_condition_find(json_object *conds, const char *type)
{
    if (!conds || !json_object_is_type(conds, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *c = json_object_array_get_idx(conds, i);
        const char *t = get_str(c, "type");
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

bool ctl_condition_says(json_object *conds, const struct ctl_condition *c)
{
    json_object *old = ctl_condition_find(conds, c->type);
    const char *st = get_str(old, "status"), *rs = get_str(old, "reason"), *m = get_str(old, "message");
    return st && rs && m && strcmp(st, c->status ? "True" : "False") == 0 && strcmp(rs, c->reason) == 0 &&
           strcmp(m, c->message) == 0;
}

static int add_str(json_object *o, const char *key, const char *val)
{
    json_object *s = json_object_new_string(val ? val : "");
    if (!s || json_object_object_add(o, key, s) != 0) {
        json_object_put(s);
        return -ENOMEM;
    }
    return 0;
}

static json_object *condition_new(const struct ctl_condition *c, json_object *old, int64_t gen, const char *now)
{
    const char *status = c->status ? "True" : "False";
    const char *old_status = get_str(old, "status");
    const char *old_time = get_str(old, "lastTransitionTime");
    const char *when = old_status && old_time && strcmp(old_status, status) == 0 ? old_time : now;
    json_object *o = json_object_new_object();
    json_object *g = json_object_new_int64(gen);
    if (!o || !g || json_object_object_add(o, "observedGeneration", g) != 0) {
        json_object_put(g);
        json_object_put(o);
        return NULL;
    }
    if (add_str(o, "type", c->type) || add_str(o, "status", status) || add_str(o, "reason", c->reason) ||
        add_str(o, "message", c->message) || add_str(o, "lastTransitionTime", when)) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static int by_type(const void *a, const void *b)
{
    const char *ta = get_str(*(json_object *const *)a, "type");
    const char *tb = get_str(*(json_object *const *)b, "type");
    return strcmp(ta ? ta : "", tb ? tb : "");
}

json_object *ctl_conditions_build(json_object *old_conditions, const struct ctl_condition *conds, size_t n,
                                  int64_t observed_generation, const char *now)
{
    json_object *arr = json_object_new_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *c = condition_new(&conds[i], ctl_condition_find(old_conditions, conds[i].type),
                                       observed_generation, now);
        if (!c || json_object_array_add(arr, c) != 0) {
            json_object_put(c);
            json_object_put(arr);
            return NULL;
        }
    }
    /* Keep conditions someone else owns. */
    size_t n_old = old_conditions && json_object_is_type(old_conditions, json_type_array)
                       ? json_object_array_length(old_conditions) : 0;
    for (size_t i = 0; i < n_old; i++) {
        json_object *c = json_object_array_get_idx(old_conditions, i);
        const char *t = get_str(c, "type");
        bool ours = false;
        for (size_t j = 0; j < n && t; j++)
            ours = ours || strcmp(conds[j].type, t) == 0;
        /* A copy: c belongs to a snapshot other workers read at the same
         * time, and json-c's reference counts are not atomic. */
        json_object *copy = NULL;
        if (t && !ours && (json_object_deep_copy(c, &copy, NULL) != 0 || json_object_array_add(arr, copy) != 0)) {
            json_object_put(copy);
            json_object_put(arr);
            return NULL;
        }
    }
    json_object_array_sort(arr, by_type);
    return arr;
}

bool ctl_json_equal(json_object *a, json_object *b)
{
    return json_object_equal(a, b) == 1;
}

static bool status_says(json_object *old, json_object *desired)
{
    if (!old || !json_object_is_type(old, json_type_object))
        return false;
    json_object_object_foreach(desired, k, v) {
        json_object *ov = NULL;
        if (!json_object_object_get_ex(old, k, &ov) || !ov || json_object_equal(ov, v) != 1)
            return false;
    }
    json_object_object_foreach(old, ok, ovv) {
        if (ovv && !json_object_object_get_ex(desired, ok, NULL))
            return false;
    }
    return true;
}

int ctl_status_patch(json_object *old, json_object *desired, json_object **ret_patch)
{
    if (status_says(old, desired)) {
        *ret_patch = NULL;
        return 0;
    }
    json_object *patch = NULL;
    if (json_object_deep_copy(desired, &patch, NULL) != 0 || !patch)
        return -ENOMEM;
    if (old && json_object_is_type(old, json_type_object)) {
        json_object_object_foreach(old, k, v) {
            if (v && !json_object_object_get_ex(desired, k, NULL) &&
                json_object_object_add(patch, k, NULL) != 0) {
                json_object_put(patch);
                return -ENOMEM;
            }
        }
    }
    *ret_patch = patch;
    return 0;
}

void ctl_summary_conditions(enum ctl_progress state, const char *reason, const char *message,
                            struct ctl_condition out[3])
{
    bool done = state == CTL_PROGRESS_DONE, working = state == CTL_PROGRESS_WORKING,
         stalled = state == CTL_PROGRESS_STALLED;
    out[0] = (struct ctl_condition){ CTL_COND_READY, done, reason, message };
    out[1] = (struct ctl_condition){ CTL_COND_RECONCILING, working, working ? reason : "NotReconciling",
                                     working ? message : "nothing is in progress" };
    out[2] = (struct ctl_condition){ CTL_COND_STALLED, stalled, stalled ? reason : "NotStalled",
                                     stalled ? message : "nothing is failing" };
}

bool ctl_json_subset(json_object *desired, json_object *live)
{
    if (!desired)
        return live == NULL;
    if (!live)
        return false;
    json_type t = json_object_get_type(desired);
    if (t == json_type_object) {
        if (!json_object_is_type(live, json_type_object))
            return false;
        json_object_object_foreach(desired, k, v) {
            json_object *lv = NULL;
            if (!json_object_object_get_ex(live, k, &lv))
                return false;
            if (!ctl_json_subset(v, lv))
                return false;
        }
        return true;
    }
    if (t == json_type_array) {
        if (!json_object_is_type(live, json_type_array))
            return false;
        size_t n = json_object_array_length(desired);
        if (n != json_object_array_length(live))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!ctl_json_subset(json_object_array_get_idx(desired, i), json_object_array_get_idx(live, i)))
                return false;
        return true;
    }
    return json_object_equal(desired, live) == 1;
}

static json_object *annotations_of(json_object *obj, bool create)
{
    json_object *md = get(obj, "metadata");
    if (!md)
        return NULL;
    json_object *ann = get(md, "annotations");
    if (!ann && create) {
        ann = json_object_new_object();
        if (!ann || json_object_object_add(md, "annotations", ann) != 0) {
            json_object_put(ann);
            return NULL;
        }
    }
    return ann;
}

int ctl_stamp_applied_hash(json_object *desired)
{
    json_object *ann = annotations_of(desired, true);
    if (!ann)
        return -ENOMEM;
    json_object_object_del(ann, CTL_ANN_APPLIED_HASH);
    char *canon = NULL;
    size_t len = 0;
    int r = gw_json_emit_sorted(desired, &canon, &len);
    if (r < 0)
        return r;
    char hex[65];
    gw_sha256_hex(canon, len, hex);
    free(canon);
    return add_str(ann, CTL_ANN_APPLIED_HASH, hex);
}

bool ctl_live_matches(json_object *desired, json_object *live)
{
    const char *want = get_str(annotations_of(desired, false), CTL_ANN_APPLIED_HASH);
    const char *have = get_str(annotations_of(live, false), CTL_ANN_APPLIED_HASH);
    if (!want || !have || strcmp(want, have) != 0)
        return false;
    return ctl_json_subset(desired, live);
}
