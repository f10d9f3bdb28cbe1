/*
 * bytes.h - helpers for hot paths: a byte comparison for short strings that are nearly
 * always equal (interned strings after a hash match, memoised requests and paths),
 * without a library call, and a forced-inline marker.
 */
#ifndef KEYTRAIL_BYTES_H
#define KEYTRAIL_BYTES_H

#include "keytrail/common.h"

/* For small per-record helpers the compiler does not always inline on its own (GLib 2.66
 * has no G_ALWAYS_INLINE). */
#if defined(__GNUC__)
#define KT_INLINE inline __attribute__((always_inline))
#else
#define KT_INLINE inline
#endif

/* The 8 bytes at @p as a number (any alignment). */
static KT_INLINE guint64
kt_bytes_word(const char *p)
{
    guint64 v;
    memcpy(&v, p, 8);
    return v;
}

/*
 * memcmp(@a, @b, @n) == 0; reads exactly @n bytes of each. Words are compared by
 * XOR and OR without a branch each: 16 bytes a step, then the last 16 (or 8, or 4)
 * bytes overlapping what was compared, so 8 to 32 bytes take no loop at all.
 */
static KT_INLINE gboolean
kt_bytes_eq(const char *a, const char *b, gsize n)
{
    if (n >= 16) {
        for (gsize i = 0; i + 16 < n; i += 16) {
            if (((kt_bytes_word(a + i) ^ kt_bytes_word(b + i)) |
                 (kt_bytes_word(a + i + 8) ^ kt_bytes_word(b + i + 8))) != 0)
                return FALSE;
        }
        return ((kt_bytes_word(a + n - 16) ^ kt_bytes_word(b + n - 16)) |
                (kt_bytes_word(a + n - 8) ^ kt_bytes_word(b + n - 8))) == 0;
    }
    if (n >= 8)
        return ((kt_bytes_word(a) ^ kt_bytes_word(b)) |
                (kt_bytes_word(a + n - 8) ^ kt_bytes_word(b + n - 8))) == 0;
    if (n >= 4) {
        guint32 x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    for (gsize i = 0; i < n; i++) {
        if (a[i] != b[i])
            return FALSE;
    }
    return TRUE;
}

#endif
