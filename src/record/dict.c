/*
 * dict.c - string interning (record stage): one hash table and string chunk per
 * space, ids are dense and start at 1. Sources also keep their parsed address.
 */
#include "keytrail/dict.h"

#include "keytrail/addr.h"
#include "keytrail/bytes.h"

/* A table slot: the id, and the high half of its hash to skip most mismatches without
 * touching the entry. */
typedef struct {
    guint32 id;           /* 0 = empty */
    guint32 tag;          /* hash >> 32 */
} KtSlot;

/* An interned string. */
typedef struct {
    const char *str;      /* in chunk, NUL-terminated; [0] = "" */
    guint64 hash;
    guint32 len;
} KtEntry;

typedef struct {
    KtSlot *slots;        /* open addressing, linear probing; size mask+1 */
    guint32 mask;         /* capacity - 1, capacity a power of two */
    KtEntry *ents;        /* id -> entry */
    guint32 n, cap;       /* entries used (with [0]) and allocated */
    GStringChunk *chunk;  /* owns the bytes */
} KtSpaceTable;

struct _KtDict {
    KtSpaceTable spaces[KT_SPACE_COUNT];
    GArray *addrs;        /* KtAddr per source id */
};

/* The last @n (< 8) bytes at @p as a little-endian number, as memcpy into a zeroed
 * guint64 would give on a little-endian machine; @total is the whole string's length
 * (the bytes before @p may be read when it is at least 8). */
static inline guint64
tail_bytes(const char *p, gsize n, gsize total)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    const guint8 *u = (const guint8 *)p;
    if (n == 0)
        return 0;
    if (total >= 8) {
        guint64 v;
        memcpy(&v, p + n - 8, 8);
        return v >> (64 - 8 * n);
    }
    if (n >= 4) {
        guint32 lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (guint64)lo | (guint64)hi << (8 * (n - 4));
    }
    return (guint64)u[0] | (guint64)u[n / 2] << (8 * (n / 2)) | (guint64)u[n - 1] << (8 * (n - 1));
#else
    guint64 v = 0;
    memcpy(&v, p, n);
    return v;
#endif
}

