#include "yamlout.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "strbuf.h"
#include "textutil.h"
#include "yaml11.h"

/* Returns the object's keys sorted (array owned by caller, strings borrowed). */
static const char **sorted_keys(json_object *o, size_t *ret_n)
{
    size_t n = (size_t)json_object_object_length(o), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof(*keys));
    if (!keys)
        return NULL;
    json_object_object_foreach(o, k, v) {
        (void)v;
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), gw_cmp_cstr);
    *ret_n = n;
    return keys;
}

static void format_double(double d, char *out, size_t cap)
{
    if (isnan(d)) {
        snprintf(out, cap, ".nan");
        return;
    }
    if (isinf(d)) {
        snprintf(out, cap, d < 0 ? "-.inf" : ".inf");
        return;
    }
    /* The shortest of %.15g and %.17g that reads back as the same double. */
    snprintf(out, cap, "%.15g", d);
    if (strtod(out, NULL) != d)
        snprintf(out, cap, "%.17g", d);
    /* PyYAML (YAML 1.1) reads a float only with a dot, and an exponent
     * only with a sign: 1e+20 would be a string, 1.0e+20 is a float. */
    if (!strchr(out, '.')) {
        char *e = strchr(out, 'e');
        size_t n = strlen(out);
        if (n + 3 > cap)
            return;
        if (e) {
            memmove(e + 2, e, strlen(e) + 1);
            e[0] = '.';
            e[1] = '0';
        } else {
            memcpy(out + n, ".0", 3);
        }
    }
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    return sb_add(data, buffer, size) == 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
                                      style == YAML_PLAIN_SCALAR_STYLE, style != YAML_PLAIN_SCALAR_STYLE,
                                      style))
        return -ENOMEM;
    return yaml_emitter_emit(em, &ev) ? 0 : -EINVAL;
}

static bool integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s || strlen(s) > 400)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Keys are plain unless PyYAML would read the plain form as something other
 * than this string (on -> True, null -> None, 123 -> 123, << -> merge). */
static yaml_scalar_style_t key_style(const char *k)
{
    return gw_yaml11_resolve(k) == GW_Y11_STR ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

static int emit_node(yaml_emitter_t *em, json_object *o);

static int emit_number(yaml_emitter_t *em, json_object *o)
{
    char num[64];
    if (json_object_is_type(o, json_type_int)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(o));
        return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
    }
    /* An integer too large for int64 keeps its digits (the loader stores
     * them as the double's text): PyYAML reads them back as the same
     * integer. */
    const char *text = json_object_get_string(o);
    if (integer_text(text))
        return emit_scalar(em, text, YAML_PLAIN_SCALAR_STYLE);
    format_double(json_object_get_double(o), num, sizeof(num));
    return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
}

static int emit_string(yaml_emitter_t *em, const char *s)
{
    /* Multi-line text (the config inside a ConfigMap) reads best as a
     * literal block; libyaml falls back to quoting when a block cannot
     * hold the text exactly. */
    size_t n = strlen(s);
    bool block = n > 1 && strchr(s, '\n') && s[n - 1] == '\n' && !strpbrk(s, "\t\r") && !strstr(s, " \n");
    return emit_scalar(em, s, block ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static int emit_sequence(yaml_emitter_t *em, json_object *o)
{
    yaml_event_t ev;
    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(em, &ev))
        return -EINVAL;
    size_t n = json_object_array_length(o);
    for (size_t i = 0; i < n; i++) {
        int r = emit_node(em, json_object_array_get_idx(o, i));
        if (r)
            return r;
    }
    yaml_sequence_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) ? 0 : -EINVAL;
}

static int emit_mapping(yaml_emitter_t *em, json_object *o)
{
    yaml_event_t ev;
    size_t n;
    const char **keys = sorted_keys(o, &n);
    if (!keys)
        return -ENOMEM;
    int r = 0;
    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
        !yaml_emitter_emit(em, &ev))
        r = -EINVAL;
    for (size_t i = 0; i < n && r == 0; i++) {
        r = emit_scalar(em, keys[i], key_style(keys[i]));
        if (r == 0)
            r = emit_node(em, json_object_object_get(o, keys[i]));
    }
    free(keys);
    if (r)
        return r;
    yaml_mapping_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) ? 0 : -EINVAL;
}

static int emit_node(yaml_emitter_t *em, json_object *o)
{
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_null:
        return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
    case json_type_boolean:
        return emit_scalar(em, json_object_get_boolean(o) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
    case json_type_int:
    case json_type_double:
        return emit_number(em, o);
    case json_type_string:
        return emit_string(em, json_object_get_string(o));
    case json_type_array:
        return emit_sequence(em, o);
    case json_type_object:
        return emit_mapping(em, o);
    }
    return -EINVAL;
}

int gw_yaml_emit(json_object *o, char **ret, size_t *ret_len)
{
    struct strbuf sb;
    sb_init(&sb, 0);
    yaml_emitter_t em;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&em))
        return -ENOMEM;
    yaml_emitter_set_output(&em, write_handler, &sb);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1);
    yaml_emitter_set_indent(&em, 2);
    int r = 0;
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&em, &ev) ||
        !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&em, &ev))
        r = -EINVAL;
    if (r == 0)
        r = emit_node(&em, o);
    if (r == 0 && (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev) ||
                   !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
                   !yaml_emitter_flush(&em)))
        r = -EINVAL;
    yaml_emitter_delete(&em);
    if (r == 0 && sb_failed(&sb))
        r = sb.err;
    if (r) {
        sb_release(&sb);
        return r;
    }
    *ret = sb_detach(&sb, ret_len);
    return *ret ? 0 : -ENOMEM;
}

static int json_sorted(struct strbuf *sb, json_object *o)
{
    char num[64];
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_null: return sb_adds(sb, "null");
    case json_type_boolean: return sb_adds(sb, json_object_get_boolean(o) ? "true" : "false");
    case json_type_int: return sb_addf(sb, "%lld", (long long)json_object_get_int64(o));
    case json_type_double:
        if (!isfinite(json_object_get_double(o)))
            return sb_adds(sb, "null");
        format_double(json_object_get_double(o), num, sizeof(num));
        return sb_adds(sb, num);
    case json_type_string:
        return sb_adds(sb, json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE));
    case json_type_array: {
        sb_addc(sb, '[');
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_addc(sb, ',');
            json_sorted(sb, json_object_array_get_idx(o, i));
        }
        return sb_addc(sb, ']');
    }
    case json_type_object: {
        size_t n;
        const char **keys = sorted_keys(o, &n);
        if (!keys)
            return sb->err = -ENOMEM;
        sb_addc(sb, '{');
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_addc(sb, ',');
            json_object *k = json_object_new_string(keys[i]);
            if (!k) {
                free(keys);
                return sb->err = -ENOMEM;
            }
            sb_adds(sb, json_object_to_json_string_ext(k, JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(k);
            sb_addc(sb, ':');
            json_sorted(sb, json_object_object_get(o, keys[i]));
        }
        free(keys);
        return sb_addc(sb, '}');
    }
    }
    return -EINVAL;
}

int gw_json_emit_sorted(json_object *o, char **ret, size_t *ret_len)
{
    struct strbuf sb;
    sb_init(&sb, 0);
    json_sorted(&sb, o);
    if (sb_failed(&sb)) {
        int r = sb.err;
        sb_release(&sb);
        return r;
    }
    *ret = sb_detach(&sb, ret_len);
    return *ret ? 0 : -ENOMEM;
}
