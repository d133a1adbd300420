#include "convstream.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonskip.h"

/* Declining is the answer for anything out of the ordinary. */
#define DECLINE 1
/* spec.aiModels entries and carried model entries the stream matches;
 * longer lists are left to gw_convert. */
#define MAX_MODELS 256
#define MAX_CARRIED 64

struct span {
    const char *p;   /* NULL: absent */
    size_t n;
    size_t hint;     /* for a container found by a walk: where the index is
                      * searched from for what it holds (wh_json_iter) */
};

static bool is(struct span s, const char *lit)
{
    /* Most comparisons differ at the first byte: no strlen for them. */
    if (!s.p || (s.n > 0 && s.p[0] != lit[0]))
        return false;
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool listed(const char *const *l, struct span s)
{
    for (; *l; l++)
        if (is(s, *l))
            return true;
    return false;
}

static bool plain_string(struct span v)
{
    return v.n >= 2 && v.p[0] == '"' && !memchr(v.p, '\\', v.n);
}

/* --- walking checked text ------------------------------------------------------ */

static int walk_init(struct wh_json_iter *it, const char *buf, const struct wh_json_index *idx, struct span v)
{
    size_t s = (size_t)(v.p - buf);
    if (wh_json_iter_init(it, buf, s, s + v.n, idx) != 0)
        return DECLINE;
    it->hint = v.hint;
    return 0;
}

/* 1 with the member's key and value, 0 after the last, -1 for a key with
 * an escape (the stream compares keys as written) or text it cannot walk. */
static int walk_next(struct wh_json_iter *it, struct span *k, struct span *v)
{
    size_t ks, ke, vs, ve;
    int r = wh_json_iter_next(it, &ks, &ke, &vs, &ve);
    if (r != 1)
        return r == 0 ? 0 : -1;
    *k = (struct span){ it->buf + ks, ke - ks, 0 };
    *v = (struct span){ it->buf + vs, ve - vs, it->hint };
    return it->key_escaped ? -1 : 1;
}

static int scratch_room(struct wh_stream_scratch *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = n < 4096 ? 4096 : n;
    char *p = realloc(s->p, cap);
    if (!p)
        return -ENOMEM;
    s->p = p;
    s->cap = cap;
    return 0;
}

void wh_stream_init(struct wh_stream *st, const char *body, const struct wh_json_index *idx, wh_patch_json_fn fn)
{
    memset(st, 0, sizeof(*st));
    st->b = body;
    st->idx = idx;
    st->patch_json = fn;
    sb_init(&st->patch, (size_t)1 << 20);
    sb_init(&st->kept, (size_t)4 << 20);
}

void wh_stream_release(struct wh_stream *st)
{
    free(st->plan);
    free(st->carrier.p);
    free(st->text.p);
    wh_json_index_free(&st->carrier_idx);
    sb_release(&st->patch);
    sb_release(&st->kept);
    memset(st, 0, sizeof(*st));
}

/* --- reading the object ------------------------------------------------------------ */

/* The members of one object as the reading walk found them, so writing
 * walks nothing twice. */
#define MAX_MEMBERS 64
struct members {
    struct span key[MAX_MEMBERS], val[MAX_MEMBERS];
    size_t n;
};

/* Walks the object v into *m: 0, or DECLINE for a walk that fails or an
 * object of more than MAX_MEMBERS members. */
static int record(const char *buf, const struct wh_json_index *idx, struct span v, struct members *m)
{
    struct wh_json_iter it;
    struct span k, val;
    m->n = 0;
    if (v.p[0] != '{' || walk_init(&it, buf, idx, v) != 0)
        return DECLINE;
    int r;
    while ((r = walk_next(&it, &k, &val)) == 1) {
        if (m->n == MAX_MEMBERS)
            return DECLINE;
        m->key[m->n] = k;
        m->val[m->n++] = val;
    }
    return r < 0 ? DECLINE : 0;
}

struct carried_model {
    struct span name;   /* the entry's name, as written */
    struct span obj;    /* the entry, in the decoded annotation */
};

struct wh_stream_plan {
    enum gw_kind kind;
    struct span metadata, spec, ann;
    struct span patch_value, carrier_value;   /* the two annotations' values */
    size_t n_ann;
    /* the conversion annotation, decoded */
    struct span c_spec, c_patch_annotation;
    bool c_patch_from_annotation;
    size_t n_carried;
    bool has_carried_models;
    size_t n_names;
    /* the config patch moves to spec.configPatch; its text is kept in the
     * v1beta1 conversion annotation when the emitter would not write it
     * back identically */
    bool moved, keep_text;
    /* not cleared between objects: each is filled before it is read */
    struct members top, md, ann_m, spec_m;
    struct carried_model carried[MAX_CARRIED];
    /* spec.aiModels names in order (p NULL: the entry has no string name) */
    struct span names[MAX_MODELS];
};

static int read_top(struct wh_stream *st, size_t s, size_t e, size_t hint, struct wh_stream_plan *p)
{
    static const struct {
        const char *name;
        enum gw_kind kind;
    } KINDS[] = { { "\"AiGateway\"", GW_KIND_AIGATEWAY },
                  { "\"ToolGateway\"", GW_KIND_TOOLGATEWAY },
                  { "\"ToolRoute\"", GW_KIND_TOOLROUTE } };
    struct span api = { 0 };
    if (record(st->b, st->idx, (struct span){ st->b + s, e - s, hint }, &p->top) != 0)
        return DECLINE;
    for (size_t i = 0; i < p->top.n; i++) {
        struct span k = p->top.key[i], v = p->top.val[i];
        if (is(k, "apiVersion"))
            api = v;
        else if (is(k, "kind"))
            for (size_t j = 0; j < sizeof(KINDS) / sizeof(KINDS[0]); j++)
                if (is(v, KINDS[j].name))
                    p->kind = KINDS[j].kind;
        if (is(k, "metadata"))
            p->metadata = v;
        else if (is(k, "spec"))
            p->spec = v;
    }
    if (!is(api, "\"" GW_V1ALPHA1 "\"") || p->kind == GW_KIND_UNKNOWN || !p->metadata.p || !p->spec.p)
        return DECLINE;
    return 0;
}

static int read_annotations(struct wh_stream *st, struct wh_stream_plan *p)
{
    if (record(st->b, st->idx, p->metadata, &p->md) != 0)
        return DECLINE;
    for (size_t i = 0; i < p->md.n; i++)
        if (is(p->md.key[i], "annotations"))
            p->ann = p->md.val[i];
    if (!p->ann.p)
        return 0;
    if (record(st->b, st->idx, p->ann, &p->ann_m) != 0)
        return DECLINE;
    p->n_ann = p->ann_m.n;
    for (size_t i = 0; i < p->ann_m.n; i++) {
        struct span k = p->ann_m.key[i], v = p->ann_m.val[i];
        struct span *slot = is(k, GW_CONFIG_PATCH_ANNOTATION) ? &p->patch_value
                            : is(k, GW_CONVERSION_ANNOTATION)  ? &p->carrier_value
                                                               : NULL;
        if (slot && v.p[0] != '"')
            return DECLINE;
        if (slot)
            *slot = v;
    }
    return 0;
}

/* A carried spec.models entry: an object with a string name and only the
 * fields the conversion carries. */
static int read_carried_model(struct wh_stream *st, struct wh_stream_plan *p, struct span entry)
{
    struct wh_json_iter it;
    struct span k, v, name = { 0 };
    if (entry.p[0] != '{' || p->n_carried == MAX_CARRIED ||
        walk_init(&it, st->carrier.p, &st->carrier_idx, entry) != 0)
        return DECLINE;
    int m;
    while ((m = walk_next(&it, &k, &v)) == 1) {
        if (is(k, "name"))
            name = v;
        else if (!listed(GW_CONVERT_MODEL_EXTRAS, k))
            return DECLINE;
    }
    if (m < 0 || !plain_string(name))
        return DECLINE;
    p->carried[p->n_carried++] = (struct carried_model){ name, entry };
    return 0;
}

static int read_carried_spec(struct wh_stream *st, struct wh_stream_plan *p)
{
    struct wh_json_iter it, mit;
    struct span k, v, ek, ev;
    if (walk_init(&it, st->carrier.p, &st->carrier_idx, p->c_spec) != 0 || p->c_spec.p[0] != '{')
        return DECLINE;
    int m;
    while ((m = walk_next(&it, &k, &v)) == 1) {
        if (is(k, "models") && p->kind == GW_KIND_AIGATEWAY) {
            if (v.p[0] != '[' || walk_init(&mit, st->carrier.p, &st->carrier_idx, v) != 0)
                return DECLINE;
            p->has_carried_models = true;
            int n;
            while ((n = walk_next(&mit, &ek, &ev)) == 1)
                if (read_carried_model(st, p, ev) != 0)
                    return DECLINE;
            if (n < 0)
                return DECLINE;
        } else if (!listed(gw_convert_carried_fields(p->kind), k)) {
            return DECLINE;
        }
    }
    return m < 0 ? DECLINE : 0;
}

/* The conversion annotation, decoded and checked: exactly what the
 * conversion writes on a v1alpha1 object. */
static int read_carrier(struct wh_stream *st, struct wh_stream_plan *p)
{
    if (!p->carrier_value.p)
        return 0;
    struct span raw = p->carrier_value;
    if (scratch_room(&st->carrier, raw.n) < 0)
        return -ENOMEM;
    size_t n = wh_json_unescape(raw.p, raw.n, st->carrier.p);
    if (n > GW_CONVERSION_CARRIER_MAX_BYTES)
        return DECLINE;
    st->carrier_idx.n = 0;
    int r = wh_json_check_indexed(st->carrier.p, n, GW_CONVERSION_CARRIER_MAX_DEPTH, &st->carrier_idx);
    if (r != 0)
        return r == -ENOMEM ? r : DECLINE;
    size_t s = gw_json_skip_ws(st->carrier.p, 0, n);
    struct wh_json_iter it;
    struct span k, v;
    if (s == n || st->carrier.p[s] != '{' ||
        walk_init(&it, st->carrier.p, &st->carrier_idx, (struct span){ st->carrier.p + s, n - s, 0 }) != 0)
        return DECLINE;
    bool patchable = gw_convert_has_config_patch(p->kind);
    int m;
    while ((m = walk_next(&it, &k, &v)) == 1) {
        if (is(k, "spec"))
            p->c_spec = v;
        else if (is(k, "configPatchAnnotation") && patchable && v.p[0] == '"')
            p->c_patch_annotation = v;
        else if (is(k, "configPatchFromAnnotation") && patchable && is(v, "true"))
            p->c_patch_from_annotation = true;
        else
            return DECLINE;
    }
    if (m < 0 || (p->c_patch_annotation.p && p->c_patch_from_annotation))
        return DECLINE;
    return p->c_spec.p ? read_carried_spec(st, p) : 0;
}

/* spec holds no v1beta1 field, and the names of spec.aiModels are noted. */
static int read_models(struct wh_stream *st, struct wh_stream_plan *p, struct span models)
{
    struct wh_json_iter it, eit;
    struct span k, v, ek, ev;
    if (models.p[0] != '[' || walk_init(&it, st->b, st->idx, models) != 0)
        return DECLINE;
    int m;
    while ((m = walk_next(&it, &k, &v)) == 1) {
        if (p->n_names == MAX_MODELS)
            return DECLINE;
        struct span name = { 0 };
        if (v.p[0] == '{') {
            if (walk_init(&eit, st->b, st->idx, v) != 0)
                return DECLINE;
            int n;
            while ((n = walk_next(&eit, &ek, &ev)) == 1) {
                if (listed(GW_CONVERT_MODEL_EXTRAS, ek))
                    return DECLINE;
                if (is(ek, "name") && ev.p[0] == '"') {
                    if (!plain_string(ev))
                        return DECLINE;
                    name = ev;
                }
            }
            if (n < 0)
                return DECLINE;
        }
        p->names[p->n_names++] = name;
    }
    return m < 0 ? DECLINE : 0;
}

static int read_spec(struct wh_stream *st, struct wh_stream_plan *p)
{
    if (record(st->b, st->idx, p->spec, &p->spec_m) != 0)
        return DECLINE;
    for (size_t i = 0; i < p->spec_m.n; i++) {
        struct span k = p->spec_m.key[i];
        for (size_t j = 0; j < GW_N_RENAMES; j++)
            if (GW_RENAMES[j].kind == p->kind && is(k, GW_RENAMES[j].beta))
                return DECLINE;
        if (listed(gw_convert_carried_fields(p->kind), k) ||
            (gw_convert_has_config_patch(p->kind) && is(k, "configPatch")))
            return DECLINE;
        if (p->kind == GW_KIND_AIGATEWAY && is(k, "aiModels") && read_models(st, p, p->spec_m.val[i]) != 0)
            return DECLINE;
    }
    return 0;
}

/* Whether the config-patch annotation moves to spec.configPatch: only
 * when the patch text was read before (the caller's memo). */
static int read_patch(struct wh_stream *st, struct wh_stream_plan *p)
{
    if (!gw_convert_has_config_patch(p->kind) || !p->patch_value.p || p->c_patch_from_annotation)
        return 0;
    struct span raw = p->patch_value;
    if (!st->last_patch || st->last_patch_len != raw.n || memcmp(st->last_patch, raw.p, raw.n) != 0) {
        if (scratch_room(&st->text, raw.n) < 0)
            return -ENOMEM;
        size_t len = wh_json_unescape(raw.p, raw.n, st->text.p);
        sb_truncate(&st->patch, 0);
        sb_truncate(&st->kept, 0);
        st->last_patch = NULL;
        bool same = false;
        int r = st->patch_json(st->text.p, len, &st->patch, &st->kept, &same);
        if (r < 0)
            return r;
        if (r == 2 || sb_failed(&st->patch) || sb_failed(&st->kept))
            return DECLINE;
        st->last_patch = raw.p;
        st->last_patch_len = raw.n;
        st->last_result = r;
        st->last_same = same;
    }
    p->moved = st->last_result == 1;
    p->keep_text = p->moved && !st->last_same;
    return 0;
}

/* The annotations left on the v1beta1 object. */
static size_t annotations_out(const struct wh_stream_plan *p)
{
    bool add_patch = p->c_patch_annotation.p && (p->moved || !p->patch_value.p);
    return p->n_ann - (p->carrier_value.p != NULL) - p->moved + add_patch + p->keep_text;
}

static int read_object(struct wh_stream *st, size_t s, size_t e, size_t hint, struct wh_stream_plan *p)
{
    int r = read_top(st, s, e, hint, p);
    if (r == 0)
        r = read_annotations(st, p);
    if (r == 0)
        r = read_carrier(st, p);
    if (r == 0)
        r = read_spec(st, p);
    if (r == 0)
        r = read_patch(st, p);
    /* Annotations to add to an object that has none: left to gw_convert. */
    if (r == 0 && !p->ann.p && annotations_out(p) > 0)
        r = DECLINE;
    return r;
}

/* --- writing the v1beta1 object -------------------------------------------------- */

static void put_key(struct strbuf *o, bool *first, const char *k, size_t n)
{
    char *w = sb_extend(o, n + 3 + !*first);
    if (!w)
        return;
    if (!*first)
        *w++ = ',';
    *first = false;
    *w++ = '"';
    memcpy(w, k, n);
    w[n] = '"';
    w[n + 1] = ':';
}

static void put_member(struct strbuf *o, bool *first, struct span k, struct span v)
{
    put_key(o, first, k.p, k.n);
    sb_add(o, v.p, v.n);
}

/* A member of ours: a literal name and the value's JSON text. */
static void put_named(struct strbuf *o, bool *first, const char *name, const char *v, size_t n)
{
    put_key(o, first, name, strlen(name));
    sb_add(o, v, n);
}

/* p[0, n) as a JSON string, escaped as json-c writes it with
 * JSON_C_TO_STRING_NOSLASHESCAPE (so the text is the same bytes). */
static void put_quoted(struct strbuf *o, const char *s, size_t n)
{
    static const char HEX[] = "0123456789abcdef";
    sb_addc(o, '"');
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = { '\\', 0 };
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (c >= 0x20)
                continue;
            memcpy(esc + 1, "u00", 3);
            esc[4] = HEX[c >> 4];
            esc[5] = HEX[c & 15];
            len = 6;
        }
        sb_add(o, s + from, i - from);
        sb_add(o, esc, len);
        from = i + 1;
    }
    sb_add(o, s + from, n - from);
    sb_addc(o, '"');
}

