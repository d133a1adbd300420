#include "admission.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conversion.h"
#include "defaults.h"
#include "doc.h"
#include "jsonscan.h"
#include "errlist.h"
#include "memo.h"
#include "reply.h"
#include "strbuf.h"
#include "validate.h"
#include "jsonutil.h"

#define REVIEW_API_VERSION "admission.k8s.io/v1"
#define REVIEW_KIND "AdmissionReview"

static enum wh_kind kind_label_of(enum gw_kind k)
{
    switch (k) {
    case GW_KIND_AIGATEWAY: return WH_K_AIGATEWAY;
    case GW_KIND_TOOLGATEWAY: return WH_K_TOOLGATEWAY;
    case GW_KIND_TOOLROUTE: return WH_K_TOOLROUTE;
    default: return WH_K_OTHER;
    }
}

/* --- before the body ------------------------------------------------------ */

static bool media_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Strict decimal: digits only, no sign, no overflow. */
static bool parse_length(const char *s, unsigned long long *ret)
{
    unsigned long long v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (~0ULL - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *ret = v;
    return true;
}

bool wh_precheck(const char *method, const char *content_type, const char *content_length, size_t cap,
                 struct wh_reply *out)
{
    wh_reply_init(out);
    if (!method || strcmp(method, "POST") != 0) {
        wh_bad_request(out, 405, "method %.32s is not allowed: send the request with POST", method ? method : "?");
        out->allow = "POST";
        return true;
    }
    if (!media_type_is_json(content_type)) {
        wh_bad_request(out, 415, "unsupported media type \"%.100s\": send Content-Type: application/json",
                       content_type ? content_type : "");
        return true;
    }
    if (content_length) {
        unsigned long long n = 0;
        if (!parse_length(content_length, &n)) {
            wh_bad_request(out, 400, "malformed Content-Length \"%.40s\"", content_length);
            return true;
        }
        if (n > cap) {
            wh_bad_request(out, 413, "request body of %llu bytes is larger than the limit of %zu bytes", n, cap);
            return true;
        }
    }
    return false;
}

/* --- the patch-review cache -------------------------------------------------
 *
 * Reviewing a config patch (YAML parse, the base config rendered,
 * describe, merge, check) is most of an AiGateway's admission, and the
 * patch rarely changes when the gateway does. What a review gave is kept
 * in a direct-mapped table shared by the server's threads, keyed by the
 * review's inputs (validate.h), bounded in slots, key length and the text
 * of the problems kept (at most about 4 MiB in all); a slot is taken over
 * by the next key that hashes to it. */

#define REVIEW_CACHE_SLOTS 64
#define REVIEW_CACHE_KEY_MAX ((size_t)32 << 10)
/* A review whose problems take more text than this is not kept. */
#define REVIEW_CACHE_TEXT_MAX ((size_t)32 << 10)

struct review_value {
    struct gw_errlist errors, warnings;
};

static void review_free(void *value)
{
    struct review_value *v = value;
    if (!v)
        return;
    errlist_free(&v->errors);
    errlist_free(&v->warnings);
    free(v);
}

static struct wh_memo_slot review_slots[REVIEW_CACHE_SLOTS];
static struct wh_memo review_cache = WH_MEMO_INIT(review_slots, REVIEW_CACHE_KEY_MAX, review_free);

static size_t issues_text(const struct gw_errlist *l, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < l->n; i++)
        n += strlen(l->items[i].field ? l->items[i].field : "") + strlen(l->items[i].body ? l->items[i].body : "") +
             strlen(l->items[i].message ? l->items[i].message : "");
    return n;
}

static int copy_issues(struct gw_errlist *dst, const struct gw_errlist *src, size_t from)
{
    for (size_t i = from; i < src->n; i++)
        if (errlist_add_copy(dst, &src->items[i]) < 0)
            return -ENOMEM;
    return 0;
}

struct review_out {
    struct gw_errlist *errors, *warnings;
};

static int review_copy(const void *value, void *ud)
{
    const struct review_value *v = value;
    struct review_out *o = ud;
    int r = copy_issues(o->errors, &v->errors, 0);
    return r ? r : copy_issues(o->warnings, &v->warnings, 0);
}

static int review_cache_lookup(void *ctx, const char *key, size_t key_len, struct gw_errlist *errors,
                               struct gw_errlist *warnings)
{
    (void)ctx;
    struct review_out o = { errors, warnings };
    return wh_memo_get(&review_cache, key, key_len, review_copy, &o);
}

