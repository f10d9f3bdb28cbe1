/*
 * reorder.c - the streaming alternative to the sorter (order.h, KtReorder): hands
 * records on in the sorter's order, (time, tiebreak, input, line), while they are read,
 * for inputs that come nearly in that order, as one log file does. Nothing goes to a
 * temporary file and the engine judges as the parser reads.
 *
 * Three buffers of @window records: `held`, sorted, `fresh`, filled as records come, and
 * `spare`. When fresh is full it is sorted (usually only its groups of equal times, kept
 * sorted as they grow, as the sorter's runs are: kt_tie_slot). The records held that
 * sort before all of fresh are handed on as they are; what is left of held and fresh
 * are merged, the first of them handed on until as many records as held had are, the
 * rest written to spare, which becomes held. For a log in order that merge is the last
 * group of equal times of held with the first of fresh, or nothing, and the few records
 * of fresh in that group are handed on with held (advance()). A record that comes after
 * at most 15/16 of @window records it sorts before is so always put in place (tested).
 * One that sorts before a record already handed on cannot be put in place any more:
 * the reorder breaks (kt_reorder_add returns FALSE), and the caller reads the input
 * again through a sorter.
 */
#include "keytrail/order.h"

#include "order-private.h"

#define KT_BATCH 256 /* records per call of the callback, as kt_sorter_drain_batch */

struct _KtReorder {
    KtRecordBatchFn fn;
    gpointer ud;
    gsize window;             /* records in each buffer at most */
    KtRecord *held_buf;       /* the buffer held is in */
    KtRecord *held;           /* sorted; all after `last` */
    gsize held_len;           /* records in held */
    KtRecord *fresh;          /* as they came, groups of equal times sorted unless `ties` */
    gsize fresh_len;          /* records in fresh */
    gsize group;              /* where fresh's last group of equal times starts */
    gboolean unsorted;        /* fresh is not in time order */
    gboolean ties;            /* fresh may have an unsorted group of equal times */
    KtRecord *spare;          /* the third buffer, for merges */
    KtRecord batch[KT_BATCH]; /* merged records on their way to fn */
    KtRecord last;            /* the last record handed on */
    gboolean started;         /* a record was handed on (last is set) */
    gboolean broken;          /* a record came too late: nothing more is taken */
    guint64 count;            /* records held */
};

KtReorder *
kt_reorder_new(gsize window, KtRecordBatchFn fn, gpointer ud)
{
    KtReorder *r = g_new0(KtReorder, 1);
    r->fn = fn;
    r->ud = ud;
    r->window = MAX(window, (gsize)1);
    return r;
}

static void
free_buffers(KtReorder *r)
{
    r->held = NULL;
    g_clear_pointer(&r->held_buf, g_free);
    g_clear_pointer(&r->fresh, g_free);
    g_clear_pointer(&r->spare, g_free);
}

void
kt_reorder_free(KtReorder *r)
{
    if (r == NULL)
        return;
    free_buffers(r);
    g_free(r);
}

gboolean
kt_reorder_broken(const KtReorder *r)
{
    return r->broken;
}

guint64
kt_reorder_count(const KtReorder *r)
{
    return r->count;
}

/* Hands @n sorted records on, in blocks. */
static void
pass_on(KtReorder *r, const KtRecord *recs, gsize n)
{
    if (n == 0)
        return;
    for (gsize i = 0; i < n; i += KT_BATCH)
        r->fn(r->ud, recs + i, MIN((gsize)KT_BATCH, n - i));
    r->last = recs[n - 1];
    r->started = TRUE;
    r->count -= n;
}

/* The number of records of @recs[0, @n) (sorted) that sort before @rec. */
static gsize
count_before(const KtRecord *recs, gsize n, const KtRecord *rec)
{
    gsize lo = 0, hi = n;
    while (lo < hi) {
        gsize mid = lo + (hi - lo) / 2;
        if (rec_less(&recs[mid], rec))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Sorts fresh, then hands on as many records as held has (all of them when @all) and
 * makes the rest the new held. When fresh's records that sort before the last one held
 * are few (a group of equal times across the two), they are handed on too, so that
 * what is left is a part of fresh, held where it is; else what is left of both is
 * merged into spare.
 */
static void
advance(KtReorder *r, gboolean all)
{
    kt_sort_run(r->fresh, r->fresh_len, r->unsorted, r->ties);
    r->unsorted = r->ties = FALSE;
    gsize first = r->fresh_len > 0 ? count_before(r->held, r->held_len, &r->fresh[0]) : r->held_len;
    gsize out = all ? r->held_len + r->fresh_len - first : r->held_len - first;
    if (!all && out > 0) {
        gsize extra = count_before(r->fresh, r->fresh_len, &r->held[r->held_len - 1]);
        if (extra <= r->window / 16)
            out += extra;
    }
    pass_on(r, r->held, first);
    const KtRecord *a = r->held + first, *ae = r->held + r->held_len;
    const KtRecord *b = r->fresh, *be = r->fresh + r->fresh_len;
    gsize n = 0;
    for (; out > 0; out--) {
        r->batch[n++] = a < ae && (b == be || rec_less(a, b)) ? *a++ : *b++;
        if (n == KT_BATCH) {
            pass_on(r, r->batch, n);
            n = 0;
        }
    }
    pass_on(r, r->batch, n);
    KtRecord *old = r->held_buf;
    if (a == ae) {
        /* the usual case: a part of fresh is left, and is held where it is */
        r->held_buf = r->fresh;
        r->held = (KtRecord *)b;
        r->held_len = (gsize)(be - b);
    } else {
        KtRecord *o = r->spare;
        while (a < ae && b < be)
            *o++ = rec_less(b, a) ? *b++ : *a++;
        while (a < ae)
            *o++ = *a++;
        while (b < be)
            *o++ = *b++;
        r->held_len = (gsize)(o - r->spare);
        r->held = r->held_buf = r->spare;
        r->spare = r->fresh;
    }
    r->fresh = old;
    r->fresh_len = 0;
}

gboolean
kt_reorder_add(KtReorder *r, const KtRecord *rec)
{
    if (G_UNLIKELY(r->broken))
        return FALSE;
    if (G_UNLIKELY(r->fresh == NULL)) {
        r->held = r->held_buf = g_new(KtRecord, r->window);
        r->fresh = g_new(KtRecord, r->window);
        r->spare = g_new(KtRecord, r->window);
    }
    if (G_UNLIKELY(r->started && !rec_less(&r->last, rec))) {
        r->broken = TRUE;
        free_buffers(r);
        r->held_len = r->fresh_len = 0;
        return FALSE;
    }
    *kt_run_slot(r->fresh, r->fresh_len, rec, &r->group, &r->unsorted, &r->ties) = *rec;
    r->fresh_len++;
    r->count++;
    if (r->fresh_len == r->window)
        advance(r, FALSE);
    return TRUE;
}

void
kt_reorder_finish(KtReorder *r)
{
    if (r->broken || r->fresh == NULL)
        return;
    advance(r, TRUE);
    free_buffers(r);
    r->held_len = 0;
}
