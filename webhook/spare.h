/* spare: the large buffers a worker thread keeps between requests.
 *
 * A ConversionReview runs to megabytes each way. Allocated afresh for each
 * request, a buffer that size comes from mmap (or from a heap that malloc
 * trims back), and the kernel maps and zeroes its pages again every time:
 * hundreds of page faults per review. Instead a thread keeps the last
 * WH_SPARE_SLOTS buffers of WH_SPARE_MIN to WH_SPARE_MAX bytes it was done
 * with, and its next request writes into one of them. The request body
 * and the answer of a review are both taken and given back on the worker
 * thread that serves the connection; a thread's buffers are freed when it
 * exits. */
#ifndef GW_SPARE_H
#define GW_SPARE_H

#include <stddef.h>

#include "strbuf.h"

#define WH_SPARE_SLOTS 2
#define WH_SPARE_MIN ((size_t)64 << 10)
#define WH_SPARE_MAX ((size_t)2 << 20)

/* sb_reserve for a strbuf that holds no buffer yet: a kept buffer of this
 * thread's when one has room for n bytes, else a new one. */
int wh_spare_reserve(struct strbuf *sb, size_t n);
/* Done with p (from malloc; NULL does nothing): kept for this thread's
 * next request, or freed. Fits libmicrohttpd's free callback. */
void wh_spare_keep(void *p);
/* sb_release that gives the buffer to wh_spare_keep. */
void wh_spare_release(struct strbuf *sb);
/* The bytes this thread keeps. */
size_t wh_spare_held(void);

#endif
