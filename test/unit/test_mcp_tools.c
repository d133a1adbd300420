/* Listing an MCP upstream's tools over streamable HTTP, against a scripted
 * server: the handshake on the wire, JSON and event-stream answers,
 * pagination, and failures that name their step. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fakehttp.h"
#include "mcp_tools.h"

static const struct reply INIT = {
    200, "Mcp-Session-Id: s-42\r\n",
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-03-26\",\"capabilities\":{\"tools\":{}},"
    "\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}", NULL, false };
static const struct reply ACK = { 202, NULL, "", NULL, false };

static char *url_of(struct fake *f)
{
    static char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/mcp", f->port);
    return url;
}

static void test_lists_tools_across_pages_and_event_streams(void **state)
{
    (void)state;
    const struct reply script[] = {
        INIT, ACK,
        /* page one as an event stream, page two as plain JSON */
        { 200, "Content-Type: text/event-stream\r\n",
          "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"get_issue\"},"
          "{\"name\":\"list_issues\"}],\"nextCursor\":\"c2\"}}\n\n", NULL, false },
        { 200, NULL, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"tools\":[{\"name\":\"delete_repo\"}]}}", NULL, false },
    };
    struct fake f;
    fake_start(&f, script, 4);
    char **names = NULL, *err = NULL;
    size_t n = 0;
    assert_int_equal(mcp_list_tools(url_of(&f), "http", 5000, &names, &n, &err), 0);
    fake_stop(&f);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "get_issue");
    assert_string_equal(names[1], "list_issues");
    assert_string_equal(names[2], "delete_repo");
    /* The handshake: initialize, then the initialized notification and the
     * lists in the server's session and protocol version, the cursor passed on. */
    assert_non_null(strstr(f.seen[0], "\"method\":\"initialize\""));
    assert_non_null(strstr(f.seen[0], "Accept: application/json, text/event-stream"));
    assert_null(strstr(f.seen[0], "Mcp-Session-Id"));
    assert_non_null(strstr(f.seen[1], "\"method\":\"notifications/initialized\""));
    assert_non_null(strstr(f.seen[1], "Mcp-Session-Id: s-42"));
    assert_non_null(strstr(f.seen[2], "MCP-Protocol-Version: 2025-03-26"));
    assert_non_null(strstr(f.seen[3], "\"cursor\":\"c2\""));
    mcp_tools_free(names, n);
    fake_free(&f);
}

static void test_failures_name_their_step(void **state)
{
    (void)state;
    const struct reply refused[] = { { 401, NULL, "{}", NULL, false } };
    struct fake f;
    fake_start(&f, refused, 1);
    char **names = NULL, *err = NULL;
    size_t n = 0;
    assert_true(mcp_list_tools(url_of(&f), "http", 5000, &names, &n, &err) < 0);
    fake_stop(&f);
    assert_string_equal(err, "initialize: HTTP 401");
    free(err);
    fake_free(&f);

    const struct reply rpc_error[] = {
        INIT, ACK,
        { 200, NULL, "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}", NULL,
          false },
    };
    fake_start(&f, rpc_error, 3);
    err = NULL;
    assert_true(mcp_list_tools(url_of(&f), "http", 5000, &names, &n, &err) < 0);
    fake_stop(&f);
    assert_string_equal(err, "tools/list: Method not found");
    free(err);
    fake_free(&f);

    err = NULL;
    assert_int_equal(mcp_list_tools("http://127.0.0.1:1/sse", "sse", 1000, &names, &n, &err), -EOPNOTSUPP);
    assert_string_equal(err, "only streamable HTTP upstreams can be listed");
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists_tools_across_pages_and_event_streams),
        cmocka_unit_test(test_failures_name_their_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
