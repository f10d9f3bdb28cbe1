/*
 * test-preset.c - source presets: option errors, each preset's mapping and hooks,
 * generic name guessing, --field overrides, CSV column binding, outcome classes.
 */
#include "../../src/input/preset.h"

/* Maps one JSON text with @m and returns "E key=.. ..." / "S" / "R reason". */
static char *
map_json(KtMapper *m, const char *json)
{
    cJSON *obj = cJSON_Parse(json);
    g_assert_nonnull(obj);
    KtEventView ev;
    KtReject reason = KT_REJECT_COUNT;
    KtMapResult r = kt_mapper_json(m, obj, &ev, &reason);
    GString *out = g_string_new(NULL);
    if (r == KT_MAP_SKIP)
        g_string_append(out, "S");
    else if (r == KT_MAP_REJECT)
        g_string_append_printf(out, "R %s", kt_reject_name(reason));
    else {
        const struct {
            const char *name;
            KtStrView v;
        } f[] = {{"key", ev.key},
                 {"time", ev.time_text},
                 {"ip", ev.source},
                 {"op", ev.op},
                 {"status", ev.status},
                 {"ua", ev.ua},
                 {"principal", ev.principal}};
        g_string_append(out, "E");
        for (gsize i = 0; i < G_N_ELEMENTS(f); i++) {
            if (f[i].v.ptr != NULL)
                g_string_append_printf(out, " %s=%.*s", f[i].name, (int)f[i].v.len, f[i].v.ptr);
        }
        if (ev.flags & KT_EV_TIME_SET)
            g_string_append_printf(out, " ms=%" G_GINT64_FORMAT, ev.time_ms);
        if (ev.bytes >= 0)
            g_string_append_printf(out, " bytes=%" G_GINT64_FORMAT, ev.bytes);
        if (ev.status_grpc)
            g_string_append(out, " grpc");
        if (ev.flags & KT_EV_TEMP_KEY)
            g_string_append(out, " temp");
        g_string_append_printf(out, " outcome=%s",
                               kt_outcome_name(kt_outcome_classify(ev.status, ev.status_grpc)));
    }
    cJSON_Delete(obj);
    return g_string_free(out, FALSE);
}

static KtMapper *
mapper(const char *preset, const char *const *fields)
{
    static KtFormatOptions opts; /* borrowed by the mapper; tests run one at a time */
    static GPtrArray *overrides;
    kt_format_options_init(&opts);
    opts.preset = preset;
    if (overrides != NULL)
        g_ptr_array_unref(overrides);
    overrides = g_ptr_array_new_with_free_func(g_free);
    for (gsize i = 0; fields != NULL && fields[i] != NULL; i += 2) {
        KtFieldOverride *fo = g_new0(KtFieldOverride, 1);
        fo->name = (char *)fields[i];
        fo->source = (char *)fields[i + 1];
        g_ptr_array_add(overrides, fo);
    }
    opts.fields = overrides;
    g_autoptr(GError) error = NULL;
    KtMapper *m = kt_mapper_new(&opts, "generic", &error);
    g_assert_no_error(error);
    return m;
}

typedef struct {
    const char *preset; /* NULL = detect */
    const char *json;
    const char *expect;
} Case;

