/* clock: the two readings of time the I/O layers use. The pure core takes
 * time as a parameter and never calls these. */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (deadlines, backoff, expiry). */
uint64_t gw_mono_ms(void);

/* The wall-clock time now as RFC 3339 in UTC, "2006-01-02T15:04:05Z"
 * (condition transitions, Events, log lines). */
void gw_rfc3339_now(char out[32]);

#endif
