/*
 * order-pack.h - how the ordering stage (order.c) packs the records of a spilled run:
 * per-run field widths from the ranges kept as records are added, fixed offsets, and
 * the inline packing and unpacking its spill and merge loops run for every record.
 *
 * Ownership rule: plain values only; nothing here allocates.
 */
#ifndef KT_ORDER_PACK_H
#define KT_ORDER_PACK_H

#include "keytrail/order.h"

#include <string.h>

/* Packed fields of a spilled record. Small fields share one: MISC is status | outcome
 * << 16 | flags << 24, INPUT is input | reserved << 32 (both usually a few bytes). */
enum { KT_F_TIME, KT_F_TIEBREAK, KT_F_LINE, KT_F_BYTES, KT_F_INPUT, KT_F_KEY, KT_F_PRINCIPAL,
       KT_F_SOURCE, KT_F_OP, KT_F_UA, KT_F_MISC, KT_F_COUNT };

#define KT_SIGN ((guint64)1 << 63)

/* Packed records of at most this many bytes are packed and unpacked with byte shuffles
 * (kt_pack_many, kt_unpack_many); buffers of packed records keep this many bytes of
 * slack after their last record for them. */
#define KT_PACK_SLACK 32

typedef struct {
    guint64 min[KT_F_COUNT], max[KT_F_COUNT]; /* range of each field (unsigned order) */
    guint64 mask[KT_F_COUNT];  /* bytes of the offset: low width*8 bits */
    guint8 width[KT_F_COUNT];  /* bytes per field, 0-8 */
    guint8 off[KT_F_COUNT];    /* where each field starts in a packed record */
    gsize size;                /* bytes per record */
    /* set by pack_finish (kt_pack_shuffles): the same layout as byte shuffles, for
     * records of at most KT_PACK_SLACK bytes (shuf_ok); 0x80 selects a zero byte */
    gboolean shuf_ok;
    guint8 shuf_put[2][4][16]; /* packed bytes [16k, 16k+16) from record chunk j */
    guint8 shuf_get[4][2][16]; /* record bytes [16j, 16j+16) from packed chunk k */
} KtPack;

/* Fills the shuffles of @k from its widths and offsets (order-pack.c). */
void kt_pack_shuffles(KtPack *k);

/* Packs @n records of @r at @dst as n pack_put() calls would; writes up to
 * KT_PACK_SLACK bytes past the last record. */
void kt_pack_many(const KtPack *k, guint8 *dst, const KtRecord *r, gsize n);

/* Unpacks @n records from @src into @r as n pack_get() calls would; reads up to
 * KT_PACK_SLACK bytes past the last record. */
void kt_unpack_many(const KtPack *k, const guint8 *src, KtRecord *r, gsize n);

/* The record as 8 words, for ORing whole records (no padding: every bit is a field). */
#define KT_REC_WORDS 8
G_STATIC_ASSERT(sizeof(KtRecord) == KT_REC_WORDS * sizeof(guint64));

/* Upper bounds of the fields of the in-memory run, kept as records are added (its times
 * are known once it is sorted: from its first to its last record). */
typedef struct {
    guint64 ors[KT_REC_WORDS]; /* OR of the records' words: of each field (words 0 and 1,
                                  time and bytes, are left 0) */
    guint64 bytes;            /* OR of the packed bytes fields (pack_bytes) */
} KtRunRange;

/*
 * A spilled run stores each field of its records in as few little-endian bytes as the
 * run's range of that field needs: time as the offset from the run's first time (in
 * unsigned order), every other field as is, its range bounded by the OR of its values.
 * The layout is fixed per run, each field at a fixed offset: packing is a store per
 * field, unpacking a load and a mask, and a typical record takes about 27 bytes
 * instead of 64.
 */
/* The shared fields (see KT_F_MISC and KT_F_INPUT). */
static inline guint64
pack_misc(const KtRecord *r)
{
    return (guint64)r->status | (guint64)r->outcome << 16 | (guint64)r->flags << 24;
}

static inline guint64
pack_input(const KtRecord *r)
{
    return (guint64)r->input | (guint64)r->reserved << 32;
}

/* Bytes are packed plus one, so that -1 (unknown) and sizes share the range [0, OR]. */
static inline guint64
pack_bytes(const KtRecord *r)
{
    return (guint64)r->bytes + 1;
}

/* Word @i of @r. */
static inline guint64
rec_word(const KtRecord *r, int i)
{
    guint64 w;
    memcpy(&w, (const guint8 *)r + i * sizeof(w), sizeof(w));
    return w;
}

/* Widens @g to @r. The record is ORed as words (the first two, time and bytes, are not
 * needed); the OR of a field is then the field of the ORed words, as no field straddles
 * a word. */
static inline void
range_add(KtRunRange *g, const KtRecord *r)
{
    g->ors[2] |= rec_word(r, 2);
    g->ors[3] |= rec_word(r, 3);
    g->ors[4] |= rec_word(r, 4);
    g->ors[5] |= rec_word(r, 5);
    g->ors[6] |= rec_word(r, 6);
    g->ors[7] |= rec_word(r, 7);
    g->bytes |= pack_bytes(r);
}

/* The ranges of a run of one record, @r. */
static inline void
range_start(KtRunRange *g, const KtRecord *r)
{
    memset(g, 0, sizeof(*g));
    range_add(g, r);
}

static inline void
pack_reset(KtPack *k)
{
    for (int i = 0; i < KT_F_COUNT; i++) {
        k->min[i] = G_MAXUINT64;
        k->max[i] = 0;
    }
}

