/*
 * ingest-private.h - the KtIngest struct, shared by ingest.c (normalization, stats)
 * and reader.c (opening, gzip, feeding formats). Private to src/input/.
 */
#ifndef KEYTRAIL_INGEST_PRIVATE_H
#define KEYTRAIL_INGEST_PRIVATE_H

#include "keytrail/ingest.h"

#define KT_BLOCK (256 * 1024)        /* read size */
#define KT_SNIFF_BYTES KT_INGEST_HEAD_BYTES /* decompressed bytes looked at to detect a format */
#define KT_GZIP_RATIO_MIN (8u << 20) /* the ratio limit applies past this many output bytes */
#define KT_STATUS_TEXT_NONE 0xffffffffu /* packs no three-byte text (its top byte is set) */

struct _KtIngest {
    KtIngestOptions opts;   /* copy; strings borrowed from the caller */
    KtDict *dict;           /* records' ids */
    KtDictLimits limits;    /* opts.max_keys and opts.max_values */
    gboolean own_dict;      /* free dict with the stage */
    KtTimeParser *tp;       /* zone for stamps without one */
    KtRecordFn fn;          /* next stage */
    gpointer ud;
    GPtrArray *stats;       /* KtInputStats*, one per input */
    GPtrArray *rejects;     /* KtRejectSample*, first N over all inputs */
    KtInputStats *cur;      /* stats of the input being read */
    guint32 cur_index;      /* its index */
    guint32 cur_serial;     /* counts inputs begun, so key_seen can tell them apart */
    GArray *key_seen;       /* guint32 per key id: cur_serial of the last input that
                               added it to its statistics' key set */
    KtSink sink;            /* callbacks handed to formats */
    gboolean stop;          /* kt_ingest_stop(): read no further block */
    gboolean warm;          /* warming a parser up (parallel parts): callbacks only count */
    guint64 warm_events;    /* events seen while warm */
    guint8 outcome_memo[1000]; /* per three-digit status: its KtOutcome + 1, 0 = not yet */
    guint32 last_status_text; /* the last three-digit status read, its bytes packed
                                 little-end first; KT_STATUS_TEXT_NONE = none */
    guint16 last_status;      /* its record status */
    guint8 last_outcome;      /* and outcome */
};

/* Sink callbacks (ud = KtIngest*). */
void kt_ingest_sink_event(gpointer ud, const KtEventView *ev, guint64 line);
void kt_ingest_sink_reject(gpointer ud, guint64 line, KtReject reason, const char *detail,
                           KtStrView excerpt);
void kt_ingest_sink_skip(gpointer ud, guint64 line);
void kt_input_stats_free(gpointer p);

#endif
