#include "errlist.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textutil.h"

void errlist_init(struct gw_errlist *l)
{
    memset(l, 0, sizeof(*l));
}

void errlist_free(struct gw_errlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].field);
        free(l->items[i].message);
        free(l->items[i].body);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static const char *errtype_words(enum gw_errtype t)
{
    switch (t) {
    case GW_E_REQUIRED: return "Required value";
    case GW_E_INVALID: return "Invalid value";
    case GW_E_DUPLICATE: return "Duplicate value";
    case GW_E_NOT_SUPPORTED: return "Unsupported value";
    case GW_E_FORBIDDEN: return "Forbidden";
    case GW_E_TOO_LONG: return "Too long";
    case GW_E_TOO_MANY: return "Too many";
    case GW_E_TYPE: return "Invalid value";
    case GW_E_NOT_FOUND: return "Not found";
    case GW_E_INTERNAL: return "Internal error";
    case GW_E_NOTE: return "";
    }
    return "Invalid value";
}

const char *errtype_reason(enum gw_errtype t)
{
    switch (t) {
    case GW_E_REQUIRED: return "FieldValueRequired";
    case GW_E_INVALID: return "FieldValueInvalid";
    case GW_E_DUPLICATE: return "FieldValueDuplicate";
    case GW_E_NOT_SUPPORTED: return "FieldValueNotSupported";
    case GW_E_FORBIDDEN: return "FieldValueForbidden";
    case GW_E_TOO_LONG: return "FieldValueTooLong";
    case GW_E_TOO_MANY: return "FieldValueTooMany";
    case GW_E_TYPE: return "FieldValueTypeInvalid";
    case GW_E_NOT_FOUND: return "FieldValueNotFound";
    case GW_E_INTERNAL: return "InternalError";
    case GW_E_NOTE: return "FieldValueInvalid";
    }
    return "FieldValueInvalid";
}

static int errlist_push(struct gw_errlist *l, struct gw_issue *it)
{
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 8;
        struct gw_issue *p = realloc(l->items, na * sizeof(*p));
        if (!p)
            return -ENOMEM;
        l->items = p;
        l->alloc = na;
    }
    l->items[l->n++] = *it;
    return 0;
}

/* Appends it, whose strings the list then owns; when a string is missing
 * (out of memory) or the list cannot grow, frees them: -ENOMEM. */
static int errlist_push_owned(struct gw_errlist *l, struct gw_issue *it)
{
    if (!it->field || !it->body || !it->message || errlist_push(l, it) < 0) {
        free(it->field);
        free(it->body);
        free(it->message);
        return -ENOMEM;
    }
    return 0;
}

int errlist_add(struct gw_errlist *l, enum gw_errtype t, const char *field,
                const char *value, const char *detail)
{
    if (l->n >= GW_ERRLIST_MAX) {
        l->dropped++;
        return 0;
    }
    struct strbuf body, msg;
    sb_init(&body, 64 << 10);
    sb_init(&msg, 64 << 10);
    sb_adds(&body, errtype_words(t));
    if (value) {
        sb_adds(&body, ": ");
        sb_adds(&body, value);
    }
    if (detail && *detail) {
        if (body.len)
            sb_adds(&body, ": ");
        sb_adds(&body, detail);
    }
    if (field && *field) {
        sb_adds(&msg, field);
        sb_adds(&msg, ": ");
    }
    sb_adds(&msg, sb_str(&body));
    struct gw_issue it = { .type = t };
    /* Fields and values are quoted cut to a length: keep the text UTF-8. */
    it.field = gw_utf8_scrub(field ? field : "", field ? strlen(field) : 0, NULL);
    it.body = sb_failed(&body) ? NULL : gw_utf8_scrub(sb_str(&body), body.len, NULL);
    it.message = sb_failed(&msg) ? NULL : gw_utf8_scrub(sb_str(&msg), msg.len, NULL);
    sb_release(&body);
    sb_release(&msg);
    return errlist_push_owned(l, &it);
}

int errlist_add_copy(struct gw_errlist *l, const struct gw_issue *src)
{
    if (l->n >= GW_ERRLIST_MAX) {
        l->dropped++;
        return 0;
    }
    struct gw_issue it = { .type = src->type };
    it.field = strdup(src->field ? src->field : "");
    it.body = strdup(src->body ? src->body : "");
    it.message = strdup(src->message ? src->message : "");
    return errlist_push_owned(l, &it);
}

int errlist_vaddf(struct gw_errlist *l, enum gw_errtype t, const char *field, const char *value,
                  const char *fmt, va_list ap)
{
    char *d = sb_vdupf(64 << 10, fmt, ap);
    if (!d)
        return -ENOMEM;
    int r = errlist_add(l, t, field, value, d);
    free(d);
    return r;
}

int errlist_addf(struct gw_errlist *l, enum gw_errtype t, const char *field,
                 const char *value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = errlist_vaddf(l, t, field, value, fmt, ap);
    va_end(ap);
    return r;
}

/* Long values are cut so one hostile string cannot make every message huge. */
#define ERR_VALUE_SHOW 256

