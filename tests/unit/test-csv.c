/*
 * test-csv.c - the csv format: delimiters, quoting, embedded newlines across blocks,
 * BOM, CRLF, limits, bad input, and the real honey-bucket export when present.
 */
#include <stdio.h>

#include "keytrail/format.h"

#include "format-sink.h"

/* Runs @data through the csv format (format-sink.h). */
static char *
run(const KtFormatOptions *opts, const char *data, gsize len, gsize block)
{
    return run_format(&kt_format_csv, opts, data, len, block);
}

/* ---- table-driven cases ------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *input;
    const char *expect;
} Case;

static const Case cases[] = {
    {"comma", "api_key,timestamp,ip,status\nk1,2024-01-01T00:00:00Z,1.2.3.4,200\n",
     "S1\nE2 key=k1 time=2024-01-01T00:00:00Z ip=1.2.3.4 status=200\n"},
    {"semicolon", "key;time;client_ip\nk1;t1;10.0.0.1\n", "S1\nE2 key=k1 time=t1 ip=10.0.0.1\n"},
    {"tab", "token\tts\tua\nk1\tt1\tcurl/8 (x, y)\n", "S1\nE2 key=k1 time=t1 ua=curl/8 (x, y)\n"},
    {"quoted-delim", "key,time,ua\nk1,t1,\"Mozilla (KHTML, like Gecko)\"\n",
     "S1\nE2 key=k1 time=t1 ua=Mozilla (KHTML, like Gecko)\n"},
    {"doubled-quote", "key,time,op\nk1,t1,\"say \"\"hi\"\"\"\n",
     "S1\nE2 key=k1 time=t1 op=say \"hi\"\n"},
    {"embedded-newline", "key,time,op\n\"k\n1\",t1,\"a\n\nb\"\nk2,t2,c\n",
     "S1\nE2 key=k\n1 time=t1 op=a\n\nb\nE6 key=k2 time=t2 op=c\n"},
    {"bom-crlf",
     "\xEF\xBB\xBF"
     "key,time\r\nk1,t1\r\n\"k2\",\"t\r\n2\"\r\n",
     "S1\nE2 key=k1 time=t1\nE3 key=k2 time=t\n2\n"},
    {"blank-lines", "\n key,time\n\n  \nk1,t1\n\n", "S1\nS2\nS3\nS4\nE5 key=k1 time=t1\nS6\n"},
    {"trim-spaces", "key , time\n k1 , t1 \n", "S1\nE2 key=k1 time=t1\n"},
    {"field-count", "key,time\nk1,t1,extra\nk2\nk3,t3\n",
     "S1\nR2 field_count\nR3 field_count\nE4 key=k3 time=t3\n"},
    {"missing-key", "key,time\n,t1\nk2,\n", "S1\nR2 missing_key\nR3 missing_time\n"},
    {"no-key-column", "user,time\nbob,t1\n", "S1\nR2 missing_key\n"},
    {"last-line-no-newline", "key,time\nk1,t1", "S1\nE2 key=k1 time=t1\n"},
    {"truncated-quote", "key,time\nk1,\"t1\nmore", "S1\nR2 truncated\n"},
    {"bad-quoting", "key,time\nk1,a\"b\"c\"\nk2,t2\n", "S1\nR2 malformed\nE3 key=k2 time=t2\n"},
    {"binary", "key,time\nk\0001,t1\nk2,t2\n", "S1\nR2 binary\nE3 key=k2 time=t2\n"},
    {"invalid-utf8", "key,time\n\xff\xfe\xc3,t1\n", "S1\nE2 key=\xff\xfe\xc3 time=t1\n"},
    {"method-path", "api_key,@timestamp,method,path,bytes_sent\nk,t,GET,/v1/x,512\n",
     "S1\nE2 key=k time=t op=GET /v1/x bytes=512\n"},
    {"honeybucket-names",
     "Event Name,User ID,Event DateTime,Source IP,Request User Agent\n"
     "ListObjects,\"{'a': 'b, c'}\",2022-02-18T17:34:57Z,1.2.3.4,Boto3/1.17\n",
     "S1\nR2 missing_key\n"},
    {"empty", "", ""},
    {"header-only", "key,time", "S1\n"},
};

static void
test_cases(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        gsize len = strlen(cases[i].input);
        if (strcmp(cases[i].name, "binary") == 0)
            len = sizeof("key,time\nk\0001,t1\nk2,t2\n") - 1;
        g_test_message("case %s", cases[i].name);
        g_autofree char *got = run(&opts, cases[i].input, len, 0);
        g_assert_cmpstr(got, ==, cases[i].expect);
        /* every split of the input gives the same result */
        for (gsize b = 1; b <= MIN(len, (gsize)40); b++) {
            g_autofree char *split = run(&opts, cases[i].input, len, b);
            g_assert_cmpstr(split, ==, cases[i].expect);
        }
    }
}

