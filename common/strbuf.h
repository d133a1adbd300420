/* strbuf: a growable, always NUL-terminated byte buffer with a hard cap.
 *
 * Every append checks the cap first; once an append fails the buffer is
 * marked failed and later appends are no-ops, so callers may append a run of
 * pieces and check once at the end with sb_failed(). The buffer owns its
 * memory until sb_detach() hands it to the caller. */
#ifndef GW_STRBUF_H
#define GW_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
    char *buf;     /* NUL-terminated when len > 0 or after sb_init */
    size_t len;
    size_t alloc;
    size_t cap;    /* maximum len; appends past it fail with -E2BIG */
    int err;       /* first error seen (negative errno), 0 if none */
};

#define SB_DEFAULT_CAP ((size_t)64 << 20)

void sb_init(struct strbuf *sb, size_t cap);
void sb_release(struct strbuf *sb);
/* Makes room for n more bytes in one allocation (no doubling): for a
 * caller that knows the length it will write. */
int sb_reserve(struct strbuf *sb, size_t n);
char *sb_extend_slow(struct strbuf *sb, size_t n);
/* Room for n more bytes, written by the caller at the pointer returned
 * (len already counts them, and the NUL after them is written), or NULL
 * when they do not fit: the buffer has then failed as sb_add fails. */
static inline char *sb_extend(struct strbuf *sb, size_t n)
{
    if (sb->err || sb->alloc - sb->len <= n || n > sb->cap - sb->len)
        return sb_extend_slow(sb, n);
    char *w = sb->buf + sb->len;
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return w;
}
/* Appends n bytes; inline while they fit in the allocation, which is the
 * common case of the many short appends of a serializer. */
static inline int sb_add(struct strbuf *sb, const void *data, size_t n)
{
    char *w = sb_extend(sb, n);
    if (!w)
        return sb->err;
    if (n)
        memcpy(w, data, n);
    return 0;
}
static inline int sb_addc(struct strbuf *sb, char c)
{
    return sb_add(sb, &c, 1);
}
int sb_adds(struct strbuf *sb, const char *s);
int sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a double-quoted string with Go %q-like escapes, the way the
 * API server quotes values in field errors. */
int sb_add_quoted(struct strbuf *sb, const char *s);
static inline bool sb_failed(const struct strbuf *sb) { return sb->err != 0; }
static inline const char *sb_str(const struct strbuf *sb) { return sb->buf ? sb->buf : ""; }
/* Drops what follows the first len bytes (no-op when len >= sb->len);
 * a failed buffer stays failed. */
void sb_truncate(struct strbuf *sb, size_t len);
/* Returns the buffer (caller frees) or NULL when the buffer failed; the
 * strbuf is reset either way. An empty buffer yields an empty string. */
char *sb_detach(struct strbuf *sb, size_t *ret_len);

/* A new string formatted from fmt, at most cap bytes (caller frees), or
 * NULL when it does not fit or memory runs out. */
char *sb_vdupf(size_t cap, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
char *sb_dupf(size_t cap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