void wh_stream_kept_text(const char *text, size_t len, struct strbuf *out)
{
    struct strbuf inner;
    sb_init(&inner, 2 * out->cap);
    sb_adds(&inner, "{\"configPatchText\":");
    put_quoted(&inner, text, len);
    sb_addc(&inner, '}');
    if (sb_failed(&inner))
        out->err = inner.err;
    else
        put_quoted(out, inner.buf, inner.len);
    sb_release(&inner);
}

static void emit_annotations(struct wh_stream *st, const struct wh_stream_plan *p, struct strbuf *o)
{
    bool first = true;
    sb_addc(o, '{');
    for (size_t i = 0; i < p->ann_m.n; i++) {
        struct span k = p->ann_m.key[i];
        if (!is(k, GW_CONVERSION_ANNOTATION) && !(p->moved && is(k, GW_CONFIG_PATCH_ANNOTATION)))
            put_member(o, &first, k, p->ann_m.val[i]);
    }
    if (p->c_patch_annotation.p && (p->moved || !p->patch_value.p)) {
        put_named(o, &first, GW_CONFIG_PATCH_ANNOTATION, p->c_patch_annotation.p, p->c_patch_annotation.n);
    }
    if (p->keep_text) {
        put_named(o, &first, GW_CONVERSION_ANNOTATION, st->kept.buf, st->kept.len);
    }
    sb_addc(o, '}');
}

