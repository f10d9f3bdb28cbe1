/*
 * dict.c - string interning (record stage): one hash table and string chunk per
 * space, ids are dense and start at 1. Sources also keep their parsed address.
 */
#include "keytrail/dict.h"

#include "keytrail/addr.h"

typedef struct {
    GHashTable *ids;      /* const char* (in chunk) -> id */
    GPtrArray *strs;      /* id -> const char* (in chunk); [0] = "" */
    GStringChunk *chunk;  /* owns the bytes */
} KtSpaceTable;

struct _KtDict {
    KtSpaceTable spaces[KT_SPACE_COUNT];
    GArray *addrs;        /* KtAddr per source id */
    GString *scratch;     /* NUL-terminated copy of a view for lookups */
};

KtDict *
kt_dict_new(void)
{
    KtDict *d = g_new0(KtDict, 1);
    for (int i = 0; i < KT_SPACE_COUNT; i++) {
        KtSpaceTable *t = &d->spaces[i];
        t->ids = g_hash_table_new(g_str_hash, g_str_equal);
        t->strs = g_ptr_array_new();
        t->chunk = g_string_chunk_new(64 * 1024);
        g_ptr_array_add(t->strs, (gpointer) "");
    }
    d->addrs = g_array_new(FALSE, TRUE, sizeof(KtAddr));
    g_array_set_size(d->addrs, 1);
    d->scratch = g_string_sized_new(256);
    return d;
}

void
kt_dict_free(KtDict *d)
{
    if (d == NULL)
        return;
    for (int i = 0; i < KT_SPACE_COUNT; i++) {
        g_hash_table_destroy(d->spaces[i].ids);
        g_ptr_array_free(d->spaces[i].strs, TRUE);
        g_string_chunk_free(d->spaces[i].chunk);
    }
    g_array_free(d->addrs, TRUE);
    g_string_free(d->scratch, TRUE);
    g_free(d);
}

static const char *
scratch_copy(KtDict *d, KtStrView s)
{
    g_string_truncate(d->scratch, 0);
    g_string_append_len(d->scratch, s.ptr, (gssize)s.len);
    return d->scratch->str;
}

guint32
kt_dict_lookup(const KtDict *dict, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s))
        return 0;
    KtDict *d = (KtDict *)dict;
    const char *key = scratch_copy(d, s);
    return GPOINTER_TO_UINT(g_hash_table_lookup(d->spaces[space].ids, key));
}

guint32
kt_dict_intern(KtDict *d, KtSpace space, KtStrView s)
{
    if (kt_sv_empty(s))
        return 0;
    KtSpaceTable *t = &d->spaces[space];
    const char *key = scratch_copy(d, s);
    guint32 id = GPOINTER_TO_UINT(g_hash_table_lookup(t->ids, key));
    if (id != 0)
        return id;
    const char *stored = g_string_chunk_insert_len(t->chunk, s.ptr, (gssize)s.len);
    id = t->strs->len;
    g_ptr_array_add(t->strs, (gpointer)stored);
    g_hash_table_insert(t->ids, (gpointer)stored, GUINT_TO_POINTER(id));
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
    /* Fast path: the text as given is already known (the common case). */
    KtSpaceTable *t = &d->spaces[KT_SPACE_SOURCE];
    guint32 id = GPOINTER_TO_UINT(g_hash_table_lookup(t->ids, scratch_copy(d, s)));
    if (id != 0) {
        const KtAddr *a = &g_array_index(d->addrs, KtAddr, id);
        if (a->family == KT_ADDR_NAMED || a->family == KT_ADDR_NONE)
            return id;
        /* Canonical IP text stored; the given text equals it, so no leading zeros. */
        return id;
    }
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
