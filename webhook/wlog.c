#include "wlog.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int min_level = WH_LOG_INFO;

void wh_log_set_level(enum wh_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int wh_log_enabled(enum wh_log_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

void wh_log(enum wh_log_level level, const char *fmt, ...)
{
    if (!wh_log_enabled(level))
        return;
    static const char *const names[] = { "debug", "info", "warn", "error" };
    struct timespec ts;
    struct tm tm;
    char when[40] = "";
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000L, names[level & 3], msg);
}
