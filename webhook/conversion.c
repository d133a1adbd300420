#include "conversion.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "doc.h"
#include "reply.h"
#include "strbuf.h"
#include "jsonutil.h"
#include "jsonscan.h"
#include "jsonskip.h"
#include "memo.h"
#include "convstream.h"
#include "spare.h"

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
    return r < 0 ? wh_unparsed(out, r, err) : 0;
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

int wh_convert_tree(const char *body, size_t len, struct wh_reply *out)
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


/* --- the patch memo ---------------------------------------------------------------
 *
 * The objects of one list page often share their config patch (a team's
 * gateways), and reading one costs a YAML parse and an emit. What a text
 * gave is kept in a small direct-mapped table shared by the server's
 * threads: bounded in entries and in the length of a text, a slot taken
 * over by the next text that hashes to it. */

#define MEMO_SLOTS 32
#define MEMO_TEXT_MAX ((size_t)16 << 10)

struct memo_value {
    json_object *patch;   /* NULL: the text is no YAML mapping */
    bool same;
    char *json;           /* the patch as compact JSON, for the stream */
    size_t json_len;
    char *kept;           /* when not same: the conversion annotation keeping the text */
    size_t kept_len;
};

static void memo_free(void *value)
{
    struct memo_value *v = value;
    if (!v)
        return;
    json_object_put(v->patch);
    free(v->json);
    free(v->kept);
    free(v);
}

static struct wh_memo_slot memo_slots[MEMO_SLOTS];
static struct wh_memo memo = WH_MEMO_INIT(memo_slots, MEMO_TEXT_MAX, memo_free);

static int memo_copy(const void *value, void *ud)
{
    const struct memo_value *v = value;
    struct memo_value *out = ud;
    out->patch = NULL;
    if (v->patch && json_object_deep_copy(v->patch, &out->patch, NULL) != 0)
        return -ENOMEM;
    out->same = v->same;
    return 0;
}

static int memo_lookup(void *ctx, const char *text, size_t len, json_object **ret_patch, bool *ret_same)
{
    (void)ctx;
    struct memo_value got;
    int r = wh_memo_get(&memo, text, len, memo_copy, &got);
    if (r == 1) {
        *ret_patch = got.patch;
        *ret_same = got.same;
    }
    return r;
}

static void memo_store(void *ctx, const char *text, size_t len, json_object *patch, bool same)
{
    (void)ctx;
    if (len > MEMO_TEXT_MAX)
        return;
    struct memo_value *v = calloc(1, sizeof(*v));
    if (!v || (patch && json_object_deep_copy(patch, &v->patch, NULL) != 0)) {
        memo_free(v);
        return;
    }
    if (patch) {
        size_t n = 0;
        const char *json = json_object_to_json_string_length(v->patch, WH_JSON_OUT_FLAGS, &n);
        v->json = json ? malloc(n + 1) : NULL;
        if (!v->json) {
            memo_free(v);
            return;
        }
        memcpy(v->json, json, n + 1);
        v->json_len = n;
    }
    if (patch && !same) {
        struct strbuf kept;
        sb_init(&kept, 8 * len + 64);
        wh_stream_kept_text(text, len, &kept);
        v->kept = sb_detach(&kept, &v->kept_len);
        if (!v->kept) {
            memo_free(v);
            return;
        }
    }
    v->same = same;
    wh_memo_put(&memo, text, len, v);
}

struct memo_json {
    struct strbuf *json, *kept;
    bool mapping, same;
};

static int memo_copy_json(const void *value, void *ud)
{
    const struct memo_value *v = value;
    struct memo_json *out = ud;
    out->mapping = v->patch != NULL;
    out->same = v->same;
    if (v->patch)
        sb_add(out->json, v->json, v->json_len);
    if (v->kept)
        sb_add(out->kept, v->kept, v->kept_len);
    return sb_failed(out->json) || sb_failed(out->kept) ? -E2BIG : 0;
}

