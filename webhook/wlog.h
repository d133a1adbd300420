/* wlog: one line per event on stderr, for the server and serve command:
 *   2025-11-26T02:40:00.123Z info  webhook: serving https://0.0.0.0:9443
 * Safe from any thread (one stdio call per line). */
#ifndef WH_WLOG_H
#define WH_WLOG_H

enum wh_log_level { WH_LOG_DEBUG = 0, WH_LOG_INFO, WH_LOG_WARN, WH_LOG_ERROR };

/* Lines below this level are dropped (default WH_LOG_INFO). */
void wh_log_set_level(enum wh_log_level level);
int wh_log_enabled(enum wh_log_level level);
void wh_log(enum wh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
