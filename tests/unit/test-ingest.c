/* test-ingest.c - the input stage's normalization: user agents keep their own ids (over
 * --max-values too), and per-block byte checks give the answers per-line checks give. */
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "keytrail/dict.h"
#include "keytrail/ingest.h"

static void
collect(gpointer ud, const KtRecord *r)
{
    g_array_append_val((GArray *)ud, *r);
}

/* An unlinked temporary file holding @len bytes of @text, positioned at its start. */
static int
temp_input(const char *text, gsize len)
{
    GError *error = NULL;
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("kt-ingest-XXXXXX", &path, &error);
    g_assert_no_error(error);
    g_unlink(path);
    g_assert_cmpint(write(fd, text, len), ==, (gssize)len);
    g_assert_cmpint(lseek(fd, 0, SEEK_SET), ==, 0);
    return fd;
}

/* Runs @text through a fresh ingest stage; returns its records (transfer full) and, in
 * *@dict_out, its dictionary (transfer full). */
static GArray *
ingest_text(const char *text, guint max_values, KtDict **dict_out)
{
    KtIngestOptions opts;
    kt_ingest_options_init(&opts);
    opts.quiet = TRUE;
    if (max_values > 0)
        opts.max_values = max_values;
    KtDict *dict = kt_dict_new();
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    GError *error = NULL;
    g_autoptr(KtIngest) in = kt_ingest_new(&opts, dict, collect, recs, &error);
    g_assert_no_error(error);
    int fd = temp_input(text, strlen(text));
    g_assert_true(kt_ingest_run_fd(in, fd, "test", &error));
    g_assert_no_error(error);
    close(fd);
    *dict_out = dict;
    return recs;
}

/* User agents that are prefixes of each other, repeats after other keys, quoted and
 * empty ones each get their own ids. */
static void
test_ua_memo(void)
{
    static const char *const uas[] = { "ab", "ab", "a", "abc", "", "abc", "ab", "x,y", "ab" };
    GString *csv = g_string_new("time,api_key,ip,user_agent\n");
    for (gsize i = 0; i < G_N_ELEMENTS(uas); i++) {
        g_string_append_printf(csv, "2024-03-01T00:00:%02uZ,k%u,10.0.0.1,%s%s%s\n", (guint)i,
                               (guint)(i % 2), uas[i][0] == 'x' ? "\"" : "", uas[i],
                               uas[i][0] == 'x' ? "\"" : "");
    }
    KtDict *d = NULL;
    g_autoptr(GArray) recs = ingest_text(csv->str, 0, &d);
    g_assert_cmpuint(recs->len, ==, G_N_ELEMENTS(uas));
    for (guint i = 0; i < recs->len; i++) {
        const KtRecord *r = &g_array_index(recs, KtRecord, i);
        g_assert_cmpstr(kt_dict_str(d, KT_SPACE_UA, r->ua), ==, uas[i]);
        g_assert_cmpuint(r->ua, ==, kt_dict_lookup(d, KT_SPACE_UA, kt_sv(uas[i])));
    }
    g_string_free(csv, TRUE);
    kt_dict_free(d);
}

/* Past --max-values new user agents become "(other)"; known ones keep their ids. */
static void
test_ua_memo_capped(void)
{
    const char *csv = "time,api_key,user_agent\n"
                      "2024-03-01T00:00:01Z,k1,ua1\n"
                      "2024-03-01T00:00:02Z,k1,ua2\n"
                      "2024-03-01T00:00:03Z,k1,ua3\n"
                      "2024-03-01T00:00:04Z,k1,ua3\n"
                      "2024-03-01T00:00:05Z,k1,ua1\n"
                      "2024-03-01T00:00:06Z,k1,ua1\n";
    KtDict *d = NULL;
    g_autoptr(GArray) recs = ingest_text(csv, 2, &d);
    static const char *const want[] = { "ua1", "ua2", "(other)", "(other)", "ua1", "ua1" };
    g_assert_cmpuint(recs->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < recs->len; i++) {
        const KtRecord *r = &g_array_index(recs, KtRecord, i);
        g_assert_cmpstr(kt_dict_str(d, KT_SPACE_UA, r->ua), ==, want[i]);
    }
    kt_dict_free(d);
}

/* A NUL byte is rejected on its own line only, though its block is scanned once. */
static void
test_nul_in_block(void)
{
    const char text[] = "time,api_key\n"
                        "2024-03-01T00:00:01Z,k1\n"
                        "2024-03-01T00:00:02Z,k\0\n"
                        "2024-03-01T00:00:03Z,k3\n";
    KtIngestOptions opts;
    kt_ingest_options_init(&opts);
    opts.quiet = TRUE;
    GArray *recs = g_array_new(FALSE, FALSE, sizeof(KtRecord));
    GError *error = NULL;
    g_autoptr(KtIngest) in = kt_ingest_new(&opts, NULL, collect, recs, &error);
    g_assert_no_error(error);
    int fd = temp_input(text, sizeof(text) - 1);
    g_assert_true(kt_ingest_run_fd(in, fd, "test", &error));
    g_assert_no_error(error);
    close(fd);
    g_assert_cmpuint(recs->len, ==, 2);
    const KtInputStats *s = g_ptr_array_index(kt_ingest_stats(in), 0);
    g_assert_cmpuint(s->by_reason[KT_REJECT_BINARY], ==, 1);
    g_array_free(recs, TRUE);
}

/* Statuses read through the per-code and last-text memos, repeated and interleaved, get
 * what the plain reading gives: the three-digit code when it is 100..599, else 0, and
 * kt_outcome_classify of the text. */
static void
test_status_memo(void)
{
    static const char *const st[] = { "200", "200", "404", "200", "403", "403", "999",
                                       "999", "20x", "20x", "099", "500", "200", "2000",
                                       "", "401", "200" };
    GString *csv = g_string_new("time,api_key,status\n");
    for (gsize i = 0; i < G_N_ELEMENTS(st); i++)
        g_string_append_printf(csv, "2024-03-01T00:00:%02uZ,k1,%s\n", (guint)i, st[i]);
    KtDict *d = NULL;
    g_autoptr(GArray) recs = ingest_text(csv->str, 0, &d);
    g_assert_cmpuint(recs->len, ==, G_N_ELEMENTS(st));
    for (guint i = 0; i < recs->len; i++) {
        const KtRecord *r = &g_array_index(recs, KtRecord, i);
        guint code = (guint)atoi(st[i]);
        gboolean digits = strlen(st[i]) == 3 && strspn(st[i], "0123456789") == 3;
        g_assert_cmpuint(r->status, ==, digits && code >= 100 && code <= 599 ? code : 0);
        g_assert_cmpuint(r->outcome, ==, kt_outcome_classify(kt_sv(st[i]), FALSE));
    }
    g_string_free(csv, TRUE);
    kt_dict_free(d);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/ingest/ua-memo", test_ua_memo);
    g_test_add_func("/ingest/ua-memo-capped", test_ua_memo_capped);
    g_test_add_func("/ingest/nul-in-block", test_nul_in_block);
    g_test_add_func("/ingest/status-memo", test_status_memo);
    return g_test_run();
}
