/* The webhook port's endpoint table: paths to endpoints, the names logs
 * and metrics use, and which endpoints controller-runtime's admission
 * metrics count (by their path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "routes.h"

static void test_paths_names_and_labels(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum wh_endpoint ep;
        const char *name;
        const char *cr_label;
    } cases[] = {
        { "/validate", WH_EP_VALIDATE, "validate", "/validate" },
        { "/mutate", WH_EP_MUTATE, "mutate", "/mutate" },
        { "/preview", WH_EP_PREVIEW, "preview", "/preview" },
        { "/convert", WH_EP_CONVERT, "convert", NULL },
        { "/metrics", WH_EP_OTHER, "other", NULL },
        { "/Validate", WH_EP_OTHER, "other", NULL },
        { "", WH_EP_OTHER, "other", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum wh_endpoint ep = wh_endpoint_of(cases[i].path);
        assert_int_equal(ep, cases[i].ep);
        assert_string_equal(wh_endpoint_name(ep), cases[i].name);
        if (cases[i].cr_label)
            assert_string_equal(wh_endpoint_cr_label(ep), cases[i].cr_label);
        else
            assert_null(wh_endpoint_cr_label(ep));
    }
    assert_string_equal(wh_endpoint_name(WH_EP__MAX), "other");
    assert_null(wh_endpoint_cr_label(WH_EP__MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_names_and_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
