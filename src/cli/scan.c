/*
 * scan.c - `keytrail scan` (analyse logs, or --stats) and `keytrail formats`.
 */
#include <stdio.h>
#include <unistd.h>

#include "keytrail/cli.h"

static const char scan_summary[] =
    "Reads API access logs (files, directories, '-' for stdin; gzip detected), learns a\n"
    "baseline per API key and reports what departs from it: new IPs and networks, odd\n"
    "hours, volume and error bursts, new operations, dormant keys waking up, known-bad\n"
    "sources and revoked keys, grouped into incidents.";

static const char scan_description[] =
    "Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage error,\n"
    "3 input or I/O error (1 wins when there are also findings).\n"
    "Examples:\n"
    "  keytrail scan --leak-time 2024-03-14T09:00:00Z AWSLogs/\n"
    "  keytrail scan --output json access.log.gz > report.json\n"
    "  keytrail scan --stats exports/";

/* Parses argv with the scan group; returns the remaining paths or NULL on error. */
static gboolean
parse_scan_args(KtCliOptions *o, char ***args, GError **error)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("[FILE|DIR|-]...");
    g_option_context_set_summary(ctx, scan_summary);
    g_option_context_set_description(ctx, scan_description);
    g_option_context_set_main_group(ctx, kt_cli_scan_group(o));
    if (!g_option_context_parse_strv(ctx, args, error))
        return FALSE;
    return kt_cli_options_finish(o, error);
}

/* (transfer full) The files named by the arguments (directories expanded), or NULL
 * after reporting why there are none; *@paths gets the names as given. */
static GPtrArray *
expand_inputs(int argc, char **argv, const char *const **paths)
{
    static const char *stdin_only[] = { "-", NULL };
    *paths = argc > 1 ? (const char *const *)argv + 1 : stdin_only;
    GError *error = NULL;
    GPtrArray *files = kt_ingest_expand(*paths, &error);
    if (files == NULL) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return NULL;
    }
    if (files->len == 0) {
        kt_cli_error("no log files found under the given directories");
        g_ptr_array_free(files, TRUE);
        return NULL;
    }
    return files;
}

/* Reads every input; returns KT_EXIT_OK, or KT_EXIT_INPUT when one could not be read.
 * Says why on stderr when @say (not when reading the same inputs again). */
static int
read_inputs(KtPipeline *p, GPtrArray *files, const char *const *paths, int jobs,
            const KtCliOptions *o, KtProgress *progress, gboolean say)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    kt_ingest_set_progress(p->ingest, kt_progress_update, progress);
    gboolean ok = kt_pipeline_read_all(p, files, jobs, errors, &error);
    kt_ingest_set_progress(p->ingest, NULL, NULL);
    if (!ok) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_INPUT;
    }
    if (kt_pipeline_stream_broken(p))
        return KT_EXIT_OK; /* read in part: the caller reads everything again */
    /* Files found inside a directory whose format cannot be told (a README next to the
     * logs) are skipped with a warning; named files that cannot be read are errors. */
    g_autoptr(GHashTable) named = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; paths[i] != NULL; i++)
        g_hash_table_add(named, (gpointer)paths[i]);
    int status = KT_EXIT_OK;
    GPtrArray *stats = kt_ingest_stats(p->ingest);
    for (guint i = 0; i < stats->len; i++) {
        KtInputStats *s = g_ptr_array_index(stats, i);
        if (s->error == NULL)
            continue;
        if (strcmp(s->format, "unknown") == 0 && s->lines == 0 &&
            !g_hash_table_contains(named, s->path)) {
            if (!o->quiet && say)
                kt_cli_error("skipped %s: not a recognised log format", s->path);
            continue;
        }
        if (say)
            kt_cli_error("%s: %s", s->path, s->error);
        status = KT_EXIT_INPUT;
    }
    return status;
}

/* TRUE when every input of @files is a regular file, which can be read again. */
static gboolean
all_regular(GPtrArray *files)
{
    for (guint i = 0; i < files->len; i++) {
        const char *f = g_ptr_array_index(files, i);
        if (strcmp(f, "-") == 0 || !g_file_test(f, G_FILE_TEST_IS_REGULAR))
            return FALSE;
    }
    return TRUE;
}

/* How many engines judge the records with @jobs threads: one per thread (at most
 * KT_ENGINE_SHARDS_MAX), when every input is a regular file, which can be read again if
 * an engine reaches a finding cap (kt_engine_shards_capped()); else one. */
static guint
engine_threads(int jobs, GPtrArray *files)
{
    if (jobs <= 1 || !all_regular(files))
        return 1;
    return (guint)MIN(jobs, KT_ENGINE_SHARDS_MAX);
}

/*
 * The window of records with which one thread judges @files while reading them
 * (kt_pipeline_stream), or 0 to sort them first. Streaming needs no temporary files and
 * saves the sort's time (docs/PERFORMANCE.md, round 9); it gives up, and the input is
 * read again, when a record comes too late for its window. So it is tried on
 * one regular file, which a log in time order usually is; not on several, whose order
 * on the command line (access.log before access.log.1) is often not their time order.
 * KT_STREAM_WINDOW (records; 0: never stream) is for tests.
 */
static gsize
stream_window(int jobs, GPtrArray *files)
{
    const char *env = g_getenv("KT_STREAM_WINDOW");
    gsize window = env != NULL ? (gsize)g_ascii_strtoull(env, NULL, 10) : KT_REORDER_WINDOW_DEFAULT;
    if (jobs > 1 || files->len != 1 || !all_regular(files))
        return 0;
    return window;
}

