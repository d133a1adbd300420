/* parse_cost: the admission body's parse with and without jsonscan's
 * pruning (request.oldObject and the object's managedFields replaced by null
 * before json-c builds the tree), for instruction counts under callgrind.
 * Instruction counts are deterministic, so this can be measured on a busy
 * machine where timings cannot. Build optimized, as the product is:
 *
 *   gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Icommon -Iwebhook \
 *       $(pkg-config --cflags json-c) bench/webhook/parse_cost.c common/doc.c \
 *       common/strbuf.c webhook/jsonscan.c -o /tmp/parse_cost \
 *       $(pkg-config --libs json-c yaml-0.1) -lcrypto
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *       /tmp/parse_cost scan|plain|none REVIEW.json 200
 *
 * (Ir of MODE - Ir of none) / 200 is the cost of one parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "jsonscan.h"

#define MAX_BODY (4u << 20)
#define MAX_DEPTH 64

static void parse_once(const char *mode, const char *buf, size_t len)
{
    static const char *const old_object[] = { "request", "oldObject" };
    static const char *const managed[] = { "request", "object", "metadata", "managedFields" };
    static const struct wh_json_path unread[] = { { old_object, 2 }, { managed, 4 } };
    json_object *root = NULL;
    char *err = NULL, *pruned = NULL;
    size_t pruned_len = 0;
    if (strcmp(mode, "scan") == 0) {
        wh_json_null_members(buf, len, unread, 2, &pruned, &pruned_len);
        gw_json_parse(pruned ? pruned : buf, pruned ? pruned_len : len, MAX_DEPTH, &root, &err);
    } else if (strcmp(mode, "plain") == 0) {
        gw_json_parse(buf, len, MAX_DEPTH, &root, &err);
    }
    json_object_put(root);
    free(pruned);
    free(err);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: parse_cost scan|plain|none REVIEW.json N\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    char *buf = malloc(MAX_BODY);
    if (!f || !buf) {
        perror(argv[2]);
        return 1;
    }
    size_t len = fread(buf, 1, MAX_BODY - 1, f);
    fclose(f);
    buf[len] = '\0';
    long n = strtol(argv[3], NULL, 10);
    for (long i = 0; i < n; i++)
        parse_once(argv[1], buf, len);
    free(buf);
    return 0;
}
