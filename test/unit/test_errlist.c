/* errlist: joining problems into one bounded line. */
#include "testutil.h"

#include "strbuf.h"

/* Not inlined: GCC's -Wdangling-pointer at -O2 takes a pointer into the
 * string it returns for a pointer to its local variable. */
__attribute__((noinline)) static char *joined(const struct gw_errlist *l, size_t max)
{
    char *s = NULL;
    assert_int_equal(errlist_join(l, max, &s), 0);
    assert_non_null(s);
    assert_true(strlen(s) <= (max < 64 ? 64 : max));
    return s;
}

static void test_join_fits(void **state)
{
    (void)state;
    struct gw_errlist l;
    errlist_init(&l);
    char *s = joined(&l, 100);
    assert_string_equal(s, "");
    free(s);
    err_required(&l, "spec.a", NULL);
    err_required(&l, "spec.b", NULL);
    s = joined(&l, 100);
    assert_string_equal(s, "spec.a: Required value; spec.b: Required value");
    free(s);
    errlist_free(&l);
}

/* Many notes (a patch adding 45 settings) are cut with a count that adds
 * up to the whole list; the join never fails for length. */
static void test_join_counts_what_does_not_fit(void **state)
{
    (void)state;
    struct gw_errlist l;
    errlist_init(&l);
    for (int i = 0; i < 45; i++)
        errlist_addf(&l, GW_E_NOTE, "metadata.annotations[x]", NULL, "adds litellm_settings.setting_number_%02d", i);
    char *s = joined(&l, 400);
    const char *tail = strstr(s, "; and ");
    assert_non_null(tail);
    size_t more = 0;
    assert_int_equal(sscanf(tail, "; and %zu more", &more), 1);
    size_t shown = 0;
    for (const char *p = s; (p = strstr(p, "adds litellm_settings.")); p++)
        shown++;
    assert_int_equal(shown + more, 45);
    assert_true(shown >= 5);
    assert_string_equal(tail + strlen(tail) - 5, " more");
    free(s);
    errlist_free(&l);
}

static void test_join_counts_dropped_entries(void **state)
{
    (void)state;
    struct gw_errlist l;
    errlist_init(&l);
    for (int i = 0; i < GW_ERRLIST_MAX + 7; i++)
        errlist_addf(&l, GW_E_INVALID, "spec.x", NULL, "problem %d", i);
    assert_int_equal(l.dropped, 7);
    char *s = joined(&l, 100000);
    assert_non_null(strstr(s, "; and 7 more"));
    free(s);
    errlist_free(&l);
}

/* One message longer than the room is cut, on a character boundary. */
static void test_join_cuts_a_long_message(void **state)
{
    (void)state;
    struct gw_errlist l;
    errlist_init(&l);
    struct strbuf sb;
    sb_init(&sb, 0);
    for (int i = 0; i < 100; i++)
        sb_adds(&sb, "\xc3\xa9");   /* é, two bytes each */
    char *v = sb_detach(&sb, NULL);
    errlist_add(&l, GW_E_NOTE, "f", NULL, v);
    free(v);
    char *s = joined(&l, 65);
    assert_string_equal(s + strlen(s) - 3, "...");
    /* "f: " then whole two-byte characters only. */
    assert_int_equal((strlen(s) - 3 - 3) % 2, 0);
    free(s);
    errlist_add(&l, GW_E_NOTE, "g", NULL, "second");
    s = joined(&l, 65);
    assert_non_null(strstr(s, "...; and 1 more"));
    free(s);
    errlist_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_fits),
        cmocka_unit_test(test_join_counts_what_does_not_fit),
        cmocka_unit_test(test_join_counts_dropped_entries),
        cmocka_unit_test(test_join_cuts_a_long_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