static void review_cache_store(void *ctx, const char *key, size_t key_len, const struct gw_errlist *errors,
                               size_t errors_from, const struct gw_errlist *warnings, size_t warnings_from)
{
    (void)ctx;
    if (key_len > REVIEW_CACHE_KEY_MAX ||
        issues_text(errors, errors_from) + issues_text(warnings, warnings_from) > REVIEW_CACHE_TEXT_MAX)
        return;
    struct review_value *v = calloc(1, sizeof(*v));
    if (!v)
        return;
    errlist_init(&v->errors);
    errlist_init(&v->warnings);
    if (copy_issues(&v->errors, errors, errors_from) < 0 || copy_issues(&v->warnings, warnings, warnings_from) < 0) {
        review_free(v);
        return;
    }
    wh_memo_put(&review_cache, key, key_len, v);
}

static const struct gw_patch_review_cache REVIEW_CACHE = { .lookup = review_cache_lookup,
                                                           .store = review_cache_store };

void wh_review_cache_clear(void)
{
    wh_memo_clear(&review_cache);
}

/* --- AdmissionReview ------------------------------------------------------ */

static int parse_body(const char *body, size_t len, json_object **ret, struct wh_reply *out)
{
    if (len == 0)
        return wh_bad_request(out, 400, "empty request body: expected JSON") < 0 ? -ENOMEM : 1;
    /* Neither request.oldObject nor the object's managedFields are ever
     * read: parse null in their place (an UPDATE then costs one object's
     * parse, not two). */
    static const char *const old_object[] = { "request", "oldObject" };
    static const char *const managed[] = { "request", "object", "metadata", "managedFields" };
    static const struct wh_json_path unread[] = { { old_object, 2 }, { managed, 4 } };
    int fast = wh_json_parse_checked(body, len, WH_JSON_MAX_DEPTH, unread, 2, ret);
    if (fast <= 0)
        return fast;
    /* Text the one-pass check is not sure of: the strict parser judges. */
    char *pruned = NULL;
    size_t pruned_len = 0;
    if (wh_json_null_members(body, len, unread, 2, &pruned, &pruned_len) == -ENOMEM)
        return -ENOMEM;
    char *err = NULL;
    int r = pruned ? gw_json_parse(pruned, pruned_len, WH_JSON_MAX_DEPTH, ret, &err)
                   : gw_json_parse(body, len, WH_JSON_MAX_DEPTH, ret, &err);
    free(pruned);
    return r < 0 ? wh_unparsed(out, r, err) : 0;
}

static enum wh_op op_of(const char *s)
{
    static const char *const names[] = { "CREATE", "UPDATE", "DELETE", "CONNECT" };
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum wh_op)(WH_OP_CREATE + i);
    return WH_OP_NONE;
}

/* The response envelope: {"apiVersion","kind","response":{"uid","allowed"}}.
 * *ret_resp points into the returned tree. */
static json_object *review_response(const char *uid, bool allowed, json_object **ret_resp)
{
    json_object *root = json_object_new_object();
    json_object *resp = json_object_new_object();
    if (!root || !resp) {
        json_object_put(root);
        json_object_put(resp);
        return NULL;
    }
    if (wh_put_str(root, "apiVersion", REVIEW_API_VERSION) < 0 || wh_put_str(root, "kind", REVIEW_KIND) < 0 ||
        wh_put(root, "response", resp) < 0 || wh_put_str(resp, "uid", uid) < 0 ||
        wh_put(resp, "allowed", json_object_new_boolean(allowed)) < 0) {
        json_object_put(root);
        return NULL;
    }
    *ret_resp = resp;
    return root;
}

static int add_warnings(json_object *resp, const struct gw_errlist *w)
{
    if (w->n == 0)
        return 0;
    json_object *arr = json_object_new_array();
    if (wh_put(resp, "warnings", arr) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < w->n && i < WH_MAX_WARNINGS; i++)
        if (wh_arr_add(arr, json_object_new_string(w->items[i].message)) < 0)
            return -ENOMEM;
    return 0;
}

