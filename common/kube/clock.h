/* clock: time, waiting and randomness for the I/O layers. The pure core
 * takes time as a parameter and never calls these.
 *
 * One of each: the monotonic clock, the monotonic condition variable (its
 * set-up and a timed wait against it), the random source (for jitter and
 * identities, never for secrets), and the exponential backoff formula. */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (deadlines, backoff, expiry). */
uint64_t gw_mono_ms(void);
/* Whether the deadline *due (gw_mono_ms() time; 0 or a NULL due: none)
 * has passed. */
static inline bool gw_deadline_passed(const _Atomic uint64_t *due)
{
    uint64_t at = due ? atomic_load(due) : 0;
    return at && gw_mono_ms() >= at;
}
/* Nanoseconds on CLOCK_MONOTONIC (durations for metrics). */
uint64_t gw_mono_ns(void);

/* The wall-clock time now as RFC 3339 in UTC, "2006-01-02T15:04:05Z"
 * (condition transitions, Events, log lines). */
void gw_rfc3339_now(char out[32]);

/* Initializes cond to measure timeouts on CLOCK_MONOTONIC. 0 or -errno. */
int gw_cond_init_mono(pthread_cond_t *cond);
/* pthread_cond_timedwait until gw_mono_ms() reaches due_ms (lock held).
 * Returns 0 when woken, ETIMEDOUT when due. */
int gw_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t due_ms);

/* A pseudo-random 64-bit number (xorshift64*, one state per thread, seeded
 * from getentropy). Not for anything secret. */
uint64_t gw_rand(void);

/* base * 2^failures, at most max (base 0 counts as 1). Pure. */
uint64_t gw_backoff_ms(uint64_t base_ms, uint64_t max_ms, unsigned failures);
/* A random duration in [d/2, d]: spreads retries of many clients. */
uint64_t gw_jitter_half(uint64_t d);
/* A random duration in [d, d * (1 + factor_tenths / 10)]: client-go's
 * wait.Jitter (leader election uses factor 1.2 = 12 tenths). */
uint64_t gw_jitter_up(uint64_t d, unsigned factor_tenths);

#endif