static const Case cases[] = {
    /* cloudtrail */
    {"cloudtrail",
     "{\"eventTime\":\"t\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":"
     "\"GetCallerIdentity\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/"
     "u\","
     "\"accessKeyId\":\"AKIA1\"},\"sourceIPAddress\":\"010.001.002.003\",\"userAgent\":\"boto3\"}",
     "E key=AKIA1 time=t ip=010.001.002.003 op=sts:GetCallerIdentity ua=boto3 "
     "principal=arn:aws:iam::1:user/u outcome=ok"},
    {"cloudtrail",
     "{\"eventTime\":\"t\",\"eventName\":\"RunInstances\",\"errorCode\":"
     "\"Client.UnauthorizedOperation\",\"userIdentity\":{\"type\":\"AssumedRole\",\"accessKeyId\":"
     "\"AKIA2\",\"arn\":\"arn:sts::1:assumed-role/r/s\",\"sessionContext\":{\"sessionIssuer\":"
     "{\"arn\":\"arn:iam::1:role/r\"}}}}",
     "E key=AKIA2 time=t op=RunInstances status=Client.UnauthorizedOperation "
     "principal=arn:iam::1:role/r temp outcome=denied"},
    {"cloudtrail",
     "{\"eventTime\":\"t\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
     "\"userIdentity\":{\"accessKeyId\":\"ASIA3\"},\"additionalEventData\":{"
     "\"bytesTransferredOut\":"
     "52.0},\"errorCode\":\"AccessDenied\"}",
     "E key=ASIA3 time=t op=s3:GetObject status=AccessDenied bytes=52 temp outcome=denied"},
    {"cloudtrail", "{\"eventTime\":\"t\",\"eventName\":\"ConsoleLogin\",\"userIdentity\":{}}",
     "R missing_key"},
    /* github-audit */
    {"github-audit",
     "{\"@timestamp\":1700000000000,\"action\":\"repo.download_zip\",\"actor\":\"octo\","
     "\"actor_ip\":\"1.2.3.4\",\"hashed_token\":\"abc=\",\"token_id\":7,\"user_agent\":\"curl\"}",
     "E key=abc= ip=1.2.3.4 op=repo.download_zip ua=curl principal=octo ms=1700000000000 "
     "outcome=ok"},
    {"github", "{\"created_at\":1700000000,\"action\":\"git.clone\",\"token_id\":7}",
     "E key=7 op=git.clone ms=1700000000000 outcome=ok"},
    {NULL,
     "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"action\":\"a\",\"actor\":\"x\",\"token_id\":1}",
     "E key=1 time=2024-01-01T00:00:00Z op=a principal=x outcome=ok"},
    /* gcp-audit */
    {NULL,
     "{\"timestamp\":\"t\",\"protoPayload\":{\"methodName\":\"m\",\"status\":{\"code\":7},"
     "\"authenticationInfo\":{\"serviceAccountKeyName\":\"key1\"}}}",
     "E key=key1 time=t op=m status=7 grpc outcome=denied"},
    {"gcp-audit",
     "{\"timestamp\":\"t\",\"protoPayload\":{\"status\":{},\"authenticationInfo\":"
     "{\"serviceAccountKeyName\":\"key1\"}}}",
     "E key=key1 time=t grpc outcome=ok"},
    /* vault-audit */
    {NULL, "{\"type\":\"request\",\"time\":\"t\",\"auth\":{\"accessor\":\"a\"},\"request\":{}}",
     "S"},
    {"vault-audit",
     "{\"type\":\"response\",\"time\":\"t\",\"auth\":{\"accessor\":\"hmac:1\"},"
     "\"request\":{\"operation\":\"update\",\"path\":\"sys/policy/"
     "x\",\"remote_address\":\"10.1.1.1\"},"
     "\"error\":\"permission denied\"}",
     "E key=hmac:1 time=t ip=10.1.1.1 op=update sys/policy/x status=permission denied "
     "outcome=denied"},
    /* generic */
    {NULL,
     "{\"Operation\":\"charge\",\"method\":\"POST\",\"path\":\"/v1/"
     "c\",\"key\":\"k\",\"date\":\"d\"}",
     "E key=k time=d op=charge outcome=ok"},
    {NULL, "{\"endpoint\":\"/e\",\"key\":\"k\",\"date\":\"d\"}", "E key=k time=d op=/e outcome=ok"},
    {NULL, "{\"METHOD\":\"GET\",\"key\":\"k\",\"date\":\"d\"}", "E key=k time=d op=GET outcome=ok"},
    {NULL,
     "{\"key\":\"k\",\"time\":\"d\",\"error\":{\"type\":\"card_error\",\"code\":\"api_key_"
     "expired\"}}",
     "E key=k time=d status=api_key_expired outcome=denied"},
    {NULL, "{\"key\":\"k\",\"time\":\"d\",\"status\":500,\"error\":\"boom\"}",
     "E key=k time=d status=500 outcome=error"},
    {NULL,
     "{\"Access-Key-ID\":\"k\",\"Request Time\":\"d\",\"Remote_Addr\":\"1.1.1.1:80\","
     "\"HTTP User Agent\":\"ua\",\"Bytes Sent\":\"17\"}",
     "E key=k time=d ip=1.1.1.1:80 ua=ua bytes=17 outcome=ok"},
    {NULL, "{\"x\":{\"key\":\"nested-not-guessed\"},\"time\":\"d\"}", "R missing_key"},
    /* method + path: ids and the query string are normalized away, as in web logs */
    {NULL, "{\"key\":\"k\",\"time\":\"d\",\"method\":\"GET\","
           "\"path\":\"/v1/customers/cus_NffrFeUfNV2Hib/items/42?limit=5\"}",
     "E key=k time=d op=GET /v1/customers/{id}/items/{id} outcome=ok"},
    /* nested objects with common names: key.id, client.ip, ECS user_agent.original */
    {NULL, "{\"key\":{\"id\":\"k9\"},\"client\":{\"ip\":\"10.1.1.1\"},\"ts\":\"d\","
           "\"user_agent\":{\"original\":\"curl/8\"}}",
     "E key=k9 time=d ip=10.1.1.1 ua=curl/8 outcome=ok"},
    /* nested ids are guessed through key.id (an object named key holding an id) */
    {NULL, "{\"key\":{\"id\":1},\"time\":\"d\"}", "E key=1 time=d outcome=ok"},
    {NULL, "{\"key\":true,\"time\":\"d\"}", "E key=true time=d outcome=ok"},
    {NULL,
     "{\"ts\":1646861401.52,\"request\":{\"client_ip\":\"127.0.0.1\",\"method\":\"GET\","
     "\"uri\":\"/x\"},\"status\":200,\"size\":10,\"user_id\":\"u\",\"api_key\":\"k\"}",
     "E key=k ip=127.0.0.1 op=GET /x status=200 principal=u ms=1646861401520 bytes=10 outcome=ok"},
};

