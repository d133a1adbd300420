#include "jsonscan.h"
#include "jsonskip.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_DEPTH 64
/* Room for the decoded escaped keys of the objects open on a path. */
#define CHECK_DECODED_MAX 16384
#define BAD SIZE_MAX

/* The bytes a container scan stops at. */
static const unsigned char STRUCTURAL[256] = { ['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1 };

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
        return gw_json_skip_string(b, i, n);
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
            i = gw_json_skip_string(b, i, n);
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
    i = gw_json_skip_ws(b, i + 1, n);
    if (i < n && b[i] == '}')
        return -ENOENT;
    for (;;) {
        if (i >= n || b[i] != '"')
            return -EINVAL;
        size_t ke = gw_json_skip_string(b, i, n);
        if (ke == BAD)
            return -EINVAL;
        bool match = ke - i - 2 == klen && memcmp(b + i + 1, key, klen) == 0;
        i = gw_json_skip_ws(b, ke, n);
        if (i >= n || b[i] != ':')
            return -EINVAL;
        i = gw_json_skip_ws(b, i + 1, n);
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
        i = gw_json_skip_ws(b, e, n);
        if (i < n && b[i] == ',') {
            i = gw_json_skip_ws(b, i + 1, n);
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
    size_t s = gw_json_skip_ws(buf, 0, len), e = len;
    for (size_t k = 0; k < n; k++) {
        if (s >= len || buf[s] != '{')
            return -ENOENT;
        int r = find_member(buf, s, len, path[k], &s, k + 1 == n ? ret_end ? &e : NULL : NULL);
        if (r < 0)
            return r;
    }
    *ret_start = s;
    if (ret_end)
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

/* --- wh_json_check ------------------------------------------------------------ */

/* String bytes that need no look: printable ASCII but the quote and the
 * backslash. */
static const unsigned char STR_PLAIN[256] = {
#define R4(x) [x] = 1, [x + 1] = 1, [x + 2] = 1, [x + 3] = 1
#define R16(x) R4(x), R4(x + 4), R4(x + 8), R4(x + 12)
    [0x20] = 1, [0x21] = 1, [0x23] = 1, R4(0x24), R4(0x28), R4(0x2c),
    R16(0x30), R16(0x40),
    R4(0x50), R4(0x54), R4(0x58), [0x5d] = 1, [0x5e] = 1, [0x5f] = 1,
    R16(0x60), R16(0x70),
#undef R16
#undef R4
};

static void put_utf8(char *out, size_t *o, unsigned long u)
{
    if (u < 0x80) {
        out[(*o)++] = (char)u;
    } else if (u < 0x800) {
        out[(*o)++] = (char)(0xc0 | (u >> 6));
        out[(*o)++] = (char)(0x80 | (u & 0x3f));
    } else if (u < 0x10000) {
        out[(*o)++] = (char)(0xe0 | (u >> 12));
        out[(*o)++] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (u & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | (u >> 18));
        out[(*o)++] = (char)(0x80 | ((u >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (u & 0x3f));
    }
}

static unsigned long hex4_at(const char *p)
{
    unsigned long v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v = v * 16 + (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* The string p[0, n) (quotes included) decoded into out (room for n
 * bytes: no escape is shorter than what it stands for); its length.
 * wh_json_check has made sure every escape is well formed, no \u0000,
 * surrogates in pairs. */
static size_t unescape_into(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (p[i] != '\\') {
            out[o++] = p[i];
            continue;
        }
        char e = p[++i];
        switch (e) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned long u = hex4_at(p + i + 1);
            i += 4;
            if (u >= 0xd800 && u <= 0xdbff) {
                unsigned long lo = hex4_at(p + i + 3);
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
            put_utf8(out, &o, u);
            break;
        }
        default: out[o++] = e; break;
        }
    }
    return o;
}

size_t wh_json_unescape(const char *p, size_t n, char *out)
{
    return unescape_into(p, n, out);
}

/* At most this many keys open on a path at once. */
#define CHECK_KEYS_MAX (SCAN_MAX_DEPTH * WH_JSON_CHECK_MAX_KEYS / 4)

struct open_key {
    const unsigned char *p;
    size_t n;
};

struct check {
    const unsigned char *b;
    size_t n;
    int err;
    unsigned depth, max_depth;
    /* The keys of the objects open on the path, innermost last: room for
     * keys_cap, which is CHECK_KEYS_MAX or, for a short text, more than it
     * can hold (a member takes four bytes at least). */
    struct open_key *keys;
    size_t n_keys, keys_cap;
    /* Escaped keys decoded, for the duplicate check; a stack like keys, of
     * CHECK_DECODED_MAX bytes or more than a short text can need. */
    char *dec;
    size_t n_dec, dec_cap;
    struct wh_json_index *idx;
};

void wh_json_index_free(struct wh_json_index *idx)
{
    if (!idx)
        return;
    free(idx->start);
    free(idx->end);
    memset(idx, 0, sizeof(*idx));
}

/* Records a container opening at b[i]; its slot, or SIZE_MAX. */
static size_t index_open(struct wh_json_index *idx, size_t i)
{
    if (idx->n == idx->alloc) {
        size_t na = idx->alloc ? idx->alloc * 2 : 256;
        uint32_t *s = realloc(idx->start, na * sizeof(*s));
        if (!s)
            return SIZE_MAX;
        idx->start = s;
        uint32_t *e = realloc(idx->end, na * sizeof(*e));
        if (!e)
            return SIZE_MAX;
        idx->end = e;
        idx->alloc = na;
    }
    idx->start[idx->n] = (uint32_t)i;
    idx->end[idx->n] = 0;
    return idx->n++;
}

/* Where the container starting at b[i] ends, or BAD when not indexed.
 * The search starts at slot *hint and gallops forward (a walk finds
 * containers in order), and leaves *hint after the slot it found. */
static size_t index_end(const struct wh_json_index *idx, size_t i, size_t *hint)
{
    size_t lo = *hint;
    if (lo >= idx->n || idx->start[lo] > i)
        lo = 0;
    /* Every slot below lo starts before i; the first at or past i is
     * below hi. */
    size_t hi = lo + 1;
    for (size_t step = 1, probe = lo; probe < idx->n && idx->start[probe] < i; step *= 2) {
        lo = probe + 1;
        probe = lo + step;
        hi = probe + 1;
    }
    if (hi > idx->n)
        hi = idx->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->start[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < idx->n && idx->start[lo] == i && idx->end[lo]) {
        *hint = lo + 1;
        return idx->end[lo];
    }
    return BAD;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* \uXXXX at b[i] (the backslash); the code unit, or -1. */
static long hex_unit(const struct check *c, size_t i)
{
    if (i + 6 > c->n || c->b[i + 1] != 'u')
        return -1;
    long v = 0;
    for (size_t k = 2; k < 6; k++) {
        int h = hexval(c->b[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* One UTF-8 sequence of two or more bytes at b[i]: its length, or 0. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || n > avail)
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return n;
}

/* The bytes that may follow a backslash, \u apart. */
static const unsigned char SHORT_ESCAPE[256] = { ['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1,
                                                 ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1 };

/* The check passes positions, not a cursor in struct check: the position
 * stays in a register through the recursion. Each function takes the
 * index of the first byte of its value and returns the index after it,
 * or BAD (c->err says -ENOMEM when that was the cause). */

/* Where the first byte at or after b[i] that needs a look in a string (a
 * quote, a backslash, a control byte, DEL, one of a multibyte character)
 * lies in the 16-byte blocks that fit before n: i itself when the block
 * at i holds one, n rounded down when none does. *at_quote is set when
 * that byte is a quote: the string ends there with no second look at it,
 * which is how most strings end. Otherwise the byte loops after it look
 * at the byte it stops at. */
static inline size_t plain_run(const unsigned char *b, size_t i, size_t n, bool *at_quote)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f),
                  ctl = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
        /* signed: below 0x20 or at or above 0x80 */
        unsigned look = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, bs), _mm_cmpeq_epi8(x, del)), _mm_cmplt_epi8(x, ctl)));
        if (q | look) {
            unsigned first = (q | look) & -(q | look);
            *at_quote = (q & first) != 0;
            return i + (size_t)__builtin_ctz(first);
        }
        i += 16;
    }
#else
    (void)b;
    (void)n;
#endif
    *at_quote = false;
    return i;
}

/* b[i] == '"': the index after the closing quote; *ret_escaped says
 * whether the string holds an escape. */
static size_t check_string(const struct check *c, size_t i, bool *ret_escaped)
{
    const unsigned char *b = c->b;
    size_t n = c->n;
    bool escaped = false, at_quote = false;
    for (i++;;) {
        i = plain_run(b, i, n, &at_quote);
        if (at_quote)
            break;
        while (i < n && STR_PLAIN[b[i]])
            i++;
        if (i >= n)
            return BAD;
        unsigned char ch = b[i];
        if (ch == '"')
            break;
        if (ch == '\\') {
            escaped = true;
            if (i + 1 >= n)
                return BAD;
            unsigned char e = b[i + 1];
            if (e != 'u') {
                if (!SHORT_ESCAPE[e])
                    return BAD;
                i += 2;
                continue;
            }
            long u = hex_unit(c, i);
            if (u <= 0 || (u >= 0xdc00 && u <= 0xdfff))
                return BAD;
            if (u >= 0xd800 && u <= 0xdbff) {
                long lo = hex_unit(c, i + 6);
                if (i + 6 >= n || b[i + 6] != '\\' || lo < 0xdc00 || lo > 0xdfff)
                    return BAD;
                i += 6;
            }
            i += 6;
        } else if (ch < 0x20 || ch == 0x7f) {
            return BAD;
        } else {
            size_t k = utf8_len(b + i, n - i);
            if (k == 0)
                return BAD;
            i += k;
        }
    }
    *ret_escaped = escaped;
    return i + 1;
}

static bool digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

/* A number whose value is certainly finite and read the same way by
 * json-c: at most 24 bytes, integers of at most 18 digits, exponents of at
 * most two digits. */
static size_t check_number(const struct check *c, size_t i)
{
    const unsigned char *b = c->b;
    size_t n = c->n, s = i;
    bool plain_int = true;
    if (i < n && b[i] == '-')
        i++;
    if (i < n && b[i] == '0')
        i++;
    else if (i < n && b[i] >= '1' && b[i] <= '9')
        while (i < n && digit(b[i]))
            i++;
    else
        return BAD;
    size_t int_digits = i - s - (b[s] == '-');
    if (i < n && b[i] == '.') {
        plain_int = false;
        size_t d = ++i;
        while (i < n && digit(b[i]))
            i++;
        if (i == d)
            return BAD;
    }
    if (i < n && (b[i] == 'e' || b[i] == 'E')) {
        plain_int = false;
        i++;
        if (i < n && (b[i] == '+' || b[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && digit(b[i]))
            i++;
        if (i == d || i - d > 2)
            return BAD;
    }
    if (i - s > 24 || (plain_int && int_digits > 18))
        return BAD;
    return i;
}

/* b[i] is the byte wanted (the usual case: no blank before it), or it
 * follows blanks: the index after it, or BAD. */
static inline size_t expect(const unsigned char *b, size_t i, size_t n, unsigned char want)
{
    if (i < n && b[i] == want)
        return i + 1;
    i = gw_json_skip_ws((const char *)b, i, n);
    return i < n && b[i] == want ? i + 1 : BAD;
}

/* After a member or element at b[i]: the index of the next one after a
 * comma (blanks skipped), or AT_CLOSER with *ret_end after the closer, or
 * BAD. */
#define AT_CLOSER (BAD - 1)
static inline size_t check_next(const unsigned char *b, size_t i, size_t n, unsigned char closer, size_t *ret_end)
{
    i = gw_json_skip_ws((const char *)b, i, n);
    if (i < n && b[i] == ',')
        return gw_json_skip_ws((const char *)b, i + 1, n);
    if (i < n && b[i] == closer) {
        *ret_end = i + 1;
        return AT_CLOSER;
    }
    return BAD;
}

/* The key b[ks, ks + klen) (the string just checked) is new in its object
 * (keys from first_key on): compared decoded when escaped, so "a" and
 * "\u0061" are the same key. Recorded; -EINVAL on a duplicate or no room
 * to decode. */
static int check_key(struct check *c, size_t ks, size_t klen, bool escaped, size_t first_key)
{
    const unsigned char *k = c->b + ks;
    if (escaped) {
        if (klen + 2 > c->dec_cap - c->n_dec)
            return -EINVAL;
        char *out = c->dec + c->n_dec;
        klen = unescape_into((const char *)c->b + ks - 1, klen + 2, out);
        k = (const unsigned char *)out;
        c->n_dec += klen;
    }
    for (size_t j = first_key; j < c->n_keys; j++)
        if (c->keys[j].n == klen && memcmp(c->keys[j].p, k, klen) == 0)
            return -EINVAL;
    c->keys[c->n_keys].p = k;
    c->keys[c->n_keys].n = klen;
    c->n_keys++;
    return 0;
}

static size_t check_value(struct check *c, size_t i);

static size_t check_object(struct check *c, size_t i)
{
    const unsigned char *b = c->b;
    size_t n = c->n, first_key = c->n_keys, first_dec = c->n_dec, n_here = 0, end = BAD;
    i = gw_json_skip_ws((const char *)b, i + 1, n);
    if (i < n && b[i] == '}')
        return i + 1;
    for (;;) {
        if (i >= n || b[i] != '"')
            return BAD;
        bool escaped = false;
        size_t e = check_string(c, i, &escaped);
        if (e == BAD || ++n_here > WH_JSON_CHECK_MAX_KEYS ||
            c->n_keys == c->keys_cap || check_key(c, i + 1, e - i - 2, escaped, first_key) < 0)
            return BAD;
        i = expect(b, e, n, ':');
        if (i == BAD)
            return BAD;
        i = check_value(c, gw_json_skip_ws((const char *)b, i, n));
        if (i == BAD)
            return BAD;
        i = check_next(b, i, n, '}', &end);
        if (i == AT_CLOSER) {
            c->n_keys = first_key;
            c->n_dec = first_dec;
            return end;
        }
        if (i == BAD)
            return BAD;
    }
}

static size_t check_array(struct check *c, size_t i)
{
    const unsigned char *b = c->b;
    size_t n = c->n, end = BAD;
    i = gw_json_skip_ws((const char *)b, i + 1, n);
    if (i < n && b[i] == ']')
        return i + 1;
    for (;;) {
        i = check_value(c, i);
        if (i == BAD)
            return BAD;
        i = check_next(b, i, n, ']', &end);
        if (i == AT_CLOSER)
            return end;
        if (i == BAD)
            return BAD;
    }
}

static size_t check_literal(const struct check *c, size_t i, const char *word, size_t n)
{
    if (c->n - i < n || memcmp(c->b + i, word, n) != 0)
        return BAD;
    return i + n;
}

static size_t check_container(struct check *c, size_t i)
{
    if (++c->depth > c->max_depth)
        return BAD;
    size_t slot = c->idx ? index_open(c->idx, i) : 0;
    if (slot == SIZE_MAX) {
        c->err = -ENOMEM;
        return BAD;
    }
    size_t e = c->b[i] == '{' ? check_object(c, i) : check_array(c, i);
    if (e != BAD && c->idx)
        c->idx->end[slot] = (uint32_t)e;
    c->depth--;
    return e;
}

static size_t check_scalar(const struct check *c, size_t i)
{
    switch (c->b[i]) {
    case 't':
        return check_literal(c, i, "true", 4);
    case 'f':
        return check_literal(c, i, "false", 5);
    case 'n':
        return check_literal(c, i, "null", 4);
    default:
        return check_number(c, i);
    }
}

/* Strings first, then containers: the order of how often they come, tested
 * one by one (a jump table mispredicts on every change of kind). */
static size_t check_value(struct check *c, size_t i)
{
    if (i >= c->n)
        return BAD;
    unsigned char ch = c->b[i];
    if (__builtin_expect(ch == '"', 1)) {
        bool escaped;
        return check_string(c, i, &escaped);
    }
    if (ch == '{' || ch == '[')
        return check_container(c, i);
    return check_scalar(c, i);
}

int wh_json_check(const char *buf, size_t len, unsigned max_depth)
{
    return wh_json_check_indexed(buf, len, max_depth, NULL);
}

/* A checker with room for keys_cap keys and dec_cap decoded bytes. */
static struct check *check_new(size_t keys_cap, size_t dec_cap)
{
    struct check *c = malloc(sizeof(*c) + keys_cap * sizeof(struct open_key) + dec_cap);
    if (!c)
        return NULL;
    c->keys = (struct open_key *)(void *)(c + 1);
    c->keys_cap = keys_cap;
    c->dec = (char *)(c->keys + keys_cap);
    c->dec_cap = dec_cap;
    return c;
}

/* Checks the value at buf[start]: its end, or BAD with *ret_err. */
static size_t check_run(struct check *c, const char *buf, size_t len, size_t start, unsigned max_depth,
                        struct wh_json_index *idx, int *ret_err)
{
    c->b = (const unsigned char *)buf;
    c->n = len;
    c->err = 0;
    c->depth = 0;
    /* json-c counts its depth differently by one at each end: stay below. */
    c->max_depth = max_depth > SCAN_MAX_DEPTH - 2 ? SCAN_MAX_DEPTH - 2 : max_depth > 2 ? max_depth - 2 : 0;
    c->n_keys = 0;
    c->n_dec = 0;
    c->idx = idx;
    size_t e = check_value(c, start);
    *ret_err = e == BAD ? (c->err ? c->err : -EINVAL) : 0;
    return e;
}

int wh_json_check_indexed(const char *buf, size_t len, unsigned max_depth, struct wh_json_index *idx)
{
    if (len >= UINT32_MAX)
        return -EINVAL;
    /* Sized to the text: a short one (the conversion annotation, checked
     * once per object) costs little to set up. */
    struct check *c = check_new(len / 4 + 1 < CHECK_KEYS_MAX ? len / 4 + 1 : CHECK_KEYS_MAX,
                                len + 2 < CHECK_DECODED_MAX ? len + 2 : CHECK_DECODED_MAX);
    if (!c)
        return -ENOMEM;
    int r;
    size_t e = check_run(c, buf, len, gw_json_skip_ws(buf, 0, len), max_depth, idx, &r);
    if (r == 0 && gw_json_skip_ws(buf, e, len) != len)
        r = -EINVAL;
    free(c);
    return r;
}

struct wh_json_checker *wh_json_checker_new(void)
{
    return (struct wh_json_checker *)check_new(CHECK_KEYS_MAX, CHECK_DECODED_MAX);
}

void wh_json_checker_free(struct wh_json_checker *c)
{
    free(c);
}

int wh_json_check_value(struct wh_json_checker *checker, const char *buf, size_t len, size_t start,
                        unsigned max_depth, struct wh_json_index *idx, size_t *ret_end)
{
    if (len >= UINT32_MAX || start >= len)
        return -EINVAL;
    int r;
    size_t e = check_run((struct check *)checker, buf, len, start, max_depth, idx, &r);
    if (r == 0)
        *ret_end = e;
    return r;
}

/* --- walking members ---------------------------------------------------------- */

int wh_json_iter_init(struct wh_json_iter *it, const char *buf, size_t start, size_t end,
                      const struct wh_json_index *idx)
{
    it->idx = idx;
    if (start >= end || (buf[start] != '{' && buf[start] != '['))
        return -EINVAL;
    it->buf = buf;
    it->object = buf[start] == '{';
    it->i = gw_json_skip_ws(buf, start + 1, end);
    it->end = end;
    it->hint = 0;
    it->key_escaped = false;
    return 0;
}

int wh_json_iter_next(struct wh_json_iter *it, size_t *ret_ks, size_t *ret_ke, size_t *ret_vs, size_t *ret_ve)
{
    const char *b = it->buf;
    size_t i = it->i, n = it->end;
    if (i >= n || b[i] == '}' || b[i] == ']')
        return 0;
    size_t ks = i, ke = i;
    if (it->object) {
        if (b[i] != '"')
            return -EINVAL;
        it->key_escaped = false;
        size_t e = gw_json_skip_string_esc(b, i, n, &it->key_escaped);
        if (e == BAD)
            return -EINVAL;
        ks = i + 1;
        ke = e - 1;
        i = gw_json_skip_ws(b, e, n);
        if (i >= n || b[i] != ':')
            return -EINVAL;
        i = gw_json_skip_ws(b, i + 1, n);
    }
    size_t ve = BAD;
    if (it->idx && i < n && (b[i] == '{' || b[i] == '['))
        ve = index_end(it->idx, i, &it->hint);
    if (ve == BAD)
        ve = skip_value(b, i, n);
    if (ve == BAD)
        return -EINVAL;
    *ret_ks = ks;
    *ret_ke = ke;
    *ret_vs = i;
    *ret_ve = ve;
    i = gw_json_skip_ws(b, ve, n);
    if (i < n && b[i] == ',')
        i = gw_json_skip_ws(b, i + 1, n);
    it->i = i;
    return 1;
}

/* --- building trees -------------------------------------------------------------- */

#define PRUNE_DEPTH 8
#define KEY_MAX 256

struct keyspan {
    const char *p;
    size_t n;
};

/* Whether the member path[0..n) is one to build as null. */
static bool pruned(const struct wh_json_builder *f, const struct keyspan *path, size_t n)
{
    for (size_t i = 0; i < f->n_prune; i++) {
        const struct wh_json_path *p = &f->prune[i];
        if (p->n != n)
            continue;
        size_t k = 0;
        while (k < n && strlen(p->keys[k]) == path[k].n && memcmp(p->keys[k], path[k].p, path[k].n) == 0)
            k++;
        if (k == n)
            return true;
    }
    return false;
}

static json_object *tokener_value(struct wh_json_builder *f, const char *p, size_t n, int *r)
{
    if (!f->tok && !(f->tok = json_tokener_new_ex(SCAN_MAX_DEPTH))) {
        *r = -ENOMEM;
        return NULL;
    }
    json_tokener_reset(f->tok);
    json_object *o = json_tokener_parse_ex(f->tok, p, (int)n);
    if (!o && json_tokener_get_error(f->tok) == json_tokener_continue)
        o = json_tokener_parse_ex(f->tok, " ", 1);
    if (json_tokener_get_error(f->tok) != json_tokener_success) {
        json_object_put(o);
        *r = -EINVAL;
        return NULL;
    }
    if (!o && !(n == 4 && memcmp(p, "null", 4) == 0))
        *r = -ENOMEM;
    return o;
}

/* The string p[0, n) (quotes included) decoded: wh_json_check has made
 * sure every escape is well formed, no \u0000, surrogates in pairs. */
static json_object *unescaped_string(const char *p, size_t n)
{
    char small[512], *out = n <= sizeof(small) ? small : malloc(n);
    if (!out)
        return NULL;
    size_t o = unescape_into(p, n, out);
    json_object *s = json_object_new_string_len(out, (int)o);
    if (out != small)
        free(out);
    return s;
}

static json_object *build_value(struct wh_json_builder *f, size_t s, size_t e, unsigned depth,
                                const struct keyspan *path, int *r);

/* The member or element at buf[vs, ve) (key buf[ks, ke) when obj) built and
 * added to o, unless the prune list drops it. */
static void build_member(struct wh_json_builder *f, json_object *o, bool obj, size_t ks, size_t ke, size_t vs,
                         size_t ve, unsigned depth, const struct keyspan *path, int *r)
{
    char key[KEY_MAX];
    if (obj && (ke - ks >= KEY_MAX || memchr(f->buf + ks, '\\', ke - ks))) {
        *r = -EINVAL;
        return;
    }
    struct keyspan here[PRUNE_DEPTH];
    json_object *v = NULL;
    if (depth < PRUNE_DEPTH && f->n_prune) {
        /* An array element's step matches no key. */
        if (depth)
            memcpy(here, path, depth * sizeof(*here));
        here[depth] = obj ? (struct keyspan){ f->buf + ks, ke - ks } : (struct keyspan){ NULL, SIZE_MAX };
        if (!obj || !pruned(f, here, depth + 1))
            v = build_value(f, vs, ve, depth + 1, here, r);
    } else {
        v = build_value(f, vs, ve, depth + 1, path, r);
    }
    if (*r != 0)
        return;
    if (obj) {
        memcpy(key, f->buf + ks, ke - ks);
        key[ke - ks] = '\0';
    }
    if ((obj ? json_object_object_add(o, key, v) : json_object_array_add(o, v)) != 0) {
        json_object_put(v);
        *r = -ENOMEM;
    }
}

/* The object or array at buf[s, e) built into a tree. */
static json_object *build_container(struct wh_json_builder *f, size_t s, size_t e, unsigned depth,
                                    const struct keyspan *path, int *r)
{
    struct wh_json_iter it;
    size_t ks, ke, vs, ve;
    int more = 0;
    bool obj = f->buf[s] == '{';
    if (wh_json_iter_init(&it, f->buf, s, e, f->idx) < 0) {
        *r = -EINVAL;
        return NULL;
    }
    json_object *o = obj ? json_object_new_object() : json_object_new_array();
    if (!o) {
        *r = -ENOMEM;
        return NULL;
    }
    while (*r == 0 && (more = wh_json_iter_next(&it, &ks, &ke, &vs, &ve)) == 1)
        build_member(f, o, obj, ks, ke, vs, ve, depth, path, r);
    if (*r == 0 && more < 0)
        *r = -EINVAL;
    if (*r != 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* buf[s, e) built into a tree: what
 * needs no decoding (containers, strings, integers, literals) directly,
 * the rest (fractions, exponents) by json-c's tokener, so every value is
 * what gw_json_parse would hold. */
static json_object *build_value(struct wh_json_builder *f, size_t s, size_t e, unsigned depth,
                                const struct keyspan *path, int *r)
{
    const char *p = f->buf + s;
    size_t n = e - s;
    json_object *o = NULL;
    if (p[0] == '"') {
        o = memchr(p + 1, '\\', n - 2) ? unescaped_string(p, n) : json_object_new_string_len(p + 1, (int)(n - 2));
    } else if (p[0] == '{' || p[0] == '[') {
        return build_container(f, s, e, depth, path, r);
    } else if (p[0] == 't' || p[0] == 'f') {
        o = json_object_new_boolean(p[0] == 't');
    } else if (p[0] == 'n') {
        return NULL;
    } else if (!memchr(p, '.', n) && !memchr(p, 'e', n) && !memchr(p, 'E', n)) {
        /* wh_json_check let through integers of at most 18 digits. */
        /* The text need not end after the number: read a copy. */
        char digits[32];
        if (n >= sizeof(digits)) {
            *r = -EINVAL;
            return NULL;
        }
        memcpy(digits, p, n);
        digits[n] = '\0';
        o = json_object_new_int64(strtoll(digits, NULL, 10));
    } else {
        return tokener_value(f, p, n, r);
    }
    if (!o)
        *r = -ENOMEM;
    return o;
}


int wh_json_build(struct wh_json_builder *f, size_t s, size_t e, json_object **ret)
{
    int r = 0;
    json_object *o = build_value(f, s, e, 0, NULL, &r);
    if (r != 0)
        return r;
    *ret = o;
    return 0;
}

void wh_json_builder_release(struct wh_json_builder *f)
{
    if (f && f->tok) {
        json_tokener_free(f->tok);
        f->tok = NULL;
    }
}

int wh_json_parse_checked(const char *buf, size_t len, unsigned max_depth, const struct wh_json_path *prune,
                          size_t n_prune, json_object **ret)
{
    struct wh_json_index idx = { 0 };
    int r = len ? wh_json_check_indexed(buf, len, max_depth, &idx) : -EINVAL;
    if (r < 0) {
        wh_json_index_free(&idx);
        return r == -ENOMEM ? r : 1;
    }
    size_t s = gw_json_skip_ws(buf, 0, len), e = len;
    while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r' || buf[e - 1] == '\n'))
        e--;
    struct wh_json_builder f = { .buf = buf, .idx = &idx, .prune = prune, .n_prune = n_prune };
    json_object *o = NULL;
    r = wh_json_build(&f, s, e, &o);
    wh_json_builder_release(&f);
    wh_json_index_free(&idx);
    if (r < 0)
        return r == -EINVAL ? 1 : r;
    *ret = o;
    return 0;
}
