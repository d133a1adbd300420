/* The structured logger: both formats, field escaping, levels, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "log.h"

static const char *TS = "2026-12-01T21:40:00.123Z";

static void json_line_parses_with_object_fields(void **state)
{
    (void)state;
    char buf[512];
    struct gw_logobj o = { "AiGateway", "ai", "main" };
    gw_log_format_line(buf, sizeof(buf), GW_LOG_FORMAT_JSON, TS, GW_LOG_INFO, "controller", &o, NULL,
                       "reconciled");
    assert_string_equal(buf, "{\"ts\":\"2026-12-01T21:40:00.123Z\",\"level\":\"info\",\"logger\":"
                             "\"controller\",\"msg\":\"reconciled\",\"kind\":\"AiGateway\","
                             "\"namespace\":\"ai\",\"name\":\"main\"}");
    json_object *j = json_tokener_parse(buf);
    assert_non_null(j);
    json_object_put(j);
}

static void text_line_has_level_component_and_fields(void **state)
{
    (void)state;
    char buf[512];
    struct gw_logobj o = { "ToolRoute", "tools", "weather" };
    gw_log_format_line(buf, sizeof(buf), GW_LOG_FORMAT_TEXT, TS, GW_LOG_ERROR, "controller", &o,
                       "connection refused", "reconcile failed");
    assert_string_equal(buf, "2026-12-01T21:40:00.123Z ERROR controller: reconcile failed "
                             "kind=ToolRoute namespace=tools name=weather error=\"connection refused\"");
}

/* A newline in anything a user controls must not start a second line, and
 * a quote must not close a JSON string early. */
static void user_text_cannot_forge_lines_or_fields(void **state)
{
    (void)state;
    char buf[512];
    struct gw_logobj o = { "Ai\nGateway", "a\"b", "x\\y" };
    const char *formats[] = { "json", "text" };
    for (int f = 0; f < 2; f++) {
        enum gw_log_format fmt;
        assert_int_equal(gw_log_format_parse(formats[f], &fmt), 0);
        gw_log_format_line(buf, sizeof(buf), fmt, TS, GW_LOG_WARN, "webhook", &o, "e\r\x01",
                           "kind \"x\"\n2026-12-01T00:00:00.000Z INFO forged");
        assert_null(strchr(buf, '\n'));
        assert_null(strchr(buf, '\r'));
        assert_null(strchr(buf, '\x01'));
        if (fmt == GW_LOG_FORMAT_JSON) {
            json_object *j = json_tokener_parse(buf);
            assert_non_null(j);
            json_object *v;
            assert_true(json_object_object_get_ex(j, "kind", &v));
            assert_string_equal(json_object_get_string(v), "Ai\nGateway");
            assert_true(json_object_object_get_ex(j, "namespace", &v));
            assert_string_equal(json_object_get_string(v), "a\"b");
            json_object_put(j);
        }
    }
}

static void long_lines_are_cut_and_marked(void **state)
{
    (void)state;
    char msg[1000];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    char buf[200];
    size_t n = gw_log_format_line(buf, sizeof(buf), GW_LOG_FORMAT_JSON, TS, GW_LOG_INFO, "c", NULL,
                                  NULL, msg);
    assert_true(n < sizeof(buf));
    assert_int_equal(strlen(buf), n);
    assert_non_null(strstr(buf, "...(truncated)\"}"));
    json_object *j = json_tokener_parse(buf);
    assert_non_null(j);
    json_object_put(j);
}

static void verbosity_selects_levels(void **state)
{
    (void)state;
    gw_log_setup(GW_LOG_FORMAT_JSON, 0);
    assert_true(gw_log_enabled(GW_LOG_INFO));
    assert_false(gw_log_enabled(GW_LOG_DEBUG));
    gw_log_setup(GW_LOG_FORMAT_JSON, 1);
    assert_true(gw_log_enabled(GW_LOG_DEBUG));
    assert_false(gw_log_enabled(GW_LOG_TRACE));
    gw_log_setup(GW_LOG_FORMAT_JSON, -1);
    assert_false(gw_log_enabled(GW_LOG_INFO));
    assert_true(gw_log_enabled(GW_LOG_WARN));
    enum gw_log_format f;
    assert_int_equal(gw_log_format_parse("xml", &f), -22);
}

static void gw_log_writes_one_line_to_the_output(void **state)
{
    (void)state;
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    assert_non_null(out);
    gw_log_setup(GW_LOG_FORMAT_JSON, 0);
    gw_log_set_output(out);
    gw_log(GW_LOG_DEBUG, "c", NULL, NULL, "hidden");
    gw_log(GW_LOG_INFO, "c", NULL, NULL, "n=%d", 7);
    gw_log_set_output(NULL);
    fclose(out);
    assert_non_null(strstr(mem, "\"msg\":\"n=7\"}\n"));
    assert_null(strstr(mem, "hidden"));
    assert_int_equal(mem[len - 1], '\n');
    assert_null(memchr(mem, '\n', len - 1));
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_line_parses_with_object_fields),
        cmocka_unit_test(text_line_has_level_component_and_fields),
        cmocka_unit_test(user_text_cannot_forge_lines_or_fields),
        cmocka_unit_test(long_lines_are_cut_and_marked),
        cmocka_unit_test(verbosity_selects_levels),
        cmocka_unit_test(gw_log_writes_one_line_to_the_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