/* The stream's view of the memo: a patch's JSON text, or 2 when the text
 * has not been read (the object then takes the fast path, which reads it
 * and tells the memo). */
static int memo_patch_json(const char *text, size_t len, struct strbuf *json, struct strbuf *kept, bool *ret_same)
{
    struct memo_json got = { .json = json, .kept = kept };
    int r = wh_memo_get(&memo, text, len, memo_copy_json, &got);
    if (r == -ENOMEM)
        return r;
    if (r != 1)
        return 2;
    *ret_same = got.same;
    return got.mapping ? 1 : 0;
}

void wh_convert_memo_clear(void)
{
    wh_memo_clear(&memo);
}

/* --- the fast path ---------------------------------------------------------------
 *
 * The API server sends whole list pages: hundreds of objects, nearly all of
 * whose bytes (status, managedFields, most of metadata and spec) conversion
 * copies unchanged. The fast path checks the body once (wh_json_check),
 * builds for each object a json-c tree of only what gw_convert reads or
 * writes, with every other member a placeholder that prints its original
 * bytes, converts it, and streams each converted object into the response
 * buffer. Anything out of the ordinary (a body the check is not sure of, an
 * object that does not convert, an envelope with a problem) is answered by
 * the tree path, which gives the same verdict and words it. */

/* Members of spec that gw_convert reads, moves or writes: parsed; the
 * others are copied as they are. */
static const char *const SPEC_PARSED[] = { "aiModels", "models", "configPatch", "replicas", "resources",
                                           "allowedRoutes", "serverName", NULL };
/* Members of metadata that are parsed: the annotations conversion edits,
 * and what names the object. */
static const char *const METADATA_PARSED[] = { "annotations", "name", "namespace", NULL };

#define RAW_CHUNK 128
#define KEY_MAX 256

struct raw {
    const char *p;
    size_t n;
};

struct raw_chunk {
    struct raw_chunk *next;
    size_t used;
    struct raw items[RAW_CHUNK];
};

struct fast {
    const char *b;
    size_t len;
    struct wh_json_checker *checker;
    /* The containers of the object being converted. */
    struct wh_json_index idx;
    struct wh_json_builder build;
    struct raw_chunk *raws;
};

static json_object *parsed_value(struct fast *f, size_t s, size_t e, int *r)
{
    json_object *o = NULL;
    int b = wh_json_build(&f->build, s, e, &o);
    if (b != 0)
        *r = b;
    return o;
}

static void fast_release_raws(struct fast *f)
{
    while (f->raws) {
        struct raw_chunk *n = f->raws->next;
        free(f->raws);
        f->raws = n;
    }
}

static int raw_to_json(json_object *o, struct printbuf *pb, int level, int flags)
{
    (void)level;
    (void)flags;
    const struct raw *r = json_object_get_userdata(o);
    return printbuf_memappend(pb, r->p, (int)r->n);
}

/* A placeholder for b[s, e): a json-c boolean (a type no conversion step
 * looks into) that prints those bytes. */
static json_object *raw_value(struct fast *f, size_t s, size_t e)
{
    if (!f->raws || f->raws->used == RAW_CHUNK) {
        struct raw_chunk *c = malloc(sizeof(*c));
        if (!c)
            return NULL;
        c->next = f->raws;
        c->used = 0;
        f->raws = c;
    }
    struct raw *r = &f->raws->items[f->raws->used++];
    r->p = f->b + s;
    r->n = e - s;
    json_object *o = json_object_new_boolean(0);
    if (o)
        json_object_set_serializer(o, raw_to_json, r, NULL);
    return o;
}

static bool listed(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return true;
    return false;
}

/* The members of the object at b[s, e) into a new tree: the keys in
 * `parsed` (all when NULL) parsed, `metadata` and `spec` (when descend)
 * built the same way a level down, the others placeholders. 1 when the
 * tree path must answer (an escaped or long key), 0, or -ENOMEM. */
