#include "textutil.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int gw_cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t gw_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    size_t prev[257], cur[257];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
            if (cur[j] < row_min)
                row_min = cur[j];
        }
        if (row_min > cap)
            return cap + 1;
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *gw_nearest(const char *word, const char *const *candidates)
{
    size_t cap = strlen(word) / 3;
    if (cap < 2)
        cap = 2;
    const char *best = NULL;
    size_t best_d = cap + 1;
    for (; *candidates; candidates++) {
        size_t d = gw_edit_distance(word, *candidates, cap);
        if (d < best_d) {
            best_d = d;
            best = *candidates;
        }
    }
    return best;
}

const char *gw_glob_check(const char *p)
{
    if (!*p)
        return "must not be empty";
    for (; *p; p++) {
        if (*p == '\\') {
            if (!p[1])
                return "trailing backslash escapes nothing";
            p++;
        } else if (*p == '[') {
            const char *q = p + 1;
            if (*q == '!' || *q == '^')
                q++;
            if (*q == ']')
                q++;
            while (*q && *q != ']')
                q++;
            if (!*q)
                return "unterminated character class '['";
            if (q == p + 1 || (q == p + 2 && (p[1] == '!' || p[1] == '^')))
                return "empty character class";
            p = q;
        } else if (*p == ']') {
            return "unmatched ']'";
        } else if ((unsigned char)*p < 0x20) {
            return "control characters are not allowed";
        }
    }
    return NULL;
}

bool gw_glob_is_literal(const char *p)
{
    return strpbrk(p, "*?[\\") == NULL;
}

static bool class_match(const char **pp, char c)
{
    const char *p = *pp + 1;
    bool neg = false, hit = false;
    if (*p == '!' || *p == '^') {
        neg = true;
        p++;
    }
    bool first = true;
    while (*p && (first || *p != ']')) {
        first = false;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if (c >= p[0] && c <= p[2])
                hit = true;
            p += 3;
        } else {
            if (c == *p)
                hit = true;
            p++;
        }
    }
    *pp = *p ? p + 1 : p;
    return hit != neg;
}

bool gw_glob_match(const char *p, const char *s)
{
    /* Iterative matcher with single-star backtracking: linear in practice and
     * never recursive, so hostile patterns cannot blow the stack. */
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return true;
            star_p = p;
            star_s = s;
            continue;
        }
        const char *next = p;
        bool ok;
        if (*p == '?') {
            ok = true;
            next = p + 1;
        } else if (*p == '[') {
            ok = class_match(&next, *s);
        } else if (*p == '\\' && p[1]) {
            ok = p[1] == *s;
            next = p + 2;
        } else {
            ok = *p && *p == *s;
            next = p + 1;
        }
        if (ok) {
            p = next;
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

void gw_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

const char *gw_url_check(const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return "must not contain whitespace or control characters";
    const char *rest;
    if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return "scheme must be http or https";
    size_t auth_len = strcspn(rest, "/?#");
    const char *at = memchr(rest, '@', auth_len);
    if (at)
        return "must not contain user info (user:password@): credentials would be written to the "
               "ConfigMap in clear text";
    if (auth_len == 0)
        return "must include a host";
    const char *host_end = rest + auth_len;
    const char *colon = NULL;
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', auth_len);
        if (!close)
            return "IPv6 host is missing ']'";
        if (close == rest + 1)
            return "must include a host";
        colon = close + 1 < host_end && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != host_end)
            return "unexpected characters after the IPv6 host";
    } else {
        colon = memchr(rest, ':', auth_len);
        if (colon == rest)
            return "must include a host";
    }
    if (colon) {
        const char *p = colon + 1;
        if (p == host_end)
            return "port must not be empty";
        unsigned long port = 0;
        for (; p < host_end; p++) {
            if (*p < '0' || *p > '9')
                return "port must be a number";
            port = port * 10 + (unsigned long)(*p - '0');
            if (port > 65535)
                return "port must be between 1 and 65535";
        }
        if (port == 0)
            return "port must be between 1 and 65535";
    }
    return NULL;
}

/* Length of the UTF-8 sequence at p (no overlong forms, no surrogates,
 * nothing past U+10FFFF), or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return n;
}

char *gw_utf8_scrub(const char *s, size_t len, size_t *ret_len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        bad += k == 0;
        i += k ? k : 1;
    }
    char *out = malloc(len + 2 * bad + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(u + i, len - i);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    if (ret_len)
        *ret_len = o;
    return out;
}

uint64_t gw_fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}