static void emit_metadata(struct wh_stream *st, const struct wh_stream_plan *p, struct strbuf *o)
{
    bool first = true;
    sb_addc(o, '{');
    for (size_t i = 0; i < p->md.n; i++) {
        struct span k = p->md.key[i];
        if (!is(k, "annotations")) {
            put_member(o, &first, k, p->md.val[i]);
        } else if (annotations_out(p) > 0) {
            put_key(o, &first, k.p, k.n);
            emit_annotations(st, p, o);
        }
    }
    sb_addc(o, '}');
}

/* The n-th carried entry named name, or NULL. */
static const struct carried_model *carried_for(const struct wh_stream_plan *p, struct span name, size_t nth)
{
    for (size_t i = 0; i < p->n_carried; i++)
        if (p->carried[i].name.n == name.n && memcmp(p->carried[i].name.p, name.p, name.n) == 0 && nth-- == 0)
            return &p->carried[i];
    return NULL;
}

/* spec.models: each entry with the fields carried for it appended. */
static void emit_models(struct wh_stream *st, const struct wh_stream_plan *p, struct span models, struct strbuf *o)
{
    struct wh_json_iter it, cit;
    struct span k, v, ck, cv;
    sb_addc(o, '[');
    walk_init(&it, st->b, st->idx, models);
    for (size_t i = 0; walk_next(&it, &k, &v) == 1; i++) {
        if (i > 0)
            sb_addc(o, ',');
        const struct carried_model *c = NULL;
        if (p->names[i].p) {
            size_t nth = 0;
            for (size_t j = 0; j < i; j++)
                nth += p->names[j].p && p->names[j].n == p->names[i].n &&
                       memcmp(p->names[j].p, p->names[i].p, p->names[i].n) == 0;
            c = carried_for(p, p->names[i], nth);
        }
        if (!c) {
            sb_add(o, v.p, v.n);
            continue;
        }
        /* A named entry is a non-empty object: its members, then the
         * carried ones, before its closing brace. */
        sb_add(o, v.p, v.n - 1);
        bool first = false;
        walk_init(&cit, st->carrier.p, &st->carrier_idx, c->obj);
        while (walk_next(&cit, &ck, &cv) == 1)
            if (!is(ck, "name"))
                put_member(o, &first, ck, cv);
        sb_addc(o, '}');
    }
    sb_addc(o, ']');
}