static void
test_cases(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("case %zu", i);
        g_autoptr(KtMapper) m = mapper(cases[i].preset, NULL);
        g_autofree char *got = map_json(m, cases[i].json);
        g_assert_cmpstr(got, ==, cases[i].expect);
    }
}

static void
test_detect(void)
{
    g_autoptr(KtMapper) m = mapper(NULL, NULL);
    g_assert_null(kt_mapper_preset_name(m));
    g_autofree char *a = map_json(m, "{\"eventTime\":\"t\",\"eventName\":\"n\"}");
    g_assert_cmpstr(kt_mapper_preset_name(m), ==, "cloudtrail");
    /* the choice sticks for the whole input */
    g_autofree char *b = map_json(m, "{\"api_key\":\"k\",\"time\":\"t\"}");
    g_assert_cmpstr(b, ==, "R missing_key");
    g_autoptr(KtMapper) m2 = mapper("auto", NULL);
    g_autofree char *c = map_json(m2, "{\"api_key\":\"k\",\"time\":\"t\"}");
    g_assert_cmpstr(kt_mapper_preset_name(m2), ==, "generic");
    g_assert_cmpstr(c, ==, "E key=k time=t outcome=ok");
}

static void
test_overrides(void)
{
    static const char *const f1[] = {"op", "eventName", "key", "userIdentity.arn", NULL};
    g_autoptr(KtMapper) m = mapper("cloudtrail", f1);
    g_autofree char *a = map_json(m, "{\"eventTime\":\"t\",\"eventSource\":\"iam.amazonaws.com\","
                                     "\"eventName\":\"X\",\"userIdentity\":{\"arn\":\"arn:1\","
                                     "\"accessKeyId\":\"AKIA\"}}");
    g_assert_cmpstr(a, ==, "E key=arn:1 time=t op=X principal=arn:1 outcome=ok");
    /* an override names a path that is absent: the field is absent, no fallback */
    static const char *const f2[] = {"time", "when", "status", "code", NULL};
    g_autoptr(KtMapper) m2 = mapper(NULL, f2);
    g_autofree char *b = map_json(m2, "{\"key\":\"k\",\"time\":\"t\",\"code\":7}");
    g_assert_cmpstr(b, ==, "R missing_time");
    g_autofree char *c = map_json(m2, "{\"key\":\"k\",\"WHEN\":\"t\",\"code\":403}");
    g_assert_cmpstr(c, ==, "E key=k time=t status=403 outcome=denied");
}

