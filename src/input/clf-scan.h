/*
 * clf-scan.h - private to the web log format (input stage): finding a byte in a short
 * field eight bytes at a time, where a memchr call costs more than the scan (an
 * address, "-", a status), and whole-word loads for hashing.
 *
 * A word is XORed with the byte repeated; a zero byte then marks a hit, and the test
 * (v - 0x01..) & ~v & 0x80.. flags every zero byte, with false positives only in bytes
 * above a true zero byte (from the borrow), so its lowest flag is the first hit. Words
 * are read with memcpy and little-endian conversion, never outside [p, end).
 */
#ifndef KEYTRAIL_CLF_SCAN_H
#define KEYTRAIL_CLF_SCAN_H

#include "keytrail/bytes.h"

#define KT_SCAN_ONES 0x0101010101010101ull
#define KT_SCAN_HIGH 0x8080808080808080ull

#if defined(__GNUC__) || defined(__clang__)
#define kt_scan_ctz(x) ((guint)__builtin_ctzll(x))
#else
static inline guint
kt_scan_ctz(guint64 x)
{
    guint n = 0;
    while ((x & 1) == 0) {
        x >>= 1;
        n++;
    }
    return n;
}
#endif

/* The high bit of each byte of @v that equals @c's byte (plus false positives above
 * the lowest one, see above). */
static inline guint64
kt_scan_eq(guint64 v, guint64 c)
{
    v ^= c * KT_SCAN_ONES;
    return (v - KT_SCAN_ONES) & ~v & KT_SCAN_HIGH;
}

/* The 8 bytes at @p, the first in the lowest byte whatever the machine. */
static inline guint64
kt_scan_load(const char *p)
{
    return GUINT64_FROM_LE(kt_bytes_word(p));
}

/* The first @c in [@p, @end); NULL when none. */
static inline const char *
kt_scan_byte(const char *p, const char *end, char c)
{
    while (end - p >= 8) {
        guint64 z = kt_scan_eq(kt_scan_load(p), (guint8)c);
        if (z != 0)
            return p + (kt_scan_ctz(z) >> 3);
        p += 8;
    }
    while (p < end && *p != c)
        p++;
    return p < end ? p : NULL;
}

#endif
