#include "reply.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textutil.h"
#include "jsonutil.h"

void wh_reply_init(struct wh_reply *r)
{
    memset(r, 0, sizeof(*r));
    r->kind = WH_K_OTHER;
    r->op = WH_OP_NONE;
}

const char *wh_op_name(enum wh_op o)
{
    static const char *const names[WH_OP__MAX] = { "", "CREATE", "UPDATE", "DELETE", "CONNECT" };
    return o < WH_OP__MAX ? names[o] : "";
}

const char *wh_verdict_name(enum wh_verdict v)
{
    static const char *const names[WH_V__MAX] = { "allowed", "patched", "denied", "bad_request", "error" };
    return v < WH_V__MAX ? names[v] : "error";
}

const char *wh_kind_label(enum wh_kind k)
{
    static const char *const names[WH_K__MAX] = { "AiGateway", "ToolGateway", "ToolRoute", "other" };
    return k < WH_K__MAX ? names[k] : "other";
}

void wh_reply_release(struct wh_reply *r)
{
    if (!r)
        return;
    free(r->body);
    for (size_t i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    memset(r, 0, sizeof(*r));
}

int wh_put(json_object *o, const char *k, json_object *v)
{
    if (!o || !v || json_object_object_add(o, k, v) < 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

int wh_put_str(json_object *o, const char *k, const char *s)
{
    return wh_put(o, k, json_object_new_string(s ? s : ""));
}

int wh_arr_add(json_object *a, json_object *v)
{
    if (!a || !v || json_object_array_add(a, v) < 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

int wh_reply_json(struct wh_reply *out, unsigned status, json_object *o)
{
    if (!o)
        return -ENOMEM;
    size_t len = 0, n = 0;
    const char *s = json_object_to_json_string_length(o, WH_JSON_OUT_FLAGS, &len);
    /* Messages quote request text cut to a length; JSON syntax is ASCII,
     * so bytes that are not UTF-8 can only be inside strings. */
    char *copy = s ? gw_utf8_scrub(s, len, &n) : NULL;
    json_object_put(o);
    if (!copy)
        return -ENOMEM;
    free(out->body);
    out->body = copy;
    out->body_len = n;
    out->status = status;
    out->content_type = "application/json";
    return 0;
}

void wh_summarize(struct wh_reply *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->summary, sizeof(out->summary), fmt, ap);
    va_end(ap);
}

static const char *status_reason(unsigned code)
{
    switch (code) {
    case 400: return "BadRequest";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 503: return "ServiceUnavailable";
    default: return code >= 500 ? "InternalError" : "BadRequest";
    }
}

json_object *wh_status_object(unsigned code, const char *message)
{
    json_object *st = json_object_new_object();
    if (wh_put(st, "metadata", json_object_new_object()) < 0 || wh_put_str(st, "status", "Failure") < 0 ||
        wh_put_str(st, "message", message) < 0 || wh_put_str(st, "reason", status_reason(code)) < 0 ||
        wh_put(st, "code", json_object_new_int((int)code)) < 0) {
        json_object_put(st);
        return NULL;
    }
    return st;
}

int wh_reply_error(struct wh_reply *out, unsigned status, const char *message)
{
    out->status = status;
    out->verdict = status >= 500 ? WH_V_ERROR : WH_V_BAD_REQUEST;
    if (!out->summary[0])
        wh_summarize(out, "%s", message);
    json_object *st = json_object_new_object();
    if (wh_put_str(st, "apiVersion", "v1") < 0 || wh_put_str(st, "kind", "Status") < 0) {
        json_object_put(st);
        st = NULL;
    }
    json_object *body = wh_status_object(status, message);
    if (st && body) {
        json_object_object_foreach(body, k, v) {
            if (wh_put(st, k, json_object_get(v)) < 0) {
                json_object_put(st);
                st = NULL;
                break;
            }
        }
    }
    json_object_put(body);
    int r = wh_reply_json(out, status, st);
    if (r < 0) {
        free(out->body);
        out->body = NULL;
        out->body_len = 0;
        out->content_type = "application/json";
    }
    return r;
}

int wh_bad_request(struct wh_reply *out, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = sb_vdupf(4096, fmt, ap);
    va_end(ap);
    out->summary[0] = '\0';
    int r = wh_reply_error(out, status, msg ? msg : "");
    free(msg);
    return r;
}

int wh_unparsed(struct wh_reply *out, int r, char *err)
{
    if (r != -ENOMEM)
        r = r == -E2BIG ? wh_bad_request(out, 400, "request body is nested deeper than %d levels", WH_JSON_MAX_DEPTH)
                        : wh_bad_request(out, 400, "request body is not valid JSON: %s", err ? err : "parse error");
    free(err);
    return r < 0 ? -ENOMEM : 1;
}

static void invalid_message(struct strbuf *sb, const char *kind, const char *name, const struct gw_errlist *errors)
{
    sb_addf(sb, "%s.%s ", kind, GW_GROUP);
    sb_add_quoted(sb, name);
    sb_adds(sb, " is invalid: ");
    size_t shown = errors->n + (errors->dropped ? 1 : 0);
    if (shown > 1)
        sb_addc(sb, '[');
    for (size_t i = 0; i < errors->n; i++) {
        if (i)
            sb_adds(sb, ", ");
        sb_adds(sb, errors->items[i].message);
    }
    if (errors->dropped)
        sb_addf(sb, "%s... and %zu more", errors->n ? ", " : "", errors->dropped);
    if (shown > 1)
        sb_addc(sb, ']');
}

json_object *wh_invalid_status(const char *kind, const char *name, const struct gw_errlist *errors)
{
    struct strbuf msg;
    sb_init(&msg, SB_DEFAULT_CAP);
    invalid_message(&msg, kind, name, errors);
    json_object *st = sb_failed(&msg) ? NULL : wh_status_object(422, sb_str(&msg));
    sb_release(&msg);
    if (!st)
        return NULL;
    json_object *causes = json_object_new_array();
    json_object *details = json_object_new_object();
    if (wh_put(st, "details", details) < 0) {
        json_object_put(causes);
        json_object_put(st);
        return NULL;
    }
    if (wh_put_str(details, "name", name) < 0 || wh_put_str(details, "group", GW_GROUP) < 0 ||
        wh_put_str(details, "kind", kind) < 0 || wh_put(details, "causes", causes) < 0)
        goto fail;
    for (size_t i = 0; i < errors->n; i++) {
        const struct gw_issue *it = &errors->items[i];
        json_object *c = json_object_new_object();
        if (wh_arr_add(causes, c) < 0 || wh_put_str(c, "reason", errtype_reason(it->type)) < 0 ||
            wh_put_str(c, "message", it->body) < 0 || wh_put_str(c, "field", it->field) < 0)
            goto fail;
    }
    return st;
fail:
    json_object_put(st);
    return NULL;
}

int wh_review_envelope(json_object *root, const char *kind, const char *api_version, const char *versions_field,
                       json_object **ret_req, const char **ret_uid, struct wh_reply *out)
{
    int r;
    const char *article = strchr("AEIOU", kind[0]) ? "an" : "a";
    if (!json_object_is_type(root, json_type_object)) {
        r = wh_bad_request(out, 400, "request body must be %s %s object", article, kind);
        return r < 0 ? r : 1;
    }
    const char *api = jobj_get_str(root, "apiVersion"), *k = jobj_get_str(root, "kind");
    if (!k || strcmp(k, kind) != 0)
        r = wh_bad_request(out, 400, "request body must be %s %s, not kind \"%.100s\"", article, kind, k ? k : "");
    else if (!api || strcmp(api, api_version) != 0)
        r = wh_bad_request(out, 400, "%s apiVersion \"%.100s\" is not supported: this webhook speaks %s (%s: [v1])",
                           kind, api ? api : "", api_version, versions_field);
    else {
        json_object *req = jobj_get(root, "request");
        const char *uid = req && json_object_is_type(req, json_type_object) ? jobj_get_str(req, "uid") : NULL;
        if (!req || !json_object_is_type(req, json_type_object))
            r = wh_bad_request(out, 400, "%s.request is required", kind);
        else if (!uid || !*uid)
            r = wh_bad_request(out, 400, "%s.request.uid is required", kind);
        else if (strlen(uid) > WH_UID_MAX)
            r = wh_bad_request(out, 400, "%s.request.uid is longer than %d bytes", kind, WH_UID_MAX);
        else {
            *ret_req = req;
            *ret_uid = uid;
            return 0;
        }
    }
    return r < 0 ? r : 1;
}
