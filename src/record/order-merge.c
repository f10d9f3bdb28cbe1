/*
 * order-merge.c - the merge of the ordering stage (see order.c): cursors over spilled
 * runs (read in blocks, segment by segment) and the in-memory run, a binary heap of
 * them, a run alone in the heap drained a block at a time, and the blocks handed to
 * kt_sorter_drain_batch()'s consumer.
 */
#include <unistd.h>

#include "order-private.h"

/* One merge source: a spilled run read in blocks, or the in-memory run. */
typedef struct {
    KtRecord head;     /* current record */
    int fd;            /* -1 for the in-memory run */
    KtPack pack;       /* of the spilled run's current segment */
    guint64 seg_left;  /* records of the segment not yet read into buf */
    guint8 *buf;       /* block of packed records, KT_MERGE_BUF + KT_PACK_SLACK bytes */
    gsize pos;         /* position in buf */
    gsize n_buf;       /* records in buf from pos on */
    guint64 left;      /* records not yet taken */
    const KtRecord *mem; /* in-memory run: the next record */
    const KtSorterMap *map; /* nullable: of the spilled run */
} KtCursor;

/* Reads the next block of whole records of @c's segment, after the header of the next
 * segment when the current one is read (callers check c->left first). */
static gboolean
cursor_refill(KtCursor *c, GError **error)
{
    if (c->seg_left == 0) {
        KtSegHead h;
        if (!kt_run_read_full(c->fd, (guint8 *)&h, sizeof(h), error))
            return FALSE;
        kt_run_seg_pack(&c->pack, &h);
        c->seg_left = h.count;
    }
    gsize size = c->pack.size;
    c->pos = 0;
    c->n_buf = (gsize)MIN((guint64)(KT_MERGE_BUF / MAX(size, 1)), c->seg_left);
    c->seg_left -= c->n_buf;
    return kt_run_read_full(c->fd, c->buf, c->n_buf * size, error);
}

/* Moves @c to its next record; FALSE with @error on a read error. Callers check
 * c->left first. */
static inline gboolean
cursor_next(KtCursor *c, GError **error)
{
    if (c->fd < 0) {
        c->left--;
        c->head = *c->mem++;
        return TRUE;
    }
    if (c->n_buf == 0 && !cursor_refill(c, error))
        return FALSE;
    c->left--;
    c->n_buf--;
    pack_get(&c->pack, c->buf + c->pos, &c->head);
    c->pos += c->pack.size;
    if (c->map != NULL)
        map_record(c->map, &c->head);
    return TRUE;
}

