/*
 * dict.c - string interning (record stage): one hash table and string chunk per
 * space, ids are dense and start at 1. Sources also keep their parsed address. In front
 * of each table a small direct-mapped cache of recently interned ids, indexed by a cheap
 * mix of the length and a few words of the text, spares hashing the whole text when
 * values repeat (keys, operations and user agents do).
 */
#include "keytrail/dict.h"

#include "keytrail/addr.h"
#include "keytrail/bytes.h"

/* A table slot: the id, bits of its hash to skip most mismatches, and the text's length
 * and bytes, so that a probe verifies a match without touching the entry (a lookup in a
 * table larger than the cache then misses twice, slot and text, not three times). */
typedef struct {
    guint32 id;           /* 0 = empty */
    guint16 tag;          /* hash >> 48 */
    guint16 len;          /* the text's length, KT_SLOT_LONG when longer */
    const char *str;      /* the entry's text */
} KtSlot;

#define KT_SLOT_LONG 0xffffu /* a slot length meaning "see the entry" */

/* An interned string. */
typedef struct {
    const char *str;      /* in chunk, NUL-terminated; [0] = "" */
    guint64 hash;
    guint32 len;
} KtEntry;

#define KT_RECENT_BITS 10 /* recent-id cache entries per space: 1,024 */

/* A recent-cache entry: an id and the tag of its text (recent_mix() bits), so a miss is
 * seen without touching the entry. */
typedef struct {
    guint32 id;           /* 0 = none */
    guint32 tag;
} KtRecent;

typedef struct {
    KtSlot *slots;        /* open addressing, linear probing; size mask+1 */
    guint32 mask;         /* capacity - 1, capacity a power of two */
    KtEntry *ents;        /* id -> entry */
    guint32 n, cap;       /* entries used (with [0]) and allocated */
    GStringChunk *chunk;  /* owns the bytes */
    KtRecent recent[1u << KT_RECENT_BITS]; /* in pairs at recent_index(), the newer
                                              first */
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

/* The recent-cache mix of @p (@n >= 1 bytes): the length and the first, middle and last
 * eight bytes by one multiplication; the high bits index the cache, the low ones tag the
 * entry. Any mix is correct (a hit is verified against the whole text); a good one only
 * makes hits likelier. */
static inline guint64
recent_mix(const char *p, gsize n)
{
    guint64 a, b = 0, c = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n / 2 - 4, 8);
        memcpy(&c, p + n - 8, 8);
    } else {
        a = tail_bytes(p, n, n);
    }
    return (a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xff51afd7ed558ccdull) ^ n) *
           0xc4ceb9fe1a85ec53ull;
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
static KT_INLINE guint32
space_find(const KtSpaceTable *t, KtStrView s, guint64 h)
{
    guint16 tag = (guint16)(h >> 48);
    guint16 len = (guint16)MIN(s.len, (gsize)KT_SLOT_LONG);
    guint32 i = (guint32)h & t->mask;
    for (;;) {
        const KtSlot *sl = &t->slots[i];
        if (sl->id == 0)
            return i;
        if (sl->tag == tag && sl->len == len &&
            (len < KT_SLOT_LONG || t->ents[sl->id].len == s.len) &&
            kt_bytes_eq(sl->str, s.ptr, s.len))
            return i;
        i = (i + 1) & t->mask;
    }
}

/* The slot of entry @id (hash @h). */
static inline KtSlot
slot_of(const KtSpaceTable *t, guint32 id, guint64 h)
{
    const KtEntry *e = &t->ents[id];
    return (KtSlot){ id, (guint16)(h >> 48), (guint16)MIN(e->len, KT_SLOT_LONG), e->str };
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
        t->slots[i] = slot_of(t, id, h);
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

/* Adds @s (absent, hash @h) at empty slot @slot; a source's address is @addr, or parsed
 * from @s when NULL. */
static guint32
space_add(KtDict *d, KtSpace space, KtStrView s, guint64 h, guint32 slot, const KtAddr *addr)
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
    t->slots[slot] = slot_of(t, id, h);
    if ((guint64)t->n * 10 > (guint64)(t->mask + 1) * 7)
        space_grow(t);
    if (space == KT_SPACE_SOURCE) {
        KtAddr a;
        if (addr == NULL)
            kt_addr_parse(s, &a, NULL);
        g_array_append_vals(d->addrs, addr != NULL ? addr : &a, 1);
    }
    return id;
}

/* Interns @s (not empty) through the table alone, with the limit of intern_fast. */
static KT_INLINE guint32
table_intern(KtDict *d, KtSpace space, KtStrView s, guint32 max_ids, guint64 *hash)
{
    KtSpaceTable *t = &d->spaces[space];
    guint64 h = hash_bytes(s.ptr, s.len);
    guint32 slot = space_find(t, s, h);
    guint32 id = t->slots[slot].id;
    if (id == 0) {
        if (t->n > max_ids) {
            *hash = 0;
            return 0;
        }
        id = space_add(d, space, s, h, slot, NULL);
    }
    *hash = h;
    return id;
}

