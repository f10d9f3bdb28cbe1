/* test-ingest.c - the input stage's normalization: user agents keep their own ids (over
 * --max-values too), and per-block byte checks give the answers per-line checks give. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "keytrail/dict.h"
#include "keytrail/ingest.h"

#include "gzip-bytes.h"

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

/* ---- gzip: inflated whole, or a block at a time ------------------------------------- */

/* What reading @bytes gave: the result, the error, the statistics and every record. */
typedef struct {
    gboolean ok;
    char *error;
    guint64 lines, events, rejected, bytes;
    gboolean whole;
    GArray *recs;
} GzRead;

static GzRead
gz_read(const GByteArray *bytes, guint max_ratio, const char *whole_env)
{
    if (whole_env != NULL)
        g_setenv("KT_GZ_WHOLE", whole_env, TRUE);
    else
        g_unsetenv("KT_GZ_WHOLE");
    KtIngestOptions opts;
    kt_ingest_options_init(&opts);
    opts.quiet = TRUE;
    opts.max_gzip_ratio = max_ratio;
    GzRead g = { .recs = g_array_new(FALSE, FALSE, sizeof(KtRecord)) };
    GError *error = NULL;
    g_autoptr(KtIngest) in = kt_ingest_new(&opts, NULL, collect, g.recs, &error);
    g_assert_no_error(error);
    int fd = temp_input((const char *)bytes->data, bytes->len);
    g.ok = kt_ingest_run_fd(in, fd, "t.gz", &error);
    g.error = error != NULL ? g_strdup(error->message) : NULL;
    g_clear_error(&error);
    close(fd);
    const KtInputStats *st = g_ptr_array_index(kt_ingest_stats(in), 0);
    g_assert_true(st->gzip);
    g.lines = st->lines;
    g.events = st->events;
    g.rejected = st->rejected;
    g.bytes = st->bytes;
    g.whole = st->gzip_whole;
    g_unsetenv("KT_GZ_WHOLE");
    return g;
}

static void
gz_read_clear(GzRead *g)
{
    g_free(g->error);
    g_array_free(g->recs, TRUE);
}

/* A CSV log of @n lines (about 60 bytes each), with a rejected line now and then. */
static GString *
gz_log(guint n, guint seed)
{
    GString *s = g_string_new("timestamp,api_key,client_ip,operation,status\n");
    for (guint i = 0; i < n; i++) {
        if (i % 1000 == 999)
            g_string_append(s, "not-a-time,sk_live_x,10.0.0.1,GET /,200\n");
        g_string_append_printf(s, "2024-03-01T%02u:%02u:%02uZ,sk_live_k%u,10.%u.0.%u,GET /v%u,%u\n",
                               i / 3600 % 24, i / 60 % 60, i % 60, (i + seed) % 17, seed % 7,
                               i % 250, i % 9, i % 13 ? 200 : 403);
    }
    return s;
}

/*
 * Every gzip input gives the same records, statistics and errors inflated whole (the
 * default for a small file) as a block at a time (KT_GZ_WHOLE=0), and as when the file
 * is over the whole-file size (KT_GZ_WHOLE=100): one member, several (the last one small,
 * so the first guess of the size is short), bytes after the last member, a member that
 * inflates to nothing, a truncated stream, a corrupt one, one past the ratio limit, and
 * the same with no limit. The streams that are whole and sound are inflated whole, unless
 * what their last 4 bytes say of the size is past the limit; the others fall back, and
 * stop where a block at a time stops.
 */
static void
test_gzip_whole_same_as_stream(void)
{
    g_autoptr(GString) a = gz_log(3000, 1);
    g_autoptr(GString) b = gz_log(40000, 2);
    g_autoptr(GString) c = gz_log(5, 3);
    GByteArray *cases[9];
    gboolean whole[9] = { TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, TRUE, FALSE };
    guint ratio[9] = { 100, 100, 100, 100, 100, 100, 2, 0, 100 };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
        cases[i] = g_byte_array_new();
    gzip_append(cases[0], a->str, a->len);
    gzip_append(cases[1], b->str, b->len); /* several members, the last one small */
    gzip_append(cases[1], a->str, a->len);
    gzip_append(cases[1], c->str, c->len);
    gzip_append(cases[2], a->str, a->len); /* bytes after the member */
    g_byte_array_append(cases[2], (const guint8 *)"junk\x01\0\0\0", 8);
    /* the same, where the last 4 bytes, read as the member's size, say 174 MB: not tried
     * whole, and the same result */
    gzip_append(cases[8], a->str, a->len);
    g_byte_array_append(cases[8], (const guint8 *)"trailing junk\n", 14);
    gzip_append(cases[3], "", 0); /* an empty member, then a log */
    gzip_append(cases[3], a->str, a->len);
    gzip_append(cases[4], b->str, b->len); /* truncated */
    g_byte_array_set_size(cases[4], cases[4]->len * 2 / 3);
    gzip_append(cases[5], b->str, b->len); /* corrupt in the middle */
    for (guint k = cases[5]->len / 2; k < cases[5]->len / 2 + 64; k++)
        cases[5]->data[k] ^= 0x5a;
    /* past a ratio of 2 (beyond the 8 MiB it starts at), and with no limit */
    GString *big = g_string_new(a->str);
    const char *body = strchr(a->str, '\n') + 1;
    while (big->len < (10u << 20))
        g_string_append(big, body);
    gzip_append(cases[6], big->str, big->len);
    gzip_append(cases[7], big->str, big->len);
    g_string_free(big, TRUE);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        GzRead w = gz_read(cases[i], ratio[i], NULL);
        GzRead s = gz_read(cases[i], ratio[i], "0");
        GzRead l = gz_read(cases[i], ratio[i], "100");
        g_test_message("case %u: whole %d ok %d events %" G_GUINT64_FORMAT " error %s", i, w.whole,
                       w.ok, w.events, w.error);
        g_assert_cmpint(w.whole, ==, whole[i]);
        g_assert_false(s.whole);
        g_assert_false(l.whole);
        g_assert_cmpint(w.ok, ==, i < 4 || i > 6);
        for (GzRead *o = &s; o != NULL; o = o == &s ? &l : NULL) {
            g_assert_cmpint(w.ok, ==, o->ok);
            g_assert_cmpstr(w.error, ==, o->error);
            g_assert_cmpuint(w.lines, ==, o->lines);
            g_assert_cmpuint(w.events, ==, o->events);
            g_assert_cmpuint(w.rejected, ==, o->rejected);
            /* refused before its end, a file held whole was read to its end */
            if (i != 6)
                g_assert_cmpuint(w.bytes, ==, o->bytes);
            g_assert_cmpuint(w.recs->len, ==, o->recs->len);
            g_assert_cmpmem(w.recs->data, w.recs->len * sizeof(KtRecord), o->recs->data,
                            o->recs->len * sizeof(KtRecord));
        }
        /* the cut streams still deliver what came before the damage */
        if (i == 4 || i == 5)
            g_assert_cmpuint(w.events, >, 1000);
        g_assert_cmpuint(w.events, >, 0);
        gz_read_clear(&w);
        gz_read_clear(&s);
        gz_read_clear(&l);
        g_byte_array_free(cases[i], TRUE);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/ingest/ua-memo", test_ua_memo);
    g_test_add_func("/ingest/ua-memo-capped", test_ua_memo_capped);
    g_test_add_func("/ingest/nul-in-block", test_nul_in_block);
    g_test_add_func("/ingest/status-memo", test_status_memo);
    g_test_add_func("/ingest/gzip-whole-same-as-stream", test_gzip_whole_same_as_stream);
    return g_test_run();
}
