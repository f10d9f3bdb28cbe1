/*
 * order.c - the ordering stage: sorts records by (time, tiebreak, input, line) in
 * bounded memory. A run of at most run_cap records is kept in memory; a full run is
 * sorted and spilled, packed (order-pack.h: about 27 bytes a record instead of 64), to
 * an unlinked temporary file, appended to the last one when it follows it (a run file
 * is a sequence of sorted segments, order-run.h); a run that comes in time order is
 * spilled so every KT_SEGMENT records (early_spill). Draining merges the spilled runs
 * and the last in-memory run with a binary heap, which a run alone in it leaves a block
 * at a time (order-merge.c). At KT_MAX_FANIN spilled runs, the smaller half of them are
 * merged into one, so the merge buffers stay bounded too. Runs absorbed from another
 * sorter (parallel reading) are merged as they are, translated on the way out.
 */
#include "keytrail/order.h"

#include <unistd.h>

#include "order-private.h"

#define KT_RUN_DEFAULT KT_SORTER_RUN_DEFAULT
#define KT_SEAL_MIN 16384        /* records: a drain spills an in-memory run this large first */
#define KT_SEGMENT 4096          /* records: a run in time order is spilled in pieces this
                                    large (a power of two; see early_spill) */

int
kt_record_compare(const void *pa, const void *pb)
{
    const KtRecord *a = pa, *b = pb;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    if (a->tiebreak != b->tiebreak)
        return a->tiebreak < b->tiebreak ? -1 : 1;
    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return 0;
}

KtSorter *
kt_sorter_new(gsize run_records)
{
    KtSorter *s = g_new0(KtSorter, 1);
    /* Run files go to g_get_tmp_dir(), which GLib fills in on first use under a lock
     * ThreadSanitizer cannot see (make check-tsan). Filled in here, on the thread that
     * makes the sorter, a sorter spilling on another thread (scan -j N) only reads it. */
    (void)g_get_tmp_dir();
    s->cap = run_records ? run_records : KT_RUN_DEFAULT;
    s->check_at = MIN(s->cap, KT_SEGMENT);
    s->runs = g_array_new(FALSE, FALSE, sizeof(KtRun));
    s->maps = g_ptr_array_new_with_free_func((GDestroyNotify)kt_sorter_map_free);
    return s;
}

KtSorterMap *
kt_sorter_map_new(void)
{
    return g_new0(KtSorterMap, 1);
}

void
kt_sorter_map_free(KtSorterMap *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < KT_SPACE_COUNT; i++)
        g_free(m->ids[i]);
    g_free(m->task_input);
    g_free(m->task_line);
    g_free(m);
}

static void
close_runs(KtSorter *s)
{
    for (guint i = 0; i < s->runs->len; i++)
        close(g_array_index(s->runs, KtRun, i).fd);
    g_array_set_size(s->runs, 0);
    g_ptr_array_set_size(s->maps, 0);
}

/* Discards the open chain (after a write error, or with the sorter). */
static void
chain_abort(KtSorter *s)
{
    if (!s->chain_open)
        return;
    g_free(s->chain.buf);
    close(s->chain.fd);
    s->chain_open = FALSE;
}

void
kt_sorter_free(KtSorter *s)
{
    if (s == NULL)
        return;
    chain_abort(s);
    close_runs(s);
    g_array_free(s->runs, TRUE);
    g_ptr_array_free(s->maps, TRUE);
    g_free(s->mem);
    g_free(s);
}

guint64
kt_sorter_count(const KtSorter *s)
{
    return s->total;
}

/* Sorts a few records (a group of equal times); stable, like glibc's merge-sort qsort,
 * so records equal in every compared field keep their order either way. */
