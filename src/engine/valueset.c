/*
 * valueset.c - the per-entity sets of learned values (IPs, networks, operations, user
 * agent families): open addressing with linear probing and backward-shift deletion,
 * a hard cap with least-recently-seen eviction, and churn bookkeeping.
 *
 * Sets of up to KT_VALSET_COMPACT values are compact arrays that remember the slot each
 * value would have in an 8-slot table; every change to them is made on that table
 * (rebuilt on the stack), so a set behaves exactly as if it had been a table all along.
 *
 * A table keeps, after its entries and extras, a lower bound of last_ms for each block of
 * KT_VALSET_BLOCK slots, so that eviction (the least recently seen value of a full set,
 * once per new value of a key at its cap) scans only the blocks that may hold it.
 */
#include "engine-private.h"

#define KT_VALSET_BLOCK 64

/* A table: @mask + 1 slots and their extras (NULL for sets without), and the bounds of
 * its blocks (NULL for the virtual table of a compact set): no value in slots
 * [KT_VALSET_BLOCK * b, KT_VALSET_BLOCK * (b + 1)) was last seen before lb[b]. The bound
 * is lowered when a value moves into the block (placed or shifted back); last_ms only
 * grows otherwise (records are counted with MAX), except when a state is loaded, which
 * calls kt_valset_forget_min(). G_MININT64 means not known. */
typedef struct {
    KtVal *v;
    KtValExtra *x;
    guint32 mask;
    gint64 *lb;
} KtTab;

void
kt_valset_init(KtValSet *s, guint32 cap, gboolean extras)
{
    g_assert(cap >= 1 && cap <= 32768);
    memset(s, 0, sizeof(*s));
    s->cap = (guint16)cap;
    s->extras = extras ? 1 : 0;
    s->last_new_day = G_MININT32;
    s->min_last_h = G_MAXINT32;
}

void
kt_valset_clear(KtValSet *s)
{
    g_free(s->slots);
    s->slots = NULL;
    s->mask = 0;
    s->ccap = 0;
    s->vpos = 0;
    s->n = 0;
    s->n_base = 0;
}

/* The hour of @ms, rounded down and clamped into 32 bits (times of the years 1-9999 fit). */
static gint32
hour_of(gint64 ms)
{
    const gint64 h = (gint64)3600 * 1000;
    gint64 hour = ms >= 0 ? ms / h : -1 - (-(ms + 1)) / h;
    return (gint32)CLAMP(hour, (gint64)G_MININT32 + 1, (gint64)G_MAXINT32 - 1);
}

/* Bytes of one entry with its extra. */
static gsize
entry_size(const KtValSet *s)
{
    return sizeof(KtVal) + (s->extras ? sizeof(KtValExtra) : 0);
}

static guint32
n_blocks(guint32 size)
{
    return (size + KT_VALSET_BLOCK - 1) / KT_VALSET_BLOCK;
}

/* The block bounds of a table of @size slots in @block. */
static gint64 *
table_bounds(const KtValSet *s, KtVal *block, guint32 size)
{
    return (gint64 *)(void *)((char *)block + size * entry_size(s));
}

void
kt_valset_forget_min(KtValSet *s)
{
    s->min_last_h = G_MININT32;
    if (s->slots != NULL && s->ccap == 0) { /* last_ms set directly: bounds not known */
        gint64 *lb = table_bounds(s, s->slots, (guint32)s->mask + 1);
        for (guint32 b = 0; b < n_blocks((guint32)s->mask + 1); b++)
            lb[b] = G_MININT64;
    }
}

gsize
kt_valset_bytes(const KtValSet *s)
{
    if (s->slots == NULL)
        return 0;
    if (s->ccap != 0)
        return s->ccap * entry_size(s);
    return ((gsize)s->mask + 1) * entry_size(s) + n_blocks((guint32)s->mask + 1) * sizeof(gint64);
}

/* (transfer full) Zeroed room for @len entries and their extras. */
static KtVal *
block_new(const KtValSet *s, guint32 len)
{
    return g_malloc0(len * entry_size(s));
}

/* (transfer full) A zeroed table of @size slots, its block bounds not known. */
static KtVal *
table_new(const KtValSet *s, guint32 size)
{
    KtVal *block = g_malloc0(size * entry_size(s) + n_blocks(size) * sizeof(gint64));
    gint64 *lb = table_bounds(s, block, size);
    for (guint32 b = 0; b < n_blocks(size); b++)
        lb[b] = G_MININT64;
    return block;
}

static KtValExtra *
block_extras(const KtValSet *s, KtVal *block, guint32 len)
{
    return s->extras ? (KtValExtra *)(void *)(block + len) : NULL;
}

/* Home slot of @id (as kt_valset_find() probes). */
static guint32
slot_of(guint32 id, guint32 mask)
{
    return (id * 2654435761u) & mask;
}