static int shallow_object(struct fast *f, size_t s, size_t e, int level, json_object **ret)
{
    struct wh_json_iter it;
    if (wh_json_iter_init(&it, f->b, s, e, &f->idx) < 0 || f->b[s] != '{')
        return 1;
    json_object *o = json_object_new_object();
    if (!o)
        return -ENOMEM;
    size_t ks, ke, vs, ve;
    int r = 0, more = 0;
    while (r == 0 && (more = wh_json_iter_next(&it, &ks, &ke, &vs, &ve)) == 1) {
        char key[KEY_MAX];
        if (ke - ks >= KEY_MAX || memchr(f->b + ks, '\\', ke - ks)) {
            r = 1;
            break;
        }
        memcpy(key, f->b + ks, ke - ks);
        key[ke - ks] = '\0';
        json_object *v = NULL;
        if (level == 0 && (strcmp(key, "metadata") == 0 || strcmp(key, "spec") == 0) && f->b[vs] == '{')
            r = shallow_object(f, vs, ve, strcmp(key, "metadata") == 0 ? 1 : 2, &v);
        else if ((level == 0 && (strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0)) ||
                 (level == 1 && listed(METADATA_PARSED, key)) || (level == 2 && listed(SPEC_PARSED, key)))
            v = parsed_value(f, vs, ve, &r);
        else if (!(v = raw_value(f, vs, ve)))
            r = -ENOMEM;
        if (r == -EINVAL)
            r = 1;
        if (r == 0 && json_object_object_add(o, key, v) != 0)
            r = -ENOMEM;
        if (r != 0)
            json_object_put(v);
    }
    if (r == 0 && more < 0)
        r = 1;
    if (r != 0) {
        json_object_put(o);
        return r;
    }
    *ret = o;
    return 0;
}

static int fast_json_parse(const char *buf, size_t len, unsigned max_depth, json_object **ret, char **ret_err)
{
    int r = wh_json_parse_checked(buf, len, max_depth, NULL, 0, ret);
    return r == 1 ? gw_json_parse(buf, len, max_depth, ret, ret_err) : r;
}

static const struct gw_convert_hooks HOOKS = { .lookup = memo_lookup, .store = memo_store,
                                               .json_parse = fast_json_parse };

/* Converts one object and appends it to out: 0, 1 (the tree path must
 * answer), -ENOMEM. */
static int fast_convert_one(struct fast *f, size_t s, size_t e, enum gw_api_version to, bool first,
                            struct strbuf *out, struct wh_reply *rep)
{
    json_object *o = NULL;
    int r = shallow_object(f, s, e, 0, &o);
    if (r != 0)
        return r;
    if (first)
        rep->kind = kind_label(gw_convert_kind_of(jobj_get_str(o, "apiVersion"), jobj_get_str(o, "kind")));
    struct gw_errlist errs;
    errlist_init(&errs);
    r = gw_convert_in_place_hooked(o, to, &HOOKS, &errs);
    errlist_free(&errs);
    if (r == 0) {
        size_t n = 0;
        const char *text = json_object_to_json_string_length(o, WH_JSON_OUT_FLAGS, &n);
        r = !text ? -ENOMEM : sb_add(out, text, n) < 0 ? 1 : 0;
    } else if (r == -EINVAL) {
        r = 1;
    }
    json_object_put(o);
    return r;
}

/* The envelope without the objects (the body with the objects array
 * replaced by an empty one: the rest is small), parsed by the strict
 * parser and checked the tree path's way, and agreeing with what the
 * objects were converted by: request.objects where the walk found it,
 * request.uid and request.desiredAPIVersion as read before. 0, 1 when the
 * tree path must answer, -ENOMEM. */