static void
insertion_sort(KtRecord *r, gsize n)
{
    for (gsize i = 1; i < n; i++) {
        KtRecord x = r[i];
        gsize j = i;
        while (j > 0 && rec_less(&x, &r[j - 1])) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
}

void
kt_sort_run(KtRecord *r, gsize n, gboolean unsorted, gboolean ties)
{
    if (unsorted) {
        qsort(r, n, sizeof(KtRecord), kt_record_compare);
        return;
    }
    if (!ties)
        return;
    gsize start = 0;
    for (gsize i = 1; i <= n; i++) {
        if (i == n || r[i].time_ms != r[start].time_ms) {
            if (i - start > KT_TIE_SORTED)
                qsort(r + start, i - start, sizeof(KtRecord), kt_record_compare);
            else if (i - start > 1)
                insertion_sort(r + start, i - start);
            start = i;
        }
    }
}

/* Sorts the in-memory run; nothing to do when records came in increasing time order
 * (the usual case for one log file: kt_sorter_add notes it), only groups of equal times
 * when they came in non-decreasing order. */
static void
sort_mem(KtSorter *s)
{
    kt_sort_run(s->mem, s->mem_len, s->unsorted, s->ties);
}

/* ---- spilled run files (writing: order-run.c) ---------------------------------------- */

/* Flushes @w and appends it to the spilled runs, its records in the ranges @vals; on
 * failure its file is closed. */
static gboolean
writer_finish(KtSorter *s, KtRunWriter *w, const KtPack *vals, GError **error)
{
    if (!kt_run_writer_close(w, error))
        return FALSE;
    KtRun run = { w->fd, w->count, NULL, *vals };
    g_array_append_val(s->runs, run);
    return TRUE;
}

/* Closes the open chain into the spilled runs; on failure it is discarded. */
static gboolean
chain_finish(KtSorter *s, GError **error)
{
    if (!s->chain_open)
        return TRUE;
    s->chain_open = FALSE;
    return writer_finish(s, &s->chain, &s->chain_vals, error);
}

typedef struct {
    KtRunWriter w;
    GError *error;     /* first write error */
} KtCascade;

static void
cascade_put(gpointer ud, const KtRecord *r)
{
    KtCascade *c = ud;
    if (c->error == NULL)
        kt_run_writer_put(&c->w, r, &c->error);
}

/* Merges spilled runs [@first, @first + @n) into one run that replaces them, so that a
 * merge never reads more than KT_MAX_FANIN runs at once (memory independent of the
 * number of events). The new run holds translated records and needs no map. */
static gboolean
cascade(KtSorter *s, guint first, guint n, GError **error)
{
    KtCascade c = { { 0 }, NULL };
    KtPack pack;
    pack_reset(&pack);
    for (guint i = first; i < first + n; i++) {
        const KtPack *k = &g_array_index(s->runs, KtRun, i).vals;
        pack_widen(&pack, k->min);
        pack_widen(&pack, k->max);
    }
    pack_finish(&pack);
    guint64 count = 0;
    for (guint i = first; i < first + n; i++)
        count += g_array_index(s->runs, KtRun, i).count;
    if (!kt_run_writer_start(&c.w, error))
        return FALSE;
    gboolean ok = kt_run_writer_segment(&c.w, &pack, count, error) &&
                  kt_order_merge_runs(s, first, n, NULL, 0, cascade_put, &c, error);
    if (ok && c.error != NULL) {
        g_propagate_error(error, c.error);
        ok = FALSE;
    }
    g_clear_error(&c.error);
    if (!ok) {
        g_free(c.w.buf);
        close(c.w.fd);
        return FALSE;
    }
    for (guint i = first; i < first + n; i++)
        close(g_array_index(s->runs, KtRun, i).fd);
    g_array_remove_range(s->runs, first, n);
    return writer_finish(s, &c.w, &pack, error);
}

static gint
cmp_run_count(gconstpointer a, gconstpointer b)
{
    guint64 x = ((const KtRun *)a)->count, y = ((const KtRun *)b)->count;
    return x < y ? -1 : x > y;
}

/* Merges the @n smallest spilled runs into one. Merging runs of similar sizes makes the
 * runs grow in tiers: a record is rewritten about log32(records / run size) times,
 * not once per KT_MAX_FANIN runs spilled. */
static gboolean
cascade_smallest(KtSorter *s, guint n, GError **error)
{
    g_array_sort(s->runs, cmp_run_count);
    return cascade(s, 0, n, error);
}

/* Closes the open chain and, at KT_MAX_FANIN spilled runs, merges the smaller half of
 * them into one. */
static gboolean
chain_close(KtSorter *s, GError **error)
{
    if (!chain_finish(s, error))
        return FALSE;
    if (s->runs->len >= KT_MAX_FANIN)
        return cascade_smallest(s, KT_MAX_FANIN / 2, error);
    return TRUE;
}

/*
 * Spills the first @n records of mem (sorted; s->range covers them) as a segment of the
 * open chain when they come after its last record, else as the first segment of a new
 * chain (the previous one is closed). A run file is so a sequence of sorted segments
 * that follow each other: one log read in order is spilled in pieces (early_spill)
 * into one run, and the merge reads it as any other.
 */
static gboolean
spill_head(KtSorter *s, gsize n, GError **error)
{
    KtPack pack;
    pack_reset(&pack);
    pack_range(&pack, &s->range, &s->mem[0], &s->mem[n - 1]);
    pack_finish(&pack);
    if (s->chain_open && !rec_less(&s->chain_last, &s->mem[0]) && !chain_close(s, error))
        return FALSE;
    if (!s->chain_open) {
        if (!kt_run_writer_start(&s->chain, error))
            return FALSE;
        s->chain_open = TRUE;
        pack_reset(&s->chain_vals);
    }
    if (!kt_run_writer_segment(&s->chain, &pack, n, error) ||
        !kt_run_writer_put_many(&s->chain, s->mem, n, error)) {
        chain_abort(s);
        return FALSE;
    }
    pack_widen(&s->chain_vals, pack.min);
    pack_widen(&s->chain_vals, pack.max);
    s->chain_last = s->mem[n - 1];
    return TRUE;
}

/* Sets when kt_sorter_add next calls add_check: at the next multiple of KT_SEGMENT
 * records in mem, or at a full run. */
static void
set_check(KtSorter *s)
{
    s->check_at = MIN(s->cap, (s->mem_len / KT_SEGMENT + 1) * KT_SEGMENT);
}

/* Spills the whole in-memory run. */
static gboolean
spill(KtSorter *s, GError **error)
{
    sort_mem(s);
    if (!spill_head(s, s->mem_len, error))
        return FALSE;
    s->mem_len = 0;
    s->unsorted = s->ties = FALSE;
    set_check(s);
    return TRUE;
}

/*
 * Why early_spill exists: records of a log read in time order need not wait for a full
 * run (KT_RUN_DEFAULT records, several MiB, larger than the core's cache) to be spilled.
 * Every KT_SEGMENT records, when the run has come in order and continues the open chain
 * (or nothing is spilled yet), the records before its last group of equal times are
 * spilled as a segment of that chain and the group moves to the front of mem: mem is
 * so written and packed while in cache, and no more of it than that becomes resident.
 * The records kept have a later time than those spilled, so the next segment continues
 * the chain too. The spilled runs are another partition of the same records into sorted
 * runs, so the merge gives the same order.
 */
static gboolean
early_spill(KtSorter *s, GError **error)
{
    gsize n = s->group;
    if (s->unsorted || n == 0 || (s->chain_open ? FALSE : s->runs->len > 0))
        return TRUE;
    sort_mem(s);
    if (s->chain_open && !rec_less(&s->chain_last, &s->mem[0]))
        return TRUE;
    if (!spill_head(s, n, error))
        return FALSE;
    memmove(s->mem, s->mem + n, (s->mem_len - n) * sizeof(KtRecord));
    s->mem_len -= n;
    s->group = 0;
    s->ties = FALSE;
    range_start(&s->range, &s->mem[0]);
    for (gsize i = 1; i < s->mem_len; i++)
        range_add(&s->range, &s->mem[i]);
    return TRUE;
}

/* What kt_sorter_add does every KT_SEGMENT records: spill a full run, else perhaps a
 * segment (early_spill). Out of line, to keep the usual add short. */
static G_GNUC_NO_INLINE gboolean
add_check(KtSorter *s, GError **error)
{
    gboolean ok = s->mem_len == s->cap ? spill(s, error) : early_spill(s, error);
    set_check(s);
    return ok;
}

gboolean
kt_sorter_add(KtSorter *s, const KtRecord *rec, GError **error)
{
    if (G_UNLIKELY(s->mem == NULL))
        s->mem = g_new(KtRecord, s->cap);
    if (G_UNLIKELY(s->mem_len == s->check_at) && !add_check(s, error))
        return FALSE;
    if (s->mem_len > 0)
        range_add(&s->range, rec);
    else
        range_start(&s->range, rec);
    *kt_run_slot(s->mem, s->mem_len, rec, &s->group, &s->unsorted, &s->ties) = *rec;
    s->mem_len++;
    s->total++;
    return TRUE;
}

gboolean
kt_sorter_spill(KtSorter *s, gsize min_records, GError **error)
{
    if (s->mem_len > 0 && s->mem_len >= min_records && !spill(s, error))
        return FALSE;
    if (!chain_close(s, error))
        return FALSE;
    if (s->mem_len == 0) {
        g_free(s->mem);
        s->mem = NULL;
    }
    return TRUE;
}

/* The ranges of the records a run of @src yields once translated by @m. */
static void
mapped_vals(KtRun *run, const KtSorterMap *m)
{
    static const struct {
        int field;
        KtSpace space;
    } ids[] = { { KT_F_KEY, KT_SPACE_KEY }, { KT_F_PRINCIPAL, KT_SPACE_PRINCIPAL },
                { KT_F_SOURCE, KT_SPACE_SOURCE }, { KT_F_OP, KT_SPACE_OP },
                { KT_F_UA, KT_SPACE_UA } };
    for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
        guint32 hi = 0;
        for (guint32 id = 0; id < m->n_ids[ids[i].space]; id++)
            hi = MAX(hi, m->ids[ids[i].space][id]);
        run->vals.min[ids[i].field] = 0;
        run->vals.max[ids[i].field] = hi;
    }
    guint32 in_hi = 0;
    guint64 line_hi = 0;
    for (guint32 t = 0; t < m->n_tasks; t++) {
        in_hi = MAX(in_hi, m->task_input[t]);
        line_hi = MAX(line_hi, m->task_line[t]);
    }
    run->vals.min[KT_F_INPUT] = 0;
    run->vals.max[KT_F_INPUT] = in_hi;
    run->vals.max[KT_F_LINE] += line_hi;
}

