/*
 * test-cloudtrail.c - the cloudtrail format: S3 envelopes, bare arrays, lookup-events
 * output, concatenated documents, bad elements, limits, blocks of every size, and the
 * Stratus Red Team detonation logs when present.
 */
#include "keytrail/format.h"

#include "format-sink.h"

#include "../../src/input/preset.h"

/* Runs @data through the cloudtrail format (format-sink.h). */
static char *
run(const KtFormatOptions *opts, const char *data, gsize len, gsize block)
{
    return run_format(&kt_format_cloudtrail, opts, data, len, block);
}

typedef struct {
    const char *name;
    const char *input;
    const char *expect;
} Case;

#define REC(k, t) "{\"eventTime\":\"" t "\",\"userIdentity\":{\"accessKeyId\":\"" k "\"}}"

static const Case cases[] = {
    {"records", "{\"Records\":[" REC("AKIA1", "t1") "," REC("AKIA2", "t2") "]}\n",
     "E1 key=AKIA1 time=t1\nE2 key=AKIA2 time=t2\n"},
    {"records-later-key",
     "{\"x\":{\"Records\":[1,2]},\"y\":[\"Records\",{}],\"Records\" : [ " REC(
         "K", "t") " ] , \"z\":\"]\"}",
     "E1 key=K time=t\n"},
    {"bare-array-pretty",
     "[\n   {\n      \"eventTime\": \"t\",\n      \"userIdentity\": {\n         "
     "\"accessKeyId\": \"K\"\n      }\n   }\n]\n",
     "E1 key=K time=t\n"},
    {"empty", "{\"Records\":[]}\n[]\n\n", ""},
    {"lookup-events",
     "{\"Events\":[{\"EventId\":\"1\",\"CloudTrailEvent\":\"{\\\"eventTime\\\":\\\"t\\\","
     "\\\"eventSource\\\":\\\"s3.amazonaws.com\\\",\\\"eventName\\\":\\\"GetObject\\\","
     "\\\"userIdentity\\\":{\\\"accessKeyId\\\":\\\"AKIA9\\\"},\\\"additionalEventData\\\":"
     "{\\\"bytesTransferredOut\\\":1024.0}}\"},{\"CloudTrailEvent\":\"not json\"}],"
     "\"NextToken\":\"abc\"}",
     "E1 key=AKIA9 time=t op=s3:GetObject bytes=1024\nR2 malformed\n"},
    {"concatenated",
     "{\"Records\":[" REC("A", "1") "]}{\"Records\":[" REC(
         "B", "2") "]}\n"
                   "[" REC("C", "3") "]\n" REC("D", "4") "\n" REC("E", "5"),
     "E1 key=A time=1\nE2 key=B time=2\nE3 key=C time=3\nE4 key=D time=4\nE5 key=E time=5\n"},
    {"non-objects", "[1, \"x\" ,null,true,[]," REC("K", "t") ",{}]",
     "R1 not_an_object\nR2 not_an_object\nR3 not_an_object\nR4 not_an_object\n"
     "R5 not_an_object\nE6 key=K time=t\nR7 missing_key\n"},
    {"strings-with-brackets",
     "[{\"eventTime\":\"t]}\\\"{[\",\"userIdentity\":{\"accessKeyId\":\"K\\\\\"}}]",
     "E1 key=K\\ time=t]}\"{[\n"},
    {"truncated", "{\"Records\":[" REC("A", "1") ",{\"eventTime\":\"2\",\"userId",
     "E1 key=A time=1\nR2 truncated\n"},
    {"truncated-after-record", "{\"Records\":[" REC("A", "1") ",", "E1 key=A time=1\n"},
    {"garbage", "hello world\n{\"Records\":[" REC("A", "1") "]}\n\x01\x02\n[" REC("B", "2") "]",
     "R1 malformed\nE2 key=A time=1\nR3 malformed\nE4 key=B time=2\n"},
    {"bad-element", "[{\"eventTime\":\"1\",,}," REC("B", "2") "]",
     "R1 malformed\nE2 key=B time=2\n"},
    {"bom", "\xEF\xBB\xBF[" REC("A", "1") "]", "E1 key=A time=1\n"},
    {"temp-keys",
     "[{\"eventTime\":\"t\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:u\","
     "\"accessKeyId\":\"AKIA1\"}},"
     "{\"eventTime\":\"t\",\"userIdentity\":{\"type\":\"IAMUser\",\"accessKeyId\":\"ASIA2\"}},"
     "{\"eventTime\":\"t\",\"userIdentity\":{\"type\":\"FederatedUser\",\"accessKeyId\":\"AKIA3\"}}"
     "]",
     "E1 key=AKIA1 time=t principal=arn:u\nE2 key=ASIA2 time=t temp\nE3 key=AKIA3 time=t temp\n"},
};