/* A denial with a plain message (the object is not one we admit). */
static int deny_plain(struct wh_reply *out, const char *uid, unsigned code, const char *message)
{
    json_object *resp = NULL;
    json_object *root = review_response(uid, false, &resp);
    if (!root || wh_put(resp, "status", wh_status_object(code, message)) < 0) {
        json_object_put(root);
        return -ENOMEM;
    }
    out->verdict = WH_V_DENIED;
    wh_summarize(out, "denied: %s", message);
    return wh_reply_json(out, 200, root);
}

struct review {
    const char *uid;
    const char *api_version;      /* group/version of request.kind */
    enum gw_kind kind;
    const char *kind_name;        /* request.kind.kind */
    json_object *object;
    const char *ns;               /* request.namespace, may be NULL */
    const char *name;             /* for messages */
    enum wh_owner owner;
    char owner_why[200];          /* why not ours, for the log line */
};

static char *label_of(const struct review *rv, char *buf, size_t cap)
{
    if (rv->ns && *rv->ns)
        snprintf(buf, cap, "%s %.100s/%.100s", rv->kind_name, rv->ns, rv->name);
    else
        snprintf(buf, cap, "%s %.100s", rv->kind_name, rv->name);
    return buf;
}

/* Another implementation's object: allowed as it is. */
static int allow_foreign(const struct review *rv, const char *label, struct wh_reply *out)
{
    json_object *resp = NULL;
    out->verdict = WH_V_ALLOWED;
    wh_summarize(out, "%s: not ours (%s), allowed untouched", label, rv->owner_why);
    return wh_reply_json(out, 200, review_response(rv->uid, true, &resp));
}

/* The contract's own rules (what the CRD schema says), for an object whose
 * owner is not known yet: no implementation's rules. */
static int contract_rules(const struct review *rv, struct gw_errlist *errors)
{
    /* A v1beta1 object's contract rules are its CRD schema and CEL rules,
     * which the API server has checked before calling us. */
    if (gw_api_version_of(rv->api_version) == GW_API_V1BETA1)
        return 0;
    struct gw_object *o = NULL;
    int r = gw_object_parse(rv->object, &o, errors);
    gw_object_free(o);
    return r;
}

static int validate_object(const struct review *rv, enum wh_op op, struct wh_reply *out)
{
    char label[256];
    label_of(rv, label, sizeof(label));
    json_object *md = jobj_get(rv->object, "metadata");
    if (op == WH_OP_UPDATE && jobj_get(md, "deletionTimestamp")) {
        /* Finalizers must be removable even from an object that a newer
         * rule would refuse. */
        json_object *resp = NULL;
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: allowed (being deleted)", label);
        return wh_reply_json(out, 200, review_response(rv->uid, true, &resp));
    }
    if (rv->owner == WH_OWNER_FOREIGN)
        return allow_foreign(rv, label, out);
    struct gw_errlist errors, warnings;
    errlist_init(&errors);
    errlist_init(&warnings);
    int r = rv->owner == WH_OWNER_OURS ? gw_validate_any_cached(rv->object, rv->ns, &REVIEW_CACHE, &errors, &warnings)
                                       : contract_rules(rv, &errors);
    json_object *root = NULL, *resp = NULL;
    if (r == -ENOMEM)
        goto done;
    if (r < 0) {
        /* Not one of our objects after all: gw_validate said why (it stops
         * at the first such problem). */
        r = deny_plain(out, rv->uid, 400, errors.n ? errors.items[0].message : "not an object this webhook admits");
        goto done;
    }
    r = -ENOMEM;
    root = review_response(rv->uid, errors.n == 0, &resp);
    if (!root)
        goto done;
    if (errors.n > 0 && wh_put(resp, "status", wh_invalid_status(rv->kind_name, rv->name, &errors)) < 0)
        goto done;
    if (add_warnings(resp, &warnings) < 0)
        goto done;
    out->n_errors = errors.n + errors.dropped;
    if (errors.n > 0) {
        out->verdict = WH_V_DENIED;
        wh_summarize(out, "%s: denied, %zu error%s: %s", label, out->n_errors, out->n_errors == 1 ? "" : "s",
                     errors.items[0].message);
    } else if (rv->owner == WH_OWNER_UNKNOWN) {
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: allowed by the contract's rules (owner not known: %s)", label, rv->owner_why);
    } else {
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: allowed, %zu warning%s", label, warnings.n, warnings.n == 1 ? "" : "s");
    }
    r = wh_reply_json(out, 200, root);
    root = NULL;
done:
    json_object_put(root);
    errlist_free(&errors);
    errlist_free(&warnings);
    return r;
}

