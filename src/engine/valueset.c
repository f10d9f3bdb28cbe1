/*
 * valueset.c - the per-entity sets of learned values (IPs, networks, operations, user
 * agent families): open addressing with linear probing and backward-shift deletion,
 * a hard cap with least-recently-seen eviction, and churn bookkeeping.
 */
#include "engine-private.h"

void
kt_valset_init(KtValSet *s, guint32 cap)
{
    memset(s, 0, sizeof(*s));
    s->cap = cap;
    s->last_new_day = G_MININT64;
    s->min_last = G_MAXINT64;
}

void
kt_valset_clear(KtValSet *s)
{
    g_free(s->slots);
    s->slots = NULL;
    s->mask = 0;
    s->n = 0;
    s->n_base = 0;
}

/* Home slot of @id (as kt_valset_find() probes). */
static guint32
slot_of(guint32 id, guint32 mask)
{
    return (id * 2654435761u) & mask;
}

static KtVal *
place(KtValSet *s, const KtVal *v)
{
    guint32 i = slot_of(v->id, s->mask);
    while (s->slots[i].id != 0)
        i = (i + 1) & s->mask;
    s->slots[i] = *v;
    return &s->slots[i];
}

static void
grow(KtValSet *s)
{
    guint32 old_size = s->slots != NULL ? s->mask + 1 : 0;
    guint32 size = old_size ? old_size * 2 : 8;
    KtVal *old = s->slots;
    s->slots = g_new0(KtVal, size);
    s->mask = size - 1;
    for (guint32 i = 0; i < old_size; i++) {
        if (old[i].id != 0)
            place(s, &old[i]);
    }
    g_free(old);
}

void
kt_valset_remove(KtValSet *s, guint32 id)
{
    KtVal *v = kt_valset_find(s, id);
    if (v == NULL)
        return;
    guint32 i = (guint32)(v - s->slots);
    if (v->flags & KT_VAL_BASE)
        s->n_base--;
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    for (guint32 j = (i + 1) & s->mask;; j = (j + 1) & s->mask) {
        KtVal *w = &s->slots[j];
        if (w->id == 0)
            break;
        guint32 home = slot_of(w->id, s->mask);
        /* w may move to i when its home is not cyclically within (i, j]. */
        gboolean between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            s->slots[i] = *w;
            i = j;
        }
    }
    memset(&s->slots[i], 0, sizeof(KtVal));
    s->n--;
}

/* Evicts the least recently seen value, preferring values outside the baseline, so a
 * flood of new values after the leak time cannot push the baseline out. Returns TRUE when
 * a baseline value had to go. */
static gboolean
evict_oldest(KtValSet *s)
{
    KtVal *oldest = NULL, *oldest_new = NULL;
    for (guint32 i = 0; i <= s->mask; i++) {
        KtVal *v = &s->slots[i];
        if (v->id == 0)
            continue;
        if (oldest == NULL || v->last_ms < oldest->last_ms)
            oldest = v;
        if (!(v->flags & KT_VAL_BASE) && (oldest_new == NULL || v->last_ms < oldest_new->last_ms))
            oldest_new = v;
    }
    KtVal *victim = oldest_new != NULL ? oldest_new : oldest;
    if (victim == NULL)
        return FALSE;
    gboolean base = (victim->flags & KT_VAL_BASE) != 0;
    kt_valset_remove(s, victim->id);
    return base;
}

KtVal *
kt_valset_insert(KtValSet *s, guint32 id, gint64 now_ms)
{
    g_assert(id != 0);
    if (s->cap > 0 && s->n >= s->cap && evict_oldest(s))
        s->saturated = TRUE; /* the baseline itself overflowed: judge by range */
    if (s->slots == NULL || (s->n + 1) * 4 > (s->mask + 1) * 3)
        grow(s);
    KtVal v = { 0 };
    v.id = id;
    v.first_ms = now_ms;
    v.last_ms = now_ms;
    s->min_last = MIN(s->min_last, now_ms);
    s->n++;
    return place(s, &v);
}

void
kt_valset_prune(KtValSet *s, gint64 cutoff_ms)
{
    if (s->slots == NULL || cutoff_ms <= s->min_last)
        return; /* every value was seen at or after the cutoff */
    /* Removal shifts entries backwards, so rescan a slot after removing from it. */
    gint64 min_last = G_MAXINT64;
    for (guint32 i = 0; i <= s->mask;) {
        KtVal *v = &s->slots[i];
        if (v->id != 0 && v->last_ms < cutoff_ms) {
            kt_valset_remove(s, v->id);
        } else {
            if (v->id != 0)
                min_last = MIN(min_last, v->last_ms);
            i++;
        }
    }
    s->min_last = min_last;
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
