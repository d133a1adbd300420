#include "doc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "strbuf.h"
#include "yaml11.h"

const struct gw_load_limits GW_LIMITS_MANIFEST = {
    .max_bytes = 4u << 20,
    .max_depth = 64,
    .max_nodes = 200000,
    .max_aliases = 1000,
    .max_scalar = 1u << 20,
    .max_docs = 10000,
};

const struct gw_load_limits GW_LIMITS_PATCH = {
    .max_bytes = 256u << 10,
    .max_depth = 32,
    .max_nodes = 20000,
    .max_aliases = 64,
    .max_scalar = 64u << 10,
    .max_docs = 1,
    .strict_yaml11 = true,
};

/* json-c stores JSON null as a NULL child, so while building we use a
 * sentinel to keep "null" apart from "out of memory", and swap it for NULL
 * when inserting. It is never handed to json-c. */
static char null_sentinel;
#define NULL_SENTINEL ((json_object *)&null_sentinel)

/* --- scalar resolution ------------------------------------------------- */

/* Whether s is a number as JSON writes it, so it can be kept as the
 * double's text (json-c then prints exactly what the input said). */
static bool json_number_text(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* A plain scalar's value the way PyYAML's SafeLoader reads it (yaml11.h).
 * Returns NULL with *ret_why set when PyYAML would give something JSON
 * cannot hold or cannot load it at all; in strict mode that refuses the
 * document, otherwise such scalars stay strings (the Kubernetes reading of
 * a manifest). NULL with *ret_why NULL: out of memory. */
static json_object *resolve_plain(const char *s, size_t len, bool strict, const char **ret_why)
{
    *ret_why = NULL;
    switch (gw_yaml11_resolve(s)) {
    case GW_Y11_NULL:
        return NULL_SENTINEL;
    case GW_Y11_BOOL:
        return json_object_new_boolean(gw_yaml11_bool(s));
    case GW_Y11_INT: {
        int64_t v;
        int r = gw_yaml11_int(s, &v);
        if (r == 0)
            return json_object_new_int64(v);
        /* Beyond int64 a decimal is still a number: keep it as a float
         * with its text, the way YAML-to-JSON conversion does. */
        if (json_number_text(s))
            return json_object_new_double_s(strtod(s, NULL), s);
        if (strict) {
            *ret_why = r == -ERANGE ? "an integer beyond 64 bits" : "an integer PyYAML cannot read";
            return NULL;
        }
        break;
    }
    case GW_Y11_FLOAT: {
        double d = gw_yaml11_float(s);
        return json_number_text(s) ? json_object_new_double_s(d, s) : json_object_new_double(d);
    }
    case GW_Y11_TIMESTAMP:
        if (strict) {
            *ret_why = "a date or time (PyYAML reads it as one, not as a string; quote it)";
            return NULL;
        }
        break;
    case GW_Y11_VALUE:
        if (strict) {
            *ret_why = "the YAML value key \"=\", which PyYAML cannot load (quote it)";
            return NULL;
        }
        break;
    case GW_Y11_MERGE:
        if (strict) {
            *ret_why = "the YAML merge key, which PyYAML cannot load as a value (quote it)";
            return NULL;
        }
        break;
    case GW_Y11_STR:
        break;
    }
    return json_object_new_string_len(s, (int)len);
}

/* --- YAML event builder ------------------------------------------------ */

struct frame {
    json_object *obj;
    bool is_map;
    char *key;           /* pending mapping key, NULL when a key is expected */
    bool key_merge;      /* the pending key is a plain "<<": YAML's merge key */
    char *anchor;
    json_object *merged;  /* keys that came from "<<" merges (a set) */
    size_t nodes_at_start;
    unsigned subtree_depth;
};

struct anchor {
    char *name;
    json_object *obj;    /* own reference (or the null sentinel) */
    size_t nodes;
    unsigned depth;
};

struct builder {
    const struct gw_load_limits *lim;
    struct frame *frames;
    unsigned depth;
    size_t nodes;
    size_t aliases;
    struct anchor *anchors;
    size_t n_anchors, alloc_anchors;
    json_object *root;
    bool have_root;
    json_object **docs;
    size_t n_docs, alloc_docs;
    struct strbuf err;
    int rc;
};

static void obj_put(json_object *o)
{
    if (o && o != NULL_SENTINEL)
        json_object_put(o);
}

static int fail_at(struct builder *b, const yaml_mark_t *m, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(struct builder *b, const yaml_mark_t *m, int rc, const char *fmt, ...)
{
    if (b->rc)
        return b->rc;
    if (m)
        sb_addf(&b->err, "line %zu column %zu: ", m->line + 1, m->column + 1);
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&b->err, fmt, ap);
    va_end(ap);
    return b->rc = rc;
}

static void anchors_reset(struct builder *b)
{
    for (size_t i = 0; i < b->n_anchors; i++) {
        free(b->anchors[i].name);
        obj_put(b->anchors[i].obj);
    }
    b->n_anchors = 0;
}

static int anchor_add(struct builder *b, const yaml_mark_t *m, char *name,
                      json_object *obj, size_t nodes, unsigned depth)
{
    if (b->n_anchors >= b->lim->max_aliases)
        return fail_at(b, m, -E2BIG, "more than %zu anchors", b->lim->max_aliases);
    if (b->n_anchors == b->alloc_anchors) {
        size_t na = b->alloc_anchors ? b->alloc_anchors * 2 : 8;
        struct anchor *p = realloc(b->anchors, na * sizeof(*p));
        if (!p)
            return fail_at(b, m, -ENOMEM, "out of memory");
        b->anchors = p;
        b->alloc_anchors = na;
    }
    /* A later anchor of the same name shadows the earlier one, as in YAML. */
    b->anchors[b->n_anchors++] = (struct anchor){
        .name = name, .obj = obj == NULL_SENTINEL ? obj : json_object_get(obj),
        .nodes = nodes, .depth = depth };
    return 0;
}

static const struct anchor *anchor_find(const struct builder *b, const char *name)
{
    for (size_t i = b->n_anchors; i > 0; i--)
        if (strcmp(b->anchors[i - 1].name, name) == 0)
            return &b->anchors[i - 1];
    return NULL;
}

static int count_node(struct builder *b, const yaml_mark_t *m, size_t n)
{
    if (n > b->lim->max_nodes || b->nodes > b->lim->max_nodes - n)
        return fail_at(b, m, -E2BIG, "document too large: more than %zu nodes", b->lim->max_nodes);
    b->nodes += n;
    return 0;
}

/* Merges src's keys into frame f's mapping. Keys already present win, and
 * keys merged in stay overridable by later explicit keys, as YAML's merge
 * key means. */
static int merge_into(struct builder *b, const yaml_mark_t *m, struct frame *f, json_object *src)
{
    if (src == NULL_SENTINEL || !json_object_is_type(src, json_type_object))
        return fail_at(b, m, -EINVAL, "merge key \"<<\" needs a mapping");
    if (!f->merged && !(f->merged = json_object_new_object()))
        return fail_at(b, m, -ENOMEM, "out of memory");
    json_object_object_foreach(src, k, v) {
        if (json_object_object_get_ex(f->obj, k, NULL))
            continue;
        if (json_object_object_add(f->obj, k, v ? json_object_get(v) : NULL) < 0 ||
            json_object_object_add(f->merged, k, NULL) < 0)
            return fail_at(b, m, -ENOMEM, "out of memory");
    }
    return 0;
}

/* Hands a finished value (owned) to its parent or makes it the root. */
static int insert_value(struct builder *b, const yaml_mark_t *m, json_object *v)
{
    if (b->depth == 0) {
        b->root = v;
        b->have_root = true;
        return 0;
    }
    struct frame *f = &b->frames[b->depth - 1];
    json_object *stored = v == NULL_SENTINEL ? NULL : v;
    if (!f->is_map) {
        if (json_object_array_add(f->obj, stored) < 0) {
            obj_put(v);
            return fail_at(b, m, -ENOMEM, "out of memory");
        }
        return 0;
    }
    char *key = f->key;
    f->key = NULL;
    int r = 0;
    bool merge = f->key_merge;
    f->key_merge = false;
    if (merge) {
        if (v != NULL_SENTINEL && json_object_is_type(v, json_type_array)) {
            size_t n = json_object_array_length(v);
            for (size_t i = 0; i < n && r == 0; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                r = merge_into(b, m, f, e ? e : NULL_SENTINEL);
            }
        } else {
            r = merge_into(b, m, f, v);
        }
        obj_put(v);
    } else if (json_object_object_add(f->obj, key, stored) < 0) {
        obj_put(v);
        r = fail_at(b, m, -ENOMEM, "out of memory");
    }
    free(key);
    return r;
}

/* In strict mode a plain key must be a string to PyYAML too: "on" would be
 * the boolean True and "null" None, so LiteLLM would see another key than
 * we do (and "null" and "~" would collide). */
static int check_key(struct builder *b, const yaml_mark_t *m, const yaml_event_t *ev)
{
    const char *key = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (!b->lim->strict_yaml11 || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag)
        return 0;
    static const char *const what[] = {
        [GW_Y11_NULL] = "null", [GW_Y11_BOOL] = "a boolean", [GW_Y11_INT] = "an integer",
        [GW_Y11_FLOAT] = "a float", [GW_Y11_TIMESTAMP] = "a date", [GW_Y11_VALUE] = "the value key" };
    enum gw_yaml11_type t = gw_yaml11_resolve(key);
    /* PyYAML reads a plain "=" key as the string "=" (and "<<" merges). */
    if (t == GW_Y11_STR || t == GW_Y11_MERGE || t == GW_Y11_VALUE)
        return 0;
    return fail_at(b, m, -EINVAL, "key \"%.*s\" is %s to LiteLLM's YAML reader (PyYAML), not a string; quote it",
                   len > 128 ? 128 : (int)len, key, what[t]);
}

static int on_scalar(struct builder *b, yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    const char *val = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (len > b->lim->max_scalar)
        return fail_at(b, m, -E2BIG, "scalar of %zu bytes exceeds the limit of %zu", len, b->lim->max_scalar);
    if (memchr(val, '\0', len))
        return fail_at(b, m, -EINVAL, "NUL byte in scalar");
    int r = count_node(b, m, 1);
    if (r)
        return r;
    if (b->depth > 0 && b->frames[b->depth - 1].is_map && !b->frames[b->depth - 1].key) {
        struct frame *f = &b->frames[b->depth - 1];
        if (f->merged && json_object_object_get_ex(f->merged, val, NULL))
            json_object_object_del(f->merged, val);
        else if (json_object_object_get_ex(f->obj, val, NULL))
            return fail_at(b, m, -EINVAL, "duplicate key \"%.*s\"", len > 128 ? 128 : (int)len, val);
        if (ev->data.scalar.anchor)
            return fail_at(b, m, -EINVAL, "anchors on mapping keys are not supported");
        r = check_key(b, m, ev);
        if (r)
            return r;
        f->key = strndup(val, len);
        f->key_merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
                       strcmp(val, "<<") == 0;
        return f->key ? 0 : fail_at(b, m, -ENOMEM, "out of memory");
    }
    const char *tag = (const char *)ev->data.scalar.tag;
    json_object *v;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
        plain = false;
    else if (tag && strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
        plain = true;
    const char *why = NULL;
    v = plain ? resolve_plain(val, len, b->lim->strict_yaml11, &why) : json_object_new_string_len(val, (int)len);
    if (!v && why)
        return fail_at(b, m, -EINVAL, "\"%.*s\" is %s", len > 128 ? 128 : (int)len, val, why);
    if (!v)
        return fail_at(b, m, -ENOMEM, "out of memory");
    if (ev->data.scalar.anchor) {
        char *name = strdup((const char *)ev->data.scalar.anchor);
        if (!name || anchor_add(b, m, name, v, 1, 0) < 0) {
            free(name);
            obj_put(v);
            return fail_at(b, m, -ENOMEM, "out of memory");
        }
    }
    return insert_value(b, m, v);
}

static int on_container_start(struct builder *b, yaml_event_t *ev, bool is_map)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (b->depth > 0 && b->frames[b->depth - 1].is_map && !b->frames[b->depth - 1].key)
        return fail_at(b, m, -EINVAL, "mapping keys must be scalars");
    if (b->depth >= b->lim->max_depth)
        return fail_at(b, m, -E2BIG, "nesting deeper than %u levels", b->lim->max_depth);
    int r = count_node(b, m, 1);
    if (r)
        return r;
    json_object *o = is_map ? json_object_new_object() : json_object_new_array();
    if (!o)
        return fail_at(b, m, -ENOMEM, "out of memory");
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    struct frame *f = &b->frames[b->depth++];
    *f = (struct frame){ .obj = o, .is_map = is_map, .nodes_at_start = b->nodes - 1 };
    if (anchor && !(f->anchor = strdup((const char *)anchor)))
        return fail_at(b, m, -ENOMEM, "out of memory");
    return 0;
}

static int on_container_end(struct builder *b, yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    struct frame f = b->frames[--b->depth];
    free(f.key);
    json_object_put(f.merged);
    unsigned depth = f.subtree_depth + 1;
    if (b->depth > 0 && b->frames[b->depth - 1].subtree_depth < depth)
        b->frames[b->depth - 1].subtree_depth = depth;
    if (f.anchor) {
        int r = anchor_add(b, m, f.anchor, f.obj, b->nodes - f.nodes_at_start, depth);
        if (r) {
            free(f.anchor);
            json_object_put(f.obj);
            return r;
        }
    }
    return insert_value(b, m, f.obj);
}

static int on_alias(struct builder *b, yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    const char *name = (const char *)ev->data.alias.anchor;
    if (b->depth > 0 && b->frames[b->depth - 1].is_map && !b->frames[b->depth - 1].key)
        return fail_at(b, m, -EINVAL, "aliases as mapping keys are not supported");
    const struct anchor *a = anchor_find(b, name);
    if (!a)
        return fail_at(b, m, -EINVAL, "unknown or recursive alias \"*%.64s\"", name);
    if (++b->aliases > b->lim->max_aliases)
        return fail_at(b, m, -E2BIG, "more than %zu aliases", b->lim->max_aliases);
    if (b->depth + a->depth > b->lim->max_depth)
        return fail_at(b, m, -E2BIG, "nesting deeper than %u levels", b->lim->max_depth);
    int r = count_node(b, m, a->nodes);
    if (r)
        return r;
    if (b->depth > 0 && b->frames[b->depth - 1].subtree_depth < a->depth)
        b->frames[b->depth - 1].subtree_depth = a->depth;
    json_object *copy = NULL_SENTINEL;
    if (a->obj != NULL_SENTINEL) {
        copy = NULL;
        if (json_object_deep_copy(a->obj, &copy, NULL) < 0 || !copy)
            return fail_at(b, m, -ENOMEM, "out of memory");
    }
    return insert_value(b, m, copy);
}

static int push_doc(struct builder *b, const yaml_mark_t *m)
{
    json_object *root = b->root;
    bool have = b->have_root && root != NULL_SENTINEL;
    b->root = NULL;
    b->have_root = false;
    anchors_reset(b);
    if (!have)
        return 0;
    if (b->n_docs >= b->lim->max_docs) {
        json_object_put(root);
        return fail_at(b, m, -E2BIG, "more than %zu documents", b->lim->max_docs);
    }
    if (b->n_docs == b->alloc_docs) {
        size_t na = b->alloc_docs ? b->alloc_docs * 2 : 4;
        json_object **p = realloc(b->docs, na * sizeof(*p));
        if (!p) {
            json_object_put(root);
            return fail_at(b, m, -ENOMEM, "out of memory");
        }
        b->docs = p;
        b->alloc_docs = na;
    }
    b->docs[b->n_docs++] = root;
    return 0;
}

static void builder_release(struct builder *b)
{
    while (b->depth > 0) {
        struct frame *f = &b->frames[--b->depth];
        free(f->key);
        free(f->anchor);
        json_object_put(f->merged);
        json_object_put(f->obj);
    }
    obj_put(b->root);
    anchors_reset(b);
    free(b->anchors);
    free(b->frames);
    sb_release(&b->err);
}

void gw_docs_free(json_object **docs, size_t n)
{
    if (!docs)
        return;
    for (size_t i = 0; i < n; i++)
        json_object_put(docs[i]);
    free(docs);
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; }
        else return false;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

/* What is checked of the input before it is parsed: its size, no NUL
 * byte, valid UTF-8. 0, or the failure recorded in b. */
static int check_input(struct builder *b, const char *buf, size_t len)
{
    const struct gw_load_limits *lim = b->lim;
    if (len > lim->max_bytes)
        return fail_at(b, NULL, -E2BIG, "input of %zu bytes exceeds the limit of %zu bytes", len, lim->max_bytes);
    const char *nul = memchr(buf, '\0', len);
    if (nul)
        return fail_at(b, NULL, -EINVAL, "NUL byte at offset %zu", (size_t)(nul - buf));
    if (!utf8_valid((const unsigned char *)buf, len))
        return fail_at(b, NULL, -EINVAL, "input is not valid UTF-8");
    return 0;
}

/* Builds from one event. 0, 1 at the end of the stream, or the failure
 * recorded in b. */
static int on_event(struct builder *b, yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT: return on_container_start(b, ev, false);
    case YAML_MAPPING_START_EVENT: return on_container_start(b, ev, true);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_container_end(b, ev);
    case YAML_ALIAS_EVENT: return on_alias(b, ev);
    case YAML_DOCUMENT_START_EVENT: anchors_reset(b); return 0;
    case YAML_DOCUMENT_END_EVENT: return push_doc(b, &ev->start_mark);
    case YAML_STREAM_END_EVENT: return 1;
    default: return 0;
    }
}

