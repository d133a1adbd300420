#include "doc.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "strbuf.h"

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
};

/* json-c stores JSON null as a NULL child, so while building we use a
 * sentinel to keep "null" apart from "out of memory", and swap it for NULL
 * when inserting. It is never handed to json-c. */
static char null_sentinel;
#define NULL_SENTINEL ((json_object *)&null_sentinel)

/* --- scalar resolution ------------------------------------------------- */

static bool str_in(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static bool is_digits(const char *s, const char *set)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr(set, *s))
            return false;
    return true;
}

static bool looks_float(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = false, dot = false;
    while (*p >= '0' && *p <= '9') { p++; digits = true; }
    if (*p == '.') {
        dot = true;
        p++;
        while (*p >= '0' && *p <= '9') { p++; digits = true; }
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
        return *p == '\0';
    }
    return *p == '\0' && dot;
}

/* Resolves a plain scalar; NULL return means out of memory. */
static json_object *resolve_plain(const char *s, size_t len)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
                                         "on", "On", "ON", NULL };
    static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO",
                                          "off", "Off", "OFF", NULL };
    if (str_in(s, nulls))
        return NULL_SENTINEL;
    if (str_in(s, trues))
        return json_object_new_boolean(1);
    if (str_in(s, falses))
        return json_object_new_boolean(0);
    const char *d = s;
    bool neg = false;
    if (*d == '+' || *d == '-') {
        neg = *d == '-';
        d++;
    }
    /* YAML 1.1's special floats, spelled as PyYAML accepts them. */
    static const char *const infs[] = { ".inf", ".Inf", ".INF", NULL };
    static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
    if (str_in(d, infs))
        return json_object_new_double(neg ? -INFINITY : INFINITY);
    if (str_in(s, nans))
        return json_object_new_double(NAN);
    int base = 0;
    if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X') && is_digits(d + 2, "0123456789abcdefABCDEF"))
        base = 16;
    else if (d[0] == '0' && (d[1] == 'o') && is_digits(d + 2, "01234567"))
        base = 8;
    else if (d[0] == '0' && d[1] && is_digits(d + 1, "01234567"))
        base = 8;
    else if (is_digits(d, "0123456789"))
        base = 10;
    if (base) {
        const char *digits = base == 16 || (base == 8 && d[1] == 'o') ? d + 2 : d;
        errno = 0;
        char *end = NULL;
        unsigned long long v = strtoull(digits, &end, base);
        if (errno == 0 && end && *end == '\0' && v <= (unsigned long long)INT64_MAX)
            return json_object_new_int64(neg ? -(int64_t)v : (int64_t)v);
        /* Beyond int64 a number is still a number: keep it as a float with
         * its original text, the way YAML-to-JSON conversion does. */
        if (base == 10) {
            double f = strtod(s, &end);
            if (end && *end == '\0')
                return json_object_new_double_s(f, s);
        }
        return json_object_new_string_len(s, (int)len);
    }
    if (looks_float(s)) {
        char *end = NULL;
        double v = strtod(s, &end);
        if (end && *end == '\0')
            return json_object_new_double_s(v, s);
    }
    return json_object_new_string_len(s, (int)len);
}


/* --- YAML event builder ------------------------------------------------ */

