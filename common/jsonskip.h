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
    i++;
#if defined(__SSE2__)
    /* A block whose first quote has no backslash before it ends the
     * string at once: the common case, with no byte looked at twice. */
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, quote));
        unsigned e = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, bs));
        if (!(q | e)) {
            i += 16;
            continue;
        }
        if (q && !(e & ((q & -q) - 1)))
            return i + (size_t)__builtin_ctz(q) + 1;
        /* a backslash first: past it and the byte it escapes */
        i += (size_t)__builtin_ctz(e) + 2;
        if (escaped)
            *escaped = true;
    }
#endif
    for (;;) {
        while (i < n && b[i] != '"' && b[i] != '\\')
            i++;
        if (i >= n)
            return SIZE_MAX;
        if (b[i] == '"')
            return i + 1;
        if (escaped)
            *escaped = true;
        i += 2;
    }
}

static inline size_t gw_json_skip_string(const char *b, size_t i, size_t n)
{
    return gw_json_skip_string_esc(b, i, n, NULL);
}

#endif
