#include "strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void sb_init(struct strbuf *sb, size_t cap)
{
    memset(sb, 0, sizeof(*sb));
    sb->cap = cap ? cap : SB_DEFAULT_CAP;
}

void sb_release(struct strbuf *sb)
{
    if (!sb)
        return;
    free(sb->buf);
    size_t cap = sb->cap;
    memset(sb, 0, sizeof(*sb));
    sb->cap = cap;
}

/* Room for extra more bytes: doubling (appends), or exactly (reserve). */
static int sb_room(struct strbuf *sb, size_t extra, bool exact)
{
    if (sb->err)
        return sb->err;
    if (extra > sb->cap || sb->len > sb->cap - extra)
        return sb->err = -E2BIG;
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (exact)
        n = need;
    char *p = realloc(sb->buf, n);
    if (!p)
        return sb->err = -ENOMEM;
    sb->buf = p;
    sb->alloc = n;
    return 0;
}

static int sb_grow(struct strbuf *sb, size_t extra)
{
    return sb_room(sb, extra, false);
}

int sb_reserve(struct strbuf *sb, size_t n)
{
    return sb_room(sb, n, true);
}

char *sb_extend_slow(struct strbuf *sb, size_t n)
{
    if (sb_grow(sb, n) < 0)
        return NULL;
    char *w = sb->buf + sb->len;
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return w;
}

int sb_adds(struct strbuf *sb, const char *s)
{
    return sb_add(sb, s, strlen(s));
}

int sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    if (sb->err)
        return sb->err;
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return sb->err = -EINVAL;
    int r = sb_grow(sb, (size_t)n);
    if (r < 0)
        return r;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int sb_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sb_vaddf(sb, fmt, ap);
    va_end(ap);
    return r;
}

int sb_add_quoted(struct strbuf *sb, const char *s)
{
    sb_addc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_adds(sb, "\\\""); break;
        case '\\': sb_adds(sb, "\\\\"); break;
        case '\n': sb_adds(sb, "\\n"); break;
        case '\r': sb_adds(sb, "\\r"); break;
        case '\t': sb_adds(sb, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                sb_addf(sb, "\\x%02x", *p);
            else
                sb_addc(sb, (char)*p);
        }
    }
    return sb_addc(sb, '"');
}

void sb_truncate(struct strbuf *sb, size_t len)
{
    if (len < sb->len) {
        sb->len = len;
        sb->buf[len] = '\0';
    }
}

char *sb_detach(struct strbuf *sb, size_t *ret_len)
{
    char *out = NULL;
    if (!sb->err) {
        out = sb->buf ? sb->buf : strdup("");
        if (out && ret_len)
            *ret_len = sb->len;
        sb->buf = NULL;
    }
    sb_release(sb);
    return out;
}

char *sb_vdupf(size_t cap, const char *fmt, va_list ap)
{
    struct strbuf sb;
    sb_init(&sb, cap);
    sb_vaddf(&sb, fmt, ap);
    return sb_detach(&sb, NULL);
}

char *sb_dupf(size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sb_vdupf(cap, fmt, ap);
    va_end(ap);
    return s;
}
