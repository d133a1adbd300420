#include "conversion.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "doc.h"
#include "reply.h"
#include "strbuf.h"
#include "jsonutil.h"

#define REVIEW_API_VERSION "apiextensions.k8s.io/v1"
#define REVIEW_KIND "ConversionReview"

static enum wh_kind kind_label(enum gw_kind k)
{
    switch (k) {
    case GW_KIND_AIGATEWAY: return WH_K_AIGATEWAY;
    case GW_KIND_TOOLGATEWAY: return WH_K_TOOLGATEWAY;
    case GW_KIND_TOOLROUTE: return WH_K_TOOLROUTE;
    default: return WH_K_OTHER;
    }
}

/* "AiGateway ns/name" for messages; the parts are clipped. */
static void object_label(json_object *o, char *buf, size_t cap)
{
    json_object *md = jobj_get(o, "metadata");
    const char *kind = jobj_get_str(o, "kind"), *ns = jobj_get_str(md, "namespace");
    const char *name = jobj_get_str(md, "name");
    snprintf(buf, cap, "%.60s %.63s%s%.253s", kind ? kind : "object", ns ? ns : "", ns ? "/" : "",
             name ? name : "(no name)");
}

static int parse_review(const char *body, size_t len, json_object **ret, struct wh_reply *out)
{
    if (len == 0)
        return wh_bad_request(out, 400, "empty request body: expected a ConversionReview") < 0 ? -ENOMEM : 1;
    char *err = NULL;
    int r = gw_json_parse(body, len, WH_JSON_MAX_DEPTH, ret, &err);
    if (r == -ENOMEM) {
        free(err);
        return r;
    }
    if (r < 0) {
        if (r == -E2BIG)
            r = wh_bad_request(out, 400, "request body is nested deeper than %d levels", WH_JSON_MAX_DEPTH);
        else
            r = wh_bad_request(out, 400, "request body is not valid JSON: %s", err ? err : "parse error");
        free(err);
        return r < 0 ? -ENOMEM : 1;
    }
    return 0;
}

/* The response envelope; *ret_resp points into the returned tree. */
static json_object *review_response(const char *uid, json_object **ret_resp)
{
    json_object *root = json_object_new_object(), *resp = json_object_new_object();
    if (!root || !resp) {
        json_object_put(root);
        json_object_put(resp);
        return NULL;
    }
    if (wh_put_str(root, "apiVersion", REVIEW_API_VERSION) < 0 || wh_put_str(root, "kind", REVIEW_KIND) < 0 ||
        wh_put(root, "response", resp) < 0 || wh_put_str(resp, "uid", uid) < 0) {
        json_object_put(root);
        return NULL;
    }
    *ret_resp = resp;
    return root;
}

static int answer_failed(struct wh_reply *out, const char *uid, const char *message)
{
    json_object *resp = NULL, *result = json_object_new_object();
    json_object *root = review_response(uid, &resp);
    if (!root || !result || wh_put(resp, "result", result) < 0 || wh_put_str(result, "status", "Failed") < 0 ||
        wh_put_str(result, "message", message) < 0) {
        if (!root)
            json_object_put(result);
        json_object_put(root);
        return -ENOMEM;
    }
    out->verdict = WH_V_DENIED;
    wh_summarize(out, "conversion failed: %s", message);
    return wh_reply_json(out, 200, root);
}

/* Appends "<label>: <problem>; " for each problem of one object. */
static void describe_failure(struct strbuf *msg, const char *label, const struct gw_errlist *errs, size_t *reported)
{
    for (size_t i = 0; i < errs->n && *reported < WH_CONVERT_MAX_REPORTED; i++, (*reported)++)
        sb_addf(msg, "%s%s: %s", *reported ? "; " : "", label, errs->items[i].message);
}

struct review {
    const char *uid;
    enum gw_api_version to;
    json_object *objects;
};

