/*
 * order.c - the ordering stage: sorts records by (time, tiebreak) in bounded memory.
 * A run of at most run_cap records is kept in memory; a full run is sorted and spilled
 * to an unlinked temporary file; draining merges the spilled runs and the last
 * in-memory run with a binary heap.
 */
#include "keytrail/order.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#define KT_RUN_DEFAULT 262144
#define KT_MERGE_BUF 4096 /* records buffered per spilled run while merging */

typedef struct {
    FILE *fp;          /* unlinked temporary file */
    guint64 count;     /* records in the run */
} KtRun;

struct _KtSorter {
    KtRecord *mem;     /* current in-memory run */
    gsize mem_len;     /* records in mem */
    gsize cap;         /* run size */
    GArray *runs;      /* KtRun, spilled */
    guint64 total;     /* records held */
};

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
    s->cap = run_records ? run_records : KT_RUN_DEFAULT;
    s->mem = g_new(KtRecord, s->cap);
    s->runs = g_array_new(FALSE, FALSE, sizeof(KtRun));
    return s;
}

static void
close_runs(KtSorter *s)
{
    for (guint i = 0; i < s->runs->len; i++)
        fclose(g_array_index(s->runs, KtRun, i).fp);
    g_array_set_size(s->runs, 0);
}

void
kt_sorter_free(KtSorter *s)
{
    if (s == NULL)
        return;
    close_runs(s);
    g_array_free(s->runs, TRUE);
    g_free(s->mem);
    g_free(s);
}

guint64
kt_sorter_count(const KtSorter *s)
{
    return s->total;
}

/* Sorts the in-memory run; O(n) when it is already in time order (the usual case for
 * one log file), sorting only groups of equal times. */
static void
sort_mem(KtSorter *s)
{
    gsize n = s->mem_len;
    gboolean by_time = TRUE;
    for (gsize i = 1; i < n; i++) {
        if (s->mem[i].time_ms < s->mem[i - 1].time_ms) {
            by_time = FALSE;
            break;
        }
    }
    if (!by_time) {
        qsort(s->mem, n, sizeof(KtRecord), kt_record_compare);
        return;
    }
    gsize start = 0;
    for (gsize i = 1; i <= n; i++) {
        if (i == n || s->mem[i].time_ms != s->mem[start].time_ms) {
            if (i - start > 1)
                qsort(s->mem + start, i - start, sizeof(KtRecord), kt_record_compare);
            start = i;
        }
    }
}

static gboolean
spill(KtSorter *s, GError **error)
{
    sort_mem(s);
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("keytrail-run-XXXXXX", &path, error);
    if (fd < 0) {
        g_prefix_error(error, "cannot create a temporary file for sorting (set TMPDIR): ");
        return FALSE;
    }
    g_unlink(path);
    FILE *fp = fdopen(fd, "w+b");
    if (fp == NULL) {
        close(fd);
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "temporary file: %s", g_strerror(errno));
        return FALSE;
    }
    if (fwrite(s->mem, sizeof(KtRecord), s->mem_len, fp) != s->mem_len || fflush(fp) != 0) {
        int e = errno;
        fclose(fp);
        g_set_error(error, KT_ERROR, KT_ERROR_IO,
                    "cannot write a temporary sort run in %s: %s (free space or set TMPDIR)",
                    g_get_tmp_dir(), g_strerror(e));
        return FALSE;
    }
    rewind(fp);
    KtRun run = { fp, s->mem_len };
    g_array_append_val(s->runs, run);
    s->mem_len = 0;
    return TRUE;
}

gboolean
kt_sorter_add(KtSorter *s, const KtRecord *rec, GError **error)
{
    if (s->mem_len == s->cap && !spill(s, error))
        return FALSE;
    s->mem[s->mem_len++] = *rec;
    s->total++;
    return TRUE;
}

/* One merge source: a spilled run read in chunks, or the in-memory run. */
typedef struct {
    KtRecord *buf;     /* current chunk */
    gsize len, pos;    /* chunk fill and position */
    FILE *fp;          /* NULL for the in-memory run */
    guint64 left;      /* records not yet read from fp */
} KtCursor;

static gboolean
cursor_fill(KtCursor *c, GError **error)
{
    if (c->pos < c->len || c->fp == NULL || c->left == 0)
        return TRUE;
    gsize want = (gsize)MIN(c->left, (guint64)KT_MERGE_BUF);
    if (fread(c->buf, sizeof(KtRecord), want, c->fp) != want) {
        g_set_error(error, KT_ERROR, KT_ERROR_IO, "cannot read back a temporary sort run");
        return FALSE;
    }
    c->left -= want;
    c->len = want;
    c->pos = 0;
    return TRUE;
}

static gboolean
cursor_empty(const KtCursor *c)
{
    return c->pos >= c->len && (c->fp == NULL || c->left == 0);
}

static const KtRecord *
cursor_head(const KtCursor *c)
{
    return &c->buf[c->pos];
}

static void
heap_down(KtCursor **h, gsize n, gsize i)
{
    for (;;) {
        gsize l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && kt_record_compare(cursor_head(h[l]), cursor_head(h[m])) < 0)
            m = l;
        if (r < n && kt_record_compare(cursor_head(h[r]), cursor_head(h[m])) < 0)
            m = r;
        if (m == i)
            return;
        KtCursor *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static gboolean
merge(KtSorter *s, KtRecordFn fn, gpointer ud, GError **error)
{
    gsize n = s->runs->len + 1;
    KtCursor *cur = g_new0(KtCursor, n);
    KtCursor **heap = g_new(KtCursor *, n);
    gsize hn = 0;
    gboolean ok = TRUE;
    for (gsize i = 0; i + 1 < n; i++) {
        KtRun *run = &g_array_index(s->runs, KtRun, i);
        cur[i].buf = g_new(KtRecord, KT_MERGE_BUF);
        cur[i].fp = run->fp;
        cur[i].left = run->count;
    }
    cur[n - 1].buf = s->mem;
    cur[n - 1].len = s->mem_len;
    for (gsize i = 0; i < n && ok; i++) {
        ok = cursor_fill(&cur[i], error);
        if (ok && !cursor_empty(&cur[i]))
            heap[hn++] = &cur[i];
    }
    for (gsize i = hn; i-- > 0;)
        heap_down(heap, hn, i);
    while (ok && hn > 0) {
        KtCursor *c = heap[0];
        fn(ud, cursor_head(c));
        c->pos++;
        ok = cursor_fill(c, error);
        if (cursor_empty(c))
            heap[0] = heap[--hn];
        heap_down(heap, hn, 0);
    }
    for (gsize i = 0; i + 1 < n; i++)
        g_free(cur[i].buf);
    g_free(cur);
    g_free(heap);
    return ok;
}

gboolean
kt_sorter_drain(KtSorter *s, KtRecordFn fn, gpointer ud, GError **error)
{
    sort_mem(s);
    gboolean ok;
    if (s->runs->len == 0) {
        for (gsize i = 0; i < s->mem_len; i++)
            fn(ud, &s->mem[i]);
        ok = TRUE;
    } else {
        ok = merge(s, fn, ud, error);
    }
    close_runs(s);
    s->mem_len = 0;
    s->total = 0;
    return ok;
}
