/* Shared by the libFuzzer harnesses: a failed property is a crash, so the
 * fuzzer keeps the input that broke it. */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when s is valid UTF-8 (gw_utf8_scrub leaves it as it is). */
static inline int fuzz_is_utf8(const char *s)
{
    size_t len = strlen(s), n = 0;
    char *copy = gw_utf8_scrub(s, len, &n);
    int same = !copy || (n == len && memcmp(copy, s, len) == 0);
    free(copy);
    return same;
}

#endif
