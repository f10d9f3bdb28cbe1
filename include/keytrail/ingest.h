/*
 * ingest.h - the input stage: expands paths (files, '-', directories recursively in
 * name order), opens them (gzip detected by magic bytes, multi-member, with a
 * decompression-ratio limit), detects or applies the format, normalizes each
 * KtEventView into a KtRecord and hands it to a record callback. Keeps per-input
 * statistics and the first rejected lines.
 *
 * Ownership rule: a KtIngest owns its KtDict, its statistics and its reject samples;
 * records passed to the callback are borrowed for the call. Inputs can be fed whole
 * (kt_ingest_run_path) or from an offset (for watch cursors).
 */
#ifndef KEYTRAIL_INGEST_H
#define KEYTRAIL_INGEST_H

#include <sys/types.h>

#include "keytrail/common.h"
#include "keytrail/dict.h"
#include "keytrail/event.h"
#include "keytrail/format.h"
#include "keytrail/timeparse.h"

typedef void (*KtRecordFn)(gpointer ud, const KtRecord *rec);

/* Progress callback: @bytes more input bytes were read, @events more events accepted.
 * May be called from several parser threads at once. */
typedef void (*KtProgressFn)(gpointer ud, guint64 bytes, guint64 events);

/* Per-input statistics, for --stats and for JSON `input`. */
typedef struct {
    char *path;                     /* as given or found in a directory ("-" = stdin) */
    const char *format;             /* format name used (static string) */
    const char *preset;             /* preset used, nullable (static string) */
    gboolean gzip;                  /* the input was gzip-compressed */
    gboolean gzip_whole;            /* ... and inflated at once, not a block at a time
                                       (reader.c; not reported) */
    guint64 bytes;                  /* bytes read (compressed size for gzip) */
    guint64 lines;                  /* lines or records seen */
    guint64 events;                 /* accepted events */
    guint64 skipped;                /* headers, comments, blank lines, vault requests */
    guint64 rejected;               /* sum of by_reason */
    guint64 by_reason[KT_REJECT_COUNT];
    guint64 ip_warnings;            /* IPv4 with leading zeros, read as decimal */
    gint64 first_ms, last_ms;       /* time range; G_MAXINT64 / G_MININT64 when empty */
    GHashTable *keys;               /* distinct key ids (GUINT_TO_POINTER) */
    char *error;                    /* nullable: why the input could not be read at all */
} KtInputStats;

/* One rejected line, reported in detail. */
typedef struct {
    char *path;     /* input */
    guint64 line;   /* 1-based line or record index */
    KtReject reason;
    char *detail;   /* nullable */
    char *excerpt;  /* raw start of the line, at most 80 bytes: sanitize before showing */
    guint32 input;  /* index of the input in kt_ingest_stats() */
} KtRejectSample;

typedef struct {
    const char *format;      /* nullable: force a format (--format) */
    KtFormatOptions fmt;     /* format options (preset, --field, limits) */
    const char *tz;          /* nullable: zone for stamps without one (--tz) */
    guint max_gzip_ratio;    /* KT_MAX_GZIP_RATIO_DEFAULT; 0 = unlimited */
    guint reject_samples;    /* KT_REJECT_SAMPLES */
    guint max_keys;          /* KT_MAX_KEYS_DEFAULT: further new keys are rejected */
    guint max_values;        /* KT_MAX_VALUES_DEFAULT: further new values become "(other)" */
    gboolean quiet;          /* no progress on stderr */
    KtProgressFn progress;   /* nullable: called after every block read */
    gpointer progress_ud;
    gboolean hold_partial;   /* watch: leave a last line without newline for the next run
                                (end_offset stops before it) instead of parsing it */
} KtIngestOptions;

void kt_ingest_options_init(KtIngestOptions *opts);

typedef struct _KtIngest KtIngest;

/* Creates an ingest stage writing into @dict (transfer none, must outlive it; NULL =
 * own dict). Returns NULL and sets @error for a bad --tz or --format. */
KtIngest *kt_ingest_new(const KtIngestOptions *opts, KtDict *dict, KtRecordFn fn,
                        gpointer ud, GError **error);
void kt_ingest_free(KtIngest *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtIngest, kt_ingest_free)

/* Expands @paths (files, "-", directories recursively in name order) into a sorted
 * list of files (transfer full, char*). Unreadable entries are returned as they are so
 * that reading them reports the error. */
GPtrArray *kt_ingest_expand(const char *const *paths, GError **error);

/* Bytes of a file's start that kt_ingest_run_path() also reads when it resumes at an
 * offset: the format is detected, and a CSV header read, from them. A caller that
 * rebuilds a file to resume in (watch, for the unread tail of a rotated .gz) must keep
 * these bytes and those from the offset on at their places. */
#define KT_INGEST_HEAD_BYTES (64 * 1024)