static void
test_errors(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    g_autoptr(GError) error = NULL;
    opts.preset = "conjur";
    g_assert_null(kt_mapper_new(&opts, "generic", &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_assert_nonnull(
        strstr(error->message, "cloudtrail, github-audit, gcp-audit, vault-audit, generic"));
    g_clear_error(&error);
    opts.preset = NULL;
    KtFieldOverride bad = {(char *)"keys", (char *)"x"}, empty = {(char *)"key", (char *)""};
    opts.fields = g_ptr_array_new();
    g_ptr_array_add(opts.fields, &bad);
    g_assert_null(kt_mapper_new(&opts, "generic", &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_assert_nonnull(strstr(error->message, "key, principal, time, ip, op, status, bytes, ua"));
    g_clear_error(&error);
    g_ptr_array_index(opts.fields, 0) = &empty;
    g_assert_null(kt_mapper_new(&opts, "generic", &error));
    g_assert_error(error, KT_ERROR, KT_ERROR_FORMAT_SPEC);
    g_ptr_array_unref(opts.fields);
}

static void
test_csv(void)
{
    const KtStrView head[] = {kt_sv("Event Name"), kt_sv("accessKeyId"), kt_sv("eventTime"),
                              kt_sv("eventName"), kt_sv("useridentity.type")};
    const KtStrView row[] = {kt_sv("x"), kt_sv("AKIA"), kt_sv("t"), kt_sv("ListBuckets"),
                             kt_sv("AssumedRole")};
    g_autoptr(KtMapper) m = mapper(NULL, NULL);
    kt_mapper_csv_header(m, head, G_N_ELEMENTS(head));
    g_assert_cmpstr(kt_mapper_preset_name(m), ==, "cloudtrail");
    KtEventView ev;
    KtReject reason;
    g_assert_cmpint(kt_mapper_csv_row(m, row, G_N_ELEMENTS(row), &ev, &reason), ==, KT_MAP_EVENT);
    g_assert_true(kt_sv_eq(ev.key, "AKIA"));
    g_assert_true(kt_sv_eq(ev.op, "ListBuckets"));
    g_assert_true(ev.flags & KT_EV_TEMP_KEY);

    static const char *const f[] = {"key", "no such column", NULL};
    g_autoptr(KtMapper) m2 = mapper("generic", f);
    const KtStrView h2[] = {kt_sv("api_key"), kt_sv("time")};
    const KtStrView r2[] = {kt_sv("k"), kt_sv("t")};
    kt_mapper_csv_header(m2, h2, 2);
    g_assert_cmpint(kt_mapper_csv_row(m2, r2, 2, &ev, &reason), ==, KT_MAP_REJECT);
    g_assert_cmpint(reason, ==, KT_REJECT_NO_KEY);
}

static void
test_outcome(void)
{
    static const struct {
        const char *status;
        gboolean grpc;
        KtOutcome want;
    } t[] = {
        {"AccessDenied", FALSE, KT_OUTCOME_DENIED},
        {"AccessDeniedException", FALSE, KT_OUTCOME_DENIED},
        {"Client.UnauthorizedOperation", FALSE, KT_OUTCOME_DENIED},
        {"NotAuthorizedException", FALSE, KT_OUTCOME_DENIED},
        {"User is not authorized to perform", FALSE, KT_OUTCOME_DENIED},
        {"api_key_expired", FALSE, KT_OUTCOME_DENIED},
        {"1 error occurred:\n\t* permission denied\n\n", FALSE, KT_OUTCOME_DENIED},
        {"EntityTemporarilyUnmodifiableException", FALSE, KT_OUTCOME_ERROR},
        {"NoSuchEntity", FALSE, KT_OUTCOME_ERROR},
        {"403", FALSE, KT_OUTCOME_DENIED},
        {"404", FALSE, KT_OUTCOME_ERROR},
        {"200", FALSE, KT_OUTCOME_OK},
        {"7", TRUE, KT_OUTCOME_DENIED},
        {"16", TRUE, KT_OUTCOME_DENIED},
        {"5", TRUE, KT_OUTCOME_ERROR},
        {"0", TRUE, KT_OUTCOME_OK},
        {"", FALSE, KT_OUTCOME_OK},
        {"failure", FALSE, KT_OUTCOME_DENIED},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(t); i++)
        g_assert_cmpint(kt_outcome_classify(kt_sv(t[i].status), t[i].grpc), ==, t[i].want);
}

static void
test_describe(void)
{
    g_autoptr(GString) out = g_string_new(NULL);
    kt_preset_describe(out, FALSE);
    const char *want[] = {"cloudtrail",
                          "github-audit",
                          "gcp-audit",
                          "vault-audit",
                          "generic",
                          "userIdentity.accessKeyId",
                          "hashed_token | token_id",
                          "protoPayload.status.code",
                          "auth.accessor",
                          "--field"};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_nonnull(strstr(out->str, want[i]));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/preset/cases", test_cases);
    g_test_add_func("/preset/detect", test_detect);
    g_test_add_func("/preset/overrides", test_overrides);
    g_test_add_func("/preset/errors", test_errors);
    g_test_add_func("/preset/csv", test_csv);
    g_test_add_func("/preset/outcome", test_outcome);
    g_test_add_func("/preset/describe", test_describe);
    return g_test_run();
}
