/* Reads YAML documents separated by the byte 0x1e from stdin, loads each
 * the way the config patch is loaded (strict YAML 1.1) and writes it back
 * with the config writer. For each it prints "ok\n<yaml>" or
 * "error\n<why>", records separated by 0x1e. Driven by yaml11_agree.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "strbuf.h"
#include "yamlout.h"

static void one(const char *text, size_t len)
{
    json_object *o = NULL;
    char *err = NULL, *out = NULL;
    int r = gw_yaml_load_one(text, len, &GW_LIMITS_PATCH, &o, &err);
    if (r == 0 && (r = gw_yaml_emit(o, &out, NULL)) != 0)
        err = strdup("the writer failed");
    if (r == 0)
        printf("ok\n%s", out);
    else
        printf("error\n%s", err ? err : "?");
    json_object_put(o);
    free(out);
    free(err);
}

int main(void)
{
    struct strbuf in;
    sb_init(&in, 16u << 20);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        sb_add(&in, chunk, n);
    if (sb_failed(&in))
        return 2;
    const char *p = sb_str(&in), *end = p + in.len;
    bool first = true;
    while (p <= end) {
        const char *sep = memchr(p, 0x1e, (size_t)(end - p));
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
        if (!first)
            putchar(0x1e);
        first = false;
        one(p, len);
        if (!sep)
            break;
        p = sep + 1;
    }
    sb_release(&in);
    return 0;
}