static inline void
pack_widen(KtPack *k, const guint64 f[KT_F_COUNT])
{
    for (int i = 0; i < KT_F_COUNT; i++) {
        k->min[i] = MIN(k->min[i], f[i]);
        k->max[i] = MAX(k->max[i], f[i]);
    }
}

/* Widens @k to the records of a sorted run from @first to @last whose ranges @g holds.
 * Fields other than time get the range [0, OR of the values]: an upper bound kept with
 * a few ORs as records are added, with no pass over the run. */
static inline void
pack_range(KtPack *k, const KtRunRange *g, const KtRecord *first, const KtRecord *last)
{
    guint64 lo[KT_F_COUNT] = { 0 }, hi[KT_F_COUNT];
    KtRecord o;
    memcpy(&o, g->ors, sizeof(o));
    hi[KT_F_TIEBREAK] = o.tiebreak;
    hi[KT_F_LINE] = o.line;
    hi[KT_F_INPUT] = pack_input(&o);
    hi[KT_F_KEY] = o.key;
    hi[KT_F_PRINCIPAL] = o.principal;
    hi[KT_F_SOURCE] = o.source;
    hi[KT_F_OP] = o.op;
    hi[KT_F_UA] = o.ua;
    hi[KT_F_MISC] = pack_misc(&o);
    lo[KT_F_TIME] = (guint64)first->time_ms ^ KT_SIGN;
    hi[KT_F_TIME] = (guint64)last->time_ms ^ KT_SIGN;
    hi[KT_F_BYTES] = g->bytes;
    pack_widen(k, lo);
    pack_widen(k, hi);
}

/* Sets the offsets, masks and size of @k from its widths (and its shuffles). */
static inline void
pack_layout(KtPack *k)
{
    k->size = 0;
    for (int i = 0; i < KT_F_COUNT; i++) {
        guint8 w = k->width[i];
        k->mask[i] = w == 8 ? G_MAXUINT64 : ((guint64)1 << (8 * w)) - 1;
        k->off[i] = (guint8)k->size;
        k->size += w;
    }
    kt_pack_shuffles(k);
}

/* Chooses the widths once the ranges are known (an empty range packs in 0 bytes). */
static inline void
pack_finish(KtPack *k)
{
    for (int i = 0; i < KT_F_COUNT; i++) {
        if (k->min[i] > k->max[i])
            k->min[i] = k->max[i] = 0;
        /* ranges other than time's start at 0 (OR bounds): such fields are stored as is */
        g_assert(i == KT_F_TIME || k->min[i] == 0);
        guint64 span = k->max[i] - k->min[i];
        guint8 w = 0;
        while (w < 8 && (span >> (8 * w)) != 0)
            w++;
        k->width[i] = w;
    }
    pack_layout(k);
}

/* Stores @v (its offset from min[i], which is 0 for every field but time) in field @i of
 * the record at @p: 8 bytes written, width[i] kept, as fields are stored in increasing
 * order, each over the previous one's slack. */
static inline void
put_field(const KtPack *k, int i, guint8 *p, guint64 v)
{
    guint64 d = GUINT64_TO_LE(v);
    memcpy(p + k->off[i], &d, 8);
}

/* Packs @r at @p; writes up to 8 bytes past the record (callers leave that slack). */
static inline void
pack_put(const KtPack *k, guint8 *p, const KtRecord *r)
{
    put_field(k, KT_F_TIME, p, ((guint64)r->time_ms ^ KT_SIGN) - k->min[KT_F_TIME]);
    put_field(k, KT_F_TIEBREAK, p, r->tiebreak);
    put_field(k, KT_F_LINE, p, r->line);
    put_field(k, KT_F_BYTES, p, pack_bytes(r));
    put_field(k, KT_F_INPUT, p, pack_input(r));
    put_field(k, KT_F_KEY, p, r->key);
    put_field(k, KT_F_PRINCIPAL, p, r->principal);
    put_field(k, KT_F_SOURCE, p, r->source);
    put_field(k, KT_F_OP, p, r->op);
    put_field(k, KT_F_UA, p, r->ua);
    put_field(k, KT_F_MISC, p, pack_misc(r));
}

/* The stored value of field @i of the record at @p (reads 8 bytes): its offset from
 * min[i]. Fields are at fixed offsets, so their loads do not wait for one another. */
static inline guint64
get_field(const KtPack *k, int i, const guint8 *p)
{
    guint64 d;
    memcpy(&d, p + k->off[i], 8);
    return GUINT64_FROM_LE(d) & k->mask[i];
}

/* Unpacks a record from @p; reads up to 8 bytes past it (callers leave that slack). */
static inline void
pack_get(const KtPack *k, const guint8 *p, KtRecord *r)
{
    r->time_ms = (gint64)((get_field(k, KT_F_TIME, p) + k->min[KT_F_TIME]) ^ KT_SIGN);
    r->tiebreak = get_field(k, KT_F_TIEBREAK, p);
    r->line = get_field(k, KT_F_LINE, p);
    r->bytes = (gint64)(get_field(k, KT_F_BYTES, p) - 1);
    guint64 input = get_field(k, KT_F_INPUT, p);
    r->input = (guint32)input;
    r->reserved = (guint32)(input >> 32);
    r->key = (guint32)get_field(k, KT_F_KEY, p);
    r->principal = (guint32)get_field(k, KT_F_PRINCIPAL, p);
    r->source = (guint32)get_field(k, KT_F_SOURCE, p);
    r->op = (guint32)get_field(k, KT_F_OP, p);
    r->ua = (guint32)get_field(k, KT_F_UA, p);
    guint64 misc = get_field(k, KT_F_MISC, p);
    r->status = (guint16)misc;
    r->outcome = (guint8)(misc >> 16);
    r->flags = (guint8)(misc >> 24);
}

#endif
