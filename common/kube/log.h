/* log: the one logger of the process, for the webhook and the controller.
 *
 * One line per event, either JSON
 *   {"ts":"2026-12-01T21:40:00.123Z","level":"info","logger":"controller",
 *    "msg":"reconciled","kind":"AiGateway","namespace":"ai","name":"main"}
 * or text
 *   2026-12-01T21:40:00.123Z INFO  controller: reconciled kind=AiGateway namespace=ai name=main
 *
 * Everything a caller passes (message, object fields, error) is escaped: a
 * control character, quote or backslash can never start a new line or forge
 * a field. Callers still never pass secret values: the logger cannot tell.
 *
 * Levels follow the --v convention: error, warn and info always print (info
 * unless --v=-1 style quiet is asked for), debug needs verbosity 1, trace 2.
 * Safe from any thread: each line is built in a local buffer and written with
 * one fwrite, which stdio locks. */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stddef.h>
#include <stdio.h>

enum gw_log_level {
    GW_LOG_ERROR = 0,
    GW_LOG_WARN = 1,
    GW_LOG_INFO = 2,
    GW_LOG_DEBUG = 3,
    GW_LOG_TRACE = 4,
};

enum gw_log_format {
    GW_LOG_FORMAT_AUTO = 0, /* text when stderr is a terminal, else JSON */
    GW_LOG_FORMAT_JSON,
    GW_LOG_FORMAT_TEXT,
};

/* The object a line is about; any member may be NULL. */
struct gw_logobj {
    const char *kind;
    const char *ns;
    const char *name;
};

/* Sets the format and verbosity (0: error..info, 1: +debug, 2+: +trace,
 * negative: error and warn only). Call once at start-up, before threads. */
void gw_log_setup(enum gw_log_format format, int verbosity);

/* Parses "json" | "text" | "auto"; returns 0 or -EINVAL. */
int gw_log_format_parse(const char *s, enum gw_log_format *ret_format);

/* Where lines go (stderr by default); for tests. */
void gw_log_set_output(FILE *out);

/* Nonzero when a line of this level would be written. */
int gw_log_enabled(enum gw_log_level level);

/* Writes one line. component names the half ("webhook", "controller",
 * "leader", ...); obj and err may be NULL. A line longer than the internal
 * buffer (8 KiB) is cut and marked with "...(truncated)". */
void gw_log(enum gw_log_level level, const char *component, const struct gw_logobj *obj,
            const char *err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Builds the line gw_log would write, without the trailing newline, into buf
 * (always NUL-terminated). ts is the timestamp text to use. Returns the length
 * written. Exposed for tests. */
size_t gw_log_format_line(char *buf, size_t cap, enum gw_log_format format, const char *ts,
                          enum gw_log_level level, const char *component,
                          const struct gw_logobj *obj, const char *err, const char *msg);

#endif