static char *base64(const char *data, size_t n)
{
    if (n > (size_t)1 << 30)
        return NULL;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)n);
    return out;
}

static int mutate_object(const struct review *rv, struct wh_reply *out)
{
    char label[256];
    label_of(rv, label, sizeof(label));
    json_object *ops = NULL, *resp = NULL;
    if (rv->owner != WH_OWNER_OURS) {
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: not ours%s (%s), no defaults", label, rv->owner == WH_OWNER_UNKNOWN ? " yet" : "",
                     rv->owner_why);
        return wh_reply_json(out, 200, review_response(rv->uid, true, &resp));
    }
    int dr = gw_api_version_of(rv->api_version) == GW_API_V1BETA1 ? wh_beta_default_ops(rv->object, &ops)
                                                                  : wh_default_ops(rv->object, rv->kind, &ops);
    if (dr == -EINVAL) {
        /* Does not convert: nothing to default, validation says why. */
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: nothing to default (does not convert)", label);
        return wh_reply_json(out, 200, review_response(rv->uid, true, &resp));
    }
    if (dr < 0)
        return -ENOMEM;
    size_t n_ops = json_object_array_length(ops);
    json_object *root = review_response(rv->uid, true, &resp);
    int r = -ENOMEM;
    if (!root)
        goto done;
    if (n_ops > 0) {
        size_t len = 0;
        const char *text = json_object_to_json_string_length(ops, WH_JSON_OUT_FLAGS, &len);
        char *b64 = text ? base64(text, len) : NULL;
        if (!b64 || wh_put_str(resp, "patchType", "JSONPatch") < 0 || wh_put_str(resp, "patch", b64) < 0) {
            free(b64);
            goto done;
        }
        free(b64);
        out->verdict = WH_V_PATCHED;
        wh_summarize(out, "%s: %zu default%s filled", label, n_ops, n_ops == 1 ? "" : "s");
    } else {
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s: nothing to default", label);
    }
    r = wh_reply_json(out, 200, root);
    root = NULL;
done:
    json_object_put(root);
    json_object_put(ops);
    return r;
}

/* Reads request.kind; returns our kind or GW_KIND_UNKNOWN, and sets the
 * words for the message. */
static enum gw_kind requested_kind(json_object *rk, const char **ret_group, const char **ret_version,
                                   const char **ret_kind)
{
    *ret_group = jobj_get_str(rk, "group");
    *ret_version = jobj_get_str(rk, "version");
    *ret_kind = jobj_get_str(rk, "kind");
    if (!*ret_group || !*ret_version || !*ret_kind)
        return GW_KIND_UNKNOWN;
    if (strcmp(*ret_group, GW_GROUP) != 0 ||
        (strcmp(*ret_version, "v1alpha1") != 0 && strcmp(*ret_version, "v1beta1") != 0))
        return GW_KIND_UNKNOWN;
    enum gw_kind k = gw_convert_kind_of(strcmp(*ret_version, "v1alpha1") == 0 ? GW_V1ALPHA1 : GW_V1BETA1, *ret_kind);
    return k == GW_KIND_AIGATEWAY || k == GW_KIND_TOOLGATEWAY || k == GW_KIND_TOOLROUTE ? k : GW_KIND_UNKNOWN;
}

static void judge_owner(struct review *rv, const struct wh_judge *judge)
{
    rv->owner = WH_OWNER_OURS;
    rv->owner_why[0] = '\0';
    if (!judge || !judge->owner_of)
        return;
    const char *ns = rv->ns && *rv->ns ? rv->ns : jobj_get_str(jobj_get(rv->object, "metadata"), "namespace");
    rv->owner = judge->owner_of(judge->ctx, rv->kind, rv->object, ns, rv->owner_why, sizeof(rv->owner_why));
    if (rv->owner != WH_OWNER_OURS && !rv->owner_why[0])
        snprintf(rv->owner_why, sizeof(rv->owner_why), "%s", rv->owner == WH_OWNER_FOREIGN ? "another class" : "unknown");
}