static void emit_spec(struct wh_stream *st, const struct wh_stream_plan *p, struct strbuf *o)
{
    bool first = true;
    sb_addc(o, '{');
    for (size_t i = 0; i < p->spec_m.n; i++) {
        struct span k = p->spec_m.key[i], v = p->spec_m.val[i];
        const char *renamed = NULL;
        for (size_t j = 0; j < GW_N_RENAMES; j++)
            if (GW_RENAMES[j].kind == p->kind && is(k, GW_RENAMES[j].alpha))
                renamed = GW_RENAMES[j].beta;
        if (!renamed) {
            put_member(o, &first, k, v);
            continue;
        }
        put_key(o, &first, renamed, strlen(renamed));
        if (p->has_carried_models && is(k, "aiModels"))
            emit_models(st, p, v, o);
        else
            sb_add(o, v.p, v.n);
    }
    if (p->c_spec.p) {
        struct wh_json_iter it;
        struct span k, v;
        walk_init(&it, st->carrier.p, &st->carrier_idx, p->c_spec);
        while (walk_next(&it, &k, &v) == 1)
            if (!is(k, "models"))
                put_member(o, &first, k, v);
    }
    if (p->moved) {
        put_named(o, &first, "configPatch", st->patch.buf, st->patch.len);
    }
    sb_addc(o, '}');
}