struct frame {
    json_object *obj;
    bool is_map;
    char *key;           /* pending mapping key, NULL when a key is expected */
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
    if (strcmp(key, "<<") == 0) {
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
        f->key = strndup(val, len);
        return f->key ? 0 : fail_at(b, m, -ENOMEM, "out of memory");
    }
    const char *tag = (const char *)ev->data.scalar.tag;
    json_object *v;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag && strcmp(tag, "tag:yaml.org,2002:str") == 0)
        plain = false;
    else if (tag && strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
        plain = true;
    v = plain ? resolve_plain(val, len) : json_object_new_string_len(val, (int)len);
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

int gw_yaml_load_all(const char *buf, size_t len, const struct gw_load_limits *lim,
                     json_object ***ret_docs, size_t *ret_n, char **ret_err)
{
    struct builder b = { .lim = lim };
    sb_init(&b.err, 4096);
    yaml_parser_t parser;
    bool parser_ok = false;
    int rc = 0;

    if (len > lim->max_bytes) {
        fail_at(&b, NULL, -E2BIG, "input of %zu bytes exceeds the limit of %zu bytes", len, lim->max_bytes);
        goto fail;
    }
    if (memchr(buf, '\0', len)) {
        size_t at = (size_t)((const char *)memchr(buf, '\0', len) - buf);
        fail_at(&b, NULL, -EINVAL, "NUL byte at offset %zu", at);
        goto fail;
    }
    if (!utf8_valid((const unsigned char *)buf, len)) {
        fail_at(&b, NULL, -EINVAL, "input is not valid UTF-8");
        goto fail;
    }
    b.frames = calloc(lim->max_depth + 1, sizeof(*b.frames));
    if (!b.frames || !yaml_parser_initialize(&parser)) {
        fail_at(&b, NULL, -ENOMEM, "out of memory");
        goto fail;
    }
    parser_ok = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            yaml_mark_t m = parser.problem_mark;
            fail_at(&b, &m, -EINVAL, "%s%s%s", parser.problem ? parser.problem : "invalid YAML",
                    parser.context ? " " : "", parser.context ? parser.context : "");
            goto fail;
        }
        int r = 0;
        bool done = false;
        switch (ev.type) {
        case YAML_SCALAR_EVENT: r = on_scalar(&b, &ev); break;
        case YAML_SEQUENCE_START_EVENT: r = on_container_start(&b, &ev, false); break;
        case YAML_MAPPING_START_EVENT: r = on_container_start(&b, &ev, true); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: r = on_container_end(&b, &ev); break;
        case YAML_ALIAS_EVENT: r = on_alias(&b, &ev); break;
        case YAML_DOCUMENT_START_EVENT: anchors_reset(&b); break;
        case YAML_DOCUMENT_END_EVENT: r = push_doc(&b, &ev.start_mark); break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
        if (r)
            goto fail;
        if (done)
            break;
    }
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

int gw_json_parse(const char *buf, size_t len, unsigned max_depth,
                  json_object **ret, char **ret_err)
{
    if (len > INT_MAX) {
        if (ret_err)
            *ret_err = strdup("JSON too large");
        return -E2BIG;
    }
    json_tokener *tok = json_tokener_new_ex((int)max_depth);
    if (!tok)
        return -ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    int rc = 0;
    if (e == json_tokener_continue) {
        /* A number or literal that ends the input is complete, but json-c
         * waits for the byte after it: hand it one. */
        o = json_tokener_parse_ex(tok, " ", 1);
        e = json_tokener_get_error(tok);
        used = len;
    }
    if (e == json_tokener_continue) {
        rc = -EINVAL;
        if (ret_err)
            *ret_err = strdup("truncated JSON");
    } else if (e != json_tokener_success) {
        rc = e == json_tokener_error_depth ? -E2BIG : -EINVAL;
        if (ret_err) {
            struct strbuf sb;
            sb_init(&sb, 512);
            sb_addf(&sb, "invalid JSON at offset %zu: %s", used, json_tokener_error_desc(e));
            *ret_err = sb_detach(&sb, NULL);
        }
    } else {
        while (used < len && strchr(" \t\r\n", buf[used]))
            used++;
        if (used != len) {
            rc = -EINVAL;
            if (ret_err)
                *ret_err = strdup("trailing data after the JSON value");
        }
    }
    json_tokener_free(tok);
    if (rc) {
        json_object_put(o);
        return rc;
    }
    *ret = o;
    return 0;
}

int gw_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len,
                 char **ret_err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (ret_err) {
            struct strbuf sb;
            sb_init(&sb, 4096);
            sb_addf(&sb, "%s: %s", path, strerror(e));
            *ret_err = sb_detach(&sb, NULL);
        }
        return -e;
    }
    struct strbuf sb;
    sb_init(&sb, cap);
    char chunk[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        if (sb_add(&sb, chunk, (size_t)n) < 0) {
            rc = sb.err;
            break;
        }
    }
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        if (ret_err) {
            struct strbuf e;
            sb_init(&e, 4096);
            if (rc == -E2BIG)
                sb_addf(&e, "%s: larger than the limit of %zu bytes", path, cap);
            else
                sb_addf(&e, "%s: %s", path, strerror(-rc));
            *ret_err = sb_detach(&e, NULL);
        }
        sb_release(&sb);
        return rc;
    }
    *ret_buf = sb_detach(&sb, ret_len);
    return *ret_buf ? 0 : -ENOMEM;
}
