/* The buffers a worker thread keeps between requests (webhook/spare.h). */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spare.h"

/* A buffer of n bytes written to, as a request body or an answer is. */
static void *used_buffer(size_t n)
{
    char *p = malloc(n);
    assert_non_null(p);
    memset(p, 'x', n);
    return p;
}

static void *reuse_on_own_thread(void *arg)
{
    (void)arg;
    assert_int_equal(wh_spare_held(), 0);
    /* Given back, then taken by the next request that fits in it. */
    void *body = used_buffer(800 << 10);
    size_t body_size = malloc_usable_size(body);
    wh_spare_keep(body);
    assert_int_equal(wh_spare_held(), body_size);
    struct strbuf sb;
    sb_init(&sb, 8 << 20);
    assert_int_equal(wh_spare_reserve(&sb, 700 << 10), 0);
    assert_ptr_equal(sb.buf, body);
    assert_int_equal(wh_spare_held(), 0);
    assert_int_equal(sb.alloc, body_size);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb_str(&sb), "");
    assert_int_equal(sb_add(&sb, "{}", 2), 0);
    assert_string_equal(sb_str(&sb), "{}");
    wh_spare_release(&sb);
    assert_null(sb.buf);
    assert_int_equal(sb.cap, 8 << 20);
    assert_int_equal(wh_spare_held(), body_size);

    /* The smallest kept buffer that fits is taken, not a larger one. */
    void *big = used_buffer(WH_SPARE_MAX / 2);
    size_t big_size = malloc_usable_size(big);
    wh_spare_keep(big);
    assert_int_equal(wh_spare_held(), body_size + big_size);
    struct strbuf b;
    sb_init(&b, 8 << 20);
    assert_int_equal(wh_spare_reserve(&b, 100 << 10), 0);
    assert_ptr_equal(b.buf, body);
    assert_int_equal(wh_spare_held(), big_size);
    /* Larger than anything kept: a new buffer, and the kept one stays. */
    struct strbuf c;
    sb_init(&c, 8 << 20);
    assert_int_equal(wh_spare_reserve(&c, WH_SPARE_MAX / 4 * 3), 0);
    assert_true(c.alloc >= WH_SPARE_MAX / 4 * 3 + 1);
    assert_int_equal(wh_spare_held(), big_size);
    size_t c_size = malloc_usable_size(c.buf);
    wh_spare_release(&c);
    assert_int_equal(wh_spare_held(), big_size + c_size);
    /* Both slots full: a smaller buffer is freed, a larger one takes the
     * place of the smallest kept. */
    wh_spare_release(&b);
    assert_int_equal(wh_spare_held(), big_size + c_size);
    void *larger = used_buffer(WH_SPARE_MAX / 8 * 7);
    wh_spare_keep(larger);
    assert_int_equal(wh_spare_held(), c_size + malloc_usable_size(larger));

    /* Past the cap the reserve fails as sb_reserve does, and the kept
     * buffers stay kept. */
    struct strbuf d;
    sb_init(&d, 1 << 10);
    assert_int_not_equal(wh_spare_reserve(&d, 500 << 10), 0);
    assert_true(sb_failed(&d));
    sb_release(&d);
    size_t held = wh_spare_held();

    /* Small buffers and huge ones are freed, not kept. */
    wh_spare_keep(used_buffer(1 << 10));
    wh_spare_keep(used_buffer(WH_SPARE_MAX + (1 << 20)));
    wh_spare_keep(NULL);
    assert_int_equal(wh_spare_held(), held);
    /* What the thread keeps is freed when it exits (the ASan build's leak
     * check fails otherwise). */
    return NULL;
}

static void test_a_thread_reuses_what_it_gave_back(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reuse_on_own_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void *keep_one(void *arg)
{
    wh_spare_keep(arg);
    assert_int_equal(wh_spare_held(), malloc_usable_size(arg));
    return NULL;
}

static void test_threads_keep_their_own(void **state)
{
    (void)state;
    /* A buffer kept by another thread is not this thread's to take. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, keep_one, used_buffer(512 << 10)), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(wh_spare_held(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_thread_reuses_what_it_gave_back),
        cmocka_unit_test(test_threads_keep_their_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
