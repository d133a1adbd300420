/* textpack: text with its common substrings stood for by short codes. */
#include "textpack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TP_ONE_BYTE 29          /* words[0..28] take one byte: 0x01..0x1d */
#define TP_TWO_BYTE 0x1e        /* 0x1e k: words[28 + k] */
#define TP_LITERAL 0x1f         /* 0x1f c: the byte c */

static bool dict_ok(const struct tp_dict *d)
{
    if (!d || d->n > TP_MAX_WORDS || (d->n && !d->words))
        return false;
    for (size_t i = 0; i < d->n; i++)
        if (!d->words[i] || strlen(d->words[i]) < 2)
            return false;
    return true;
}

/* The words by their first two bytes: head[bucket] is the first word's
 * index + 1 (0: none), next[i] the next word's in the same bucket. Built
 * per call, so packing a text costs a few comparisons per byte. */
struct buckets {
    unsigned short head[256];
    unsigned short next[TP_MAX_WORDS];
};

static unsigned bucket_of(const char *s)
{
    return ((unsigned char)s[0] * 31u + (unsigned char)s[1]) & 255u;
}

static void buckets_fill(struct buckets *b, const struct tp_dict *d)
{
    memset(b->head, 0, sizeof(b->head));
    for (size_t i = d->n; i-- > 0;) {
        unsigned k = bucket_of(d->words[i]);
        b->next[i] = b->head[k];
        b->head[k] = (unsigned short)(i + 1);
    }
}

/* The longest word that text[0, left) starts with: its index, or -1. A
 * two-byte code is only worth it for a word of three bytes or more. */
static long longest_word(const struct tp_dict *d, const struct buckets *b, const char *text, size_t left,
                         size_t *ret_len)
{
    long best = -1;
    size_t best_len = 0;
    for (unsigned i1 = left >= 2 ? b->head[bucket_of(text)] : 0; i1; i1 = b->next[i1 - 1]) {
        size_t i = i1 - 1;
        const char *w = d->words[i];
        size_t wl = strlen(w);
        if (wl > left || wl <= best_len || (i >= TP_ONE_BYTE && wl < 3) || memcmp(w, text, wl) != 0)
            continue;
        best = (long)i;
        best_len = wl;
    }
    *ret_len = best_len;
    return best;
}

int tp_pack(const struct tp_dict *d, const char *text, size_t len, char **ret, size_t *ret_len)
{
    if (!dict_ok(d) || (len && !text) || memchr(text ? text : "", '\0', len))
        return -EINVAL;
    if (len > (((size_t)-1) - 1) / 2)
        return -ENOMEM;
    unsigned char *out = malloc(2 * len + 1), *at = out; /* a code is never longer than what it stands for */
    if (!out)
        return -ENOMEM;
    struct buckets b;
    buckets_fill(&b, d);
    for (size_t i = 0; i < len;) {
        size_t wl = 0;
        long w = longest_word(d, &b, text + i, len - i, &wl);
        unsigned char c = (unsigned char)text[i];
        if (w >= TP_ONE_BYTE) {
            *at++ = TP_TWO_BYTE;
            *at++ = (unsigned char)(w - TP_ONE_BYTE + 1);
        } else if (w >= 0) {
            *at++ = (unsigned char)(w + 1);
        } else {
            if (c < 0x20)
                *at++ = TP_LITERAL;
            *at++ = c;
            wl = 1;
        }
        i += wl;
    }
    *at = '\0';
    size_t n = (size_t)(at - out);
    char *shrunk = realloc(out, n + 1);
    *ret = shrunk ? shrunk : (char *)out;
    *ret_len = n;
    return 0;
}

/* What the code at packed[*i] stands for: the word or literal byte
 * (*ret_one), advancing *i. -EINVAL when malformed. */
static int next_piece(const struct tp_dict *d, const unsigned char *p, size_t len, size_t *i, const char **ret_word,
                      unsigned char *ret_one)
{
    unsigned char c = p[(*i)++];
    *ret_word = NULL;
    *ret_one = c;
    if (c >= 0x20)
        return 0;
    if (c == 0 || ((c == TP_TWO_BYTE || c == TP_LITERAL) && (*i >= len || p[*i] == 0)))
        return -EINVAL;
    if (c == TP_LITERAL) {
        *ret_one = p[(*i)++];
        return *ret_one < 0x20 ? 0 : -EINVAL;
    }
    size_t w = c == TP_TWO_BYTE ? TP_ONE_BYTE + (size_t)p[(*i)++] - 1 : (size_t)c - 1;
    if (w >= d->n)
        return -EINVAL;
    *ret_word = d->words[w];
    return 0;
}

/* Walks packed: its unpacked length into *ret_len, and the text into out
 * when out is not NULL (room checked by the caller's first walk). */
static int walk(const struct tp_dict *d, const unsigned char *p, size_t len, size_t cap, char *out, size_t *ret_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const char *w = NULL;
        unsigned char one = 0;
        int r = next_piece(d, p, len, &i, &w, &one);
        if (r < 0)
            return r;
        size_t wl = w ? strlen(w) : 1;
        if (wl > cap - n)
            return -E2BIG;
        if (out)
            memcpy(out + n, w ? w : (const char *)&one, wl);
        n += wl;
    }
    *ret_len = n;
    return 0;
}

int tp_unpack(const struct tp_dict *d, const char *packed, size_t len, size_t cap, char **ret, size_t *ret_len)
{
    if (!dict_ok(d) || (len && !packed))
        return -EINVAL;
    const unsigned char *p = (const unsigned char *)packed;
    size_t n = 0;
    int r = walk(d, p, len, cap, NULL, &n);
    if (r < 0)
        return r;
    char *out = malloc(n + 1);
    if (!out)
        return -ENOMEM;
    walk(d, p, len, n, out, &n); /* the first walk vouched for it */
    out[n] = '\0';
    *ret = out;
    *ret_len = n;
    return 0;
}