/* ---- limits ------------------------------------------------------------------------ */

static void
test_too_many_fields(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_fields = 3;
    const char *in = "key,time,c\nk,t,c\nk,t,c,d\n\"k\",t,c,d\nk,t,c\n";
    g_autofree char *got = run(&opts, in, strlen(in), 0);
    g_assert_cmpstr(
        got, ==, "S1\nE2 key=k time=t\nR3 too_many_fields\nR4 too_many_fields\nE5 key=k time=t\n");
}

static void
test_too_long(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_line = 40;
    /* a long physical line; a quoted record whose lines are short but whose sum is not */
    const char *in = "key,time,op\n"
                     "k,t,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                     "k,t,\"aaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbb\ncccccccccccccc\nddd\"\n"
                     "k2,t2,x\n";
    for (gsize b = 0; b <= 30; b++) {
        g_autofree char *got = run(&opts, in, strlen(in), b);
        g_assert_cmpstr(got, ==,
                        "S1\nR2 line_too_long\nR3 line_too_long\nE7 key=k2 time=t2 op=x\n");
    }
}

static void
test_huge_line(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    GString *in = g_string_new("key,time\n");
    gsize big = KT_MAX_LINE_DEFAULT + 10;
    for (gsize i = 0; i < big; i++)
        g_string_append_c(in, i % 7 == 0 ? ',' : 'x');
    g_string_append(in, "\nk,t\n");
    g_autofree char *got = run(&opts, in->str, in->len, 65536);
    g_assert_cmpstr(got, ==, "S1\nR2 line_too_long\nE3 key=k time=t\n");
    g_string_free(in, TRUE);
}

static void
test_forced_delimiter(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.csv_delimiter = '|';
    const char *in = "key|time|op\nk|t|a,b;c\n";
    g_autofree char *got = run(&opts, in, strlen(in), 0);
    g_assert_cmpstr(got, ==, "S1\nE2 key=k time=t op=a,b;c\n");
}

static void
test_field_override(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    KtFieldOverride fo = {(char *)"key", (char *)"User Name"};
    opts.fields = g_ptr_array_new();
    g_ptr_array_add(opts.fields, &fo);
    const char *in = "api_key,user name,time\nk1,alice,t\n";
    g_autofree char *got = run(&opts, in, strlen(in), 0);
    g_assert_cmpstr(got, ==, "S1\nE2 key=alice time=t principal=alice\n");
    g_ptr_array_unref(opts.fields);
}

static void
test_cloudtrail_columns(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    GString *out = g_string_new(NULL);
    KtSink sink = {col_event, col_reject, col_skip, out};
    g_autoptr(GError) error = NULL;
    gpointer p = kt_format_csv.new(&opts, &sink, &error);
    g_assert_no_error(error);
    g_assert_null(kt_format_csv.preset_name(p));
    const char *in = "eventTime,eventSource,eventName,userIdentity.accessKeyId,sourceIPAddress,"
                     "errorCode\n2024-01-01T00:00:00Z,iam.amazonaws.com,CreateUser,ASIAXYZ,"
                     "1.2.3.4,AccessDenied\n";
    kt_format_csv.feed(p, in, strlen(in));
    kt_format_csv.finish(p);
    g_assert_cmpstr(kt_format_csv.preset_name(p), ==, "cloudtrail");
    g_assert_cmpstr(out->str, ==,
                    "S1\nE2 key=ASIAXYZ time=2024-01-01T00:00:00Z ip=1.2.3.4 op=iam:CreateUser "
                    "status=AccessDenied temp\n");
    kt_format_csv.free(p);
    g_string_free(out, TRUE);
}

