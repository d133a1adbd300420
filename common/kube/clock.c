#include "clock.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

uint64_t gw_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t gw_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gw_rfc3339_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

int gw_cond_init_mono(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    int r = pthread_condattr_init(&ca);
    if (r != 0)
        return -r;
    r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (r == 0)
        r = pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
    return -r;
}

int gw_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t due_ms)
{
    struct timespec ts = { (time_t)(due_ms / 1000u), (long)(due_ms % 1000u) * 1000000L };
    return pthread_cond_timedwait(cond, lock, &ts);
}

static _Thread_local uint64_t rng_state;

uint64_t gw_rand(void)
{
    if (rng_state == 0) {
        uint64_t seed = 0;
        if (getentropy(&seed, sizeof(seed)) != 0 || seed == 0)
            seed = gw_mono_ns() ^ (uint64_t)(uintptr_t)&rng_state ^ 0x9e3779b97f4a7c15ull;
        rng_state = seed ? seed : 1;
    }
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

uint64_t gw_backoff_ms(uint64_t base_ms, uint64_t max_ms, unsigned failures)
{
    uint64_t d = base_ms ? base_ms : 1;
    for (unsigned i = 0; i < failures && d < max_ms; i++)
        d *= 2;
    return d < max_ms ? d : max_ms;
}

uint64_t gw_jitter_half(uint64_t d)
{
    return d / 2 + (d > 1 ? gw_rand() % (d / 2 + 1) : 0);
}

uint64_t gw_jitter_up(uint64_t d, unsigned factor_tenths)
{
    return d + gw_rand() % (d * factor_tenths / 10 + 1);
}
