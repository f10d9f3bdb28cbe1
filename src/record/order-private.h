/*
 * order-private.h - what the ordering stage's files share: the sorter's state, spilled
 * runs, the record order and the translation of absorbed records. order.c adds, sorts
 * and spills; order-merge.c merges (drains and cascades).
 *
 * Ownership rule: the sorter owns its runs, maps and chain; nothing here allocates.
 */
#ifndef KT_ORDER_PRIVATE_H
#define KT_ORDER_PRIVATE_H

#include "keytrail/order.h"

#include "order-pack.h"
#include "order-run.h"

#define KT_MERGE_BUF (32 * 1024) /* bytes buffered per spilled run while merging */
#define KT_MAX_FANIN 64          /* spilled runs merged at once */

typedef struct {
    int fd;            /* unlinked temporary file */
    guint64 count;     /* records in the run */
    const KtSorterMap *map; /* nullable: translates records absorbed from another sorter */
    KtPack vals;       /* ranges (min, max) of the records it yields, after map */
} KtRun;

struct _KtSorter {
    KtRecord *mem;     /* current in-memory run; NULL until a record comes (and after a
                          drain or kt_sorter_spill, so the merge does not keep it) */
    gsize mem_len;     /* records in mem */
    gboolean unsorted; /* mem is not in time order */
    gboolean ties;     /* mem may have an unsorted group of equal times (see kt_tie_slot) */
    gsize group;       /* where the last group of equal times in mem starts */
    KtRunRange range;  /* of the records in mem */
    gsize cap;         /* run size */
    gsize check_at;    /* mem_len at which kt_sorter_add calls add_check (set_check) */
    GArray *runs;      /* KtRun, spilled */
    GPtrArray *maps;   /* KtSorterMap*, owned: the maps of absorbed runs */
    guint64 total;     /* records held */
    /* the last spilled run, still open for appending (see spill_head) */
    gboolean chain_open;
    KtRunWriter chain;
    KtPack chain_vals;    /* ranges of its records */
    KtRecord chain_last;  /* its last record */
};

/* kt_record_compare(a, b) < 0, inlined for the merge. */
static inline gboolean
rec_less(const KtRecord *a, const KtRecord *b)
{
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms;
    if (a->tiebreak != b->tiebreak)
        return a->tiebreak < b->tiebreak;
    if (a->input != b->input)
        return a->input < b->input;
    return a->line < b->line;
}

#define KT_TIE_SORTED 16 /* records of equal time: insertion sort up to this many */

/*
 * Where @rec, of the same time as the last record of @r[0, @len), goes: a group of equal
 * times (frequent with timestamps in whole seconds), which starts at @group, is kept
 * sorted as it grows, by an insertion step on records still in cache, so that
 * kt_sort_run has no pass to make over the run. Records after the returned slot are
 * moved up one; the caller stores @rec there. This is the stable insertion sort
 * kt_sort_run applies to groups of up to KT_TIE_SORTED records; a larger group is left
 * to kt_sort_run (*@ties is set, and the slot is @r[@len]).
 */
static inline KtRecord *
kt_tie_slot(KtRecord *r, gsize len, gsize group, const KtRecord *rec, gboolean *ties)
{
    gsize j = len;
    if (j - group >= KT_TIE_SORTED) {
        *ties = TRUE;
        return &r[j];
    }
    while (j > group && rec_less(rec, &r[j - 1])) {
        r[j] = r[j - 1];
        j--;
    }
    return &r[j];
}

/* Where @rec goes when it joins @r[0, @len), a run filled as records come: last, noting
 * in *@group where the last group of equal times starts and in *@unsorted a record that
 * goes back in time, or within its group of equal times (kt_tie_slot). */
static inline KtRecord *
kt_run_slot(KtRecord *r, gsize len, const KtRecord *rec, gsize *group, gboolean *unsorted,
            gboolean *ties)
{
    if (len == 0) {
        *group = 0;
        return r;
    }
    gint64 prev = r[len - 1].time_ms;
    if (rec->time_ms > prev)
        *group = len;
    else if (rec->time_ms < prev)
        *unsorted = TRUE;
    else if (!*unsorted && !*ties)
        return kt_tie_slot(r, len, *group, rec, ties);
    return &r[len];
}

/* Sorts @n records: with qsort when @unsorted (not in time order), else only their
 * groups of equal times when @ties (some group was not kept sorted by kt_tie_slot). */
void kt_sort_run(KtRecord *r, gsize n, gboolean unsorted, gboolean ties);

/* The id @id of @space translated by @m (0 for an id the map does not know). */
static inline guint32
map_id(const KtSorterMap *m, KtSpace space, guint32 id)
{
    return G_LIKELY(id < m->n_ids[space]) ? m->ids[space][id] : 0;
}

/* Translates @r, read from an absorbed run, into the destination's ids and inputs. */
static inline void
map_record(const KtSorterMap *m, KtRecord *r)
{
    r->key = map_id(m, KT_SPACE_KEY, r->key);
    r->principal = map_id(m, KT_SPACE_PRINCIPAL, r->principal);
    r->source = map_id(m, KT_SPACE_SOURCE, r->source);
    r->op = map_id(m, KT_SPACE_OP, r->op);
    r->ua = map_id(m, KT_SPACE_UA, r->ua);
    g_assert(r->input < m->n_tasks);
    r->line += m->task_line[r->input];
    r->input = m->task_input[r->input];
}

/* Merges spilled runs [@first, @first + @nruns) and, when @mem is not NULL, @mem_len
 * sorted in-memory records into @fn (order-merge.c). */
gboolean kt_order_merge_runs(KtSorter *s, guint first, guint nruns, const KtRecord *mem,
                             gsize mem_len, KtRecordFn fn, gpointer ud, GError **error);

#endif /* KT_ORDER_PRIVATE_H */
