/*
 * order-pack.c - packing and unpacking runs of records in bulk (order-pack.h).
 *
 * Why this exists: the ordering stage packs every record when it spills a run and
 * unpacks it when the run is merged (about 90 instructions a record field by field).
 * Apart from time and bytes, which are offset (time - min, bytes + 1), a packed record
 * is only the low bytes of its fields laid side by side: a permutation of the record's
 * bytes, with zeros for the bytes it leaves out. A record of at most 32 packed bytes is
 * therefore packed and unpacked with a few byte shuffles (SSSE3 pshufb, chosen at run
 * time), after or before adjusting time and bytes as 64-bit lanes. What keeps it equal to
 * pack_put / pack_get: the shuffles are built from the same widths and offsets, byte by
 * byte (kt_pack_shuffles), and every other case (no SSSE3, larger records) takes the
 * field-by-field path. tests/unit/test-order.c compares the two byte for byte.
 *
 * Ownership rule: plain values only; nothing here allocates.
 */
#include "order-pack.h"

#include <stddef.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define KT_PACK_X86 1
#include <tmmintrin.h>
#endif

/* Where byte @i of field @f of a packed record comes from in a KtRecord, or -1 when the
 * field has no such byte (a 32-bit field wider than 4 bytes cannot occur). */
static int
field_byte(int f, int i)
{
    static const int at[KT_F_COUNT] = {
        [KT_F_TIME] = offsetof(KtRecord, time_ms), [KT_F_TIEBREAK] = offsetof(KtRecord, tiebreak),
        [KT_F_LINE] = offsetof(KtRecord, line),    [KT_F_BYTES] = offsetof(KtRecord, bytes),
        [KT_F_INPUT] = offsetof(KtRecord, input),  [KT_F_KEY] = offsetof(KtRecord, key),
        [KT_F_PRINCIPAL] = offsetof(KtRecord, principal),
        [KT_F_SOURCE] = offsetof(KtRecord, source), [KT_F_OP] = offsetof(KtRecord, op),
        [KT_F_UA] = offsetof(KtRecord, ua),        [KT_F_MISC] = offsetof(KtRecord, status),
    };
    switch (f) {
    case KT_F_TIME:
    case KT_F_TIEBREAK:
    case KT_F_LINE:
    case KT_F_BYTES:
        return at[f] + i;
    case KT_F_INPUT: /* input | reserved << 32 */
        return i < 4 ? at[f] + i : (int)offsetof(KtRecord, reserved) + i - 4;
    default: /* 32-bit ids; MISC is status | outcome << 16 | flags << 24, which is the
              * record's bytes from status on, in little-endian order */
        return i < 4 ? at[f] + i : -1;
    }
}

void
kt_pack_shuffles(KtPack *k)
{
    memset(k->shuf_put, 0x80, sizeof(k->shuf_put));
    memset(k->shuf_get, 0x80, sizeof(k->shuf_get));
    k->shuf_ok = G_BYTE_ORDER == G_LITTLE_ENDIAN && k->size <= KT_PACK_SLACK;
    for (int f = 0; f < KT_F_COUNT && k->shuf_ok; f++) {
        for (int i = 0; i < k->width[f]; i++) {
            int from = field_byte(f, i), to = k->off[f] + i;
            if (from < 0) {
                k->shuf_ok = FALSE;
                break;
            }
            k->shuf_put[to / 16][from / 16][to % 16] = (guint8)(from % 16);
            k->shuf_get[from / 16][to / 16][from % 16] = (guint8)(to % 16);
        }
    }
}

#ifdef KT_PACK_X86
/* The shuffle of packed chunks @a and @b that gives record chunk @j. */
#define KT_GET(a, b, sh, j) \
    _mm_or_si128(_mm_shuffle_epi8((a), (sh)[j][0]), _mm_shuffle_epi8((b), (sh)[j][1]))
/* The shuffle of record chunks @c that gives packed chunk @o. */
#define KT_PUT(c, sh, o)                                                                 \
    _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8((c)[0], (sh)[o][0]),                     \
                              _mm_shuffle_epi8((c)[1], (sh)[o][1])),                     \
                 _mm_or_si128(_mm_shuffle_epi8((c)[2], (sh)[o][2]),                     \
                              _mm_shuffle_epi8((c)[3], (sh)[o][3])))