static void
heap_down(KtCursor **h, gsize n, gsize i)
{
    KtCursor *x = h[i];
    for (;;) {
        gsize l = 2 * i + 1, m = l;
        if (l >= n)
            break;
        if (l + 1 < n && rec_less(&h[l + 1]->head, &h[l]->head))
            m = l + 1;
        if (!rec_less(&h[m]->head, &x->head))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

static void
heap_up(KtCursor **h, gsize i)
{
    KtCursor *x = h[i];
    while (i > 0 && rec_less(&x->head, &h[(i - 1) / 2]->head)) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

/* Orders @n cursors by their first record (insertion sort: n <= KT_MAX_FANIN + 1). */
static void
sort_by_head(KtCursor **c, gsize n)
{
    for (gsize i = 1; i < n; i++) {
        KtCursor *x = c[i];
        gsize j = i;
        while (j > 0 && rec_less(&x->head, &c[j - 1]->head)) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
}

/* Opens the cursors of spilled runs [@first, @first + @nruns) and of @mem_len sorted
 * in-memory records (@mem may be NULL) into @cur (nruns + 1 entries); puts those with
 * records in @pend, ordered by their first record. Returns FALSE on a read error. */
static gboolean
merge_open(KtSorter *s, guint first, guint nruns, const KtRecord *mem, gsize mem_len,
           KtCursor *cur, KtCursor **pend, gsize *np, GError **error)
{
    for (guint i = 0; i < nruns; i++) {
        KtRun *run = &g_array_index(s->runs, KtRun, first + i);
        cur[i].fd = run->fd;
        cur[i].map = run->map;
        cur[i].left = run->count;
        cur[i].buf = g_malloc0(KT_MERGE_BUF + KT_PACK_SLACK);
    }
    cur[nruns].fd = -1;
    cur[nruns].mem = mem;
    cur[nruns].left = mem != NULL ? mem_len : 0;
    *np = 0;
    for (gsize i = 0; i <= nruns; i++) {
        if (cur[i].left == 0)
            continue;
        if (!cursor_next(&cur[i], error))
            return FALSE;
        pend[(*np)++] = &cur[i];
    }
    sort_by_head(pend, *np);
    return TRUE;
}

/* Takes the next records of @c into @fn until one does not come before @bound, which is
 * left in c->head; one of the records in c's buffer does not. */
static gboolean
drain_until(KtCursor *c, const KtRecord *bound, KtRecordFn fn, gpointer ud, GError **error)
{
    for (;;) {
        if (!cursor_next(c, error))
            return FALSE;
        if (!rec_less(&c->head, bound))
            return TRUE;
        fn(ud, &c->head);
    }
}

/*
 * Why kt_sorter_drain_batch() exists: a consumer that is handed several records at once
 * can work on the next ones while it handles one (the engine prefetches their state,
 * kt_engine_feed_batch()). The records are those kt_sorter_drain() hands over, in the
 * same order: each is copied into a block (drain_alone, the usual path, unpacks it there
 * directly), and the block is handed over when full and at the end, so the consumer sees
 * every record once, in order, only a little later.
 */
#define KT_DRAIN_BATCH 256 /* records per block (16 KiB: stays in cache) */

typedef struct {
    KtRecordBatchFn fn;
    gpointer ud;
    gsize n;
    KtRecord recs[KT_DRAIN_BATCH];
} KtBatcher;

static void
batch_put(gpointer ud, const KtRecord *rec)
{
    KtBatcher *b = ud;
    b->recs[b->n++] = *rec;
    if (b->n == KT_DRAIN_BATCH) {
        b->fn(b->ud, b->recs, b->n);
        b->n = 0;
    }
}

/*
 * Hands the records of @c, the only run in the heap, to @fn while they come before
 * @bound, the first record of the next pending run (NULL: none), and sets *@done when
 * @c ran out. The merge loop would do the same record by record (a heap of one, whose
 * head is taken until a pending run joins at its first record); this loop only spares
 * it the heap work: runs that follow each other (one log read in order, split into
 * runs, where only records of equal time at a cut may overlap) are mostly read here.
 */
static gboolean
drain_alone(KtCursor *c, const KtRecord *bound, KtRecordFn fn, gpointer ud, gboolean *done,
            GError **error)
{
    if (c->fd < 0) {
        /* the in-memory run: cursor_next is a copy */
        for (;;) {
            if (bound != NULL && !rec_less(&c->head, bound))
                return TRUE;
            fn(ud, &c->head);
            if (c->left == 0) {
                *done = TRUE;
                return TRUE;
            }
            cursor_next(c, error);
        }
    }
    if (bound != NULL && !rec_less(&c->head, bound))
        return TRUE;
    fn(ud, &c->head);
    while (c->left > 0) {
        if (c->n_buf == 0 && !cursor_refill(c, error))
            return FALSE;
        const KtPack k = c->pack;
        /* the block's records are sorted: when its last one comes before @bound, all do */
        gsize n = c->n_buf;
        if (bound != NULL) {
            pack_get(&k, c->buf + c->pos + (n - 1) * k.size, &c->head);
            if (c->map != NULL)
                map_record(c->map, &c->head);
            if (!rec_less(&c->head, bound))
                n = 0;
        }
        if (n == 0)
            return drain_until(c, bound, fn, ud, error);
        if (fn == batch_put) {
            /* kt_sorter_drain_batch(): unpacked straight into the block, not copied from
             * c->head (the block's records are the same; c->head is set again before it
             * is read) */
            KtBatcher *b = ud;
            for (gsize left = n; left > 0;) {
                gsize m = MIN(left, KT_DRAIN_BATCH - b->n);
                KtRecord *r = &b->recs[b->n];
                kt_unpack_many(&k, c->buf + c->pos, r, m);
                if (c->map != NULL)
                    for (gsize i = 0; i < m; i++)
                        map_record(c->map, &r[i]);
                c->pos += m * k.size;
                c->n_buf -= m;
                left -= m;
                if ((b->n += m) == KT_DRAIN_BATCH) {
                    b->fn(b->ud, b->recs, b->n);
                    b->n = 0;
                }
            }
        } else {
            for (gsize i = 0; i < n; i++, c->pos += k.size, c->n_buf--) {
                pack_get(&k, c->buf + c->pos, &c->head);
                if (c->map != NULL)
                    map_record(c->map, &c->head);
                fn(ud, &c->head);
            }
        }
        c->left -= n;
    }
    *done = TRUE;
    return TRUE;
}

/* Merges spilled runs [@first, @first + @nruns) and, when @mem is not NULL, @mem_len
 * sorted in-memory records into @fn. A run joins the heap only when the merge reaches
 * its first record, so runs that follow each other in time (one log read in order) are
 * drained one after the other from a heap of one. */
gboolean
kt_order_merge_runs(KtSorter *s, guint first, guint nruns, const KtRecord *mem,
                    gsize mem_len, KtRecordFn fn, gpointer ud, GError **error)
{
    gsize n = nruns + 1, hn = 0, np = 0, pi = 0;
    KtCursor *cur = g_new0(KtCursor, n);
    KtCursor **heap = g_new(KtCursor *, n);
    KtCursor **pend = g_new(KtCursor *, n);
    gboolean ok = merge_open(s, first, nruns, mem, mem_len, cur, pend, &np, error);
    while (ok) {
        /* a pending run whose first record is not after the smallest head joins */
        while (pi < np && (hn == 0 || !rec_less(&heap[0]->head, &pend[pi]->head))) {
            heap[hn] = pend[pi++];
            heap_up(heap, hn++);
        }
        if (hn == 0)
            break;
        KtCursor *c = heap[0];
        if (hn == 1) {
            gboolean done = FALSE;
            ok = drain_alone(c, pi < np ? &pend[pi]->head : NULL, fn, ud, &done, error);
            hn = done ? 0 : 1;
            continue;
        }
        fn(ud, &c->head);
        if (c->left > 0)
            ok = cursor_next(c, error);
        else
            heap[0] = heap[--hn];
        if (hn > 1)
            heap_down(heap, hn, 0);
    }
    for (gsize i = 0; i < nruns; i++)
        g_free(cur[i].buf);
    g_free(cur);
    g_free(heap);
    g_free(pend);
    return ok;
}

gboolean
kt_sorter_drain_batch(KtSorter *s, KtRecordBatchFn fn, gpointer ud, GError **error)
{
    KtBatcher *b = g_new(KtBatcher, 1);
    b->fn = fn;
    b->ud = ud;
    b->n = 0;
    gboolean ok = kt_sorter_drain(s, batch_put, b, error);
    if (b->n > 0)
        fn(ud, b->recs, b->n); /* the records before a read error too, as drain does */
    g_free(b);
    return ok;
}
