/* test-pipeline.c - parallel reading: plans that split one large file into parts, parts
 * that read as the whole file does, and -j N giving the statistics of -j 1. */
#include <glib/gstdio.h>
#include <unistd.h>

#include "keytrail/cli.h"

static void
collect(gpointer ud, const KtRecord *r)
{
    g_array_append_val((GArray *)ud, *r);
}

/* Writes @text into a new file in the (isolated) temporary directory; returns its path. */
static char *
temp_file(const char *name, const char *text, gsize len)
{
    char *path = g_build_filename(g_get_tmp_dir(), name, NULL);
    GError *error = NULL;
    g_assert_true(g_file_set_contents(path, text, (gssize)len, &error));
    g_assert_no_error(error);
    return path;
}

/* A CSV log of @n rows over 50 keys, with a bad row every 997 rows after row 2000. */
static GString *
csv_log(guint n)
{
    GString *s = g_string_new("timestamp,api_key,client_ip,operation,status\n");
    for (guint i = 0; i < n; i++) {
        g_string_append_printf(s, "2024-03-%02uT%02u:%02u:%02uZ,sk_live_key%02u,10.0.%u.%u,GET /v1/x%u,200\n",
                               1 + i / 86400 % 28, i / 3600 % 24, i / 60 % 60, i % 60, i % 50,
                               i % 7, i % 200, i % 13);
        if (i > 2000 && i % 997 == 0)
            g_string_append(s, "not-a-time,sk_live_bad,10.0.0.1,GET /,200\nshort,row\n");
    }
    return s;
}

static KtIngest *
new_ingest(GArray *recs)
{
    KtIngestOptions opts;
    kt_ingest_options_init(&opts);
    opts.quiet = TRUE;
    GError *error = NULL;
    KtIngest *in = kt_ingest_new(&opts, NULL, collect, recs, &error);
    g_assert_no_error(error);
    return in;
}

/* The parts of a plan, read one after the other, give the records, line numbers and
 * statistics of reading the file whole. */
static void
test_parts_read_as_whole(void)
{
    g_autoptr(GString) csv = csv_log(20000);
    g_autofree char *path = temp_file("log.csv", csv->str, csv->len);
    GArray *whole = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    GArray *parted = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    g_autoptr(KtIngest) a = new_ingest(whole);
    g_autoptr(KtIngest) b = new_ingest(parted);
    GError *error = NULL;
    g_assert_true(kt_ingest_run_path(a, path, 0, NULL, &error));
    g_assert_no_error(error);

    g_autoptr(KtSplitPlan) plan = kt_ingest_split_plan(b, path, 6, 20000);
    g_assert_nonnull(plan);
    guint n = kt_split_plan_parts(plan);
    g_assert_cmpuint(n, >=, 4);
    for (guint k = 0; k < n; k++) {
        g_assert_true(kt_ingest_run_part(b, plan, k, &error));
        g_assert_no_error(error);
    }
    g_autofree guint64 *off = g_new(guint64, n);
    g_assert_true(kt_split_plan_line_offsets(plan, off));

    /* records: same times and lines, in the same order (parts are read in order) */
    g_assert_cmpuint(parted->len, ==, whole->len);
    for (guint i = 0; i < whole->len; i++) {
        const KtRecord *x = &g_array_index(whole, KtRecord, i);
        const KtRecord *y = &g_array_index(parted, KtRecord, i);
        g_assert_cmpint(x->time_ms, ==, y->time_ms);
        g_assert_cmpuint(x->tiebreak, ==, y->tiebreak);
        g_assert_cmpuint(x->line, ==, y->line + off[y->input]);
    }
    /* statistics add up; reject samples land on the same lines */
    GPtrArray *sa = kt_ingest_stats(a), *sb = kt_ingest_stats(b);
    g_assert_cmpuint(sb->len, ==, n);
    guint64 lines = 0, events = 0, rejected = 0, bytes = 0;
    for (guint k = 0; k < n; k++) {
        const KtInputStats *s = g_ptr_array_index(sb, k);
        lines += s->lines;
        events += s->events;
        rejected += s->rejected;
        bytes += s->bytes;
        g_assert_cmpstr(s->format, ==, "csv");
    }
    const KtInputStats *w = g_ptr_array_index(sa, 0);
    g_assert_cmpuint(lines, ==, w->lines);
    g_assert_cmpuint(events, ==, w->events);
    g_assert_cmpuint(rejected, ==, w->rejected);
    g_assert_cmpuint(bytes, ==, w->bytes);
    g_assert_cmpuint(w->rejected, >, 0);
    GPtrArray *ra = kt_ingest_rejects(a), *rb = kt_ingest_rejects(b);
    g_assert_cmpuint(ra->len, ==, rb->len);
    for (guint i = 0; i < ra->len; i++) {
        const KtRejectSample *x = g_ptr_array_index(ra, i), *y = g_ptr_array_index(rb, i);
        g_assert_cmpuint(x->line, ==, y->line + off[y->input]);
        g_assert_cmpint(x->reason, ==, y->reason);
    }
    g_array_free(whole, TRUE);
    g_array_free(parted, TRUE);
}

