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

/* Creates a sorter keeping at most @run_records records in memory (0 = default,
 * 262144 records, about 16 MiB). Cannot fail. */
KtSorter *kt_sorter_new(gsize run_records);
void kt_sorter_free(KtSorter *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtSorter, kt_sorter_free)

/* Adds one record. Returns FALSE and sets @error (KT_ERROR_IO) when a run cannot be
 * spilled to the temporary directory. */
gboolean kt_sorter_add(KtSorter *s, const KtRecord *rec, GError **error);

/* Calls @fn for every record added, in (time_ms, tiebreak, input, line) order, and
 * empties the sorter. Returns FALSE and sets @error on a read error of a spilled run. */
gboolean kt_sorter_drain(KtSorter *s, KtRecordFn fn, gpointer ud, GError **error);

/* Number of records currently held. */
guint64 kt_sorter_count(const KtSorter *s);

/* Orders two records as the sorter does (qsort-compatible). */
int kt_record_compare(const void *a, const void *b);

#endif
