/*
 * order.h - the ordering stage between ingest and the engine: collects KtRecords from
 * any number of inputs in any order and returns them sorted by (time, tiebreak), so
 * that findings do not depend on the order in which files are named. Memory is
 * bounded: records are sorted in runs of a fixed size and runs beyond the first are
 * spilled to unlinked temporary files, then merged.
 *
 * Ownership rule: the sorter owns its runs and temporary files; the record passed to
 * the output callback is borrowed for the call.
 */
#ifndef KEYTRAIL_ORDER_H
#define KEYTRAIL_ORDER_H

#include "keytrail/ingest.h"

typedef struct _KtSorter KtSorter;

/* Records in one in-memory run by default (64 bytes each: 16 MiB). */
#define KT_SORTER_RUN_DEFAULT 131072

/* Creates a sorter keeping at most @run_records records in memory (0 = default,
 * KT_SORTER_RUN_DEFAULT records, 8 MiB). Cannot fail. */
KtSorter *kt_sorter_new(gsize run_records);
void kt_sorter_free(KtSorter *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtSorter, kt_sorter_free)

/* Adds one record. Returns FALSE and sets @error (KT_ERROR_IO) when a run cannot be
 * spilled to the temporary directory. */
gboolean kt_sorter_add(KtSorter *s, const KtRecord *rec, GError **error);

/* Calls @fn for every record added, in (time_ms, tiebreak, input, line) order, and
 * empties the sorter. Returns FALSE and sets @error on a read error of a spilled run. */
gboolean kt_sorter_drain(KtSorter *s, KtRecordFn fn, gpointer ud, GError **error);

/* Receives @n records (borrowed for the call), in order. */
typedef void (*KtRecordBatchFn)(gpointer ud, const KtRecord *recs, gsize n);

/* kt_sorter_drain(), handing the same records in the same order to @fn a block at a
 * time (at most 256 records a call; every record before a read error is handed over). */
gboolean kt_sorter_drain_batch(KtSorter *s, KtRecordBatchFn fn, gpointer ud, GError **error);

/* Sorts and spills the in-memory run when it holds at least @min_records records, and
 * frees the run's buffer when it is then empty (the next add allocates it again), so a
 * sorter that only waits to be drained or absorbed keeps no run in memory. Returns FALSE
 * and sets @error (KT_ERROR_IO) when the run cannot be spilled; the records stay held. */
gboolean kt_sorter_spill(KtSorter *s, gsize min_records, GError **error);

/*
 * How the records of one sorter are translated into another's terms when absorbed
 * (parallel reading: a parser thread's records refer to its own dictionary, and their
 * input field is a task index). Every array is g_malloc'ed and owned by the map.
 */
typedef struct {
    guint32 *ids[KT_SPACE_COUNT];  /* per space: source id -> destination id (0 -> 0) */
    guint32 n_ids[KT_SPACE_COUNT]; /* entries of ids[space] */
    guint32 *task_input;           /* record input (a task) -> input index */
    guint64 *task_line;            /* added to the line of the task's records */
    guint32 n_tasks;               /* entries of task_input and task_line */
} KtSorterMap;

/* (transfer full) An empty map, to be filled by the caller. */
KtSorterMap *kt_sorter_map_new(void);
void kt_sorter_map_free(KtSorterMap *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtSorterMap, kt_sorter_map_free)

/*
 * Moves every record of @src into @dst, translated by @map (transfer full): spilled runs
 * are handed over as they are and translated while @dst merges them, so nothing is
 * sorted again; records still in @src's memory are added to @dst. For the translated
 * order to be the sorted order, tasks must map to (input, line offset) increasing with
 * the task index. When @dst then holds more than 64 spilled runs, its smallest runs are
 * merged into one. Returns FALSE and sets @error (KT_ERROR_IO) on a temporary-file
 * error. @src is left empty.
 */
gboolean kt_sorter_absorb(KtSorter *dst, KtSorter *src, KtSorterMap *map, GError **error);

/* Number of records currently held. */
guint64 kt_sorter_count(const KtSorter *s);

/*
 * The streaming alternative to a sorter, for inputs that come nearly in order (one log
 * file): hands the records on in the sorter's order while they are added, holding at
 * most 2 * @window of them (64 bytes each) and writing no temporary file. A record that
 * comes after at most 15/16 of @window records it sorts before is put in place; one that
 * sorts before a record already handed on breaks the reorder (reorder.c).
 *
 * Ownership rule: the reorder owns its buffers; records passed to @fn are borrowed for
 * the call.
 */
typedef struct _KtReorder KtReorder;

/* Records a reorder holds in each of its two buffers by default (2 MiB each). */
#define KT_REORDER_WINDOW_DEFAULT 32768

/* Creates a reorder handing records to @fn, at most 256 a call. Cannot fail. */
KtReorder *kt_reorder_new(gsize window, KtRecordBatchFn fn, gpointer ud);
void kt_reorder_free(KtReorder *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtReorder, kt_reorder_free)

/* Adds one record. Returns FALSE when it sorts before a record already handed on: the
 * reorder is then broken, keeps nothing more, and the order can only be had by adding
 * every record to a sorter. */
gboolean kt_reorder_add(KtReorder *r, const KtRecord *rec);

/* Hands on every record still held, in order (nothing when broken). Records added
 * afterwards must sort after them. */
void kt_reorder_finish(KtReorder *r);

/* TRUE once a record came too late (kt_reorder_add returned FALSE). */
gboolean kt_reorder_broken(const KtReorder *r);

/* Records added and not handed on yet. */
guint64 kt_reorder_count(const KtReorder *r);

/* Orders two records as the sorter does (qsort-compatible). */
int kt_record_compare(const void *a, const void *b);

#endif