/* Files that are read whole: small, gzip, CloudTrail documents, no event from the parser
 * in the first block. */
static void
test_plan_refused(void)
{
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    g_autoptr(KtIngest) in = new_ingest(recs);
    g_autoptr(GString) csv = csv_log(20000);
    g_autofree char *small = temp_file("small.csv", csv->str, 30000);
    g_assert_null(kt_ingest_split_plan(in, small, 4, 20000));
    g_autofree char *big = temp_file("big.csv", csv->str, csv->len);
    g_assert_null(kt_ingest_split_plan(in, big, 1, 20000));

    GString *gz = g_string_new_len("\x1f\x8b\x08\x00", 4);
    g_string_append_len(gz, csv->str, (gssize)csv->len);
    g_autofree char *gzp = temp_file("log.csv.gz", gz->str, gz->len);
    g_assert_null(kt_ingest_split_plan(in, gzp, 4, 20000));
    g_string_free(gz, TRUE);

    GString *ct = g_string_new("{\"Records\":[\n");
    for (guint i = 0; i < 5000; i++)
        g_string_append_printf(ct, "{\"eventTime\":\"2024-03-01T00:00:%02uZ\",\"eventName\":"
                                   "\"GetObject\",\"userIdentity\":{\"accessKeyId\":\"AKIA%04u\"}},\n",
                               i % 60, i % 40);
    g_string_append(ct, "{}]}\n");
    g_autofree char *ctp = temp_file("trail.json", ct->str, ct->len);
    g_assert_null(kt_ingest_split_plan(in, ctp, 4, 20000));
    g_string_free(ct, TRUE);

    GString *late = g_string_new("timestamp,api_key,client_ip\n");
    while (late->len < 300 * 1024)
        g_string_append(late, "two,fields\n"); /* rejected by the parser: no event */
    g_string_append(late, csv->str + strlen("timestamp,api_key,client_ip,operation,status\n"));
    g_autofree char *latep = temp_file("late.csv", late->str, late->len);
    g_assert_null(kt_ingest_split_plan(in, latep, 4, 20000));
    g_string_free(late, TRUE);
    g_assert_cmpuint(kt_ingest_stats(in)->len, ==, 0); /* planning reads nothing in */
    g_array_free(recs, TRUE);
}

/* Quoted CSV records over three lines: a cut may fall after the middle line (it has no
 * quote); the parts then do not stand for the whole file and say so. */
static void
test_quoted_across_cut(void)
{
    GString *csv = g_string_new("timestamp,api_key,note\n");
    for (guint i = 0; i < 6000; i++)
        g_string_append_printf(csv, "2024-03-01T00:%02u:%02uZ,sk_live_k%u,\"first %u\nmiddle\nlast\"\n",
                               i / 60 % 60, i % 60, i % 9, i);
    g_autofree char *path = temp_file("quoted.csv", csv->str, csv->len);
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    g_autoptr(KtIngest) in = new_ingest(recs);
    g_autoptr(KtSplitPlan) plan = kt_ingest_split_plan(in, path, 4, 20000);
    g_assert_nonnull(plan);
    for (guint k = 0; k < kt_split_plan_parts(plan); k++)
        g_assert_true(kt_ingest_run_part(in, plan, k, NULL));
    g_autofree guint64 *off = g_new(guint64, kt_split_plan_parts(plan));
    g_assert_false(kt_split_plan_line_offsets(plan, off));
    g_string_free(csv, TRUE);
    g_array_free(recs, TRUE);
}

