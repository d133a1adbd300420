#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_CAP 8192
#define MSG_CAP 4096

static atomic_int max_level = GW_LOG_INFO;
static atomic_int line_format = GW_LOG_FORMAT_TEXT;
static FILE *_Atomic log_out;

static const char *const level_json[] = { "error", "warn", "info", "debug", "trace" };
static const char *const level_text[] = { "ERROR", "WARN ", "INFO ", "DEBUG", "TRACE" };

void gw_log_setup(enum gw_log_format format, int verbosity)
{
    if (format == GW_LOG_FORMAT_AUTO)
        format = isatty(STDERR_FILENO) ? GW_LOG_FORMAT_TEXT : GW_LOG_FORMAT_JSON;
    atomic_store(&line_format, (int)format);
    int lvl = verbosity < 0 ? GW_LOG_WARN : GW_LOG_INFO + verbosity;
    if (lvl > GW_LOG_TRACE)
        lvl = GW_LOG_TRACE;
    atomic_store(&max_level, lvl);
}

int gw_log_format_parse(const char *s, enum gw_log_format *ret_format)
{
    static const struct { const char *name; enum gw_log_format f; } names[] = {
        { "auto", GW_LOG_FORMAT_AUTO }, { "json", GW_LOG_FORMAT_JSON }, { "text", GW_LOG_FORMAT_TEXT },
    };
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0) {
            *ret_format = names[i].f;
            return 0;
        }
    return -EINVAL;
}

void gw_log_set_output(FILE *out)
{
    atomic_store(&log_out, out);
}

int gw_log_enabled(enum gw_log_level level)
{
    return (int)level <= atomic_load_explicit(&max_level, memory_order_relaxed);
}

/* A bounded writer: appends while there is room, then remembers it was cut. */
struct line {
    char *buf;
    size_t cap, len;
    int cut;
};

static void put(struct line *l, const char *s, size_t n)
{
    /* Keep room for the truncation mark (16 bytes) and the NUL. */
    size_t room = l->cap > l->len + 24 ? l->cap - l->len - 24 : 0;
    if (n > room) {
        n = room;
        l->cut = 1;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Escapes s: JSON string rules for both formats (quote, backslash, every
 * control character and DEL as \n, \t or \u00XX). Bytes >= 0x80 pass as they
 * are; the webhook refuses invalid UTF-8 before anything is logged. */
static void put_escaped(struct line *l, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p && !l->cut; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\'; esc[1] = (char)*p; put(l, esc, 2);
        } else if (*p == '\n') {
            put(l, "\\n", 2);
        } else if (*p == '\t') {
            put(l, "\\t", 2);
        } else if (*p == '\r') {
            put(l, "\\r", 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            put(l, esc, 6);
        } else {
            put(l, (const char *)p, 1);
        }
    }
}

/* Text values are bare when they are plain words, else quoted and escaped. */
static int text_needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

static void put_field(struct line *l, enum gw_log_format f, const char *key, const char *val)
{
    if (!val)
        return;
    if (f == GW_LOG_FORMAT_JSON) {
        puts_(l, ",\"");
        puts_(l, key);
        puts_(l, "\":\"");
        put_escaped(l, val);
        puts_(l, "\"");
        return;
    }
    puts_(l, " ");
    puts_(l, key);
    puts_(l, "=");
    if (!text_needs_quotes(val)) {
        put_escaped(l, val);
        return;
    }
    puts_(l, "\"");
    put_escaped(l, val);
    puts_(l, "\"");
}

size_t gw_log_format_line(char *buf, size_t cap, enum gw_log_format format, const char *ts,
                          enum gw_log_level level, const char *component,
                          const struct gw_logobj *obj, const char *err, const char *msg)
{
    if (!cap)
        return 0;
    struct line l = { .buf = buf, .cap = cap, .len = 0, .cut = 0 };
    buf[0] = '\0';
    int lv = level < GW_LOG_ERROR ? GW_LOG_ERROR : level > GW_LOG_TRACE ? GW_LOG_TRACE : level;
    const char *comp = component ? component : "operator";
    if (format == GW_LOG_FORMAT_JSON) {
        puts_(&l, "{\"ts\":\"");
        put_escaped(&l, ts);
        puts_(&l, "\",\"level\":\"");
        puts_(&l, level_json[lv]);
        puts_(&l, "\",\"logger\":\"");
        put_escaped(&l, comp);
        puts_(&l, "\",\"msg\":\"");
        put_escaped(&l, msg);
        puts_(&l, "\"");
    } else {
        put_escaped(&l, ts);
        puts_(&l, " ");
        puts_(&l, level_text[lv]);
        puts_(&l, " ");
        put_escaped(&l, comp);
        puts_(&l, ": ");
        put_escaped(&l, msg);
    }
    if (obj) {
        put_field(&l, format, "kind", obj->kind);
        put_field(&l, format, "namespace", obj->ns);
        put_field(&l, format, "name", obj->name);
    }
    put_field(&l, format, "error", err);
    if (l.cut) {
        /* put() kept 24 bytes free for exactly this. */
        const char *mark = format == GW_LOG_FORMAT_JSON ? "...(truncated)\"}" : "...(truncated)";
        size_t n = strlen(mark);
        memcpy(l.buf + l.len, mark, n);
        l.len += n;
        l.buf[l.len] = '\0';
        return l.len;
    }
    if (format == GW_LOG_FORMAT_JSON)
        puts_(&l, "}");
    return l.len;
}

static void now_text(char out[64])
{
    struct timespec ts;
    struct tm tm;
    char when[32] = "";
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 64, "%s.%03dZ", when, (int)(ts.tv_nsec / 1000000L) % 1000);
}

void gw_log(enum gw_log_level level, const char *component, const struct gw_logobj *obj,
            const char *err, const char *fmt, ...)
{
    if (!gw_log_enabled(level))
        return;
    char msg[MSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char ts[64];
    now_text(ts);
    char line[LINE_CAP + 1];
    size_t n = gw_log_format_line(line, LINE_CAP, (enum gw_log_format)atomic_load(&line_format), ts,
                                  level, component, obj, err, msg);
    line[n++] = '\n';
    FILE *out = atomic_load(&log_out);
    if (!out)
        out = stderr;
    fwrite(line, 1, n, out);
    fflush(out);
}