static int review_request(enum wh_endpoint ep, json_object *root, const struct wh_judge *judge,
                          struct wh_reply *out)
{
    json_object *req = NULL;
    struct review rv = { 0 };
    int er = wh_review_envelope(root, REVIEW_KIND, REVIEW_API_VERSION, "admissionReviewVersions", &req, &rv.uid, out);
    if (er != 0)
        return er < 0 ? er : 0;
    const char *op_s = jobj_get_str(req, "operation");
    out->op = op_of(op_s);
    if (out->op == WH_OP_NONE)
        return wh_bad_request(out, 400,
                              "AdmissionReview.request.operation \"%.40s\" is not one of CREATE, UPDATE, DELETE, CONNECT",
                              op_s ? op_s : "");
    json_object *rk = jobj_get(req, "kind");
    if (!rk || !json_object_is_type(rk, json_type_object))
        return wh_bad_request(out, 400, "AdmissionReview.request.kind is required");
    const char *group, *version;
    rv.kind = requested_kind(rk, &group, &version, &rv.kind_name);
    out->kind = kind_label_of(rv.kind);
    if (rv.kind == GW_KIND_UNKNOWN) {
        struct strbuf sb;
        sb_init(&sb, 4096);
        sb_addf(&sb, "this webhook admits AiGateway, ToolGateway and ToolRoute of %s, not %.100s/%.100s, Kind=%.100s",
                GW_V1ALPHA1, group && *group ? group : "core", version ? version : "", rv.kind_name ? rv.kind_name : "");
        int r = deny_plain(out, rv.uid, 400, sb_str(&sb));
        sb_release(&sb);
        return r;
    }
    if (out->op == WH_OP_DELETE || out->op == WH_OP_CONNECT) {
        json_object *resp = NULL;
        out->verdict = WH_V_ALLOWED;
        wh_summarize(out, "%s %s: allowed", wh_op_name(out->op), rv.kind_name);
        return wh_reply_json(out, 200, review_response(rv.uid, true, &resp));
    }
    rv.object = jobj_get(req, "object");
    if (!rv.object || !json_object_is_type(rv.object, json_type_object))
        return wh_bad_request(out, 400, "AdmissionReview.request.object is required for %s", wh_op_name(out->op));
    rv.ns = jobj_get_str(req, "namespace");
    const char *oapi = jobj_get_str(rv.object, "apiVersion"), *okind = jobj_get_str(rv.object, "kind");
    json_object *md = jobj_get(rv.object, "metadata");
    rv.name = jobj_get_str(md, "name");
    if (!rv.name || !*rv.name)
        rv.name = jobj_get_str(req, "name");
    if (!rv.name || !*rv.name)
        rv.name = jobj_get_str(md, "generateName");
    if (!rv.name)
        rv.name = "";
    rv.api_version = strcmp(version, "v1alpha1") == 0 ? GW_V1ALPHA1 : GW_V1BETA1;
    if (oapi && okind && (strcmp(oapi, rv.api_version) != 0 || strcmp(okind, rv.kind_name) != 0)) {
        struct strbuf sb;
        sb_init(&sb, 4096);
        sb_addf(&sb, "request.object is %.100s %.100s but request.kind is %s %s", oapi, okind, rv.api_version,
                rv.kind_name);
        int r = deny_plain(out, rv.uid, 400, sb_str(&sb));
        sb_release(&sb);
        return r;
    }
    judge_owner(&rv, judge);
    return ep == WH_EP_MUTATE ? mutate_object(&rv, out) : validate_object(&rv, out->op, out);
}

int wh_review(enum wh_endpoint ep, const char *body, size_t len, const struct wh_judge *judge,
              struct wh_reply *out)
{
    wh_reply_init(out);
    json_object *root = NULL;
    int r = parse_body(body, len, &root, out);
    if (r != 0)
        return r < 0 ? r : 0;
    r = review_request(ep, root, judge, out);
    json_object_put(root);
    return r < 0 ? -ENOMEM : 0;
}

int wh_handle(enum wh_endpoint ep, const char *body, size_t len, struct wh_reply *out)
{
    return wh_handle_judged(ep, body, len, NULL, out);
}

int wh_handle_judged(enum wh_endpoint ep, const char *body, size_t len, const struct wh_judge *judge,
                     struct wh_reply *out)
{
    switch (ep) {
    case WH_EP_VALIDATE:
    case WH_EP_MUTATE:
        return wh_review(ep, body, len, judge, out);
    case WH_EP_PREVIEW:
        return wh_preview(body, len, out);
    case WH_EP_CONVERT:
        return wh_convert(body, len, out);
    default:
        wh_reply_init(out);
        return wh_reply_error(out, 404, "not found: the webhook serves POST /validate, /mutate, /preview and /convert");
    }
}