/* Reads @path with @jobs threads through a pipeline; returns the JSON-free summary
 * "lines events rejected keys | reject lines" (transfer full). */
static char *
pipeline_summary(const char *path, int jobs, gint max_keys)
{
    KtCliOptions o;
    kt_cli_options_init(&o);
    o.quiet = TRUE;
    if (max_keys > 0)
        o.max_keys = max_keys;
    GError *error = NULL;
    g_assert_true(kt_cli_options_finish(&o, &error));
    g_assert_no_error(error);
    KtPipeline *p = kt_pipeline_new(&o, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    g_ptr_array_add(files, (gpointer)path);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(kt_pipeline_read_all(p, files, jobs, errors, &error));
    g_assert_no_error(error);
    guint64 held = kt_sorter_count(p->sorter);
    g_assert_true(kt_pipeline_flush(p, &error));
    g_assert_no_error(error);
    GString *out = g_string_new(NULL);
    GPtrArray *stats = kt_ingest_stats(p->ingest);
    g_assert_cmpuint(stats->len, ==, 1);
    const KtInputStats *s = g_ptr_array_index(stats, 0);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                           " %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " |",
                           s->lines, s->events, s->rejected, g_hash_table_size(s->keys), s->bytes,
                           held);
    GPtrArray *rej = kt_ingest_rejects(p->ingest);
    for (guint i = 0; i < rej->len; i++) {
        const KtRejectSample *r = g_ptr_array_index(rej, i);
        g_string_append_printf(out, " %" G_GUINT64_FORMAT ":%s", r->line, kt_reject_name(r->reason));
    }
    for (guint32 id = 1; id < kt_dict_size(p->dict, KT_SPACE_KEY); id++)
        g_string_append_printf(out, " %s", kt_dict_str(p->dict, KT_SPACE_KEY, id));
    kt_pipeline_free(p);
    kt_cli_options_clear(&o);
    return g_string_free(out, FALSE);
}

/* -j 3 on one large file: the statistics, reject samples, records held and key ids of
 * -j 1, also when --max-keys applies (then the file is read again in one thread). */
static void
test_read_all_same_as_one_thread(void)
{
    g_autoptr(GString) csv = csv_log(30000);
    g_autofree char *path = temp_file("pipe.csv", csv->str, csv->len);
    g_setenv("KT_SPLIT_MIN", "20000", TRUE);
    for (gint mk = 0; mk <= 20; mk += 20) {
        g_autofree char *one = pipeline_summary(path, 1, mk);
        g_autofree char *three = pipeline_summary(path, 3, mk);
        g_assert_cmpstr(one, ==, three);
    }
    g_unsetenv("KT_SPLIT_MIN");
}

/* Appends @j (transfer full) as a line of compact JSON. */
static void
append_json(GString *out, cJSON *j)
{
    char *t = cJSON_PrintUnformatted(j);
    g_string_append_printf(out, "%s\n", t);
    free(t);
    cJSON_Delete(j);
}

/* What a pipeline reading @path in one thread found: events, keys with their events and
 * addresses, and every anomaly and incident as JSON (transfer full). Streams through a
 * window of @window records unless 0; *@broken tells whether the stream broke, and
 * *@lines how many lines were read. */
