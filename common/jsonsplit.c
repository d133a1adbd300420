/* jsonsplit: the elements of one array member of a JSON object text. */
#include "jsonsplit.h"
#include "jsonskip.h"

#include <errno.h>
#include <string.h>

static size_t skip_ws(const char *b, size_t end, size_t i)
{
    return gw_json_skip_ws(b, i, end);
}

/* The index just past the string whose opening quote is at b[i], or 0 when
 * it does not end before end. */
static size_t skip_string(const char *b, size_t end, size_t i)
{
    size_t e = gw_json_skip_string(b, i, end);
    return e == SIZE_MAX ? 0 : e;
}

/* The index just past the value starting at b[i], or 0 when it is broken.
 * Objects and arrays are followed by depth (which bracket closes which is
 * left to the strict parse of the piece). */
static size_t skip_value(const char *b, size_t end, size_t i)
{
    if (i >= end)
        return 0;
    if (b[i] == '"')
        return skip_string(b, end, i);
    if (b[i] != '{' && b[i] != '[') {
        size_t s = i;
        while (i < end && !strchr(",}] \t\r\n", b[i]))
            i++;
        return i > s ? i : 0;
    }
    size_t depth = 0;
    while (i < end) {
        char ch = b[i];
        if (ch == '"') {
            i = skip_string(b, end, i);
            if (!i)
                return 0;
            continue;
        }
        if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return 0;
}

int gw_json_find_array(const char *buf, size_t len, const char *key, size_t *ret_start, size_t *ret_end)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(buf, len, 0);
    if (i >= len || buf[i] != '{')
        return -EINVAL;
    i = skip_ws(buf, len, i + 1);
    while (i < len && buf[i] != '}') {
        if (buf[i] != '"')
            return -EINVAL;
        size_t k = i + 1, kend = skip_string(buf, len, i);
        if (!kend)
            return -EINVAL;
        bool match = kend - 1 - k == klen && memcmp(buf + k, key, klen) == 0;
        i = skip_ws(buf, len, kend);
        if (i >= len || buf[i] != ':')
            return -EINVAL;
        i = skip_ws(buf, len, i + 1);
        size_t vend = skip_value(buf, len, i);
        if (!vend)
            return -EINVAL;
        if (match && buf[i] == '[') {
            *ret_start = i;
            *ret_end = vend;
            return 0;
        }
        i = skip_ws(buf, len, vend);
        if (i < len && buf[i] == ',')
            i = skip_ws(buf, len, i + 1);
        else if (i >= len || buf[i] != '}')
            return -EINVAL;
    }
    return i < len ? -ENOENT : -EINVAL;
}

int gw_json_next_element(const char *buf, size_t end, size_t *pos, size_t *ret_start, size_t *ret_end)
{
    size_t i = *pos;
    if (i < end && buf[i] == '[') {
        i = skip_ws(buf, end, i + 1);
    } else if (i < end && buf[i] == ',') {
        i = skip_ws(buf, end, i + 1);
        if (i < end && buf[i] == ']')
            return -EINVAL; /* a trailing comma */
    }
    if (i >= end)
        return -EINVAL;
    if (buf[i] == ']') {
        *pos = i;
        return 0;
    }
    size_t vend = skip_value(buf, end, i);
    if (!vend)
        return -EINVAL;
    *ret_start = i;
    *ret_end = vend;
    i = skip_ws(buf, end, vend);
    if (i >= end || (buf[i] != ',' && buf[i] != ']'))
        return -EINVAL;
    *pos = i;
    return 1;
}
