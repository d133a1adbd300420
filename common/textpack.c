/* textpack: text with its common substrings stood for by short codes. */
#include "textpack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TP_ONE_BYTE 28          /* words[0..27] take one byte: 0x01..0x1c */
#define TP_BACK 0x1d            /* 0x1d l d1 d2: a run seen before */
#define TP_TWO_BYTE 0x1e        /* 0x1e k: words[27 + k] */
#define TP_LITERAL 0x1f         /* 0x1f c: the byte c */

#define BACK_MIN 4              /* a run shorter than its code is not worth it */
#define BACK_MAX (BACK_MIN + 254)
#define BACK_DIST_MAX (255u * 255u)
#define CHAIN_STEPS 32          /* earlier runs looked at per position */
#define HASH_SIZE 4096

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

/* Earlier positions of the text by their first BACK_MIN bytes: head[hash]
 * is the latest position + 1 (0: none), prev[p] the one before p's. And
 * what packing with words alone would spend: cost[p] is the bytes it
 * writes for text[0, p) where one of its codes starts at p, INSIDE where p
 * is within a word. Runs start and end only where a code starts, so the
 * packing stays in step with the words and a run is taken only where it
 * beats the words it replaces. */
#define INSIDE UINT32_MAX

struct runs {
    uint32_t *head;             /* HASH_SIZE entries, then prev, then cost */
    uint32_t *prev;
    uint32_t *cost;             /* len + 1 entries */
};

static unsigned hash4(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return (v * 2654435761u) >> 20; /* 12 bits: HASH_SIZE */
}

static void runs_add(struct runs *r, const char *text, size_t len, size_t at)
{
    if (at + BACK_MIN > len)
        return;
    unsigned h = hash4(text + at);
    r->prev[at] = r->head[h];
    r->head[h] = (uint32_t)(at + 1);
}

/* The longest run at text[at] that also starts at most BACK_DIST_MAX bytes
 * earlier: its length (0: none of BACK_MIN bytes) and distance. */
static size_t longest_run(const struct runs *r, const char *text, size_t len, size_t at, size_t *ret_dist)
{
    size_t best = 0, max = len - at < BACK_MAX ? len - at : BACK_MAX;
    if (max < BACK_MIN)
        return 0;
    uint32_t c = r->head[hash4(text + at)];
    for (int steps = 0; c && steps < CHAIN_STEPS; steps++, c = r->prev[c - 1]) {
        size_t p = c - 1, m = 0;
        if (at - p > BACK_DIST_MAX)
            break;
        while (m < max && text[p + m] == text[at + m])
            m++;
        if (m > best) {
            best = m;
            *ret_dist = at - p;
        }
    }
    return best >= BACK_MIN ? best : 0;
}

/* The code for text[at] in words alone: writes it when out is not NULL;
 * returns how many bytes of text it stands for, and its size. */
static size_t word_code(const struct tp_dict *d, const struct buckets *b, const char *text, size_t len, size_t at,
                        unsigned char **out, size_t *ret_size)
{
    size_t wl = 0;
    long w = longest_word(d, b, text + at, len - at, &wl);
    unsigned char c = (unsigned char)text[at], code[2] = { c, 0 };
    size_t size = 1;
    if (w >= TP_ONE_BYTE) {
        code[0] = TP_TWO_BYTE;
        code[1] = (unsigned char)(w - TP_ONE_BYTE + 1);
        size = 2;
    } else if (w >= 0) {
        code[0] = (unsigned char)(w + 1);
    } else {
        wl = 1;
        if (c < 0x20) {
            code[0] = TP_LITERAL;
            code[1] = c;
            size = 2;
        }
    }
    if (out) {
        memcpy(*out, code, size);
        *out += size;
    }
    *ret_size = size;
    return wl;
}

/* Fills r->cost: packs text with words alone, counting. */
static void cost_fill(const struct tp_dict *d, const struct buckets *b, const char *text, size_t len,
                      struct runs *r)
{
    uint32_t spent = 0;
    size_t at = 0;
    while (at < len) {
        size_t size = 0, n = word_code(d, b, text, len, at, NULL, &size);
        r->cost[at] = spent;
        for (size_t k = 1; k < n; k++)
            r->cost[at + k] = INSIDE;
        spent += (uint32_t)size;
        at += n;
    }
    r->cost[len] = spent;
}

/* Writes the code for text[at]: a run seen before when it saves more than
 * the words it covers would, else a word or the byte itself. Returns how
 * many bytes of text it stands for. */