static char *
judged_summary(const char *path, gsize window, gboolean *broken, guint64 *lines)
{
    KtCliOptions o;
    kt_cli_options_init(&o);
    o.quiet = TRUE;
    GError *error = NULL;
    g_assert_true(kt_cli_options_finish(&o, &error));
    KtPipeline *p = kt_pipeline_new(&o, &error);
    g_assert_no_error(error);
    if (window > 0)
        kt_pipeline_stream(p, window);
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    g_ptr_array_add(files, (gpointer)path);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(kt_pipeline_read_all(p, files, 1, errors, &error));
    *broken = kt_pipeline_stream_broken(p);
    *lines = ((KtInputStats *)g_ptr_array_index(kt_ingest_stats(p->ingest), 0))->lines;
    GString *out = g_string_new(NULL);
    if (!*broken) {
        /* streamed records never reach the sorter */
        g_assert_cmpuint(kt_sorter_count(p->sorter) == 0, ==, window > 0);
        g_assert_true(kt_pipeline_flush(p, &error));
        const KtResults *r = kt_pipeline_results(p);
        g_string_append_printf(out, "%" G_GUINT64_FORMAT " events\n", r->events);
        for (guint i = 0; i < r->keys->len; i++) {
            const KtKeySummary *k = g_ptr_array_index(r->keys, i);
            g_string_append_printf(out, "key %u %" G_GUINT64_FORMAT " %u\n", k->key, k->events,
                                   k->distinct_ips);
        }
        KtReportOptions ro;
        kt_report_options_init(&ro);
        for (guint i = 0; i < r->anomalies->len; i++)
            append_json(out,
                        kt_report_anomaly_json(g_ptr_array_index(r->anomalies, i), p->dict, &ro));
        for (guint i = 0; i < r->incidents->len; i++)
            append_json(out,
                        kt_report_incident_json(g_ptr_array_index(r->incidents, i), p->dict, &ro));
    }
    kt_pipeline_free(p);
    kt_cli_options_clear(&o);
    return g_string_free(out, FALSE);
}

/* A log in order, with an attack at its end, then the same log with one line moved
 * 10,000 lines later. Streaming finds what sorting finds when the records fit the
 * window; when one does not, the stream breaks and reading stops there. */
static void
test_stream_same_as_sorted(void)
{
    /* 20 keys, each from its own addresses, every 90 s over 21 days; then one of them
     * from a new address, denied, once a second */
    GString *csv = g_string_new("timestamp,api_key,client_ip,operation,status\n");
    g_autoptr(GDateTime) t0 = g_date_time_new_utc(2024, 3, 1, 0, 0, 0);
    for (guint i = 0; i < 20300; i++) {
        gboolean attack = i >= 20000;
        g_autoptr(GDateTime) t = g_date_time_add_seconds(t0, attack ? 1900000 + i : i * 90.0);
        g_autofree char *stamp = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
        if (attack)
            g_string_append_printf(csv, "%s,sk_live_key03,203.0.113.9,iam CreateUser,403\n", stamp);
        else
            g_string_append_printf(csv, "%s,sk_live_key%02u,10.0.%u.%u,GET /v1/x%u,200\n", stamp,
                                   i % 20, i % 20, 1 + i % 3, i % 5);
    }
    g_autofree char *path = temp_file("inorder.csv", csv->str, csv->len);
    gboolean broken;
    guint64 lines;
    g_autofree char *sorted = judged_summary(path, 0, &broken, &lines);
    g_assert_false(broken);
    g_assert_nonnull(strstr(sorted, "203.0.113.9"));
    for (gsize w = 16; w <= 65536; w *= 64) {
        g_autofree char *streamed = judged_summary(path, w, &broken, &lines);
        g_assert_false(broken);
        g_assert_cmpstr(streamed, ==, sorted);
    }
    /* line 2001 (after the header) moved after line 12001 */
    gchar **l = g_strsplit(csv->str, "\n", -1);
    gchar *moved = l[2001];
    memmove(&l[2001], &l[2002], 10000 * sizeof(gchar *));
    l[12001] = moved;
    g_autofree char *text = g_strjoinv("\n", l);
    g_strfreev(l);
    g_autofree char *late = temp_file("late.csv", text, strlen(text));
    g_autofree char *late_sorted = judged_summary(late, 0, &broken, &lines);
    g_autofree char *late_streamed = judged_summary(late, 32768, &broken, &lines);
    g_assert_false(broken);
    g_assert_cmpstr(late_streamed, ==, late_sorted);
    g_autofree char *cut = judged_summary(late, 64, &broken, &lines);
    g_assert_true(broken);
    g_assert_cmpuint(lines, <, 18000); /* stopped within 256 KiB of line 12002 */
    g_string_free(csv, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/pipeline/split/parts-read-as-whole", test_parts_read_as_whole);
    g_test_add_func("/pipeline/split/refused", test_plan_refused);
    g_test_add_func("/pipeline/split/quoted-across-cut", test_quoted_across_cut);
    g_test_add_func("/pipeline/read-all/same-as-one-thread", test_read_all_same_as_one_thread);
    g_test_add_func("/pipeline/stream/same-as-sorted", test_stream_same_as_sorted);
    return g_test_run();
}
