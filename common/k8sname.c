#include "k8sname.h"

#include <ctype.h>
#include <string.h>

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool alnum(char c) { return isascii((unsigned char)c) && isalnum((unsigned char)c); }

static bool dns_label_ok(const char *s, size_t n, bool first_alpha)
{
    if (n == 0 || n > 63)
        return false;
    if (first_alpha ? !(s[0] >= 'a' && s[0] <= 'z') : !lower_alnum(s[0]))
        return false;
    if (!lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

const char *k8s_check_dns1123_label(const char *s)
{
    size_t n = strlen(s);
    if (n > 63)
        return "must be no more than 63 characters";
    if (!dns_label_ok(s, n, false))
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
               "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
               "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    return NULL;
}

const char *k8s_check_dns1035_label(const char *s)
{
    size_t n = strlen(s);
    if (n > 63)
        return "must be no more than 63 characters";
    if (!dns_label_ok(s, n, true))
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
               "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
               "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    return NULL;
}

static const char SUBDOMAIN_MSG[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const char *k8s_check_dns1123_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n > 253)
        return "must be no more than 253 characters";
    if (n == 0)
        return SUBDOMAIN_MSG;
    const char *p = s;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || !lower_alnum(p[0]) || !lower_alnum(p[len - 1]))
            return SUBDOMAIN_MSG;
        for (size_t i = 0; i < len; i++)
            if (!lower_alnum(p[i]) && p[i] != '-')
                return SUBDOMAIN_MSG;
        if (!dot)
            break;
        p = dot + 1;
        if (!*p)
            return SUBDOMAIN_MSG;
    }
    return NULL;
}

static bool name_part_ok(const char *s, size_t n)
{
    if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

const char *k8s_check_qualified_name(const char *s)
{
    const char *slash = strchr(s, '/');
    const char *name = s;
    if (slash) {
        if (strchr(slash + 1, '/'))
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
                   "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                   "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
                   "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        size_t plen = (size_t)(slash - s);
        if (plen == 0)
            return "prefix part must be non-empty";
        char prefix[256];
        if (plen > 253)
            return "prefix part must be no more than 253 characters";
        memcpy(prefix, s, plen);
        prefix[plen] = '\0';
        if (k8s_check_dns1123_subdomain(prefix))
            return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                   "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                   "'example.com', regex used for validation is "
                   "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        name = slash + 1;
    }
    size_t n = strlen(name);
    if (n == 0)
        return "name part must be non-empty";
    if (n > 63)
        return "name part must be no more than 63 characters";
    if (!name_part_ok(name, n))
        return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
               "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
               "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    return NULL;
}

const char *k8s_check_label_value(const char *s)
{
    size_t n = strlen(s);
    if (n > 63)
        return "must be no more than 63 characters";
    if (n && !name_part_ok(s, n))
        return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
               "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
               "'my_value',  or '12345', regex used for validation is "
               "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    return NULL;
}

const char *k8s_check_env_name(const char *s)
{
    if (!*s)
        return "environment variable name must not be empty";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '=')
            return "a valid environment variable name must consist only of printable ASCII characters "
                   "other than '='";
    return NULL;
}

bool k8s_is_c_identifier(const char *s)
{
    if (!(*s == '_' || (isascii((unsigned char)*s) && isalpha((unsigned char)*s))))
        return false;
    for (s++; *s; s++)
        if (!(*s == '_' || alnum(*s)))
            return false;
    return true;
}