__attribute__((target("ssse3"), always_inline)) static inline void
pack_shuf(const KtPack *k, guint8 *dst, const KtRecord *r, gsize n)
{
    __m128i sh[2][4];
    for (int o = 0; o < 2; o++)
        for (int j = 0; j < 4; j++)
            sh[o][j] = _mm_loadu_si128((const __m128i *)k->shuf_put[o][j]);
    /* lane 0: (time ^ sign) - min; lane 1: bytes + 1 (pack_put, pack_bytes) */
    const __m128i sign = _mm_set_epi64x(0, (long long)KT_SIGN);
    const __m128i sub = _mm_set_epi64x(-1, (long long)k->min[KT_F_TIME]);
    const gsize size = k->size;
    for (gsize i = 0; i < n; i++, dst += size) {
        const __m128i *in = (const __m128i *)&r[i];
        __m128i c[4] = { _mm_sub_epi64(_mm_xor_si128(_mm_loadu_si128(in), sign), sub),
                         _mm_loadu_si128(in + 1), _mm_loadu_si128(in + 2),
                         _mm_loadu_si128(in + 3) };
        _mm_storeu_si128((__m128i *)dst, KT_PUT(c, sh, 0));
        _mm_storeu_si128((__m128i *)(dst + 16), KT_PUT(c, sh, 1));
    }
}

__attribute__((target("ssse3"), always_inline)) static inline void
unpack_shuf(const KtPack *k, const guint8 *src, KtRecord *r, gsize n)
{
    __m128i sh[4][2];
    for (int j = 0; j < 4; j++)
        for (int o = 0; o < 2; o++)
            sh[j][o] = _mm_loadu_si128((const __m128i *)k->shuf_get[j][o]);
    /* lane 0: (offset + min) ^ sign; lane 1: bytes - 1 (pack_get) */
    const __m128i sign = _mm_set_epi64x(0, (long long)KT_SIGN);
    const __m128i add = _mm_set_epi64x(-1, (long long)k->min[KT_F_TIME]);
    const gsize size = k->size;
    for (gsize i = 0; i < n; i++, src += size) {
        __m128i a = _mm_loadu_si128((const __m128i *)src);
        __m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
        __m128i *out = (__m128i *)&r[i];
        _mm_storeu_si128(out, _mm_xor_si128(_mm_add_epi64(KT_GET(a, b, sh, 0), add), sign));
        _mm_storeu_si128(out + 1, KT_GET(a, b, sh, 1));
        _mm_storeu_si128(out + 2, KT_GET(a, b, sh, 2));
        _mm_storeu_si128(out + 3, KT_GET(a, b, sh, 3));
    }
}

/* The loops above compiled twice: with AVX's three-operand encoding (no register copies
 * around each shuffle) and for SSSE3 alone. */
__attribute__((target("avx"))) static void
pack_avx(const KtPack *k, guint8 *dst, const KtRecord *r, gsize n)
{
    pack_shuf(k, dst, r, n);
}

__attribute__((target("ssse3"))) static void
pack_ssse3(const KtPack *k, guint8 *dst, const KtRecord *r, gsize n)
{
    pack_shuf(k, dst, r, n);
}

__attribute__((target("avx"))) static void
unpack_avx(const KtPack *k, const guint8 *src, KtRecord *r, gsize n)
{
    unpack_shuf(k, src, r, n);
}

__attribute__((target("ssse3"))) static void
unpack_ssse3(const KtPack *k, const guint8 *src, KtRecord *r, gsize n)
{
    unpack_shuf(k, src, r, n);
}
#endif

/* The loops that pack and unpack with @k: by byte shuffles with AVX's encoding or
 * SSSE3's, or field by field. */
typedef enum { KT_SHUF_NONE, KT_SHUF_SSSE3, KT_SHUF_AVX } KtShufIsa;

static KtShufIsa
shuf_isa(const KtPack *k)
{
#ifdef KT_PACK_X86
    if (k->shuf_ok && __builtin_cpu_supports("avx"))
        return KT_SHUF_AVX;
    if (k->shuf_ok && __builtin_cpu_supports("ssse3"))
        return KT_SHUF_SSSE3;
#else
    (void)k;
#endif
    return KT_SHUF_NONE;
}

void
kt_pack_many(const KtPack *k, guint8 *dst, const KtRecord *r, gsize n)
{
    switch (shuf_isa(k)) {
#ifdef KT_PACK_X86
    case KT_SHUF_AVX:
        pack_avx(k, dst, r, n);
        return;
    case KT_SHUF_SSSE3:
        pack_ssse3(k, dst, r, n);
        return;
#endif
    default:
        break;
    }
    const KtPack kk = *k;
    for (gsize i = 0; i < n; i++, dst += kk.size)
        pack_put(&kk, dst, &r[i]);
}

void
kt_unpack_many(const KtPack *k, const guint8 *src, KtRecord *r, gsize n)
{
    switch (shuf_isa(k)) {
#ifdef KT_PACK_X86
    case KT_SHUF_AVX:
        unpack_avx(k, src, r, n);
        return;
    case KT_SHUF_SSSE3:
        unpack_ssse3(k, src, r, n);
        return;
#endif
    default:
        break;
    }
    const KtPack kk = *k;
    for (gsize i = 0; i < n; i++, src += kk.size)
        pack_get(&kk, src, &r[i]);
}
