/* The strict JSON reader of doc.h: json-c's tokener plus a second pass for
 * what json-c lets through. */
#include "doc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "strset.h"

/* --- JSON strictness beyond json-c --------------------------------------- */

/* json-c accepts duplicate keys (the last wins), \u0000 inside strings,
 * lone UTF-16 surrogates (turned into U+FFFD), NaN, Infinity and numbers
 * beyond the double range. A second pass over text json-c has accepted
 * (so its structure is known to be well formed) refuses each, so that what
 * we check is exactly what every other reader sees. */

#define SMALL_OBJECT 16

struct jscan_frame {
    bool obj;
    bool want_key;
    struct gw_strset keys;
    char **owned;
    size_t n_owned, alloc;
};

struct jscan {
    const char *buf;
    size_t len, i;
    struct jscan_frame *frames;
    unsigned depth, max_depth;
    struct strbuf *err;
};

static int jscan_fail(struct jscan *s, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int jscan_fail(struct jscan *s, size_t at, const char *fmt, ...)
{
    sb_addf(s->err, "invalid JSON at offset %zu: ", at);
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(s->err, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static void jscan_pop(struct jscan *s)
{
    struct jscan_frame *f = &s->frames[--s->depth];
    for (size_t k = 0; k < f->n_owned; k++)
        free(f->owned[k]);
    free(f->owned);
    gw_strset_free(&f->keys);
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Checks the string starting at the quote s->i; leaves s->i after it and
 * *ret_end at the closing quote. */
static int jscan_string(struct jscan *s, size_t *ret_end, bool *ret_escaped)
{
    bool escaped = false;
    s->i++;
    while (s->buf[s->i] != '"') {
        if (s->buf[s->i] != '\\') {
            s->i++;
            continue;
        }
        escaped = true;
        if (s->buf[s->i + 1] != 'u') {
            s->i += 2;
            continue;
        }
        unsigned u = hex4(s->buf + s->i + 2);
        if (u == 0)
            return jscan_fail(s, s->i, "\\u0000 (NUL) is not allowed in strings");
        if (u >= 0xdc00 && u <= 0xdfff)
            return jscan_fail(s, s->i, "lone UTF-16 low surrogate \\u%04x", u);
        if (u >= 0xd800 && u <= 0xdbff) {
            const char *n = s->buf + s->i + 6;
            unsigned lo = s->i + 12 <= s->len && n[0] == '\\' && n[1] == 'u' ? hex4(n + 2) : 0;
            if (lo < 0xdc00 || lo > 0xdfff)
                return jscan_fail(s, s->i, "lone UTF-16 high surrogate \\u%04x", u);
            s->i += 6;
        }
        s->i += 6;
    }
    *ret_end = s->i++;
    *ret_escaped = escaped;
    return 0;
}

/* Records a key of the innermost object; a second one is refused. */
static int jscan_key(struct jscan *s, size_t start, size_t end, bool escaped)
{
    struct jscan_frame *f = &s->frames[s->depth - 1];
    char *key;
    if (!escaped) {
        key = strndup(s->buf + start + 1, end - start - 1);
    } else {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, s->buf + start, (int)(end - start + 1)) : NULL;
        key = o && json_object_is_type(o, json_type_string) ? strdup(json_object_get_string(o)) : NULL;
        json_object_put(o);
        json_tokener_free(tok);
    }
    if (!key)
        return -ENOMEM;
    if (f->n_owned == f->alloc) {
        size_t na = f->alloc ? f->alloc * 2 : 8;
        char **p = realloc(f->owned, na * sizeof(*p));
        if (!p) {
            free(key);
            return -ENOMEM;
        }
        f->owned = p;
        f->alloc = na;
    }
    f->owned[f->n_owned++] = key;
    /* Small objects (most of them) compare linearly; larger ones switch to
     * the hash table, so a huge object stays linear too. */
    if (f->n_owned <= SMALL_OBJECT) {
        for (size_t k = 0; k + 1 < f->n_owned; k++)
            if (strcmp(f->owned[k], key) == 0)
                return jscan_fail(s, start, "duplicate key \"%.128s\"", key);
        return 0;
    }
    if (f->n_owned == SMALL_OBJECT + 1)
        for (size_t k = 0; k + 1 < f->n_owned; k++)
            if (gw_strset_add(&f->keys, f->owned[k], k, NULL) < 0)
                return -ENOMEM;
    int r = gw_strset_add(&f->keys, key, start, NULL);
    if (r == 0)
        return jscan_fail(s, start, "duplicate key \"%.128s\"", key);
    return r < 0 ? r : 0;
}

static int jscan_token(struct jscan *s)
{
    char c = s->buf[s->i];
    size_t at = s->i;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        size_t n = 0;
        while (s->i < s->len && ((s->buf[s->i] | 0x20) >= 'a' && (s->buf[s->i] | 0x20) <= 'z')) {
            s->i++;
            n++;
        }
        const char *w = s->buf + at;
        if ((n == 4 && (!strncmp(w, "true", 4) || !strncmp(w, "null", 4))) || (n == 5 && !strncmp(w, "false", 5)))
            return 0;
        return jscan_fail(s, at, "%.*s is not a JSON value (NaN and Infinity are not JSON)", (int)(n > 16 ? 16 : n), w);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end = NULL;
        if (s->buf[s->i + (c == '-')] == 'I')
            return jscan_fail(s, at, "-Infinity is not a JSON value (NaN and Infinity are not JSON)");
        double d = strtod(s->buf + at, &end);
        s->i = (size_t)(end - s->buf);
        if (isinf(d))
            return jscan_fail(s, at, "number %.*s is beyond the range of a double", (int)(s->i - at > 32 ? 32 : s->i - at),
                              s->buf + at);
        return 0;
    }
    s->i++;
    return 0;
}

static int jscan_run(struct jscan *s)
{
    while (s->i < s->len) {
        char c = s->buf[s->i];
        struct jscan_frame *top = s->depth ? &s->frames[s->depth - 1] : NULL;
        int r = 0;
        if (c == '{' || c == '[') {
            if (s->depth >= s->max_depth)
                return -E2BIG;
            s->frames[s->depth++] = (struct jscan_frame){ .obj = c == '{', .want_key = c == '{' };
            gw_strset_init(&s->frames[s->depth - 1].keys);
            s->i++;
        } else if (c == '}' || c == ']') {
            jscan_pop(s);
            s->i++;
        } else if (c == ',' || c == ':') {
            if (top && top->obj)
                top->want_key = c == ',';
            s->i++;
        } else if (c == '"') {
            size_t start = s->i, end = 0;
            bool escaped = false;
            r = jscan_string(s, &end, &escaped);
            if (r == 0 && top && top->obj && top->want_key)
                r = jscan_key(s, start, end, escaped);
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            s->i++;
        } else {
            r = jscan_token(s);
        }
        if (r)
            return r;
    }
    return 0;
}

/* Runs the strictness pass over text json-c accepted. */
static int json_strict_check(const char *buf, size_t len, unsigned max_depth, char **ret_err)
{
    struct strbuf err;
    sb_init(&err, 1024);
    struct jscan s = { .buf = buf, .len = len, .max_depth = max_depth + 1, .err = &err };
    s.frames = calloc(s.max_depth, sizeof(*s.frames));
    int r = s.frames ? jscan_run(&s) : -ENOMEM;
    while (s.frames && s.depth > 0)
        jscan_pop(&s);
    free(s.frames);
    if (r && ret_err)
        *ret_err = r == -ENOMEM ? strdup("out of memory") : strdup(sb_str(&err));
    sb_release(&err);
    return r;
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
    if (rc == 0)
        rc = json_strict_check(buf, used, max_depth, ret_err);
    if (rc) {
        json_object_put(o);
        return rc;
    }
    *ret = o;
    return 0;
}
