#include "yaml11.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool in(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* Skips characters of set; returns how many. */
static size_t span(const char **p, const char *set)
{
    size_t n = strspn(*p, set);
    *p += n;
    return n;
}

/* (:[0-5]?[0-9])+ */
static bool sexagesimal_tail(const char **pp)
{
    const char *p = *pp;
    size_t groups = 0;
    while (*p == ':') {
        p++;
        if (*p >= '0' && *p <= '5' && digit(p[1]))
            p += 2;
        else if (digit(*p))
            p++;
        else
            return false;
        groups++;
    }
    *pp = p;
    return groups > 0;
}

/* ([eE][-+][0-9]+)? then the end */
static bool exponent_end(const char *p)
{
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p != '-' && *p != '+')
            return false;
        p++;
        if (span(&p, "0123456789") == 0)
            return false;
    }
    return *p == '\0';
}

static bool is_float(const char *s)
{
    const char *p = s;
    if (*p == '.') {
        /* \.[0-9][0-9_]*(exp)? | \.(nan|NaN|NAN) | \.(inf|Inf|INF) */
        const char *const nans[] = { ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", NULL };
        if (in(s, nans))
            return true;
        p++;
        if (!digit(*p))
            return false;
        span(&p, "0123456789_");
        return exponent_end(p);
    }
    if (*p == '-' || *p == '+')
        p++;
    const char *const infs[] = { ".inf", ".Inf", ".INF", NULL };
    if (in(p, infs))
        return true;
    if (!digit(*p))
        return false;
    span(&p, "0123456789_");
    if (*p == '.') {
        /* [0-9][0-9_]*\.[0-9_]*(exp)? */
        p++;
        span(&p, "0123456789_");
        return exponent_end(p);
    }
    /* [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* */
    if (!sexagesimal_tail(&p) || *p != '.')
        return false;
    p++;
    span(&p, "0123456789_");
    return *p == '\0';
}

static bool is_int(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (p[0] == '0' && p[1] == 'b') {
        p += 2;
        return span(&p, "01_") > 0 && *p == '\0';
    }
    if (p[0] == '0' && p[1] == 'x') {
        p += 2;
        return span(&p, "0123456789abcdefABCDEF_") > 0 && *p == '\0';
    }
    if (p[0] == '0') {
        if (p[1] == '\0')
            return true;
        p++;
        return span(&p, "01234567_") > 0 && *p == '\0';
    }
    if (*p < '1' || *p > '9')
        return false;
    span(&p, "0123456789_");
    if (*p == '\0')
        return true;
    return sexagesimal_tail(&p) && *p == '\0';
}

/* [0-9]{4}-[0-9]{2}-[0-9]{2}, or the long form with a time:
 * [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
 * (\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))? */
static bool digits_n(const char **pp, size_t lo, size_t hi)
{
    size_t n = 0;
    while (digit(**pp) && n < hi) {
        (*pp)++;
        n++;
    }
    return n >= lo;
}

static bool is_timestamp(const char *s)
{
    const char *p = s;
    if (!digits_n(&p, 4, 4) || *p++ != '-')
        return false;
    const char *date = p;
    if (digits_n(&p, 2, 2) && *p == '-' && (p++, digits_n(&p, 2, 2)) && *p == '\0')
        return true;
    p = date;
    if (!digits_n(&p, 1, 2) || *p++ != '-' || !digits_n(&p, 1, 2))
        return false;
    if (*p == 'T' || *p == 't')
        p++;
    else if (span(&p, " \t") == 0)
        return false;
    if (!digits_n(&p, 1, 2) || *p++ != ':' || !digits_n(&p, 2, 2) || *p++ != ':' || !digits_n(&p, 2, 2))
        return false;
    if (*p == '.') {
        p++;
        span(&p, "0123456789");
    }
    span(&p, " \t");
    if (*p == 'Z') {
        p++;
    } else if (*p == '-' || *p == '+') {
        p++;
        if (!digits_n(&p, 1, 2))
            return false;
        if (*p == ':') {
            p++;
            if (!digits_n(&p, 2, 2))
                return false;
        }
    }
    return *p == '\0';
}

enum gw_yaml11_type gw_yaml11_resolve(const char *s)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const bools[] = { "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                                         "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
                                         NULL };
    if (in(s, nulls))
        return GW_Y11_NULL;
    if (in(s, bools))
        return GW_Y11_BOOL;
    if (strcmp(s, "<<") == 0)
        return GW_Y11_MERGE;
    if (strcmp(s, "=") == 0)
        return GW_Y11_VALUE;
    if (!strchr("-+.0123456789", s[0]))
        return GW_Y11_STR;
    if (is_float(s))
        return GW_Y11_FLOAT;
    if (is_int(s))
        return GW_Y11_INT;
    if (is_timestamp(s))
        return GW_Y11_TIMESTAMP;
    return GW_Y11_STR;
}

int gw_yaml11_bool(const char *s)
{
    static const char *const trues[] = { "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL };
    return in(s, trues);
}

/* s without '_' into buf (cap bytes); false when it does not fit. */
static bool strip_underscores(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '_')
            continue;
        if (n + 1 >= cap)
            return false;
        buf[n++] = *s;
    }
    buf[n] = '\0';
    return true;
}

/* Sum of the ':'-separated parts, each times 60 to its place. */
static double sexagesimal(const char *v)
{
    double total = 0;
    const char *p = v;
    for (;;) {
        char *end = NULL;
        double part = strtod(p, &end);
        total = total * 60 + part;
        if (*end != ':')
            break;
        p = end + 1;
    }
    return total;
}

int gw_yaml11_int(const char *s, int64_t *ret)
{
    char buf[128];
    if (!strip_underscores(s, buf, sizeof(buf)))
        return -ERANGE;
    const char *v = buf;
    bool neg = *v == '-';
    if (*v == '-' || *v == '+')
        v++;
    unsigned long long u = 0;
    errno = 0;
    /* "0b_" and "0x_" match PyYAML's patterns, but int() then fails. */
    if ((v[0] == '0' && (v[1] == 'b' || v[1] == 'x') && !v[2]))
        return -EINVAL;
    if (strchr(v, ':')) {
        double d = sexagesimal(v);
        if (!(d < 9.2e18))
            return -ERANGE;
        u = (unsigned long long)d;
    } else if (v[0] == '0' && v[1] == 'b') {
        u = strtoull(v + 2, NULL, 2);
    } else if (v[0] == '0' && v[1] == 'x') {
        u = strtoull(v + 2, NULL, 16);
    } else if (v[0] == '0' && v[1]) {
        u = strtoull(v + 1, NULL, 8);
    } else {
        u = strtoull(v, NULL, 10);
    }
    if (errno == ERANGE || u > (unsigned long long)INT64_MAX + (neg ? 1u : 0u))
        return -ERANGE;
    *ret = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

double gw_yaml11_float(const char *s)
{
    char buf[512];
    if (!strip_underscores(s, buf, sizeof(buf)))
        return strtod(s, NULL);
    char *v = buf;
    for (char *c = v; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    double sign = 1;
    if (*v == '-' || *v == '+') {
        sign = *v == '-' ? -1 : 1;
        v++;
    }
    if (strcmp(v, ".inf") == 0)
        return sign * INFINITY;
    if (strcmp(v, ".nan") == 0)
        return NAN;
    if (strchr(v, ':'))
        return sign * sexagesimal(v);
    return sign * strtod(v, NULL);
}