static void
test_cases(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        gsize len = strlen(cases[i].input);
        g_test_message("case %s", cases[i].name);
        g_autofree char *got = run(&opts, cases[i].input, len, 0);
        g_assert_cmpstr(got, ==, cases[i].expect);
        for (gsize b = 1; b <= MIN(len, (gsize)64); b++) {
            g_autofree char *split = run(&opts, cases[i].input, len, b);
            g_assert_cmpstr(split, ==, cases[i].expect);
        }
    }
}

static void
test_limits(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.max_line = 60;
    opts.max_json_depth = 3;
    const char *in = "{\"Records\":[" REC(
        "A", "1") ",{\"eventTime\":\"2\",\"pad\":"
                  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},"
                  "{\"a\":{\"b\":{\"c\":{}}}}," REC("B", "3") "]}";
    for (gsize b = 0; b < 50; b++) {
        g_autofree char *got = run(&opts, in, strlen(in), b);
        g_assert_cmpstr(got, ==,
                        "E1 key=A time=1\nR2 line_too_long\nR3 json_too_deep\nE4 key=B time=3\n");
    }
    /* deep nesting of the envelope itself costs a counter, not a stack */
    GString *deep = g_string_new("{\"x\":");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, ']');
    g_string_append(deep, ",\"Records\":[" REC("A", "1") "]}");
    g_autofree char *got = run(&opts, deep->str, deep->len, 8192);
    g_assert_cmpstr(got, ==, "E1 key=A time=1\n");
    g_string_free(deep, TRUE);
    /* a huge top-level object that is not an envelope */
    GString *big = g_string_new("{\"pad\":\"");
    for (int i = 0; i < 1000; i++)
        g_string_append_c(big, 'x');
    g_string_append(big, "\"}" REC("B", "2"));
    g_autofree char *got2 = run(&opts, big->str, big->len, 100);
    g_assert_cmpstr(got2, ==, "R1 line_too_long\nE2 key=B time=2\n");
    g_string_free(big, TRUE);
}

static void
test_preset_auto(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    GString *out = g_string_new(NULL);
    KtSink sink = {col_event, col_reject, col_skip, out};
    gpointer p = kt_format_cloudtrail.new(&opts, &sink, NULL);
    const char *in =
        "[{\"protoPayload\":{\"authenticationInfo\":{\"serviceAccountKeyName\":\"k\"}},"
        "\"timestamp\":\"t\"}]";
    kt_format_cloudtrail.feed(p, in, strlen(in));
    kt_format_cloudtrail.finish(p);
    g_assert_cmpstr(kt_format_cloudtrail.preset_name(p), ==, "gcp-audit");
    g_assert_cmpstr(out->str, ==, "E1 key=k time=t grpc\n");
    kt_format_cloudtrail.free(p);
    /* nothing recognizable: the cloudtrail preset, not generic */
    g_string_truncate(out, 0);
    p = kt_format_cloudtrail.new(&opts, &sink, NULL);
    const char *generic = "[{\"api_key\":\"k\",\"time\":\"t\"}]";
    kt_format_cloudtrail.feed(p, generic, strlen(generic));
    kt_format_cloudtrail.finish(p);
    g_assert_cmpstr(kt_format_cloudtrail.preset_name(p), ==, "cloudtrail");
    g_assert_cmpstr(out->str, ==, "R1 missing_key\n");
    kt_format_cloudtrail.free(p);
    g_string_free(out, TRUE);
}

static void
test_sniff(void)
{
    const char *s3 = "{\n  \"Records\": [";
    const char *ev = "{\"Events\":[{";
    const char *arr = "[\n   {\n      \"additionalEventData\"";
    g_assert_cmpint(kt_format_cloudtrail.sniff(s3, strlen(s3)), ==, 95);
    g_assert_cmpint(kt_format_cloudtrail.sniff(ev, strlen(ev)), ==, 95);
    g_assert_cmpint(kt_format_cloudtrail.sniff(arr, strlen(arr)), ==, 90);
    g_assert_cmpint(kt_format_cloudtrail.sniff("[1,2]", 5), ==, 0);
    g_assert_cmpint(kt_format_cloudtrail.sniff("a,b\n", 4), ==, 0);
    g_assert_cmpint(kt_format_cloudtrail.sniff("", 0), ==, 0);
    g_assert_cmpint(kt_format_cloudtrail.sniff("{", 1), ==, 30);
    g_assert_true(kt_format_sniff(s3, strlen(s3)) == &kt_format_cloudtrail);
    g_assert_true(kt_format_sniff(arr, strlen(arr)) == &kt_format_cloudtrail);
    const char *jl = "{\"a\":1}\n";
    g_assert_true(kt_format_sniff(jl, strlen(jl)) == &kt_format_jsonl);
}