/* intern_fast past the recent cache (@r: the pair to fill, @tag: the text's tag). */
static G_GNUC_NO_INLINE guint32
intern_slow(KtDict *d, KtSpace space, KtStrView s, guint32 max_ids, guint32 r, guint32 tag,
            guint64 *hash)
{
    guint32 id = table_intern(d, space, s, max_ids, hash);
    if (id != 0) {
        KtSpaceTable *t = &d->spaces[space];
        t->recent[r + 1] = t->recent[r]; /* the pair's older entry gives way */
        t->recent[r] = (KtRecent){ id, tag };
    }
    return id;
}

/* Whether recent entry @c holds @s (tag @tag); sets *@hash when it does. */
static KT_INLINE gboolean
recent_hit(const KtSpaceTable *t, KtRecent c, KtStrView s, guint32 tag, guint64 *hash)
{
    if (c.tag != tag)
        return FALSE;
    const KtEntry *e = &t->ents[c.id];
    if (e->len != s.len || !kt_bytes_eq(e->str, s.ptr, s.len))
        return FALSE;
    *hash = e->hash;
    return TRUE;
}

/*
 * Interns @s in @space and sets *@hash to its hash; once @space holds more than @max_ids
 * ids (with the reserved 0) adds nothing, an unknown @s then giving 0. The recent cache
 * in front exists because hashing the whole text and probing the table cost about three
 * times a hit; it answers what the table would: an entry holds the id of the text it is
 * verified against (entry 0 has length 0 and never matches), after a tag that tells most
 * misses without touching the entry. A text may sit in either entry of its pair, so two
 * hot values with the same index do not evict each other.
 */
static KT_INLINE guint32
intern_fast(KtDict *d, KtSpace space, KtStrView s, guint32 max_ids, guint64 *hash)
{
    if (kt_sv_empty(s) || s.len > G_MAXUINT32) {
        *hash = 0;
        return 0;
    }
    const KtSpaceTable *t = &d->spaces[space];
    guint64 mix = recent_mix(s.ptr, s.len);
    guint32 r = (guint32)(mix >> (64 - KT_RECENT_BITS)) & ~1u, tag = (guint32)mix;
    if (G_LIKELY(recent_hit(t, t->recent[r], s, tag, hash)))
        return t->recent[r].id;
    if (recent_hit(t, t->recent[r + 1], s, tag, hash))
        return t->recent[r + 1].id;
    return intern_slow(d, space, s, max_ids, r, tag, hash);
}

