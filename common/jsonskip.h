/* jsonskip: the byte loops that step over JSON blanks and strings, shared
 * by the scanners that find their way through JSON text without parsing it
 * (webhook/jsonscan.c, common/jsonsplit.c). Inline: they run once per token
 * on the hot paths. */
#ifndef GW_JSONSKIP_H
#define GW_JSONSKIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Where the first byte at or after b[i] that may end or escape a string
 * (a quote, a backslash; with `strict` also a control byte or one of a
 * multibyte character) lies in the 16-byte blocks that fit before n: i
 * itself when the block at i holds one, n rounded down when none does.
 * Strings in Kubernetes objects are mostly plain ASCII; this takes them 16
 * bytes a step, and the byte loops after it look at the byte it stops at. */
static inline size_t gw_json_plain_run(const char *b, size_t i, size_t n, bool strict)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs));
        /* signed: below 0x20 or at or above 0x80 */
        if (strict)
            hit = _mm_or_si128(hit, _mm_cmplt_epi8(x, ctl));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#else
    (void)b;
    (void)n;
    (void)strict;
#endif
    return i;
}

/* Past the blanks at b[i]. Blanks are rare between the tokens of a
 * machine-written body: every other byte is above ' ', which one
 * comparison rules out. */
static inline size_t gw_json_skip_ws(const char *b, size_t i, size_t n)
{
    while (i < n && (unsigned char)b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

/* b[i] == '"': the index after the closing quote, or SIZE_MAX when the
 * string does not end before n; *escaped (when not NULL) is set when the
 * string holds a backslash. */
static inline size_t gw_json_skip_string_esc(const char *b, size_t i, size_t n, bool *escaped)
{
    for (i++;; i += 2) {
        i = gw_json_plain_run(b, i, n, false);
        while (i < n && b[i] != '"' && b[i] != '\\')
            i++;
        if (i >= n)
            return SIZE_MAX;
        if (b[i] == '"')
            return i + 1;
        if (escaped)
            *escaped = true;
    }
}

static inline size_t gw_json_skip_string(const char *b, size_t i, size_t n)
{
    return gw_json_skip_string_esc(b, i, n, NULL);
}

#endif