/*
 * Reads one input from byte @offset (0 = start; only for uncompressed regular files)
 * up to its end. Bad lines are counted, never an error. Returns FALSE and sets @error
 * (KT_ERROR_IO / KT_ERROR_INPUT) when the file cannot be opened or read, or a gzip
 * stream is corrupt or exceeds the ratio limit; the input's statistics then carry
 * the error and the events read before it stay delivered. @end_offset (nullable)
 * receives the offset just after the last complete line consumed.
 */
gboolean kt_ingest_run_path(KtIngest *in, const char *path, guint64 offset,
                            guint64 *end_offset, GError **error);

/* Reads from an already open file descriptor (used for stdin and by tests); @label
 * names it in messages. Same contract as kt_ingest_run_path. */
gboolean kt_ingest_run_fd(KtIngest *in, int fd, const char *label, GError **error);

/* Makes the read in progress, and any later one, end after the block being parsed as if
 * the input ended there: for a record callback that has no use for the rest. The
 * stage's statistics then describe part of the input; it is meant to be discarded. */
void kt_ingest_stop(KtIngest *in);

/* (transfer none) Statistics of every input read so far, in reading order. */
GPtrArray *kt_ingest_stats(KtIngest *in);

/* (transfer none) The first rejected lines over all inputs (KtRejectSample*). */
GPtrArray *kt_ingest_rejects(KtIngest *in);

/* (transfer none) The dictionary records refer to. */
KtDict *kt_ingest_dict(KtIngest *in);

/* Sets the progress callback (nullable) for the following reads. */
void kt_ingest_set_progress(KtIngest *in, KtProgressFn fn, gpointer ud);

/* (transfer none) The options the stage was created with. */
const KtIngestOptions *kt_ingest_options(KtIngest *in);

/* (transfer none) The time parser (zone from --tz). */
KtTimeParser *kt_ingest_time_parser(KtIngest *in);

/*
 * Parallel reading support: moves the statistics and reject samples of @src (a stage
 * that read other inputs with its own dict) into @dst. @input_map[i] is the index that
 * @src's i-th input gets in @dst (slots are created as needed); keys in the statistics
 * are translated from @src's dict to @dst's. Reject samples stay the first N in
 * (input, line) order. @src is left empty.
 */
void kt_ingest_absorb(KtIngest *dst, KtIngest *src, const guint32 *input_map);

/* Like kt_ingest_absorb, for inputs read in parts: several of @src's inputs may map to
 * the same index of @dst, whose statistics then add up (the first part's format and
 * preset are kept); @line_offset[i] (nullable: none) is added to the line of @src's
 * i-th input's reject samples. */
void kt_ingest_absorb_parts(KtIngest *dst, KtIngest *src, const guint32 *input_map,
                            const guint64 *line_offset);

/*
 * Reading one large plain file in parts, in parallel (-j). A plan cuts a regular,
 * uncompressed file in a line-based format (csv, jsonl, clf, syslog; not CloudTrail
 * documents) at newlines into byte ranges. Every part is parsed by a parser of the
 * format chosen from the file's start, warmed up with the file's lines up to its first
 * event (a CSV header, the delimiter and the preset), so each part is read as the whole
 * file would be read at that point. CSV parts end after a line without quotes.
 *
 * Ownership rule: the plan owns its buffers; the results of a part are written by the
 * thread that reads it, and read after all parts are done.
 */
typedef struct _KtSplitPlan KtSplitPlan;

/* (transfer full, nullable) A plan for reading @path in at most @parts parts of at least
 * @min_part bytes, or NULL when the file is to be read whole (not a regular file, too
 * small, gzip, not a line-based format, no event in its first block, or no place to
 * cut). Uses @in's options and format detection; reads nothing into @in. */
KtSplitPlan *kt_ingest_split_plan(KtIngest *in, const char *path, guint parts,
                                  guint64 min_part);
void kt_split_plan_free(KtSplitPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtSplitPlan, kt_split_plan_free)

/* Number of parts of @plan (>= 2). */
guint kt_split_plan_parts(const KtSplitPlan *plan);

/* Reads part @part of @plan as a new input of @in (statistics under the file's path).
 * Records and reject samples carry line numbers counted from the warm-up, corrected
 * with kt_split_plan_line_offsets(). Same error contract as kt_ingest_run_path. */
gboolean kt_ingest_run_part(KtIngest *in, KtSplitPlan *plan, guint part, GError **error);

/* Once every part was read: fills @offsets (one per part) with what to add to the line
 * numbers of each part, and returns TRUE when the parts stand for one read of the whole
 * file: every part but the last produced exactly one line callback per line it holds
 * (no quoted CSV record spans a cut, no part failed). FALSE: read the file whole. */
gboolean kt_split_plan_line_offsets(const KtSplitPlan *plan, guint64 *offsets);

/* Totals over all inputs. */
void kt_ingest_totals(KtIngest *in, guint64 *events, guint64 *rejected, guint64 *lines);

#endif