static int fast_envelope(const char *body, size_t len, size_t os, size_t oe, const char *uid,
                         const char *desired)
{
    static const char *const objects_path[] = { "request", "objects" };
    struct strbuf sb;
    sb_init(&sb, len);
    sb_add(&sb, body, os);
    sb_adds(&sb, "[]");
    sb_add(&sb, body + oe, len - oe);
    if (sb_failed(&sb)) {
        sb_release(&sb);
        return -ENOMEM;
    }
    json_object *root = NULL;
    char *err = NULL;
    size_t s = 0, e = 0;
    int r = gw_json_parse(sb_str(&sb), sb.len, WH_JSON_MAX_DEPTH, &root, &err);
    /* Valid JSON now, so the scan finds the member the parser read. */
    if (r == 0)
        r = wh_json_find(sb_str(&sb), sb.len, objects_path, 2, &s, &e) != 0 || s != os || e != os + 2;
    sb_release(&sb);
    free(err);
    if (r != 0) {
        json_object_put(root);
        return r == -ENOMEM ? r : 1;
    }
    struct wh_reply scratch;
    wh_reply_init(&scratch);
    json_object *req = NULL;
    const char *env_uid = NULL;
    r = wh_review_envelope(root, REVIEW_KIND, REVIEW_API_VERSION, "conversionReviewVersions", &req, &env_uid,
                           &scratch);
    wh_reply_release(&scratch);
    const char *env_desired = r == 0 ? jobj_get_str(req, "desiredAPIVersion") : NULL;
    if (r == 0 && (strcmp(env_uid, uid) != 0 || !env_desired || strcmp(env_desired, desired) != 0))
        r = 1;
    json_object_put(root);
    return r;
}

static _Atomic size_t streamed_objects;

size_t wh_convert_streamed_objects(void)
{
    return streamed_objects;
}

/* One object: by the stream when it takes it, else by the fast path. */
static int convert_one(struct fast *f, struct wh_stream *st, size_t s, size_t e, enum gw_api_version to, bool first,
                       struct strbuf *out, struct wh_reply *rep)
{
    enum gw_kind kind = GW_KIND_UNKNOWN;
    int r = wh_stream_convert(st, s, e, 0, to, out, &kind);
    if (r < 0)
        return r;
    if (r == 1)
        return fast_convert_one(f, s, e, to, first, out, rep);
    if (first)
        rep->kind = kind_label(kind);
    streamed_objects++;
    return sb_failed(out) ? 1 : 0;
}

/* The objects array at f->b[os]: each object checked, then converted
 * while its bytes are still in the cache, and appended to out; *ret_oe is
 * set after the array. 0, 1 (the tree path must answer), -ENOMEM. */
static int fast_convert_all(struct fast *f, size_t os, enum gw_api_version to, struct strbuf *out,
                            struct wh_reply *rep, size_t *ret_n, size_t *ret_oe)
{
    const char *b = f->b;
    size_t len = f->len, i = gw_json_skip_ws(b, os + 1, len), n = 0;
    if (i < len && b[i] == ']') {
        *ret_n = 0;
        *ret_oe = i + 1;
        return 0;
    }
    struct wh_stream st;
    wh_stream_init(&st, b, &f->idx, memo_patch_json);
    int r = 0;
    for (;;) {
        size_t e = 0;
        /* Indexed on its own: the objects sit three levels down. */
        f->idx.n = 0;
        r = wh_json_check_value(f->checker, b, len, i, WH_JSON_MAX_DEPTH - 3, &f->idx, &e);
        if (r == 0 && n > 0 && sb_addc(out, ',') < 0)
            r = 1;
        if (r == 0)
            r = convert_one(f, &st, i, e, to, n == 0, out, rep);
        if (r != 0)
            break;
        n++;
        i = gw_json_skip_ws(b, e, len);
        if (i < len && b[i] == ',') {
            i = gw_json_skip_ws(b, i + 1, len);
            continue;
        }
        if (i < len && b[i] == ']')
            *ret_oe = i + 1;
        else
            r = 1;
        break;
    }
    wh_stream_release(&st);
    *ret_n = n;
    return r == -ENOMEM ? r : r != 0;
}