guint32
kt_dict_intern(KtDict *d, KtSpace space, KtStrView s)
{
    guint64 h;
    return intern_fast(d, space, s, G_MAXUINT32, &h);
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

/* A source whose text as given is absent (hash @h, empty slot @slot): an address is
 * stored as its canonical text (with its parsed address), anything else as given. */
static G_GNUC_NO_INLINE guint32
source_new(KtDict *d, KtStrView s, guint64 h, guint32 slot, gboolean *leading_zero,
           guint64 *hash)
{
    KtAddr a;
    gboolean lz = FALSE;
    *hash = h;
    if (!kt_addr_parse(s, &a, &lz))
        return space_add(d, KT_SPACE_SOURCE, s, h, slot, &a);
    char buf[KT_ADDR_TEXT_MAX];
    gsize n = a.family == KT_ADDR_V4 ? format_v4(a.bytes, buf) : strlen(kt_addr_format(&a, buf));
    *leading_zero = lz;
    if (n == s.len && memcmp(buf, s.ptr, n) == 0) /* canonical already: found absent */
        return space_add(d, KT_SPACE_SOURCE, s, h, slot, &a);
    KtStrView c = kt_sv_len(buf, n);
    KtSpaceTable *t = &d->spaces[KT_SPACE_SOURCE];
    h = hash_bytes(buf, n);
    slot = space_find(t, c, h);
    *hash = h;
    if (t->slots[slot].id != 0)
        return t->slots[slot].id;
    return space_add(d, KT_SPACE_SOURCE, c, h, slot, &a);
}

/* kt_dict_intern_source with the hash and the limit of intern_fast; past the limit @s is
 * only looked up as given. */
static KT_INLINE guint32
source_fast(KtDict *d, KtStrView s, guint32 max_ids, gboolean *leading_zero, guint64 *hash)
{
    *leading_zero = FALSE;
    *hash = 0;
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    /* The text as given is known: canonical IP text or a named source, the common
     * case (canonical text never has leading zeros). Sources take the table directly:
     * they are too many for the recent cache to hit often enough to pay for its misses. */
    KtSpaceTable *t = &d->spaces[KT_SPACE_SOURCE];
    guint64 h = hash_bytes(s.ptr, s.len);
    guint32 slot = space_find(t, s, h);
    guint32 id = t->slots[slot].id;
    if (id != 0) {
        *hash = h;
        return id;
    }
    if (t->n > max_ids)
        return 0;
    return source_new(d, s, h, slot, leading_zero, hash);
}

guint32
kt_dict_intern_source(KtDict *d, KtStrView s, gboolean *leading_zero)
{
    guint64 h;
    gboolean lz;
    guint32 id = source_fast(d, s, G_MAXUINT32, &lz, &h);
    if (leading_zero != NULL)
        *leading_zero = lz;
    return id;
}

/*
 * intern_fast through a parser's id slot @slot (NULL: none, see KtInternHints). Why: the
 * web log's request memo hits on nearly every line, and hashing the key and the
 * operation and finding them again cost more than a third of the interning. What keeps
 * it equal: a slot holds the id intern_fast gave for the same bytes in this dict, and
 * a value's id and hash never change once it is interned, whatever the limits (they
 * only stop new values); intern_fast's answer is kept only when it is the value's own
 * id (not 0: empty, or unknown past the limit), so "(other)" is never remembered.
 */
static KT_INLINE guint32
intern_hinted(KtDict *d, KtSpace space, KtStrView s, guint32 *slot, guint32 max_ids,
              guint64 *hash)
{
    guint32 id = slot != NULL ? *slot : 0;
    if (id != 0) {
        *hash = d->spaces[space].ents[id].hash;
        return id;
    }
    id = intern_fast(d, space, s, max_ids, hash);
    if (slot != NULL)
        *slot = id;
    return id;
}

/* intern_hinted, mapping a value unknown past the limit to "(other)". */
static KT_INLINE guint32
intern_value(KtDict *d, KtSpace space, KtStrView s, guint32 *slot, guint32 max_ids,
             guint64 *hash)
{
    guint32 id = intern_hinted(d, space, s, slot, max_ids, hash);
    if (G_UNLIKELY(id == 0) && !kt_sv_empty(s))
        id = intern_fast(d, space, kt_sv("(other)"), G_MAXUINT32, hash);
    return id;
}

/*
 * intern_value with a guess at @s's id in @slot (NULL: none, see KtInternHints). Why:
 * clients repeat their user agent with their requests, and comparing the guess's text
 * costs half the recent cache's mix and probe. What keeps it equal: the guess is used
 * only when its entry's text is @s (ids are unique per text), and any id intern_value
 * gives is @s's or that of "(other)", whose text is not @s unless it is "(other)".
 */
static KT_INLINE guint32
intern_guessed(KtDict *d, KtSpace space, KtStrView s, guint32 *slot, guint32 max_ids,
               guint64 *hash)
{
    guint32 id = slot != NULL ? *slot : 0;
    if (id != 0) {
        const KtEntry *e = &d->spaces[space].ents[id];
        if (e->len == s.len && kt_bytes_eq(e->str, s.ptr, s.len)) {
            *hash = e->hash;
            return id;
        }
    }
    id = intern_value(d, space, s, NULL, max_ids, hash);
    if (slot != NULL)
        *slot = id;
    return id;
}

/* kt_dict_intern_event with the slots of @hn (NULL: none); inlined twice, so that the
 * call without hints (every format but web logs) keeps no test of them. */
static KT_INLINE gboolean
intern_event(KtDict *d, const KtEventView *ev, const KtInternHints *hn,
             const KtDictLimits *lim, KtRecord *r, guint64 *hash, gboolean *leading_zero)
{
    r->key = intern_hinted(d, KT_SPACE_KEY, ev->key, hn != NULL ? hn->key : NULL,
                           lim->max_keys, &hash[KT_SPACE_KEY]);
    if (r->key == 0)
        return FALSE;
    guint32 max = lim->max_values;
    r->principal = intern_value(d, KT_SPACE_PRINCIPAL, ev->principal, NULL, max,
                                &hash[KT_SPACE_PRINCIPAL]);
    r->source = source_fast(d, ev->source, max, leading_zero, &hash[KT_SPACE_SOURCE]);
    if (G_UNLIKELY(r->source == 0) && !kt_sv_empty(ev->source))
        r->source = intern_fast(d, KT_SPACE_SOURCE, kt_sv("(other)"), G_MAXUINT32,
                                &hash[KT_SPACE_SOURCE]);
    r->op = intern_value(d, KT_SPACE_OP, ev->op, hn != NULL ? hn->op : NULL, max,
                         &hash[KT_SPACE_OP]);
    r->ua = intern_guessed(d, KT_SPACE_UA, ev->ua, hn != NULL ? hn->ua : NULL, max,
                           &hash[KT_SPACE_UA]);
    return TRUE;
}

gboolean
kt_dict_intern_event(KtDict *d, const KtEventView *ev, const KtDictLimits *lim, KtRecord *r,
                     guint64 *hash, gboolean *leading_zero)
{
    KtInternHints *hn = ev->hints;
    if (G_LIKELY(hn == NULL))
        return intern_event(d, ev, NULL, lim, r, hash, leading_zero);
    if (G_UNLIKELY(hn->dict == NULL))
        hn->dict = d; /* the first write makes the slots this dict's */
    return intern_event(d, ev, hn->dict == d ? hn : NULL, lim, r, hash, leading_zero);
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
