/*
 * bytes.h - a byte comparison for hot paths (short strings that are nearly always equal:
 * interned strings after a hash match, memoised paths), without a library call.
 */
#ifndef KEYTRAIL_BYTES_H
#define KEYTRAIL_BYTES_H

#include "keytrail/common.h"

/* memcmp(@a, @b, @n) == 0; reads exactly @n bytes of each. */
static inline gboolean
kt_bytes_eq(const char *a, const char *b, gsize n)
{
    guint64 x, y;
    if (n < 8) {
        for (gsize i = 0; i < n; i++) {
            if (a[i] != b[i])
                return FALSE;
        }
        return TRUE;
    }
    for (gsize i = 0; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return FALSE;
    }
    memcpy(&x, a + n - 8, 8); /* the last 8 bytes, overlapping the words above */
    memcpy(&y, b + n - 8, 8);
    return x == y;
}

#endif
