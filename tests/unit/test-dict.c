/* test-dict.c - the dictionary's hot-path helpers (bytes.h) and its tables. */
#include "keytrail/bytes.h"
#include "keytrail/dict.h"

/* kt_bytes_eq answers as memcmp for every length up to 80 and every position of a
 * difference, and reads no byte past @n. */
static void
test_bytes_eq(void)
{
    char a[96], b[96];
    for (gsize i = 0; i < sizeof(a); i++)
        a[i] = b[i] = (char)('a' + i % 26);
    for (gsize n = 0; n <= 80; n++) {
        /* copies right-aligned at the end of the buffers: a read past n is a read past
         * the array (ASan) */
        const char *x = a + sizeof(a) - n, *y = b + sizeof(b) - n;
        g_assert_true(kt_bytes_eq(x, y, n));
        for (gsize i = 0; i < n; i++) {
            char *c = b + sizeof(b) - n + i;
            char keep = *c;
            for (int bit = 0; bit < 8; bit += 7) {
                *c = (char)(keep ^ (1 << bit));
                g_assert_cmpint(kt_bytes_eq(x, y, n), ==, memcmp(x, y, n) == 0);
                g_assert_false(kt_bytes_eq(x, y, n));
            }
            *c = keep;
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/dict/bytes-eq", test_bytes_eq);
    return g_test_run();
}