static void
test_bad_options(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.preset = "nope";
    KtSink sink = {col_event, col_reject, col_skip, NULL};
    g_autoptr(GError) error = NULL;
    g_assert_null(kt_format_csv.new(&opts, &sink, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_assert_nonnull(strstr(error->message, "github-audit"));
}

static void
test_sniff(void)
{
    const char *csv = "key,time,ip\nk,t,1.2.3.4\n";
    const char *tsv = "key\ttime\nk\tt\n";
    g_assert_cmpint(kt_format_csv.sniff(csv, strlen(csv)), ==, 60);
    g_assert_cmpint(kt_format_csv.sniff(tsv, strlen(tsv)), ==, 60);
    g_assert_cmpint(kt_format_csv.sniff("{\"a\":1,\"b\":2}\n", 14), ==, 0);
    g_assert_cmpint(kt_format_csv.sniff("hello\n", 6), ==, 0);
    g_assert_cmpint(kt_format_csv.sniff("", 0), ==, 0);
    const KtFormatOps *f = kt_format_sniff(csv, strlen(csv));
    g_assert_true(f == &kt_format_csv);
}

static void
test_describe(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    kt_format_csv.describe(out);
    g_assert_nonnull(strstr(out->str, "cloudtrail"));
    g_assert_nonnull(strstr(out->str, "vault-audit"));
    g_assert_nonnull(strstr(out->str, "a column name"));
}

/* ---- real data --------------------------------------------------------------------- */

static char *
data_path(const char *rel)
{
    const char *top = g_getenv("KT_TOP");
    return g_build_filename(top ? top : ".", "..", "shared", "data", rel, NULL);
}

static void
count_lines(const char *transcript, guint *events, guint *rejects, guint *skips)
{
    *events = *rejects = *skips = 0;
    for (const char *l = transcript; *l; l = strchr(l, '\n') + 1) {
        *events += l[0] == 'E';
        *rejects += l[0] == 'R';
        *skips += l[0] == 'S';
    }
}

static void
test_honeybucket(void)
{
    g_autofree char *path = data_path("otrf-aws-s3-honeybucket/AWS_S3_HoneyBucketLogs.csv");
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        g_test_skip("shared data not present");
        return;
    }
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    guint ev, rej, skip;
    g_autofree char *plain = run(&opts, data, len, 4096);
    count_lines(plain, &ev, &rej, &skip);
    g_assert_cmpuint(ev, ==, 0);
    g_assert_cmpuint(rej, ==, 301);
    g_assert_cmpuint(skip, ==, 1);
    g_assert_nonnull(strstr(plain, "R2 missing_key\n"));

    KtFieldOverride fo = {(char *)"key", (char *)"User ID"};
    opts.fields = g_ptr_array_new();
    g_ptr_array_add(opts.fields, &fo);
    g_autofree char *keyed = run(&opts, data, len, 333);
    count_lines(keyed, &ev, &rej, &skip);
    g_assert_cmpuint(ev, ==, 301);
    g_assert_cmpuint(rej, ==, 0);
    /* the first row, fully mapped by the generic guesses */
    g_assert_nonnull(strstr(keyed, "E2 key={'type': 'AWSAccount', 'principalId': '', 'accountId': "
                                   "'ANONYMOUS_PRINCIPAL'} time=2022-02-18T17:34:57Z "
                                   "ip=177.131.167.145 op=ListObjects ua=Mozilla/5.0"));
    g_ptr_array_unref(opts.fields);
}

/* Random bytes: format-sink.h check_random_input(). */
/* One random CSV field for test_quoted_fast(): unquoted or quoted, with the spaces, tabs,
 * delimiters, doubled and stray quotes and unclosed quotes that separate the fast split
 * of quoted lines from libcsv. */
static void
random_field(GRand *r, GString *out, char delim)
{
    static const char inner[] = "ab ,;\t\"x";
    static const char plain[] = "ab ;\tx";
    int kind = g_rand_int_range(r, 0, 10);
    if (g_rand_int_range(r, 0, 4) == 0)
        g_string_append(out, g_rand_boolean(r) ? " " : "\t");
    if (kind < 4) { /* unquoted, sometimes with a stray quote */
        for (int i = g_rand_int_range(r, 0, 6); i > 0; i--)
            g_string_append_c(out, plain[g_rand_int_range(r, 0, sizeof(plain) - 1)]);
        if (kind == 0 && g_rand_int_range(r, 0, 4) == 0)
            g_string_append_c(out, '"');
        return;
    }
    g_string_append_c(out, '"');
    for (int i = g_rand_int_range(r, 0, 8); i > 0; i--) {
        char c = inner[g_rand_int_range(r, 0, sizeof(inner) - 1)];
        if (c == '"' && g_rand_int_range(r, 0, 3) != 0)
            g_string_append_c(out, '"'); /* mostly doubled */
        g_string_append_c(out, c == ',' ? delim : c);
    }
    if (kind == 9 && g_rand_int_range(r, 0, 3) == 0)
        return; /* unclosed: the record continues on the next line */
    g_string_append_c(out, '"');
    int after = g_rand_int_range(r, 0, 8);
    if (after == 0)
        g_string_append(out, "  ");
    else if (after == 1)
        g_string_append(out, " \t");
    else if (after == 2)
        g_string_append_c(out, 'z'); /* bytes after the closing quote: malformed */
    else if (after == 3)
        g_string_append(out, " \""); /* a quote after spaces: malformed */
}

/* Quoted lines split without libcsv give what libcsv gives: seeded random records over
 * each delimiter, with and without tight limits, are read with the fast split on and off,
 * and the transcripts (events with every field mapped, rejects, skips) must match. */
static void
test_quoted_fast(void)
{
    static const char delims[] = ",;\t";
    GRand *r = g_rand_new_with_seed(11);
    for (int round = 0; round < 300; round++) {
        char d = delims[round % 3];
        GString *in = g_string_new(NULL);
        g_string_append_printf(in, "key%ctime%cip%cop%cua\n", d, d, d, d);
        for (int rec = g_rand_int_range(r, 1, 12); rec > 0; rec--) {
            int nf = g_rand_int_range(r, 0, 8) == 0 ? g_rand_int_range(r, 1, 8) : 5;
            for (int f = 0; f < nf; f++) {
                if (f > 0)
                    g_string_append_c(in, d);
                random_field(r, in, d);
            }
            g_string_append(in, g_rand_int_range(r, 0, 6) == 0 ? "\r\n" : "\n");
        }
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        if (round % 4 == 3) {
            opts.max_fields = 4;
            opts.max_line = 24;
        }
        kt_csv_set_quoted_fast(FALSE);
        g_autofree char *slow = run(&opts, in->str, in->len, 0);
        kt_csv_set_quoted_fast(TRUE);
        g_autofree char *fast = run(&opts, in->str, in->len, 0);
        if (g_strcmp0(slow, fast) != 0)
            g_test_message("input:\n%s", in->str);
        g_assert_cmpstr(fast, ==, slow);
        g_string_free(in, TRUE);
    }
    g_rand_free(r);
    /* a quoted line of exactly --max-line bytes: libcsv counts its newline and rejects it */
    const char *edge = "key,time\n\"k1\",\"t1\"\n\"k2\",\"t2x\"\n";
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_line = 10; /* "k2","t2x" is 10 bytes, "k1","t1" 9 */
    kt_csv_set_quoted_fast(FALSE);
    g_autofree char *slow = run(&opts, edge, strlen(edge), 0);
    kt_csv_set_quoted_fast(TRUE);
    g_autofree char *fast = run(&opts, edge, strlen(edge), 0);
    g_assert_cmpstr(slow, ==, "S1\nE2 key=k1 time=t1\nR3 line_too_long\n");
    g_assert_cmpstr(fast, ==, slow);
}

static void
test_random(void)
{
    check_random_input(&kt_format_csv);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/csv/cases", test_cases);
    g_test_add_func("/csv/limits/too-many-fields", test_too_many_fields);
    g_test_add_func("/csv/limits/too-long", test_too_long);
    g_test_add_func("/csv/limits/huge-line", test_huge_line);
    g_test_add_func("/csv/options/delimiter", test_forced_delimiter);
    g_test_add_func("/csv/options/field-override", test_field_override);
    g_test_add_func("/csv/options/bad", test_bad_options);
    g_test_add_func("/csv/preset/cloudtrail-columns", test_cloudtrail_columns);
    g_test_add_func("/csv/sniff", test_sniff);
    g_test_add_func("/csv/describe", test_describe);
    g_test_add_func("/csv/data/honeybucket", test_honeybucket);
    g_test_add_func("/csv/bad/random", test_random);
    g_test_add_func("/csv/quoted-fast", test_quoted_fast);
    return g_test_run();
}
