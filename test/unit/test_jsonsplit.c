/* Splitting a list answer's items out of its text: the spans found are
 * exactly the elements (strings with escaped quotes and brackets, nested
 * arrays, whitespace), a missing member or an empty array says so, and
 * broken structure is refused rather than guessed at. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jsonsplit.h"

/* The elements of member key of text, joined with '|'; or the error. */
static int elements(const char *text, const char *key, char *out, size_t cap)
{
    size_t len = strlen(text), start = 0, end = 0, pos, a, b;
    int r = gw_json_find_array(text, len, key, &start, &end);
    if (r < 0)
        return r;
    out[0] = 0;
    pos = start;
    while ((r = gw_json_next_element(text, end, &pos, &a, &b)) > 0) {
        if (out[0])
            strncat(out, "|", cap - strlen(out) - 1);
        strncat(out, text + a, b - a < cap - strlen(out) - 1 ? b - a : cap - strlen(out) - 1);
    }
    return r;
}

static void test_items_are_found_as_written(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(elements("{\"kind\":\"List\",\"metadata\":{\"items\":[9]},\"items\":[{\"a\":\"x\\\"]}\"},"
                              " [1,[2]] , \"s\",null,-1.5e3],\"z\":{}}",
                              "items", out, sizeof(out)), 0);
    assert_string_equal(out, "{\"a\":\"x\\\"]}\"}|[1,[2]]|\"s\"|null|-1.5e3");
    assert_int_equal(elements("{\"items\":[ ]}", "items", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(elements("{\"apiVersion\":\"v1\",\"items\":null}", "items", out, sizeof(out)), -ENOENT);
    assert_int_equal(elements("{\"itemsX\":[1]}", "items", out, sizeof(out)), -ENOENT);
    assert_int_equal(elements(" { } ", "items", out, sizeof(out)), -ENOENT);
}

static void test_broken_structure_is_refused(void **state)
{
    (void)state;
    char out[512];
    static const char *const broken[] = {
        "", "[]", "{", "{\"items\"", "{\"items\":", "{\"a\" 1,\"items\":[]}", "{\"a\":\"open,\"items\":[]}",
        "{1:2,\"items\":[]}", "{\"a\":{\"b\":[}, \"items\":[]", "{\"a\":1 \"items\":[]}",
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        print_message("%s\n", broken[i]);
        assert_int_equal(elements(broken[i], "items", out, sizeof(out)), -EINVAL);
    }
    static const char *const bad_items[] = {
        "{\"items\":[1 2]}", "{\"items\":[1,]}", "{\"items\":[,1]}", "{\"items\":[{\"a\":\"b}]}",
        "{\"items\":[{\"a\":[1]]}",
    };
    for (size_t i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++) {
        print_message("%s\n", bad_items[i]);
        assert_int_equal(elements(bad_items[i], "items", out, sizeof(out)), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_are_found_as_written),
        cmocka_unit_test(test_broken_structure_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
