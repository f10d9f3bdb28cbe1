/*
 * dict.c - string interning (record stage): one hash table and string chunk per
 * space, ids are dense and start at 1. Sources also keep their parsed address.
 */
#include "keytrail/dict.h"

#include "keytrail/addr.h"

typedef struct {
    guint32 *slots;       /* open addressing: id per slot, 0 = empty; size mask+1 */
    guint32 mask;         /* capacity - 1, capacity a power of two */
    GArray *hashes;       /* guint64 per id: the string's hash */
    GArray *lens;         /* guint32 per id: the string's length */
    GPtrArray *strs;      /* id -> const char* (in chunk, NUL-terminated); [0] = "" */
    GStringChunk *chunk;  /* owns the bytes */
} KtSpaceTable;

struct _KtDict {
    KtSpaceTable spaces[KT_SPACE_COUNT];
    GArray *addrs;        /* KtAddr per source id */
};

/* A fast 64-bit hash of a byte range (8 bytes per step, multiply-xorshift mixing). */
static guint64
hash_bytes(const char *p, gsize n)
{
    guint64 h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        guint64 v;
        memcpy(&v, p, 8);
        h = (h ^ (v * 0xc4ceb9fe1a85ec53ull)) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    guint64 v = 0;
    memcpy(&v, p, n);
    h = (h ^ (v * 0xc4ceb9fe1a85ec53ull)) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    return h;
}

static void
space_init(KtSpaceTable *t)
{
    t->mask = 1023;
    t->slots = g_new0(guint32, t->mask + 1);
    t->hashes = g_array_new(FALSE, TRUE, sizeof(guint64));
    t->lens = g_array_new(FALSE, TRUE, sizeof(guint32));
    t->strs = g_ptr_array_new();
    t->chunk = g_string_chunk_new(64 * 1024);
    guint64 h0 = 0;
    guint32 l0 = 0;
    g_array_append_val(t->hashes, h0);
    g_array_append_val(t->lens, l0);
    g_ptr_array_add(t->strs, (gpointer) "");
}

static void
space_clear(KtSpaceTable *t)
{
    g_free(t->slots);
    g_array_free(t->hashes, TRUE);
    g_array_free(t->lens, TRUE);
    g_ptr_array_free(t->strs, TRUE);
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
static guint32
space_find(const KtSpaceTable *t, KtStrView s, guint64 h)
{
    guint32 i = (guint32)h & t->mask;
    for (;;) {
        guint32 id = t->slots[i];
        if (id == 0)
            return i;
        if (g_array_index(t->hashes, guint64, id) == h &&
            g_array_index(t->lens, guint32, id) == s.len &&
            memcmp(g_ptr_array_index(t->strs, id), s.ptr, s.len) == 0)
            return i;
        i = (i + 1) & t->mask;
    }
}

static void
space_grow(KtSpaceTable *t)
{
    guint32 cap = (t->mask + 1) * 2;
    g_free(t->slots);
    t->slots = g_new0(guint32, cap);
    t->mask = cap - 1;
    for (guint32 id = 1; id < t->strs->len; id++) {
        guint32 i = (guint32)g_array_index(t->hashes, guint64, id) & t->mask;
        while (t->slots[i] != 0)
            i = (i + 1) & t->mask;
        t->slots[i] = id;
    }
}

guint32
kt_dict_lookup(const KtDict *d, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    const KtSpaceTable *t = &d->spaces[space];
    return t->slots[space_find(t, s, hash_bytes(s.ptr, s.len))];
}

guint32
kt_dict_intern(KtDict *d, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s) || s.len > G_MAXUINT32)
        return 0;
    KtSpaceTable *t = &d->spaces[space];
    guint64 h = hash_bytes(s.ptr, s.len);
    guint32 slot = space_find(t, s, h);
    if (t->slots[slot] != 0)
        return t->slots[slot];
    guint32 id = t->strs->len;
    guint32 len = (guint32)s.len;
    g_ptr_array_add(t->strs, g_string_chunk_insert_len(t->chunk, s.ptr, (gssize)s.len));
    g_array_append_val(t->hashes, h);
    g_array_append_val(t->lens, len);
    t->slots[slot] = id;
    if ((guint64)t->strs->len * 10 > (guint64)(t->mask + 1) * 7)
        space_grow(t);
    if (space == KT_SPACE_SOURCE) {
        KtAddr a;
        kt_addr_parse(s, &a, NULL);
        g_array_append_val(d->addrs, a);
    }
    return id;
}

guint32
kt_dict_intern_source(KtDict *d, KtStrView s, gboolean *leading_zero)
{
    if (leading_zero != NULL)
        *leading_zero = FALSE;
    if (kt_sv_empty(s))
        return 0;
    /* Fast path: the text as given is already known (canonical IP text or a named
     * source, the common case; canonical text never has leading zeros). */
    guint32 id = kt_dict_lookup(d, KT_SPACE_SOURCE, s);
    if (id != 0)
        return id;
    KtAddr a;
    gboolean lz = FALSE;
    if (kt_addr_parse(s, &a, &lz)) {
        char buf[KT_ADDR_TEXT_MAX];
        kt_addr_format(&a, buf);
        if (leading_zero != NULL)
            *leading_zero = lz;
        return kt_dict_intern(d, KT_SPACE_SOURCE, kt_sv(buf));
    }
    return kt_dict_intern(d, KT_SPACE_SOURCE, s);
}

const char *
kt_dict_str(const KtDict *d, KtSpace space, guint32 id)
{
    const KtSpaceTable *t = &d->spaces[space];
    if (id >= t->strs->len)
        return "";
    return g_ptr_array_index(t->strs, id);
}

guint32
kt_dict_size(const KtDict *d, KtSpace space)
{
    return d->spaces[space].strs->len;
}

const KtAddr *
kt_dict_addr(const KtDict *d, guint32 source_id)
{
    if (source_id >= d->addrs->len)
        source_id = 0;
    return &g_array_index(d->addrs, KtAddr, source_id);
}