static size_t put_code(const struct tp_dict *d, const struct buckets *b, const struct runs *r, const char *text,
                       size_t len, size_t at, unsigned char **out)
{
    size_t dist = 0, rl = longest_run(r, text, len, at, &dist);
    while (rl >= BACK_MIN && r->cost[at + rl] == INSIDE)
        rl--;
    if (rl >= BACK_MIN && r->cost[at + rl] - r->cost[at] > 4) {
        unsigned char *o = *out;
        *o++ = TP_BACK;
        *o++ = (unsigned char)(rl - BACK_MIN + 1);
        *o++ = (unsigned char)((dist - 1) / 255 + 1);
        *o++ = (unsigned char)((dist - 1) % 255 + 1);
        *out = o;
        return rl;
    }
    size_t size = 0;
    return word_code(d, b, text, len, at, out, &size);
}

int tp_pack(const struct tp_dict *d, const char *text, size_t len, char **ret, size_t *ret_len)
{
    if (!dict_ok(d) || (len && !text) || memchr(text ? text : "", '\0', len))
        return -EINVAL;
    if (len > UINT32_MAX / 2 - 1 || len > (SIZE_MAX - 1) / 2 / sizeof(uint32_t) - HASH_SIZE)
        return -ENOMEM;
    /* A code is never more than twice what it stands for. */
    unsigned char *out = malloc(2 * len + 1), *at = out;
    struct runs r = { malloc((HASH_SIZE + 2 * len + 1) * sizeof(uint32_t)), NULL, NULL };
    if (!out || !r.head) {
        free(out);
        free(r.head);
        return -ENOMEM;
    }
    memset(r.head, 0, HASH_SIZE * sizeof(uint32_t)); /* prev and cost are written before they are read */
    r.prev = r.head + HASH_SIZE;
    r.cost = r.prev + len;
    struct buckets b;
    buckets_fill(&b, d);
    cost_fill(d, &b, text, len, &r);
    for (size_t i = 0; i < len;) {
        size_t n = put_code(d, &b, &r, text, len, i, &at);
        for (size_t k = 0; k < n; k++)
            runs_add(&r, text, len, i + k);
        i += n;
    }
    free(r.head);
    *at = '\0';
    size_t n = (size_t)(at - out);
    char *shrunk = realloc(out, n + 1);
    *ret = shrunk ? shrunk : (char *)out;
    *ret_len = n;
    return 0;
}

/* One code of packed text, read at p[*i] (advancing *i): a word, a byte,
 * or a run of run_len bytes run_dist back in the text. */
struct piece {
    const char *word;
    unsigned char one;
    size_t run_len, run_dist;
};

static int next_piece(const struct tp_dict *d, const unsigned char *p, size_t len, size_t *i, struct piece *pc)
{
    unsigned char c = p[(*i)++];
    *pc = (struct piece){ .one = c };
    if (c >= 0x20)
        return 0;
    size_t need = c == TP_BACK ? 3 : c == TP_TWO_BYTE || c == TP_LITERAL ? 1 : 0;
    if (c == 0 || len - *i < need || memchr(p + *i, 0, need))
        return -EINVAL;
    if (c == TP_LITERAL) {
        pc->one = p[(*i)++];
        return pc->one < 0x20 ? 0 : -EINVAL;
    }
    if (c == TP_BACK) {
        pc->run_len = (size_t)p[*i] - 1 + BACK_MIN;
        pc->run_dist = ((size_t)p[*i + 1] - 1) * 255 + p[*i + 2];
        *i += 3;
        return 0;
    }
    size_t w = c == TP_TWO_BYTE ? TP_ONE_BYTE + (size_t)p[(*i)++] - 1 : (size_t)c - 1;
    if (w >= d->n)
        return -EINVAL;
    pc->word = d->words[w];
    return 0;
}

/* Walks packed: its unpacked length into *ret_len, and the text into out
 * when out is not NULL (room checked by the caller's first walk). */
static int walk(const struct tp_dict *d, const unsigned char *p, size_t len, size_t cap, char *out, size_t *ret_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        struct piece pc;
        int r = next_piece(d, p, len, &i, &pc);
        if (r < 0)
            return r;
        if (pc.run_dist > n)
            return -EINVAL;
        size_t wl = pc.word ? strlen(pc.word) : pc.run_len ? pc.run_len : 1;
        if (wl > cap - n)
            return -E2BIG;
        if (out && pc.run_len) {
            for (size_t k = 0; k < wl; k++) /* may overlap what it writes: byte by byte */
                out[n + k] = out[n - pc.run_dist + k];
        } else if (out) {
            memcpy(out + n, pc.word ? pc.word : (const char *)&pc.one, wl);
        }
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