static void emit_object(struct wh_stream *st, const struct wh_stream_plan *p, struct strbuf *o)
{
    bool first = true;
    sb_addc(o, '{');
    for (size_t i = 0; i < p->top.n; i++) {
        struct span k = p->top.key[i];
        if (is(k, "apiVersion")) {
            put_key(o, &first, k.p, k.n);
            sb_adds(o, "\"" GW_V1BETA1 "\"");
        } else if (is(k, "metadata")) {
            put_key(o, &first, k.p, k.n);
            emit_metadata(st, p, o);
        } else if (is(k, "spec")) {
            put_key(o, &first, k.p, k.n);
            emit_spec(st, p, o);
        } else {
            put_member(o, &first, k, p->top.val[i]);
        }
    }
    sb_addc(o, '}');
}

int wh_stream_convert(struct wh_stream *st, size_t s, size_t e, size_t hint, enum gw_api_version to,
                      struct strbuf *out, enum gw_kind *ret_kind)
{
    if (to != GW_API_V1BETA1)
        return DECLINE;
    if (!st->plan && !(st->plan = malloc(sizeof(*st->plan))))
        return -ENOMEM;
    struct wh_stream_plan *p = st->plan;
    memset(p, 0, offsetof(struct wh_stream_plan, top));
    int r = read_object(st, s, e, hint, p);
    if (r == 0) {
        emit_object(st, p, out);
        *ret_kind = p->kind;
    }
    return r;
}
