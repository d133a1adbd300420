/* textpack: packing is lossless and shorter, for words and for repeats;
 * malformed packed text is refused. */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>

#include "textpack.h"

static const char *const WORDS[] = { "\"type\":\"", "\"status\":\"True\"", "nothing is failing", "ab" };
static const struct tp_dict DICT = { WORDS, sizeof(WORDS) / sizeof(WORDS[0]) };

static void round_trip(const struct tp_dict *d, const char *text, size_t *ret_packed_len)
{
    char *packed = NULL, *back = NULL;
    size_t plen = 0, blen = 0;
    assert_int_equal(tp_pack(d, text, strlen(text), &packed, &plen), 0);
    assert_int_equal(strlen(packed), plen);
    assert_int_equal(tp_unpack(d, packed, plen, 1 << 20, &back, &blen), 0);
    assert_int_equal(blen, strlen(text));
    assert_string_equal(back, text);
    if (ret_packed_len)
        *ret_packed_len = plen;
    free(packed);
    free(back);
}

static void test_round_trip_and_shorter(void **state)
{
    (void)state;
    const char *text = "{\"status\":\"True\",\"type\":\"Ready\",\"message\":\"nothing is failing\"}";
    size_t plen = 0;
    round_trip(&DICT, text, &plen);
    assert_true(plen < strlen(text) - 30);
    round_trip(&DICT, "", NULL);
    round_trip(&DICT, "a", NULL);
    round_trip(&DICT, "\"type\":", NULL); /* a word's prefix only */
    /* Bytes that are codes themselves are kept as literals. */
    round_trip(&DICT, "\x01\x1d\x1e\x1f ab \x7f\xc3\xa9", NULL);
}

/* The second page of codes (two bytes) reaches every word. */
static void test_many_words(void **state)
{
    (void)state;
    static char buf[TP_MAX_WORDS][8];
    const char *words[TP_MAX_WORDS];
    for (size_t i = 0; i < TP_MAX_WORDS; i++) {
        snprintf(buf[i], sizeof(buf[i]), "<%03zu>", i);
        words[i] = buf[i];
    }
    struct tp_dict d = { words, TP_MAX_WORDS };
    char text[TP_MAX_WORDS * 5 + 1];
    for (size_t i = 0; i < TP_MAX_WORDS; i++)
        memcpy(text + 5 * i, buf[i], 5);
    text[sizeof(text) - 1] = '\0';
    size_t plen = 0;
    round_trip(&d, text, &plen);
    assert_int_equal(plen, 28 + 2 * (TP_MAX_WORDS - 28));
    d.n = TP_MAX_WORDS + 1;
    char *p = NULL;
    assert_int_equal(tp_pack(&d, "x", 1, &p, &plen), -EINVAL);
}

/* Repeats within a text take four bytes, however far back (within 65,025
 * bytes) and however they overlap what they repeat. */
static void test_repeats(void **state)
{
    (void)state;
    static const struct tp_dict none = { NULL, 0 };
    const char *ts = "{\"lastTransitionTime\":\"2026-01-02T03:04:06Z\"}";
    char text[4096] = "";
    size_t tl = strlen(ts), at = 0;
    for (int i = 0; i < 5; i++, at += tl)
        memcpy(text + at, ts, tl + 1);
    size_t plen = 0;
    round_trip(&none, text, &plen);
    assert_true(plen < strlen(ts) + 5 * 4);
    round_trip(&none, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &plen);
    assert_true(plen <= 1 + 4);
    /* Pseudo-random texts over a small alphabet (many short repeats), a
     * long one with repeats further back than a run can reach, and the
     * dictionary's words among them. */
    static char big[200000];
    uint32_t x = 12345;
    for (int round = 0; round < 50; round++) {
        size_t n = round == 0 ? sizeof(big) - 1 : 1 + (x >> 7) % 3000;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            big[i] = "ab\"type\":\"c\x01\x1d\x1e\x1f"[(x >> 16) % 14];
        }
        big[n] = '\0';
        round_trip(&DICT, big, NULL);
        round_trip(&none, big, NULL);
    }
}

static void test_refuses_malformed(void **state)
{
    (void)state;
    char *out = NULL;
    size_t n = 0;
    /* A code past the dictionary, a cut-off two-byte code, literal or
     * repeat, a literal that needed no escape, a repeat from before the
     * text's start. */
    static const char *const bad[] = { "\x05", "x\x1e", "\x1e\x05", "\x1f", "\x1f" "a",
                                       "abc\x1d", "abc\x1d\x01\x01", "abc\x1d\x01\x01\x04" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tp_unpack(&DICT, bad[i], strlen(bad[i]), 100, &out, &n), -EINVAL);
    assert_int_equal(tp_pack(&DICT, "a\0b", 3, &out, &n), -EINVAL);
    /* The cap holds for the unpacked length. */
    assert_int_equal(tp_pack(&DICT, "nothing is failing", 18, &out, &n), 0);
    char *back = NULL;
    assert_int_equal(tp_unpack(&DICT, out, n, 17, &back, &n), -E2BIG);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_shorter),
        cmocka_unit_test(test_many_words),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_refuses_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