/* ---- real data --------------------------------------------------------------------- */

static void
test_stratus(void)
{
    const char *top = g_getenv("KT_TOP");
    g_autofree char *dir = g_build_filename(top ? top : ".", "..", "shared", "data",
                                            "stratus-red-team-detonation-logs", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL) {
        g_test_skip("shared data not present");
        return;
    }
    guint files = 0, events = 0, rejects = 0, nokey = 0, temp = 0, denied = 0;
    for (const char *name; (name = g_dir_read_name(d)) != NULL;) {
        if (!g_str_has_suffix(name, ".json"))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *data = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_assert_true(kt_format_sniff(data, MIN(len, (gsize)4096)) == &kt_format_cloudtrail);
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        g_autofree char *got = run(&opts, data, len, 1 + files * 97);
        files++;
        for (const char *l = got; *l; l = strchr(l, '\n') + 1) {
            events += l[0] == 'E';
            rejects += l[0] == 'R';
            nokey += g_str_has_prefix(l + 1 + strspn(l + 1, "0123456789"), " missing_key");
            if (l[0] == 'E') {
                const char *nl = strchr(l, '\n');
                g_autofree char *line = g_strndup(l, (gsize)(nl - l));
                temp += g_str_has_suffix(line, " temp");
                /* every event has a composed operation */
                g_assert_nonnull(strstr(line, " op="));
                const char *op = strstr(line, " op=") + 4;
                g_assert_true(g_ascii_islower(op[0]) && strchr(op, ':') != NULL);
                g_assert_false(g_str_has_prefix(strchr(op, ':'), ":amazonaws"));
                denied += strstr(line, "status=AccessDenied") != NULL ||
                          strstr(line, "status=Client.UnauthorizedOperation") != NULL;
            }
        }
    }
    g_assert_cmpuint(files, ==, 35);
    g_assert_cmpuint(events, ==, 309);
    g_assert_cmpuint(rejects, ==, 1);
    g_assert_cmpuint(nokey, ==, 1);
    g_assert_cmpuint(temp, ==, 69);
    g_assert_cmpuint(denied, ==, 51);
}

/* Random bytes: format-sink.h check_random_input(). */
static void
test_random(void)
{
    check_random_input(&kt_format_cloudtrail);
}

/* ---- the splitter's 64-byte element skip ---------------------------------------------- */

/* A random JSON string body: letters, the structure bytes, escapes (quotes, runs of
 * backslashes of every length) and long runs that cross 64-byte blocks. */
static void
random_string(GRand *r, GString *out)
{
    g_string_append_c(out, '"');
    for (int i = g_rand_int_range(r, 0, 10); i > 0; i--) {
        switch (g_rand_int_range(r, 0, 8)) {
        case 0: g_string_append(out, "\\\""); break;
        case 1: /* a run of escaped backslashes, then maybe an escaped quote */
            for (int k = g_rand_int_range(r, 1, 5); k > 0; k--)
                g_string_append(out, "\\\\");
            if (g_rand_boolean(r))
                g_string_append(out, "\\\"");
            break;
        case 2: g_string_append(out, "{}[],: "); break;
        case 3:
            for (int k = g_rand_int_range(r, 1, 90); k > 0; k--)
                g_string_append_c(out, 'a');
            break;
        case 4: g_string_append(out, "\\n\\u00e9"); break;
        default: g_string_append_c(out, "xyz b"[g_rand_int_range(r, 0, 5)]);
        }
    }
    g_string_append_c(out, '"');
}

static void
random_value(GRand *r, GString *out, int depth)
{
    int kind = depth > 6 ? 2 + g_rand_int_range(r, 0, 3) : g_rand_int_range(r, 0, 5);
    if (g_rand_int_range(r, 0, 4) == 0)
        g_string_append(out, g_rand_boolean(r) ? " " : "\n");
    if (kind == 0 || kind == 1) {
        g_string_append_c(out, kind == 0 ? '{' : '[');
        for (int n = g_rand_int_range(r, 0, 5), i = 0; i < n; i++) {
            if (i > 0)
                g_string_append_c(out, ',');
            if (kind == 0) {
                random_string(r, out);
                g_string_append_c(out, ':');
            }
            random_value(r, out, depth + 1);
        }
        g_string_append_c(out, kind == 0 ? '}' : ']');
    } else if (kind == 2) {
        random_string(r, out);
    } else {
        g_string_append(out, kind == 3 ? "12.5" : "null");
    }
}

typedef struct {
    GString *out;
} SplitLog;