gboolean
kt_sorter_absorb(KtSorter *dst, KtSorter *src, KtSorterMap *map, GError **error)
{
    gboolean ok = chain_finish(src, error);
    for (gsize i = 0; i < src->mem_len && ok; i++) {
        KtRecord r = src->mem[i];
        map_record(map, &r);
        ok = kt_sorter_add(dst, &r, error);
    }
    src->mem_len = 0;
    src->unsorted = src->ties = FALSE;
    set_check(src);
    g_free(src->mem);
    src->mem = NULL;
    if (!ok) {
        kt_sorter_map_free(map);
        return FALSE;
    }
    if (src->runs->len == 0) {
        kt_sorter_map_free(map);
    } else {
        g_ptr_array_add(dst->maps, map);
        for (guint i = 0; i < src->runs->len; i++) {
            KtRun run = g_array_index(src->runs, KtRun, i);
            g_assert(run.map == NULL);
            run.map = map;
            mapped_vals(&run, map);
            dst->total += run.count;
            g_array_append_val(dst->runs, run);
        }
        g_array_set_size(src->runs, 0);
    }
    src->total = 0;
    if (dst->runs->len > KT_MAX_FANIN)
        return cascade_smallest(dst, dst->runs->len - KT_MAX_FANIN + 1, error);
    return TRUE;
}