/* A fast 64-bit hash of a byte range (8 bytes per step, multiply-xorshift mixing). */
static inline guint64
hash_bytes(const char *p, gsize n)
{
    gsize total = n;
    guint64 h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        guint64 v;
        memcpy(&v, p, 8);
        h = (h ^ (v * 0xc4ceb9fe1a85ec53ull)) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    guint64 v = tail_bytes(p, n, total);
    h = (h ^ (v * 0xc4ceb9fe1a85ec53ull)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    return h;
}

static void
space_init(KtSpaceTable *t)
{
    t->mask = 1023;
    t->slots = g_new0(KtSlot, t->mask + 1);
    t->cap = 256;
    t->ents = g_new0(KtEntry, t->cap);
    t->ents[0].str = "";
    t->n = 1;
    t->chunk = g_string_chunk_new(64 * 1024);
}

static void
space_clear(KtSpaceTable *t)
{
    g_free(t->slots);
    g_free(t->ents);
    g_string_chunk_free(t->chunk);
}

KtDict *
kt_dict_new(void)
{
    KtDict *d = g_new0(KtDict, 1);
    for (int i = 0; i < KT_SPACE_COUNT; i++)
        space_init(&d->spaces[i]);
    d->addrs = g_array_new(FALSE, TRUE, sizeof(KtAddr));
    g_array_set_size(d->addrs, 1);
    return d;
}

void
kt_dict_free(KtDict *d)
{
    if (d == NULL)
        return;
    for (int i = 0; i < KT_SPACE_COUNT; i++)
        space_clear(&d->spaces[i]);
    g_array_free(d->addrs, TRUE);
    g_free(d);
}

/* Returns the slot index holding @s, or the empty slot where it belongs. */
static inline guint32
space_find(const KtSpaceTable *t, KtStrView s, guint64 h)
{
    guint32 tag = (guint32)(h >> 32);
    guint32 i = (guint32)h & t->mask;
    for (;;) {
        KtSlot sl = t->slots[i];
        if (sl.id == 0)
            return i;
        if (sl.tag == tag) {
            const KtEntry *e = &t->ents[sl.id];
            if (e->hash == h && e->len == s.len && kt_bytes_eq(e->str, s.ptr, s.len))
                return i;
        }
        i = (i + 1) & t->mask;
    }
}

static void
space_grow(KtSpaceTable *t)
{
    guint32 cap = (t->mask + 1) * 2;
    g_free(t->slots);
    t->slots = g_new0(KtSlot, cap);
    t->mask = cap - 1;
    for (guint32 id = 1; id < t->n; id++) {
        guint64 h = t->ents[id].hash;
        guint32 i = (guint32)h & t->mask;
        while (t->slots[i].id != 0)
            i = (i + 1) & t->mask;
        t->slots[i] = (KtSlot){ id, (guint32)(h >> 32) };
    }
}

guint32
kt_dict_lookup(const KtDict *d, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    const KtSpaceTable *t = &d->spaces[space];
    return t->slots[space_find(t, s, hash_bytes(s.ptr, s.len))].id;
}

/* Adds @s (absent, hash @h) at empty slot @slot. */
static guint32
space_add(KtDict *d, KtSpace space, KtStrView s, guint64 h, guint32 slot)
{
    KtSpaceTable *t = &d->spaces[space];
    guint32 id = t->n;
    if (t->n == t->cap) {
        t->cap *= 2;
        t->ents = g_renew(KtEntry, t->ents, t->cap);
    }
    t->ents[id] = (KtEntry){ g_string_chunk_insert_len(t->chunk, s.ptr, (gssize)s.len), h,
                             (guint32)s.len };
    t->n++;
    t->slots[slot] = (KtSlot){ id, (guint32)(h >> 32) };
    if ((guint64)t->n * 10 > (guint64)(t->mask + 1) * 7)
        space_grow(t);
    if (space == KT_SPACE_SOURCE) {
        KtAddr a;
        kt_addr_parse(s, &a, NULL);
        g_array_append_val(d->addrs, a);
    }
    return id;
}

guint32
kt_dict_intern(KtDict *d, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    KtSpaceTable *t = &d->spaces[space];
    guint64 h = hash_bytes(s.ptr, s.len);
    guint32 slot = space_find(t, s, h);
    if (t->slots[slot].id != 0)
        return t->slots[slot].id;
    return space_add(d, space, s, h, slot);
}

/* "%u.%u.%u.%u" of an IPv4 address into @buf (at least 16 bytes); returns the length. */
static gsize
format_v4(const guint8 b[4], char *buf)
{
    char *o = buf;
    for (int i = 0; i < 4; i++) {
        guint v = b[i];
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        if (i < 3)
            *o++ = '.';
    }
    *o = '\0';
    return (gsize)(o - buf);
}

guint32
kt_dict_intern_source(KtDict *d, KtStrView s, gboolean *leading_zero)
{
    if (leading_zero != NULL)
        *leading_zero = FALSE;
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    /* Fast path: the text as given is already known (canonical IP text or a named
     * source, the common case; canonical text never has leading zeros). */
    KtSpaceTable *t = &d->spaces[KT_SPACE_SOURCE];
    guint32 slot = space_find(t, s, hash_bytes(s.ptr, s.len));
    if (t->slots[slot].id != 0)
        return t->slots[slot].id;
    KtAddr a;
    gboolean lz = FALSE;
    if (!kt_addr_parse(s, &a, &lz))
        return kt_dict_intern(d, KT_SPACE_SOURCE, s);
    char buf[KT_ADDR_TEXT_MAX];
    gsize n = a.family == KT_ADDR_V4 ? format_v4(a.bytes, buf) : strlen(kt_addr_format(&a, buf));
    if (leading_zero != NULL)
        *leading_zero = lz;
    KtStrView c = kt_sv_len(buf, n);
    guint64 h = hash_bytes(buf, n);
    slot = space_find(t, c, h);
    if (t->slots[slot].id != 0)
        return t->slots[slot].id;
    return space_add(d, KT_SPACE_SOURCE, c, h, slot);
}

const char *
kt_dict_str(const KtDict *d, KtSpace space, guint32 id)
{
    const KtSpaceTable *t = &d->spaces[space];
    if (id >= t->n)
        return "";
    return t->ents[id].str;
}

guint64
kt_dict_hash(const KtDict *d, KtSpace space, guint32 id)
{
    const KtSpaceTable *t = &d->spaces[space];
    return id < t->n ? t->ents[id].hash : 0;
}

guint32
kt_dict_size(const KtDict *d, KtSpace space)
{
    return d->spaces[space].n;
}

const KtAddr *
kt_dict_addr(const KtDict *d, guint32 source_id)
{
    if (source_id >= d->addrs->len)
        source_id = 0;
    return &g_array_index(d->addrs, KtAddr, source_id);
}