static KtTab
table_of(const KtValSet *s)
{
    guint32 size = (guint32)s->mask + 1;
    KtTab t = { s->slots, block_extras(s, s->slots, size), s->mask,
                table_bounds(s, s->slots, size) };
    return t;
}

/* Places @v (and @x, nullable: zeroed) at its probe position; returns the slot. */
static guint32
tab_place(KtTab *t, const KtVal *v, const KtValExtra *x)
{
    guint32 i = slot_of(v->id, t->mask);
    while (t->v[i].id != 0)
        i = (i + 1) & t->mask;
    t->v[i] = *v;
    if (t->x != NULL) {
        if (x != NULL)
            t->x[i] = *x;
        else
            memset(&t->x[i], 0, sizeof(KtValExtra));
    }
    if (t->lb != NULL)
        t->lb[i / KT_VALSET_BLOCK] = MIN(t->lb[i / KT_VALSET_BLOCK], v->last_ms);
    return i;
}

/* Removes the value in slot @i of @t (the table of @s). */
static void
tab_delete(KtValSet *s, KtTab *t, guint32 i)
{
    if (t->v[i].flags & KT_VAL_BASE)
        s->n_base--;
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    for (guint32 j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
        KtVal *w = &t->v[j];
        if (w->id == 0)
            break;
        guint32 home = slot_of(w->id, t->mask);
        /* w may move to i when its home is not cyclically within (i, j]. */
        gboolean between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            t->v[i] = *w;
            if (t->x != NULL)
                t->x[i] = t->x[j];
            if (t->lb != NULL)
                t->lb[i / KT_VALSET_BLOCK] = MIN(t->lb[i / KT_VALSET_BLOCK], w->last_ms);
            i = j;
        }
    }
    memset(&t->v[i], 0, sizeof(KtVal));
    if (t->x != NULL)
        memset(&t->x[i], 0, sizeof(KtValExtra));
    s->n--;
}

/* --- compact sets -------------------------------------------------------------------- */

static guint32
vslot(const KtValSet *s, guint32 k)
{
    return (s->vpos >> (3 * k)) & 7u;
}

/* The virtual table of compact @s, built in @v and @x. */
static KtTab
expand(const KtValSet *s, KtVal v[KT_VALSET_VIRTUAL], KtValExtra x[KT_VALSET_VIRTUAL])
{
    KtValExtra *cx = block_extras(s, s->slots, s->ccap);
    memset(v, 0, sizeof(KtVal) * KT_VALSET_VIRTUAL);
    memset(x, 0, sizeof(KtValExtra) * KT_VALSET_VIRTUAL);
    for (guint32 k = 0; k < s->n; k++) {
        guint32 p = vslot(s, k);
        v[p] = s->slots[k];
        if (cx != NULL)
            x[p] = cx[k];
    }
    KtTab t = { v, s->extras ? x : NULL, KT_VALSET_VIRTUAL - 1, NULL };
    return t;
}

/* Stores the virtual table @t back into compact @s (s->n values); returns the entry
 * that slot @want went to. */
static guint32
compress(KtValSet *s, const KtTab *t, guint32 want)
{
    KtValExtra *cx = block_extras(s, s->slots, s->ccap);
    guint32 k = 0, got = G_MAXUINT32;
    guint16 vpos = 0;
    for (guint32 i = 0; i < KT_VALSET_VIRTUAL; i++) {
        if (t->v[i].id == 0)
            continue;
        g_assert(k < s->ccap);
        s->slots[k] = t->v[i];
        if (cx != NULL)
            cx[k] = t->x[i];
        vpos |= (guint16)(i << (3 * k));
        if (i == want)
            got = k;
        k++;
    }
    g_assert(k == s->n);
    /* entries past n are zero, so that kt_valset_find() may compare them */
    memset(s->slots + k, 0, sizeof(KtVal) * (s->ccap - k));
    s->vpos = vpos;
    return got;
}

/* Makes room for one more value in a compact (or empty) set: one entry for the first
 * value (most sets of a key hold one), then KT_VALSET_COMPACT, so that kt_valset_find()
 * compares a fixed four without a branch each. Measured on b.log (kt-engine-bench): 7%
 * less engine time than arrays of exactly n entries searched entry by entry, for 9 MB
 * more peak RSS at 100,000 keys (docs/PERFORMANCE.md, round 7). */
static void
compact_grow(KtValSet *s)
{
    guint32 ccap = s->ccap == 0 ? 1u : KT_VALSET_COMPACT;
    KtVal *block = block_new(s, ccap);
    if (s->slots != NULL) {
        memcpy(block, s->slots, sizeof(KtVal) * s->n);
        if (s->extras)
            memcpy(block_extras(s, block, ccap), block_extras(s, s->slots, s->ccap),
                   sizeof(KtValExtra) * s->n);
    }
    g_free(s->slots);
    s->slots = block;
    s->ccap = (guint8)ccap;
    s->mask = KT_VALSET_VIRTUAL - 1;
}