/* request.<key> of the body, before the body is checked: a string, which
 * is checked and decoded into out[cap] here. 0, or 1 for anything else
 * (the tree path gives the verdict). */
static int envelope_string(const char *body, size_t len, const char *key, char *out, size_t cap)
{
    const char *const path[] = { "request", key };
    size_t s = 0, e = 0;
    if (wh_json_find(body, len, path, 2, &s, &e) != 0 || body[s] != '"' || e - s >= cap ||
        wh_json_check(body + s, e - s, 1) != 0)
        return 1;
    out[wh_json_unescape(body + s, e - s, out)] = '\0';
    return 0;
}

/* 0 when *out holds the answer, 1 when the tree path must give it, or
 * -ENOMEM. The objects are found, checked and converted one at a time,
 * each while its bytes are in the cache (a list page runs to megabytes);
 * the envelope around them is checked after. Nothing is answered until
 * all of it passed. */
static int fast_convert(const char *body, size_t len, struct wh_reply *out)
{
    static const char *const objects_path[] = { "request", "objects" };
    char uid[WH_UID_MAX + 3], desired[128];
    size_t os = 0, oe = 0;
    if (len == 0 || len >= UINT32_MAX || wh_json_find(body, len, objects_path, 2, &os, NULL) != 0 ||
        body[os] != '[' || envelope_string(body, len, "uid", uid, sizeof(uid)) != 0 ||
        envelope_string(body, len, "desiredAPIVersion", desired, sizeof(desired)) != 0)
        return 1;
    enum gw_api_version to = gw_api_version_of(desired);
    if (to == GW_API_OTHER || !*uid)
        return 1;
    struct fast f = { .b = body, .len = len };
    f.build.buf = body;
    f.build.idx = &f.idx;
    if (!(f.checker = wh_json_checker_new()))
        return -ENOMEM;
    struct strbuf sb;
    /* Converted objects are about as long as the originals; the cap leaves
     * room for a patch that grows as YAML or as JSON. */
    sb_init(&sb, 4 * len + (1 << 20));
    wh_spare_reserve(&sb, len + len / 8 + 4096);
    json_object *uid_o = json_object_new_string(uid);
    const char *uid_json = uid_o ? json_object_to_json_string_ext(uid_o, WH_JSON_OUT_FLAGS) : NULL;
    size_t n = 0;
    int r = -ENOMEM;
    if (!uid_json)
        goto done;
    sb_addf(&sb, "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"response\":{\"uid\":%s,\"convertedObjects\":[",
            REVIEW_API_VERSION, REVIEW_KIND, uid_json);
    r = fast_convert_all(&f, os, to, &sb, out, &n, &oe);
    if (r == 0)
        r = fast_envelope(body, len, os, oe, uid, desired);
    if (r != 0)
        goto done;
    sb_adds(&sb, "],\"result\":{\"status\":\"Success\"}}}");
    if (sb_failed(&sb)) {
        r = 1;
        goto done;
    }
    out->verdict = WH_V_ALLOWED;
    wh_summarize(out, "converted %zu object%s to %s", n, n == 1 ? "" : "s", gw_api_version_string(to));
    out->status = 200;
    out->content_type = "application/json";
    out->body = sb_detach(&sb, &out->body_len);
    r = out->body ? 0 : -ENOMEM;
done:
    wh_spare_release(&sb);
    fast_release_raws(&f);
    wh_json_builder_release(&f.build);
    wh_json_index_free(&f.idx);
    wh_json_checker_free(f.checker);
    json_object_put(uid_o);
    return r;
}

int wh_convert(const char *body, size_t len, struct wh_reply *out)
{
    wh_reply_init(out);
    int r = fast_convert(body, len, out);
    if (r <= 0)
        return r;
    wh_reply_release(out);
    return wh_convert_tree(body, len, out);
}