int err_invalid_str(struct gw_errlist *l, const char *field, const char *value,
                    const char *detail)
{
    struct strbuf v;
    sb_init(&v, 4096);
    size_t n = strlen(value);
    if (n > ERR_VALUE_SHOW) {
        char *cut = strndup(value, ERR_VALUE_SHOW);
        if (!cut)
            return -ENOMEM;
        sb_add_quoted(&v, cut);
        sb_addf(&v, "...(%zu bytes)", n);
        free(cut);
    } else {
        sb_add_quoted(&v, value);
    }
    int r = errlist_add(l, GW_E_INVALID, field, sb_str(&v), detail);
    sb_release(&v);
    return r;
}

int err_invalid_int(struct gw_errlist *l, const char *field, int64_t value,
                    const char *detail)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, value);
    return errlist_add(l, GW_E_INVALID, field, v, detail);
}

int err_required(struct gw_errlist *l, const char *field, const char *detail)
{
    return errlist_add(l, GW_E_REQUIRED, field, NULL, detail);
}

int err_forbidden(struct gw_errlist *l, const char *field, const char *detail)
{
    return errlist_add(l, GW_E_FORBIDDEN, field, NULL, detail);
}

int err_duplicate(struct gw_errlist *l, const char *field, const char *value)
{
    struct strbuf v;
    sb_init(&v, 4096);
    sb_add_quoted(&v, value);
    int r = errlist_add(l, GW_E_DUPLICATE, field, sb_str(&v), NULL);
    sb_release(&v);
    return r;
}

int err_not_supported(struct gw_errlist *l, const char *field, const char *value,
                      const char *const *supported)
{
    struct strbuf v, d;
    sb_init(&v, 4096);
    sb_init(&d, 4096);
    sb_add_quoted(&v, value);
    sb_adds(&d, "supported values: ");
    for (size_t i = 0; supported[i]; i++) {
        if (i)
            sb_adds(&d, ", ");
        sb_add_quoted(&d, supported[i]);
    }
    int r = errlist_add(l, GW_E_NOT_SUPPORTED, field, sb_str(&v), sb_str(&d));
    sb_release(&v);
    sb_release(&d);
    return r;
}

int err_type(struct gw_errlist *l, const char *field, const char *got,
             const char *want)
{
    struct strbuf v, d;
    sb_init(&v, 256);
    sb_init(&d, 256);
    sb_add_quoted(&v, got);
    sb_addf(&d, "must be of type %s", want);
    int r = errlist_add(l, GW_E_TYPE, field, sb_str(&v), sb_str(&d));
    sb_release(&v);
    sb_release(&d);
    return r;
}

int errlist_concat(struct gw_errlist *dst, struct gw_errlist *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (dst->n >= GW_ERRLIST_MAX) {
            dst->dropped++;
            free(src->items[i].field);
            free(src->items[i].body);
            free(src->items[i].message);
            continue;
        }
        if (errlist_push(dst, &src->items[i]) < 0)
            return -ENOMEM;
    }
    dst->dropped += src->dropped;
    free(src->items);
    memset(src, 0, sizeof(*src));
    return 0;
}

int errlist_contains(const struct gw_errlist *l, const char *msg)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].message, msg) == 0)
            return 1;
    return 0;
}

static int issue_cmp(const void *a, const void *b)
{
    const struct gw_issue *x = a, *y = b;
    int c = strcmp(x->field, y->field);
    return c ? c : strcmp(x->message, y->message);
}

void errlist_sort(struct gw_errlist *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), issue_cmp);
}

/* Room kept for the "; and N more" tail. */
#define JOIN_TAIL 32

int errlist_join(const struct gw_errlist *l, size_t max, char **ret)
{
    if (max < 64)
        max = 64;
    struct strbuf sb;
    sb_init(&sb, max + 1);
    size_t i = 0;
    for (; i < l->n; i++) {
        const char *m = l->items[i].message;
        size_t sep = i ? 2 : 0, len = strlen(m);
        bool last = i + 1 == l->n && l->dropped == 0;
        size_t reserve = last ? 0 : JOIN_TAIL;
        if (sb.len + reserve + sep + 4 > max)
            break;
        size_t room = max - sb.len - reserve - sep;
        if (len <= room) {
            sb_adds(&sb, sep ? "; " : "");
            sb_add(&sb, m, len);
            continue;
        }
        if (i > 0)
            break;
        /* A first message longer than the line is cut rather than dropped,
         * on a UTF-8 character boundary. */
        size_t cut = room - 3;
        while (cut > 0 && ((unsigned char)m[cut] & 0xc0) == 0x80)
            cut--;
        sb_add(&sb, m, cut);
        sb_adds(&sb, "...");
        i++;
        break;
    }
    size_t more = l->n - i + l->dropped;
    if (more)
        sb_addf(&sb, "%sand %zu more", sb.len ? "; " : "", more);
    if (sb_failed(&sb)) {
        int r = sb.err;
        sb_release(&sb);
        return r == -E2BIG ? -ENOMEM : r;
    }
    *ret = sb_detach(&sb, NULL);
    return *ret ? 0 : -ENOMEM;
}