/* Turns compact @s into the 8-slot table it stands for. */
static void
materialize(KtValSet *s)
{
    KtVal *block = table_new(s, KT_VALSET_VIRTUAL);
    KtValExtra *x = block_extras(s, block, KT_VALSET_VIRTUAL);
    KtValExtra *cx = block_extras(s, s->slots, s->ccap);
    for (guint32 k = 0; k < s->n; k++) {
        guint32 p = vslot(s, k);
        block[p] = s->slots[k];
        if (x != NULL)
            x[p] = cx[k];
    }
    g_free(s->slots);
    s->slots = block;
    s->ccap = 0;
    s->vpos = 0;
    s->mask = KT_VALSET_VIRTUAL - 1;
}

/* --- tables -------------------------------------------------------------------------- */

static void
grow(KtValSet *s)
{
    guint32 old_size = (guint32)s->mask + 1, size = old_size * 2;
    g_assert(size <= 65536);
    KtTab old = table_of(s);
    KtTab t = { table_new(s, size), NULL, size - 1, NULL };
    t.x = block_extras(s, t.v, size);
    t.lb = table_bounds(s, t.v, size);
    for (guint32 i = 0; i < old_size; i++) {
        if (old.v[i].id != 0)
            tab_place(&t, &old.v[i], old.x != NULL ? &old.x[i] : NULL);
    }
    g_free(s->slots);
    s->slots = t.v;
    s->mask = (guint16)(size - 1);
}

void
kt_valset_remove(KtValSet *s, guint32 id)
{
    KtVal *v = kt_valset_find(s, id);
    if (v == NULL)
        return;
    if (s->ccap != 0) {
        KtVal tv[KT_VALSET_VIRTUAL];
        KtValExtra tx[KT_VALSET_VIRTUAL];
        guint32 i = vslot(s, (guint32)(v - s->slots));
        KtTab t = expand(s, tv, tx);
        tab_delete(s, &t, i);
        compress(s, &t, G_MAXUINT32);
        return;
    }
    KtTab t = table_of(s);
    tab_delete(s, &t, (guint32)(v - s->slots));
}

/* evict_oldest() for a table: the same victim, found with the block bounds. When a value
 * outside the baseline exists (n_base < n) the victim is the least recently seen of those,
 * else of all values; either way the first in slot order on ties (strict comparisons). A
 * block whose bound is not below the best time found so far holds no value that would
 * replace it and is skipped; a scanned block gets its exact bound. */
static guint32
table_victim(KtValSet *s)
{
    KtTab t = table_of(s);
    const gboolean outside = s->n_base < s->n;
    const guint32 none = G_MAXUINT32, size = t.mask + 1;
    guint32 best = none;
    gint64 t_best = 0;
    for (guint32 b = 0; b < n_blocks(size); b++) {
        if (best != none && t.lb[b] >= t_best)
            continue;
        gint64 lo = G_MAXINT64;
        for (guint32 i = b * KT_VALSET_BLOCK; i < MIN(size, (b + 1) * KT_VALSET_BLOCK); i++) {
            const KtVal *v = &t.v[i];
            if (v->id == 0)
                continue;
            lo = MIN(lo, v->last_ms);
            if (outside && (v->flags & KT_VAL_BASE))
                continue;
            if (best == none || v->last_ms < t_best)
                best = i, t_best = v->last_ms;
        }
        t.lb[b] = lo;
    }
    return best;
}

/* Evicts the least recently seen value, preferring values outside the baseline, so a
 * flood of new values after the leak time cannot push the baseline out. Returns TRUE when
 * a baseline value had to go. Ties go to the first in slot order. */
static gboolean
evict_oldest(KtValSet *s)
{
    /* The least recently seen overall only matters when every value is in the baseline,
     * and then it is the least recently seen of the baseline: so each value is compared
     * once, with the oldest of its own kind (and baseline values no more once a value
     * outside it was seen). Strict comparisons keep the first in slot order on ties. */
    const guint32 none = G_MAXUINT32, span = kt_valset_span(s);
    const KtVal *slots = s->slots;
    guint32 i_new = none, i_base = none;
    if (s->slots != NULL && s->ccap == 0) {
        i_new = table_victim(s);
    } else {
        gint64 t_new = 0, t_base = 0;
        for (guint32 i = 0; i < span; i++) {
            const KtVal *v = &slots[i];
            if (v->id == 0)
                continue;
            gint64 t = v->last_ms;
            if (!(v->flags & KT_VAL_BASE)) {
                if (i_new == none || t < t_new)
                    i_new = i, t_new = t;
            } else if (i_new == none && (i_base == none || t < t_base)) {
                i_base = i, t_base = t;
            }
        }
    }
    guint32 victim = i_new != none ? i_new : i_base;
    if (victim == none)
        return FALSE;
    gboolean base = (slots[victim].flags & KT_VAL_BASE) != 0;
    kt_valset_remove(s, slots[victim].id);
    return base;
}