static void
split_rec(gpointer ud, const char *text, gsize len, guint64 index)
{
    g_string_append_printf(((SplitLog *)ud)->out, "E%" G_GUINT64_FORMAT " %.*s\n", index, (int)len,
                           text);
}

static void
split_rej(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    g_string_append_printf(((SplitLog *)ud)->out, "R%" G_GUINT64_FORMAT " %s %.*s\n", line,
                           kt_reject_name(reason), (int)excerpt.len, excerpt.ptr);
}

static void
split_skip(gpointer ud, guint64 line)
{
}

/* (transfer full) What the splitter hands on for @in fed in blocks of up to @block bytes. */
static char *
split_all(const GString *in, gsize block, gsize max_len, guint max_depth)
{
    SplitLog log = { g_string_new(NULL) };
    KtSink sink = { NULL, split_rej, split_skip, &log };
    KtJsonSplitter *js = kt_json_splitter_new(max_len, max_depth, split_rec, &sink, &log);
    for (gsize at = 0; at < in->len; at += block)
        kt_json_splitter_feed(js, in->str + at, MIN(block, in->len - at));
    kt_json_splitter_finish(js);
    kt_json_splitter_free(js);
    return g_string_free(log.out, FALSE);
}

/*
 * The splitter reads elements 64 bytes at a time as it reads them byte by byte: seeded
 * random documents (a Records envelope, a bare array, concatenated objects) of nested
 * values with escapes, long strings and runs of backslashes, half of them then broken
 * (bytes inserted, among them backslashes and quotes outside strings, or removed), fed in
 * blocks of random sizes with random limits, give the same records and rejects.
 */
static void
test_splitter_simd(void)
{
    GRand *r = g_rand_new_with_seed(64);
    guint differ = 0;
    for (int round = 0; round < 1500; round++) {
        GString *in = g_string_new(NULL);
        int shape = g_rand_int_range(r, 0, 3);
        g_string_append(in, shape == 0 ? "{\"Records\":[" : shape == 1 ? "[" : "");
        for (int n = g_rand_int_range(r, 0, 6), i = 0; i < n; i++) {
            if (i > 0 && shape < 2)
                g_string_append_c(in, ',');
            if (g_rand_boolean(r) || shape == 2) {
                g_string_append_c(in, '{');
                for (int m = g_rand_int_range(r, 1, 6), k = 0; k < m; k++) {
                    if (k > 0)
                        g_string_append_c(in, ',');
                    random_string(r, in);
                    g_string_append_c(in, ':');
                    random_value(r, in, 1);
                }
                g_string_append_c(in, '}');
            } else {
                random_value(r, in, 0);
            }
            if (shape == 2)
                g_string_append_c(in, '\n');
        }
        g_string_append(in, shape == 0 ? "]}" : shape == 1 ? "]" : "");
        if (round % 2 == 1) {
            for (int e = g_rand_int_range(r, 1, 4); e > 0 && in->len > 0; e--) {
                guint at = (guint)g_rand_int_range(r, 0, (gint32)in->len);
                if (g_rand_int_range(r, 0, 3) == 0)
                    g_string_erase(in, at, 1);
                else
                    g_string_insert_c(in, at, "\\\"{}[],: x"[g_rand_int_range(r, 0, 10)]);
            }
        }
        gsize block = g_rand_boolean(r) ? in->len + 1 : (gsize)g_rand_int_range(r, 1, 300);
        gsize max_len = g_rand_int_range(r, 0, 4) == 0 ? 200 : 0;
        guint max_depth = g_rand_int_range(r, 0, 4) == 0 ? 3 : 0;
        kt_json_splitter_set_simd(FALSE);
        g_autofree char *bytes = split_all(in, MAX(block, 1), max_len, max_depth);
        kt_json_splitter_set_simd(TRUE);
        g_autofree char *simd = split_all(in, MAX(block, 1), max_len, max_depth);
        if (g_strcmp0(bytes, simd) != 0)
            g_test_message("input (blocks of %zu):\n%s", block, in->str);
        g_assert_cmpstr(simd, ==, bytes);
        differ += strstr(bytes, "\nR") != NULL || bytes[0] == 'R';
        g_string_free(in, TRUE);
    }
    g_assert_cmpuint(differ, >, 100); /* broken documents were among them */
    g_rand_free(r);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/cloudtrail/cases", test_cases);
    g_test_add_func("/cloudtrail/limits", test_limits);
    g_test_add_func("/cloudtrail/preset-auto", test_preset_auto);
    g_test_add_func("/cloudtrail/sniff", test_sniff);
    g_test_add_func("/cloudtrail/data/stratus", test_stratus);
    g_test_add_func("/cloudtrail/bad/random", test_random);
    g_test_add_func("/cloudtrail/splitter-simd", test_splitter_simd);
    return g_test_run();
}
