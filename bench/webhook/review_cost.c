/* review_cost: the CPU one review costs inside the webhook (no TLS, no
 * HTTP), for instruction counts under callgrind. Instruction counts are
 * deterministic, so they compare builds on a busy machine where timings
 * cannot. bench/webhook/cost.sh builds it against build-release's
 * libraries and runs it:
 *
 *   review_cost validate|mutate|convert|convert-tree|none BODY.json N
 *
 * answers BODY N times on the given endpoint (convert-tree: /convert by
 * the reference path, wh_convert_tree; none: only reads the file);
 * (Ir of the endpoint - Ir of none) / N is the cost of one review. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "conversion.h"
#include "reply.h"

#define MAX_BODY (8u << 20)

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: review_cost validate|mutate|convert|convert-tree|none BODY.json N\n");
        return 2;
    }
    enum wh_endpoint ep = WH_EP_OTHER;
    if (strcmp(argv[1], "validate") == 0)
        ep = WH_EP_VALIDATE;
    else if (strcmp(argv[1], "mutate") == 0)
        ep = WH_EP_MUTATE;
    else if (strcmp(argv[1], "convert") == 0)
        ep = WH_EP_CONVERT;
    else if (strcmp(argv[1], "convert-tree") == 0)
        ep = WH_EP__MAX;
    else if (strcmp(argv[1], "none") != 0)
        return 2;
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
    size_t out_bytes = 0;
    unsigned status = 0;
    for (long i = 0; i < n && ep != WH_EP_OTHER; i++) {
        struct wh_reply r;
        int rc = ep == WH_EP__MAX ? wh_convert_tree(buf, len, &r) : wh_handle(ep, buf, len, &r);
        if (rc < 0) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        out_bytes = r.body_len;
        status = r.status;
        if (i == 0 && getenv("REVIEW_COST_PRINT"))
            fwrite(r.body, 1, r.body_len, stdout);
        wh_reply_release(&r);
    }
    fprintf(stderr, "status %u, %zu response bytes\n", status, out_bytes);
    free(buf);
    return 0;
}