static int convert_all(const struct review *rv, struct wh_reply *out)
{
    size_t n = json_object_array_length(rv->objects), failed = 0, reported = 0;
    json_object *converted = json_object_new_array_ext((int)n);
    struct strbuf msg;
    sb_init(&msg, 16 << 10);
    int r = converted ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < n; i++) {
        /* The request tree is ours and dropped afterwards: convert in place. */
        json_object *o = json_object_array_get_idx(rv->objects, i), *c = json_object_get(o);
        if (i == 0)
            out->kind = kind_label(gw_convert_kind_of(jobj_get_str(o, "apiVersion"), jobj_get_str(o, "kind")));
        char label[400];
        object_label(o, label, sizeof(label));
        struct gw_errlist errs;
        errlist_init(&errs);
        r = gw_convert_in_place(c, rv->to, &errs);
        if (r < 0)
            json_object_put(c);
        if (r == -EINVAL) {
            describe_failure(&msg, label, &errs, &reported);
            out->n_errors += errs.n + errs.dropped;
            failed++;
            r = 0;
        } else if (r == 0 && json_object_array_add(converted, c) != 0) {
            json_object_put(c);
            r = -ENOMEM;
        }
        errlist_free(&errs);
    }
    if (r < 0)
        goto done;
    if (failed > 0) {
        if (out->n_errors > reported)
            sb_addf(&msg, "; and %zu more", out->n_errors - reported);
        sb_addf(&msg, " (%zu of %zu objects cannot be converted to %s)", failed, n, gw_api_version_string(rv->to));
        r = sb_failed(&msg) ? -ENOMEM : answer_failed(out, rv->uid, sb_str(&msg));
        goto done;
    }
    json_object *resp = NULL, *result = json_object_new_object();
    json_object *root = review_response(rv->uid, &resp);
    if (!root || !result || wh_put(resp, "convertedObjects", converted) < 0) {
        converted = NULL;
        json_object_put(result);
        json_object_put(root);
        r = -ENOMEM;
        goto done;
    }
    converted = NULL;
    if (wh_put(resp, "result", result) < 0 || wh_put_str(result, "status", "Success") < 0) {
        json_object_put(root);
        r = -ENOMEM;
        goto done;
    }
    out->verdict = WH_V_ALLOWED;
    wh_summarize(out, "converted %zu object%s to %s", n, n == 1 ? "" : "s", gw_api_version_string(rv->to));
    r = wh_reply_json(out, 200, root);
done:
    json_object_put(converted);
    sb_release(&msg);
    return r;
}

static int review_request(json_object *root, struct wh_reply *out)
{
    json_object *req = NULL;
    struct review rv = { 0 };
    int er = wh_review_envelope(root, REVIEW_KIND, REVIEW_API_VERSION, "conversionReviewVersions", &req, &rv.uid, out);
    if (er != 0)
        return er < 0 ? er : 0;
    const char *desired = jobj_get_str(req, "desiredAPIVersion");
    rv.to = gw_api_version_of(desired);
    rv.objects = jobj_get(req, "objects");
    if (!rv.objects || !json_object_is_type(rv.objects, json_type_array))
        return wh_bad_request(out, 400, "ConversionReview.request.objects must be an array");
    if (rv.to == GW_API_OTHER) {
        char m[300];
        snprintf(m, sizeof(m), "desiredAPIVersion \"%.100s\" is not one this webhook converts to (%s, %s)",
                 desired ? desired : "", GW_V1ALPHA1, GW_V1BETA1);
        return answer_failed(out, rv.uid, m);
    }
    return convert_all(&rv, out);
}

int wh_convert(const char *body, size_t len, struct wh_reply *out)
{
    wh_reply_init(out);
    json_object *root = NULL;
    int r = parse_review(body, len, &root, out);
    if (r != 0)
        return r < 0 ? r : 0;
    r = review_request(root, out);
    json_object_put(root);
    return r < 0 ? -ENOMEM : 0;
}