gboolean
kt_sorter_drain(KtSorter *s, KtRecordFn fn, gpointer ud, GError **error)
{
    /* the open chain joins the spilled runs; a large in-memory run is spilled first and
     * its buffer freed, so that it does not stay resident while the engine grows during
     * the merge; without a temporary directory it is merged from memory as before */
    gboolean ok = chain_finish(s, error);
    if (ok && s->mem_len >= KT_SEAL_MIN) {
        GError *local = NULL;
        sort_mem(s);
        if (spill_head(s, s->mem_len, &local) && chain_finish(s, &local)) {
            s->mem_len = 0;
            s->unsorted = s->ties = FALSE;
            set_check(s);
            g_free(s->mem);
            s->mem = NULL;
            if (s->runs->len >= KT_MAX_FANIN)
                cascade_smallest(s, KT_MAX_FANIN / 2, &local);
        }
        g_clear_error(&local);
    }
    sort_mem(s);
    if (!ok) {
        /* nothing is handed over */
    } else if (s->runs->len == 0) {
        for (gsize i = 0; i < s->mem_len; i++)
            fn(ud, &s->mem[i]);
        ok = TRUE;
    } else {
        ok = kt_order_merge_runs(s, 0, s->runs->len, s->mem, s->mem_len, fn, ud, error);
    }
    close_runs(s);
    s->mem_len = 0;
    s->unsorted = s->ties = FALSE;
    set_check(s);
    s->total = 0;
    g_free(s->mem);
    s->mem = NULL;
    return ok;
}