/* Reads and judges the inputs @files (nullable) with the pipeline *@p; returns the input
 * status, or -1 after reporting a failure that stops the scan. Reads everything again
 * into a new pipeline (*@p): with several engines that reached a finding cap, with one
 * engine, so that what is kept past the cap is what one engine keeps; and after a
 * stream that broke (stream_window), sorting. */
static int
analyse(const KtCliOptions *o, GPtrArray *files, const char *const *paths, KtPipeline **p)
{
    int jobs = o->jobs > 0 ? o->jobs : (int)g_get_num_processors();
    guint engines = o->stats || files == NULL ? 1 : engine_threads(jobs, files);
    gsize window = o->stats || files == NULL ? 0 : stream_window(jobs, files);
    for (gboolean said = FALSE;;) {
        GError *error = NULL;
        if (*p == NULL && (*p = kt_pipeline_new(o, &error)) == NULL) {
            kt_cli_error("%s", error->message);
            g_error_free(error);
            return -1;
        }
        if (engines > 1)
            kt_pipeline_use_shards(*p, o, engines);
        if (window > 0)
            kt_pipeline_stream(*p, window);
        /* without files (reported), an empty report and KT_EXIT_INPUT */
        g_autoptr(KtProgress) progress = kt_progress_new(files, o->quiet);
        int status =
            files != NULL ? read_inputs(*p, files, paths, jobs, o, progress, !said) : KT_EXIT_INPUT;
        if (o->stats)
            return status;
        if (window > 0 && kt_pipeline_stream_broken(*p)) {
            /* out of order beyond the window: read again, sorting. On a terminal the
             * progress line starts over, so say why (elsewhere nothing is said). */
            g_clear_pointer(p, kt_pipeline_free);
            g_clear_pointer(&progress, kt_progress_free);
            if (!o->quiet && isatty(STDERR_FILENO))
                kt_cli_error("%s is not in time order: reading it again, sorting",
                             (const char *)g_ptr_array_index(files, 0));
            window = 0;
            continue;
        }
        said = TRUE;
        if (!kt_pipeline_flush_progress(*p, progress, &error)) {
            kt_cli_error("%s", error->message);
            g_error_free(error);
            return -1;
        }
        if (engines == 1 || !kt_engine_shards_capped((*p)->shards))
            return status;
        g_clear_pointer(p, kt_pipeline_free);
        engines = 1;
    }
}

static void
warn_rejects(KtPipeline *p, const KtCliOptions *o)
{
    if (o->quiet || o->report.kind != KT_OUTPUT_TEXT || o->stats)
        return;
    guint64 events, rejected, lines;
    kt_ingest_totals(p->ingest, &events, &rejected, &lines);
    if (rejected > 0)
        kt_cli_error("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                     " lines rejected (details in the report; --stats for counts by reason)",
                     rejected, lines);
}

int
kt_cmd_scan(int argc_in, char **argv_in)
{
    g_auto(GStrv) args = kt_cli_split_args(argc_in, argv_in);
    int argc = 0;
    char **argv = NULL;
    KtCliOptions o;
    kt_cli_options_init(&o);
    GError *error = NULL;
    int status = KT_EXIT_OK;
    KtPipeline *p = NULL;
    GPtrArray *files = NULL;
    if (!parse_scan_args(&o, &args, &error)) {
        kt_cli_error("%s", error->message);
        status = KT_EXIT_USAGE;
        goto out;
    }
    argc = (int)g_strv_length(args);
    argv = args;
    if (argc < 2 && isatty(STDIN_FILENO)) {
        kt_cli_error("no input: name log files or directories, or pipe logs to stdin "
                     "(see 'keytrail scan --help')");
        status = KT_EXIT_USAGE;
        goto out;
    }
    p = kt_pipeline_new(&o, &error);
    if (p == NULL) {
        kt_cli_error("%s", error->message);
        status = KT_EXIT_USAGE;
        goto out;
    }
    const char *const *paths = NULL;
    files = expand_inputs(argc, argv, &paths);
    int input_status = analyse(&o, files, paths, &p);
    if (input_status < 0) {
        status = KT_EXIT_INPUT;
        goto out;
    }
    KtReportInput ri = { p->ingest, NULL, p->engine };
    if (o.stats) {
        if (!kt_report_stats(&ri, &o.report, stdout, &error)) {
            kt_cli_error("%s", error->message);
            input_status = KT_EXIT_INPUT;
        }
        status = input_status;
        goto out;
    }
    ri.results = kt_pipeline_results(p);
    if (!kt_report_findings(&ri, &o.report, stdout, &error)) {
        kt_cli_error("%s", error->message);
        status = KT_EXIT_INPUT;
        goto out;
    }
    warn_rejects(p, &o);
    status = kt_cli_findings_status(ri.results, o.fail_on_sev);
    if (status == KT_EXIT_OK)
        status = input_status;
out:
    g_clear_error(&error);
    if (files != NULL)
        g_ptr_array_free(files, TRUE);
    kt_pipeline_free(p);
    kt_cli_options_clear(&o);
    return status;
}

int
kt_cmd_formats(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_option_context_set_summary(ctx, "Lists the input formats, their presets and field "
                                      "mappings.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        kt_cli_error("%s", error->message);
        g_error_free(error);
        return KT_EXIT_USAGE;
    }
    g_autoptr(GString) out = g_string_new(NULL);
    for (const KtFormatOps *const *f = kt_format_all(); *f != NULL; f++) {
        g_string_append_printf(out, "%s - %s\n", (*f)->name, (*f)->summary);
        (*f)->describe(out);
        g_string_append_c(out, '\n');
    }
    fputs(out->str, stdout);
    return ferror(stdout) ? KT_EXIT_INPUT : KT_EXIT_OK;
}
