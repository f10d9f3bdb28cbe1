/*
 * kt-engine-bench.c - the detection engine alone, timed on records held in memory: reads
 * the inputs as `keytrail scan -j 1` does (same options), keeps every record in time order,
 * then feeds them to a new engine --repeat times and prints the engine's CPU time per
 * record (best and median) and the time kt_engine_results() takes.
 *
 * Why it exists: the engine's share of a full scan (about half of it on a web log) is
 * what the parse-floor ratio of `make bench` hinges on, and end-to-end times vary by
 * +-5-10% from run to run on a shared machine, more than most changes to the engine move
 * them. Here nothing but the engine runs between the clock reads, so runs agree to about
 * 2-3%. It holds every record (64 bytes each) in memory: a tool for the bench and for
 * profiling the engine, not for logs larger than memory.
 *
 * usage: kt-engine-bench [--repeat N] [scan options] FILE|DIR...
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "keytrail/cli.h"

static double
cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void
collect(gpointer ud, const KtRecord *recs, gsize n)
{
    g_array_append_vals(ud, recs, (guint)n);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reads @files with the options @o and times the engine on their records; returns the
 * exit status. */
static int
run(KtCliOptions *o, GPtrArray *files, int repeat)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(KtPipeline) p = kt_pipeline_new(o, &error);
    g_autoptr(GArray) recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    if (p == NULL || !kt_pipeline_read_all(p, files, 1, errors, &error) ||
        !kt_sorter_drain_batch(p->sorter, collect, recs, &error)) {
        fprintf(stderr, "kt-engine-bench: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    for (guint i = 0; i < errors->len; i++)
        fprintf(stderr, "kt-engine-bench: %s\n", (const char *)g_ptr_array_index(errors, i));
    if (recs->len == 0) {
        fprintf(stderr, "kt-engine-bench: no records in the inputs\n");
        return 2;
    }
    g_autofree double *feed = g_new(double, repeat);
    g_autofree double *res = g_new(double, repeat);
    guint64 anomalies = 0;
    for (int r = 0; r < repeat; r++) {
        KtEngine *e = kt_engine_new(&o->engine, p->dict, kt_ingest_time_parser(p->ingest));
        double t0 = cpu_ns();
        /* in the blocks the ordering stage hands the engine in a scan */
        for (guint i = 0; i < recs->len; i += 256)
            kt_engine_feed_batch(e, &g_array_index(recs, KtRecord, i), MIN(256u, recs->len - i));
        double t1 = cpu_ns();
        const KtResults *results = kt_engine_results(e);
        double t2 = cpu_ns();
        anomalies = results->anomalies->len;
        feed[r] = (t1 - t0) / recs->len;
        res[r] = (t2 - t1) / 1e6;
        kt_engine_free(e);
    }
    qsort(feed, (gsize)repeat, sizeof(double), cmp_double);
    qsort(res, (gsize)repeat, sizeof(double), cmp_double);
    printf("engine: %u records, %" G_GUINT64_FORMAT " anomalies, %d runs: feed %.1f ns/record "
           "median, %.1f best; results %.1f ms median\n",
           recs->len, anomalies, repeat, feed[(repeat - 1) / 2], feed[0], res[(repeat - 1) / 2]);
    return 0;
}

int
main(int argc, char **argv)
{
    KtCliOptions o;
    kt_cli_options_init(&o);
    gint repeat = 5;
    GOptionEntry entries[] = {
        { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Engine runs over the records (5)", "N" },
        G_OPTION_ENTRY_NULL
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE|DIR... - time the engine alone");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, kt_cli_scan_group(&o));
    g_auto(GStrv) args = kt_cli_split_args(argc, argv);
    GError *error = NULL;
    int status = 2;
    if (!g_option_context_parse_strv(ctx, &args, &error) || !kt_cli_options_finish(&o, &error)) {
        fprintf(stderr, "kt-engine-bench: %s\n", error->message);
        g_error_free(error);
    } else if (g_strv_length(args) < 2 || repeat < 1) {
        fprintf(stderr, "kt-engine-bench: give one or more files (and --repeat N >= 1)\n");
    } else {
        GPtrArray *files = kt_ingest_expand((const char *const *)args + 1, &error);
        if (files == NULL) {
            fprintf(stderr, "kt-engine-bench: %s\n", error->message);
            g_error_free(error);
        } else {
            status = run(&o, files, repeat);
            g_ptr_array_free(files, TRUE);
        }
    }
    kt_cli_options_clear(&o);
    return status;
}