KtVal *
kt_valset_insert(KtValSet *s, guint32 id, gint64 now_ms)
{
    g_assert(id != 0);
    if (s->n >= s->cap && evict_oldest(s))
        s->saturated = TRUE; /* the baseline itself overflowed: judge by range */
    KtVal v = { 0 };
    v.id = id;
    v.first_ms = now_ms;
    v.last_ms = now_ms;
    s->min_last_h = MIN(s->min_last_h, hour_of(now_ms));
    if (s->slots == NULL || s->ccap != 0) {
        if (s->n < KT_VALSET_COMPACT) {
            KtVal tv[KT_VALSET_VIRTUAL];
            KtValExtra tx[KT_VALSET_VIRTUAL];
            if (s->n == s->ccap)
                compact_grow(s);
            KtTab t = expand(s, tv, tx);
            guint32 i = tab_place(&t, &v, NULL);
            s->n++;
            return &s->slots[compress(s, &t, i)];
        }
        materialize(s);
    }
    if (((guint32)s->n + 1) * 4 > ((guint32)s->mask + 1) * 3)
        grow(s);
    KtTab t = table_of(s);
    s->n++;
    return &s->slots[tab_place(&t, &v, NULL)];
}

void
kt_valset_prune(KtValSet *s, gint64 cutoff_ms)
{
    if (s->slots == NULL || s->min_last_h == G_MAXINT32 ||
        (s->min_last_h != G_MININT32 && cutoff_ms <= (gint64)s->min_last_h * 3600 * 1000))
        return; /* every value was seen at or after the cutoff */
    KtVal tv[KT_VALSET_VIRTUAL];
    KtValExtra tx[KT_VALSET_VIRTUAL];
    KtTab t = s->ccap != 0 ? expand(s, tv, tx) : table_of(s);
    /* Removal shifts entries backwards, so rescan a slot after removing from it. A block
     * whose bound is not below the cutoff has nothing to remove and is stepped over (its
     * bound stands in for its values in min_last_h, a bound too); moves into a block lower
     * its bound (tab_delete()), so it is current when the scan reaches the block. A
     * scanned block gets its exact bound when the scan leaves it: removals only move
     * values from later slots into the one being scanned (or, wrapping, out of block 0). */
    gint64 min_ms = G_MAXINT64, blk_ms = G_MAXINT64; /* hour_of() keeps order */
    for (guint32 i = 0; i <= t.mask;) {
        if (t.lb != NULL && i % KT_VALSET_BLOCK == 0 && t.lb[i / KT_VALSET_BLOCK] >= cutoff_ms) {
            min_ms = MIN(min_ms, t.lb[i / KT_VALSET_BLOCK]);
            i += KT_VALSET_BLOCK;
            continue;
        }
        KtVal *v = &t.v[i];
        if (v->id != 0 && v->last_ms < cutoff_ms) {
            tab_delete(s, &t, i);
            continue;
        }
        if (v->id != 0)
            blk_ms = MIN(blk_ms, v->last_ms);
        i++;
        if (i % KT_VALSET_BLOCK == 0 || i > t.mask) { /* leaving a scanned block */
            if (t.lb != NULL)
                t.lb[(i - 1) / KT_VALSET_BLOCK] = blk_ms;
            min_ms = MIN(min_ms, blk_ms);
            blk_ms = G_MAXINT64;
        }
    }
    if (s->ccap != 0)
        compress(s, &t, G_MAXUINT32);
    s->min_last_h = min_ms == G_MAXINT64 ? G_MAXINT32 : hour_of(min_ms);
}

guint32
kt_valset_base_count(const KtValSet *s)
{
    return s->n_base;
}

void
kt_valset_set_flags(KtValSet *s, KtVal *v, guint32 flags)
{
    if ((v->flags & KT_VAL_BASE) && !(flags & KT_VAL_BASE))
        s->n_base--;
    else if (!(v->flags & KT_VAL_BASE) && (flags & KT_VAL_BASE))
        s->n_base++;
    v->flags = flags;
}

gboolean
kt_valset_churny(const KtValSet *s, guint32 base_days)
{
    if (s->saturated)
        return TRUE;
    if (s->n < 8 || s->new_days < 3)
        return FALSE;
    return (double)s->new_days >= 0.5 * (double)base_days;
}
