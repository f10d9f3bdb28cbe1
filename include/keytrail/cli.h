/*
 * cli.h - what the subcommands (scan, watch, tui) share: the scan options as a
 * GOptionGroup, their conversion into stage configurations, and the pipeline that
 * wires ingest -> order -> engine.
 *
 * Ownership rule: KtCliOptions owns every string GOption fills and every list it
 * loads; kt_cli_options_clear() frees them. A KtPipeline owns its dict, ingest,
 * sorter and engine.
 */
#ifndef KEYTRAIL_CLI_H
#define KEYTRAIL_CLI_H

#include "keytrail/engine.h"
#include "keytrail/ingest.h"
#include "keytrail/order.h"
#include "keytrail/report.h"

typedef struct {
    /* raw option values (filled by GOption) */
    char *format, *preset, *log_format, *tz, *delimiter;
    char **fields;             /* --field NAME=SOURCE, repeatable */
    char *entity, *leak_time, *learn, *forget, *dormant;
    char **enable, **disable;  /* --detectors a,b / --disable a,b (comma lists) */
    char **allow;              /* --allow CIDR|UA or @FILE, repeatable */
    char **known_bad;          /* --known-bad FILE (CIDRs and UA substrings), repeatable */
    char *revoked;             /* --revoked FILE */
    char *output, *fail_on, *min_severity;
    gboolean reveal_keys, pretty, stats, quiet, no_color;
    gint jobs;
    gint limit;                /* --limit (text report), -1 = not given */
    gint64 max_line;
    gint max_keys, max_gzip_ratio, max_fields, max_json_depth, max_findings;
    /* converted configurations (valid after kt_cli_options_finish) */
    KtIngestOptions ingest;
    KtEngineConfig engine;
    KtReportOptions report;
    KtSeverity fail_on_sev;
    GPtrArray *field_overrides; /* KtFieldOverride* */
} KtCliOptions;

/* (transfer full) A copy of @argv where attached short-option values such as "-j2" are
 * split into "-j" "2" (GOption does not accept them attached). */
char **kt_cli_split_args(int argc, char **argv);

/* Initializes @o with defaults. */
void kt_cli_options_init(KtCliOptions *o);
/* Frees what @o owns; @o can be initialized again. */
void kt_cli_options_clear(KtCliOptions *o);

/* (transfer full) The GOptionGroup of the scan options, filling @o. */
GOptionGroup *kt_cli_scan_group(KtCliOptions *o);

/* Converts the raw values into the stage configurations and loads the list files.
 * Returns FALSE and sets @error (KT_ERROR_USAGE or KT_ERROR_CONFIG) with a message that
 * names the option or file and what to do. */
gboolean kt_cli_options_finish(KtCliOptions *o, GError **error);

typedef struct _KtProgress KtProgress; /* progress.c, below */

typedef struct {
    KtDict *dict;
    KtIngest *ingest;
    KtSorter *sorter;
    KtEngine *engine;         /* judges the records, unless shards is set */
    KtEngineShards *shards;   /* nullable: the engine on several threads (scan -j N) */
} KtPipeline;

/* Creates the pipeline for @o (finished). Returns NULL and sets @error on bad options. */
KtPipeline *kt_pipeline_new(const KtCliOptions *o, GError **error);
void kt_pipeline_free(KtPipeline *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtPipeline, kt_pipeline_free)

/* Reads one input (file or "-") from @offset into the sorter; see kt_ingest_run_path()
 * for the contract. Returns FALSE and sets @error when the input cannot be read. */
gboolean kt_pipeline_read(KtPipeline *p, const char *path, guint64 offset, guint64 *end_offset,
                          GError **error);

/* The newest event time (ms) of the input read last, G_MININT64 when it had no events
 * (the last_ts a KtCursorReadFn reports). */
gint64 kt_pipeline_last_event_ms(KtPipeline *p);

/* Reads every file of @files (char*) into the sorter, with @jobs parser threads (<= 1:
 * in this thread). Records, statistics and findings are the same for any @jobs. Each
 * input that cannot be read adds its message to @errors (char*) and reading goes on.
 * Returns FALSE and sets @error only for a failure that stops everything (temporary
 * files for sorting). */
gboolean kt_pipeline_read_all(KtPipeline *p, GPtrArray *files, int jobs, GPtrArray *errors,
                              GError **error);

/*
 * Has the records that kt_pipeline_read() and kt_pipeline_read_all() with one job read
 * go to p->engine while they are read, through a KtReorder of @window records (0: the
 * default; order.h), instead of to the sorter: the same order, for inputs that come
 * nearly in order (one log file), with no temporary files. When a record comes too late
 * for that order, reading stops and kt_pipeline_stream_broken() tells it: the pipeline
 * must then be freed and the inputs read again by a new one, which sorts. So only for
 * inputs that can be read twice (regular files), and before the first read.
 */
void kt_pipeline_stream(KtPipeline *p, gsize window);

/* TRUE when a streaming read (kt_pipeline_stream) stopped on a record out of order:
 * the engine has judged part of the inputs, and this pipeline is of no further use. */
gboolean kt_pipeline_stream_broken(KtPipeline *p);

/* Has records judged by @n (2..KT_ENGINE_SHARDS_MAX) engines on threads of their own
 * (KtEngineShards) instead of p->engine, for one kt_pipeline_flush() (scan -j N). Call
 * before that flush. */
void kt_pipeline_use_shards(KtPipeline *p, const KtCliOptions *o, guint n);

/* Feeds everything read so far to the engine, in time order. Returns FALSE and sets
 * @error on a temporary-file error. */
gboolean kt_pipeline_flush(KtPipeline *p, GError **error);
/* kt_pipeline_flush() that shows, on @progress (nullable), the records judged. */
gboolean kt_pipeline_flush_progress(KtPipeline *p, KtProgress *progress, GError **error);

/* (transfer none) The results of the engine, or of the shards, after kt_pipeline_flush(). */
const KtResults *kt_pipeline_results(KtPipeline *p);

/* Exit status for findings: KT_EXIT_FINDINGS when an incident or anomaly in @r is at
 * or above @fail_on, else KT_EXIT_OK. */
int kt_cli_findings_status(const KtResults *r, KtSeverity fail_on);

/* Progress of long scans on stderr (only on a terminal, never with --quiet). */
/* (transfer full) Progress over @files (char*; their sizes are the total). */
KtProgress *kt_progress_new(GPtrArray *files, gboolean quiet);
/* A KtProgressFn (ud = KtProgress*); thread-safe. */
void kt_progress_update(gpointer ud, guint64 bytes, guint64 events);
/* Reading is done; @total records are now judged (kt_progress_judged() counts them). */
void kt_progress_judging(KtProgress *p, guint64 total);
/* @n more records judged (ud = KtProgress*); thread-safe. */
void kt_progress_judged(gpointer ud, guint64 n);
/* Clears the progress line and frees @p. */
void kt_progress_free(KtProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KtProgress, kt_progress_free)

/* Subcommands: each parses its own argv (argv[0] is the subcommand name) and returns
 * the process exit status (KT_EXIT_*). */
int kt_cmd_scan(int argc, char **argv);
int kt_cmd_formats(int argc, char **argv);
int kt_cmd_watch(int argc, char **argv);   /* src/cli/watch.c */
int kt_cmd_state(int argc, char **argv);   /* src/cli/watch.c: state show|export|prune */
int kt_cmd_accept(int argc, char **argv);  /* src/cli/watch.c */
int kt_cmd_tui(int argc, char **argv);     /* src/cli/tui.c */

/* Prints "keytrail: MESSAGE" (sanitized) to stderr. */
void kt_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