/* Parses buf event by event into b's documents. 0, or the failure
 * recorded in b. */
static int parse_events(struct builder *b, yaml_parser_t *parser)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev)) {
            yaml_mark_t m = parser->problem_mark;
            return fail_at(b, &m, -EINVAL, "%s%s%s", parser->problem ? parser->problem : "invalid YAML",
                           parser->context ? " " : "", parser->context ? parser->context : "");
        }
        int r = on_event(b, &ev);
        yaml_event_delete(&ev);
        if (r)
            return r < 0 ? r : 0;
    }
}

int gw_yaml_load_all(const char *buf, size_t len, const struct gw_load_limits *lim,
                     json_object ***ret_docs, size_t *ret_n, char **ret_err)
{
    struct builder b = { .lim = lim };
    sb_init(&b.err, 4096);
    yaml_parser_t parser;
    bool parser_ok = false;
    int rc = 0;

    if (check_input(&b, buf, len))
        goto fail;
    b.frames = calloc(lim->max_depth + 1, sizeof(*b.frames));
    if (!b.frames || !yaml_parser_initialize(&parser)) {
        fail_at(&b, NULL, -ENOMEM, "out of memory");
        goto fail;
    }
    parser_ok = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (parse_events(&b, &parser))
        goto fail;
    yaml_parser_delete(&parser);
    *ret_docs = b.docs;
    *ret_n = b.n_docs;
    b.docs = NULL;
    builder_release(&b);
    return 0;

fail:
    if (parser_ok)
        yaml_parser_delete(&parser);
    rc = b.rc ? b.rc : -EINVAL;
    if (ret_err)
        *ret_err = strdup(sb_str(&b.err));
    gw_docs_free(b.docs, b.n_docs);
    builder_release(&b);
    return rc;
}

int gw_yaml_load_one(const char *buf, size_t len, const struct gw_load_limits *lim,
                     json_object **ret, char **ret_err)
{
    json_object **docs = NULL;
    size_t n = 0;
    int r = gw_yaml_load_all(buf, len, lim, &docs, &n, ret_err);
    if (r < 0)
        return r;
    if (n > 1) {
        gw_docs_free(docs, n);
        if (ret_err)
            *ret_err = strdup("expected one YAML document, found several");
        return -EINVAL;
    }
    *ret = n ? docs[0] : NULL;
    free(docs);
    return 0;
}
