#include "jsonscan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_DEPTH 64
#define BAD SIZE_MAX

/* The bytes a container scan stops at. */
static const unsigned char STRUCTURAL[256] = { ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1 };

static size_t skip_ws(const char *b, size_t i, size_t n)
{
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

/* b[i] == '"': the index after the closing quote (strings are short:
 * a byte loop beats a memchr call per string). */
static size_t skip_string(const char *b, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (b[i] == '\\')
            i++;
        else if (b[i] == '"')
            return i + 1;
    }
    return BAD;
}

static bool scalar_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}

/* Skips the value at b[i]: a string, a scalar, or an object or array whose
 * brackets pair up. */
static size_t skip_value(const char *b, size_t i, size_t n)
{
    if (i >= n)
        return BAD;
    if (b[i] == '"')
        return skip_string(b, i, n);
    if (b[i] != '{' && b[i] != '[') {
        size_t s = i;
        while (i < n && scalar_byte(b[i]))
            i++;
        return i > s ? i : BAD;
    }
    char stack[SCAN_MAX_DEPTH];
    size_t depth = 0;
    while (i < n) {
        char c = b[i];
        if (!STRUCTURAL[(unsigned char)c]) {
            i++;
            continue;
        }
        if (c == '"') {
            i = skip_string(b, i, n);
            if (i == BAD)
                return BAD;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == SCAN_MAX_DEPTH)
                return BAD;
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[depth - 1] != c)
                return BAD;
            if (--depth == 0)
                return i + 1;
        }
        i++;
    }
    return BAD;
}

/* b[i] == '{': where member key's value starts, and (when ve is not
 * NULL) where it ends: a step on the way down needs only the start. */
static int find_member(const char *b, size_t i, size_t n, const char *key, size_t *vs, size_t *ve)
{
    size_t klen = strlen(key);
    i = skip_ws(b, i + 1, n);
    if (i < n && b[i] == '}')
        return -ENOENT;
    for (;;) {
        if (i >= n || b[i] != '"')
            return -EINVAL;
        size_t ke = skip_string(b, i, n);
        if (ke == BAD)
            return -EINVAL;
        bool match = ke - i - 2 == klen && memcmp(b + i + 1, key, klen) == 0;
        i = skip_ws(b, ke, n);
        if (i >= n || b[i] != ':')
            return -EINVAL;
        i = skip_ws(b, i + 1, n);
        if (match && !ve) {
            *vs = i;
            return 0;
        }
        size_t e = skip_value(b, i, n);
        if (e == BAD)
            return -EINVAL;
        if (match) {
            /* The first occurrence: the API server sends no duplicate keys,
             * and should one come, pruning a shadowed copy is harmless. */
            *vs = i;
            *ve = e;
            return 0;
        }
        i = skip_ws(b, e, n);
        if (i < n && b[i] == ',') {
            i = skip_ws(b, i + 1, n);
            continue;
        }
        if (i < n && b[i] == '}')
            return -ENOENT;
        return -EINVAL;
    }
}

int wh_json_find(const char *buf, size_t len, const char *const *path, size_t n, size_t *ret_start,
                 size_t *ret_end)
{
    size_t s = skip_ws(buf, 0, len), e = len;
    for (size_t k = 0; k < n; k++) {
        if (s >= len || buf[s] != '{')
            return -ENOENT;
        int r = find_member(buf, s, len, path[k], &s, k + 1 == n ? &e : NULL);
        if (r < 0)
            return r;
    }
    *ret_start = s;
    *ret_end = e;
    return 0;
}

/* True when buf holds "key", quotes included: a cheap test before a scan.
 * memchr looks for the key's first upper-case letter (rare in JSON text,
 * present in camelCase keys), or its first byte. */
static bool mentions(const char *buf, size_t len, const char *key)
{
    size_t k = strlen(key), at = 0;
    while (at < k && !(key[at] >= 'A' && key[at] <= 'Z'))
        at++;
    if (at == k)
        at = 0;
    const char *p = buf + 1 + at, *end = buf + len;
    while (p < end && (p = memchr(p, key[at], (size_t)(end - p))) != NULL) {
        const char *q = p - at - 1; /* where the opening quote would be */
        if ((size_t)(end - q) >= k + 2 && q[0] == '"' && memcmp(q + 1, key, k) == 0 && q[k + 1] == '"')
            return true;
        p++;
    }
    return false;
}

struct span {
    size_t start, end;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

#define MAX_PRUNE 8

int wh_json_null_members(const char *buf, size_t len, const struct wh_json_path *paths, size_t n, char **ret,
                         size_t *ret_len)
{
    struct span spans[MAX_PRUNE];
    size_t k = 0;
    for (size_t i = 0; i < n && k < MAX_PRUNE; i++) {
        if (paths[i].n == 0 || !mentions(buf, len, paths[i].keys[paths[i].n - 1]))
            continue;
        size_t s = 0, e = 0;
        int r = wh_json_find(buf, len, paths[i].keys, paths[i].n, &s, &e);
        if (r == -EINVAL)
            return r;
        if (r < 0 || (e - s == 4 && memcmp(buf + s, "null", 4) == 0))
            continue;
        spans[k].start = s;
        spans[k].end = e;
        k++;
    }
    if (k == 0)
        return -ENOENT;
    qsort(spans, k, sizeof(spans[0]), span_cmp);
    for (size_t i = 1; i < k; i++)
        if (spans[i].start < spans[i - 1].end)
            return -EINVAL;
    size_t out_len = len;
    for (size_t i = 0; i < k; i++)
        out_len = out_len - (spans[i].end - spans[i].start) + 4;
    char *out = malloc(out_len + 1);
    if (!out)
        return -ENOMEM;
    size_t o = 0, from = 0;
    for (size_t i = 0; i < k; i++) {
        memcpy(out + o, buf + from, spans[i].start - from);
        o += spans[i].start - from;
        memcpy(out + o, "null", 4);
        o += 4;
        from = spans[i].end;
    }
    memcpy(out + o, buf + from, len - from);
    o += len - from;
    out[o] = '\0';
    *ret = out;
    *ret_len = o;
    return 0;
}
