/*
 * test-jsonl.c - the jsonl format: dotted paths, preset detection, bad lines (not an
 * object, malformed, too deep, binary, truncated), blocks of every size, huge lines.
 */
#include "keytrail/format.h"

#include "format-sink.h"

/* Runs @data through the jsonl format (format-sink.h). */
static char *
run(const KtFormatOptions *opts, const char *data, gsize len, gsize block)
{
    return run_format(&kt_format_jsonl, opts, data, len, block);
}

typedef struct {
    const char *name;
    const char *input;
    const char *expect;
} Case;

static const Case cases[] = {
    {"generic",
     "{\"api_key\":\"k1\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"ip\":\"1.2.3.4\","
     "\"method\":\"GET\",\"path\":\"/v1/x\",\"status\":403,\"bytes\":12,\"user_agent\":\"curl\"}\n",
     "E1 key=k1 time=2024-01-01T00:00:00Z ip=1.2.3.4 op=GET /v1/x status=403 bytes=12 ua=curl\n"},
    {"generic-names",
     "{\"API-Key\":\"k\",\"Event Time\":\"t\",\"Client_IP\":\"::1\",\"Action\":\"read\"}\n",
     "E1 key=k time=t ip=::1 op=read\n"},
    {"stripe-error",
     "{\"key_id\":\"rk_1\",\"created_at\":1700000000,\"error\":{\"code\":\"api_key_expired\","
     "\"type\":\"invalid_request_error\"}}\n",
     "E1 key=rk_1 ms=1700000000000 status=api_key_expired\n"},
    {"epoch-ms", "{\"token\":42,\"ts\":1700000000123}\n", "E1 key=42 ms=1700000000123\n"},
    {"not-object", "[1,2]\n\"x\"\n42\nnull\n",
     "R1 not_an_object\nR2 not_an_object\nR3 not_an_object\nR4 not_an_object\n"},
    {"malformed", "{\"a\":\n{\"key\":\"k\",\"time\":\"t\"} x\n{'a':1}\n#c\n",
     "R1 malformed\nR2 malformed\nR3 malformed\nR4 malformed\n"},
    {"blank-bom-crlf",
     "\xEF\xBB\xBF{\"key\":\"k\",\"time\":\"t\"}\r\n\r\n   \n{\"key\":\"k2\",\"time\":\"t2\"}\r\n",
     "E1 key=k time=t\nS2\nS3\nE4 key=k2 time=t2\n"},
    {"missing",
     "{\"time\":\"t\"}\n{\"key\":\"k\"}\n{\"key\":\"\",\"time\":\"t\"}\n{\"key\":null,\"time\":"
     "\"t\"}\n",
     "R1 missing_key\nR2 missing_time\nR3 missing_key\nR4 missing_key\n"},
    {"truncated", "{\"key\":\"k\",\"time\":\"t\"}\n{\"key\":\"k\",\"ti",
     "E1 key=k time=t\nR2 truncated\n"},
    {"last-no-newline", "{\"key\":\"k\",\"time\":\"t\"}", "E1 key=k time=t\n"},
    {"invalid-utf8", "{\"key\":\"\xff\xc3\",\"time\":\"t\"}\n", "E1 key=\xff\xc3 time=t\n"},
    {"deep",
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
     "{\"key\":\"k\",\"time\":\"t\",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "[[[[[[[[[[[[[[[[[[[\"}\n",
     "R1 json_too_deep\nE2 key=k time=t\n"},
    {"cloudtrail-detected",
     "{\"eventTime\":\"2024-08-02T08:53:24Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":"
     "\"CreateUser\","
     "\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:role/x\",\"accessKeyId\":\"ASIA1\","
     "\"sessionContext\":{\"sessionIssuer\":{\"arn\":\"arn:role/"
     "issuer\"}}},\"sourceIPAddress\":\"1.2.3.4\","
     "\"errorCode\":\"AccessDenied\",\"userAgent\":\"aws-cli\"}\n",
     "E1 key=ASIA1 time=2024-08-02T08:53:24Z ip=1.2.3.4 op=iam:CreateUser status=AccessDenied "
     "ua=aws-cli "
     "principal=arn:role/issuer temp\n"},
    {"vault-detected",
     "{\"time\":\"2024-01-01T00:00:00Z\",\"type\":\"request\",\"auth\":{\"accessor\":\"hmac-sha256:"
     "ab\"},"
     "\"request\":{\"operation\":\"read\",\"path\":\"secret/x\",\"remote_address\":\"10.0.0.1\"}}\n"
     "{\"time\":\"2024-01-01T00:00:00Z\",\"type\":\"response\",\"auth\":{\"accessor\":\"hmac-"
     "sha256:ab\","
     "\"display_name\":\"approle\"},\"request\":{\"operation\":\"read\",\"path\":\"secret/x\","
     "\"remote_address\":\"10.0.0.1\"},\"error\":\"1 error occurred:\\n\\t* permission "
     "denied\\n\\n\"}\n",
     "S1\nE2 key=hmac-sha256:ab time=2024-01-01T00:00:00Z ip=10.0.0.1 op=read secret/x "
     "status=1 error occurred:\n\t* permission denied\n\n principal=approle\n"},
};

static gsize
case_len(const Case *c)
{
    return strlen(c->input);
}

static void
test_cases(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        gsize len = case_len(&cases[i]);
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
test_binary(void)
{
    static const char in[] =
        "{\"key\":\"k\0\",\"time\":\"t\"}\n\x01\x02\x03\n{\"key\":\"k\",\"time\":\"t\"}\n";
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    g_autofree char *got = run(&opts, in, sizeof(in) - 1, 0);
    g_assert_cmpstr(got, ==, "R1 binary\nR2 malformed\nE3 key=k time=t\n");
}

static void
test_very_deep(void)
{
    /* far beyond cJSON's own limit: must be rejected by the pre-scan, without recursion */
    GString *in = g_string_new(NULL);
    for (int i = 0; i < 200000; i++)
        g_string_append_c(in, i % 2 ? '[' : '{');
    g_string_append(in, "\n{\"key\":\"k\",\"time\":1}\n");
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    g_autofree char *got = run(&opts, in->str, in->len, 4096);
    g_assert_cmpstr(got, ==, "R1 json_too_deep\nE2 key=k ms=1000\n");
    opts.max_json_depth = 2;
    const char *two = "{\"key\":\"k\",\"time\":\"t\",\"a\":{\"b\":1}}\n{\"key\":\"k\",\"time\":"
                      "\"t\",\"a\":{\"b\":[1]}}\n";
    g_autofree char *lim = run(&opts, two, strlen(two), 0);
    g_assert_cmpstr(lim, ==, "E1 key=k time=t\nR2 json_too_deep\n");
    g_string_free(in, TRUE);
}

static void
test_huge_line(void)
{
    GString *in = g_string_new("{\"key\":\"k\",\"time\":\"t\",\"pad\":\"");
    for (gsize i = 0; i < KT_MAX_LINE_DEFAULT; i++)
        g_string_append_c(in, 'x');
    g_string_append(in, "\"}\n{\"key\":\"k2\",\"time\":\"t\"}\n");
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    g_autofree char *got = run(&opts, in->str, in->len, 100000);
    g_assert_cmpstr(got, ==, "R1 line_too_long\nE2 key=k2 time=t\n");
    g_string_free(in, TRUE);
}

static void
add_field(KtFormatOptions *opts, const char *name, const char *source)
{
    KtFieldOverride *fo = g_new0(KtFieldOverride, 1);
    fo->name = g_strdup(name);
    fo->source = g_strdup(source);
    g_ptr_array_add(opts->fields, fo);
}

static void
free_field(gpointer p)
{
    KtFieldOverride *fo = p;
    g_free(fo->name);
    g_free(fo->source);
    g_free(fo);
}

static void
test_overrides(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.fields = g_ptr_array_new_with_free_func(free_field);
    add_field(&opts, "key", "auth.token.id");
    add_field(&opts, "time", "meta.when");
    add_field(&opts, "op", "error.code");
    add_field(&opts, "principal", "dotted.key");
    const char *in =
        "{\"api_key\":\"ignored\",\"auth\":{\"token\":{\"id\":\"tok-7\"}},"
        "\"meta\":{\"when\":\"2024\"},\"error\":{\"code\":\"E1\"},\"dotted.key\":\"p\"}\n";
    g_autofree char *got = run(&opts, in, strlen(in), 0);
    g_assert_cmpstr(got, ==, "E1 key=tok-7 time=2024 op=E1 status=E1 principal=p\n");
    g_ptr_array_unref(opts.fields);
}

static void
test_presets_forced(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    KtSink sink = {NULL, NULL, NULL, NULL};
    g_autoptr(GError) error = NULL;
    opts.preset = "splunk";
    g_assert_null(kt_format_jsonl.new(&opts, &sink, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_assert_nonnull(strstr(error->message, "gcp-audit"));
    g_clear_error(&error);
    opts.preset = NULL;
    opts.fields = g_ptr_array_new_with_free_func(free_field);
    add_field(&opts, "colour", "x");
    g_assert_null(kt_format_jsonl.new(&opts, &sink, &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_assert_nonnull(strstr(error->message, "principal"));
    g_ptr_array_unref(opts.fields);
    opts.fields = NULL;

    /* a forced preset is used even when the record looks like another */
    opts.preset = "github-audit";
    const char *in =
        "{\"eventTime\":\"x\",\"eventName\":\"y\",\"token_id\":9,\"@timestamp\":1700000000000,"
        "\"action\":\"repo.create\",\"actor\":\"octo\",\"actor_ip\":\"1.1.1.1\"}\n";
    g_autofree char *got = run(&opts, in, strlen(in), 0);
    g_assert_cmpstr(got, ==,
                    "E1 key=9 ms=1700000000000 ip=1.1.1.1 op=repo.create principal=octo\n");
}

static void
test_preset_name(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    GString *out = g_string_new(NULL);
    KtSink sink = {col_event, col_reject, col_skip, out};
    gpointer p = kt_format_jsonl.new(&opts, &sink, NULL);
    g_assert_null(kt_format_jsonl.preset_name(p));
    const char *in =
        "{\"protoPayload\":{\"methodName\":\"SetIamPolicy\",\"status\":{\"code\":7},"
        "\"authenticationInfo\":{\"principalEmail\":\"sa@p.iam\",\"serviceAccountKeyName\":"
        "\"//iam/keys/abc\"},\"requestMetadata\":{\"callerIp\":\"2001:db8::1\","
        "\"callerSuppliedUserAgent\":\"gcloud\"}},\"timestamp\":\"2024-01-01T00:00:00Z\"}\n";
    kt_format_jsonl.feed(p, in, strlen(in));
    kt_format_jsonl.finish(p);
    g_assert_cmpstr(kt_format_jsonl.preset_name(p), ==, "gcp-audit");
    g_assert_cmpstr(out->str, ==,
                    "E1 key=//iam/keys/abc time=2024-01-01T00:00:00Z ip=2001:db8::1 "
                    "op=SetIamPolicy status=7 ua=gcloud principal=sa@p.iam grpc\n");
    kt_format_jsonl.free(p);
    g_string_free(out, TRUE);
}

static void
test_sniff(void)
{
    const char *l = "{\"a\":1}\n{\"a\":2}\n";
    g_assert_cmpint(kt_format_jsonl.sniff(l, strlen(l)), ==, 80);
    g_assert_cmpint(kt_format_jsonl.sniff("{\n \"a\": 1\n}\n", 12), ==, 0);
    g_assert_cmpint(kt_format_jsonl.sniff("a,b\n1,2\n", 8), ==, 0);
    g_assert_cmpint(kt_format_jsonl.sniff("", 0), ==, 0);
    g_assert_true(kt_format_sniff(l, strlen(l)) == &kt_format_jsonl);
}

/* Random bytes: format-sink.h check_random_input(). */
static void
test_random(void)
{
    check_random_input(&kt_format_jsonl);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/jsonl/cases", test_cases);
    g_test_add_func("/jsonl/bad/binary", test_binary);
    g_test_add_func("/jsonl/bad/very-deep", test_very_deep);
    g_test_add_func("/jsonl/bad/huge-line", test_huge_line);
    g_test_add_func("/jsonl/options/overrides", test_overrides);
    g_test_add_func("/jsonl/options/presets", test_presets_forced);
    g_test_add_func("/jsonl/preset-name", test_preset_name);
    g_test_add_func("/jsonl/sniff", test_sniff);
    g_test_add_func("/jsonl/bad/random", test_random);
    return g_test_run();
}
