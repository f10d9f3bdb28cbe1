/*
 * test-jsonscan.c - the single-pass JSON extractor: accepted and rejected documents (each
 * also checked against cJSON itself), escapes and unicode escapes, depth limits,
 * duplicates, captured vs skipped members, views, and a differential test of the record
 * path (kt_json_emit_record) against the cJSON one on generated and mutated records.
 */
#include "../../src/input/jsonscan.h"
#include "../../src/input/preset.h"

/* ---- validation: the scanner against a table and against cJSON ----------------------- */

typedef struct {
    const char *text;
    guint max_depth;
    KtJsonStatus want;
} StatusCase;

static const StatusCase status_cases[] = {
    {"{}", 64, KT_JSON_OK},
    {" \x01\t{\"a\":1}\r\n ", 64, KT_JSON_OK},
    {"\xEF\xBB\xBF{}", 64, KT_JSON_OK},
    {"{\"a\":1}\x01", 64, KT_JSON_MALFORMED},
    {"{\"a\":1} x", 64, KT_JSON_MALFORMED},
    {"{\"a\":1}}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1}{}", 64, KT_JSON_MALFORMED},
    {"[1]", 64, KT_JSON_NO_OBJECT},
    {"\"x\"", 64, KT_JSON_NO_OBJECT},
    {"", 64, KT_JSON_NO_OBJECT},
    {"{", 64, KT_JSON_MALFORMED},
    {"{\"a\"", 64, KT_JSON_MALFORMED},
    {"{\"a\":", 64, KT_JSON_MALFORMED},
    {"{\"a\":1", 64, KT_JSON_MALFORMED},
    {"{\"a\":null,\"b\":true,\"c\":false}", 64, KT_JSON_OK},
    {"{\"a\":nul}", 64, KT_JSON_MALFORMED},
    {"{\"a\":nullx}", 64, KT_JSON_MALFORMED},
    {"{\"a\":tru}", 64, KT_JSON_MALFORMED},
    {"{\"a\":True}", 64, KT_JSON_MALFORMED},
    {"{\"a\":-}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1.}", 64, KT_JSON_OK},
    {"{\"a\":-.5}", 64, KT_JSON_OK},
    {"{\"a\":01}", 64, KT_JSON_OK},
    {"{\"a\":.5}", 64, KT_JSON_MALFORMED},
    {"{\"a\":+1}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1e}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1e+}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1-2}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1e5,\"b\":1.5E-3,\"c\":-0}", 64, KT_JSON_OK},
    {"{\"a\":1e99999}", 64, KT_JSON_OK},
    {"{\"a\":0x10}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\q\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\uDC00\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\uD800\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\uD800\\u0041\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\uD83D\\uDE00\"}", 64, KT_JSON_OK},
    {"{\"a\":\"\\u00zz\"}", 64, KT_JSON_OK}, /* cJSON reads bad hex as 0 */
    {"{\"a\":\"\\u12\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\\u000\\\\\"}", 64, KT_JSON_OK}, /* the escape swallows a backslash */
    {"{\"a\":\"abc}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"abc\\\"}", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"abc\\", 64, KT_JSON_MALFORMED},
    {"{\"a\":\"\x01\n\t\xff\xc3\"}", 64, KT_JSON_OK},
    {"{\"a\" 1}", 64, KT_JSON_MALFORMED},
    {"{\"a\":1,}", 64, KT_JSON_MALFORMED},
    {"{,}", 64, KT_JSON_MALFORMED},
    {"{a:1}", 64, KT_JSON_MALFORMED},
    {"{'a':1}", 64, KT_JSON_MALFORMED},
    {"{\"a\":[1,]}", 64, KT_JSON_MALFORMED},
    {"{\"a\":[1 2]}", 64, KT_JSON_MALFORMED},
    {"{\"a\":[,1]}", 64, KT_JSON_MALFORMED},
    {"{\"a\":[]}", 64, KT_JSON_OK},
    {"{\"a\":{\"b\":[{},[],\"x\",1,null]}}", 64, KT_JSON_OK},
    {"{\"a\":{\"b\":{}}}", 2, KT_JSON_TOO_DEEP},
    {"{\"a\":{\"b\":{}}}", 3, KT_JSON_OK},
    {"{\"a\":[[]]}", 2, KT_JSON_TOO_DEEP},
    {"{\"a\":\"[[[[[[\"}", 2, KT_JSON_OK},
};

/* What cJSON (as jsonsplit.c's parse_exact uses it) says about @text. */
static KtJsonStatus
cjson_status(const char *text, gsize len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, FALSE);
    if (root == NULL)
        return KT_JSON_MALFORMED;
    while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    KtJsonStatus st = end != text + len      ? KT_JSON_MALFORMED
                      : !cJSON_IsObject(root) ? KT_JSON_NO_OBJECT
                                              : KT_JSON_OK;
    cJSON_Delete(root);
    return st;
}

static void
test_status(void)
{
    g_autoptr(KtJsonScan) js = kt_json_scan_new();
    for (gsize i = 0; i < G_N_ELEMENTS(status_cases); i++) {
        const StatusCase *c = &status_cases[i];
        gsize len = strlen(c->text);
        KtJsonStatus got = kt_json_scan_run(js, c->text, len, c->max_depth);
        if (got != c->want)
            g_error("case %zu '%s': got %d, want %d", i, c->text, got, c->want);
        /* the oracle: cJSON agrees, except where the depth limit speaks first */
        KtJsonStatus ref = cjson_status(c->text, len);
        if (c->want == KT_JSON_TOO_DEEP)
            g_assert_true(kt_json_too_deep(c->text, len, c->max_depth));
        else if (c->want == KT_JSON_NO_OBJECT && len > 0)
            g_assert_true(ref == KT_JSON_NO_OBJECT || ref == KT_JSON_MALFORMED);
        else if (len > 0 && ref != c->want)
            g_error("case %zu '%s': cJSON says %d", i, c->text, ref);
    }
}

/* Nesting: 1000 levels are fine for cJSON, 1001 are not, whatever the limit. */
static void
test_nest_limit(void)
{
    g_autoptr(KtJsonScan) js = kt_json_scan_new();
    for (guint levels = 999; levels <= 1001; levels++) {
        GString *s = g_string_new("{\"a\":");
        for (guint i = 1; i < levels; i++)
            g_string_append_c(s, '[');
        for (guint i = 1; i < levels; i++)
            g_string_append_c(s, ']');
        g_string_append_c(s, '}');
        KtJsonStatus want = levels <= KT_JSON_NEST_LIMIT ? KT_JSON_OK : KT_JSON_MALFORMED;
        g_assert_cmpint(kt_json_scan_run(js, s->str, s->len, 5000), ==, want);
        g_assert_cmpint(cjson_status(s->str, s->len), ==, want);
        g_assert_cmpint(kt_json_scan_run(js, s->str, s->len, 64), ==, KT_JSON_TOO_DEEP);
        g_string_free(s, TRUE);
    }
}

/* A text that is not NUL-terminated, in its own allocation: reads past it fail ASan. */
static void
test_no_terminator(void)
{
    g_autoptr(KtJsonScan) js = kt_json_scan_new();
    const char *texts[] = {"{\"a\":\"x\\", "{\"a\":1", "{\"a\":\"\\u00", "{\"a\":nul", "{\"a\":12"};
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        gsize len = strlen(texts[i]);
        g_autofree char *copy = g_memdup2(texts[i], len);
        g_assert_cmpint(kt_json_scan_run(js, copy, len, 64), ==, KT_JSON_MALFORMED);
    }
}

/* ---- captures ------------------------------------------------------------------------ */

static guint
add(KtJsonScan *js, const char *dotted, gboolean ci)
{
    g_auto(GStrv) segs = g_strsplit(dotted, ".", -1);
    return kt_json_scan_add_path(js, (const char *const *)segs, g_strv_length(segs), ci);
}

static guint
add1(KtJsonScan *js, const char *whole, gboolean ci)
{
    return kt_json_scan_add_path(js, &whole, 1, ci);
}

/* "FOUND <type> <raw>", "MISSING" or "BLOCKED" for path @id; checks the view. */
static char *
get(KtJsonScan *js, guint id, const char *text, gsize len)
{
    KtJsonValue v;
    switch (kt_json_scan_get(js, id, &v)) {
    case KT_JSON_PATH_MISSING:
        return g_strdup("MISSING");
    case KT_JSON_PATH_BLOCKED:
        return g_strdup("BLOCKED");
    case KT_JSON_PATH_FOUND:
        break;
    }
    g_assert_true(v.raw.ptr >= text && v.raw.ptr + v.raw.len <= text + len);
    return g_strdup_printf("FOUND %d %s%.*s", v.type, v.esc ? "esc " : "", (int)v.raw.len,
                           v.raw.ptr);
}

static void
test_paths(void)
{
    g_autoptr(KtJsonScan) js = kt_json_scan_new();
    const char *text = "{\"a\":{\"b\":1,\"b\":2,\"x\":{\"y\":\"deep\"}},\"a\":{\"b\":3},"
                       "\"c\":\"x\\u0041\",\"d.e\":true,\"f\":5,\"F\":6,\"g\":[{\"h\":1}],"
                       "\"s\\u0074r\":\"key escaped\",\"n\":null,\"AB\":{\"cd\":7}}";
    struct {
        const char *path;
        gboolean whole, ci;
        const char *want;
    } cases[] = {
        {"a.b", FALSE, FALSE, "FOUND 4 1"},        /* first a, first b */
        {"a.x.y", FALSE, FALSE, "FOUND 5 deep"},   /* nested */
        {"a", FALSE, FALSE, "FOUND 7 {"},          /* objects are captured too */
        {"c", FALSE, FALSE, "FOUND 5 esc x\\u0041"},
        {"d.e", FALSE, FALSE, "MISSING"},          /* no member d */
        {"d.e", TRUE, FALSE, "FOUND 3 true"},      /* the dotted name as one key */
        {"f.x", FALSE, FALSE, "BLOCKED"},          /* f is not an object */
        {"g.h", FALSE, FALSE, "BLOCKED"},          /* arrays are not entered */
        {"f", FALSE, TRUE, "FOUND 4 5"},           /* first case-insensitive match */
        {"F", FALSE, FALSE, "FOUND 4 6"},
        {"ab.CD", FALSE, TRUE, "FOUND 4 7"},
        {"ab.cd", FALSE, FALSE, "MISSING"},
        {"str", FALSE, FALSE, "FOUND 5 key escaped"}, /* keys are compared unescaped */
        {"n", FALSE, FALSE, "FOUND 1 null"},
        {"zz", FALSE, FALSE, "MISSING"},
    };
    guint ids[G_N_ELEMENTS(cases)];
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        ids[i] = cases[i].whole ? add1(js, cases[i].path, cases[i].ci)
                                : add(js, cases[i].path, cases[i].ci);
    gsize len = strlen(text);
    g_assert_cmpint(kt_json_scan_run(js, text, len, 64), ==, KT_JSON_OK);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = get(js, ids[i], text, len);
        g_assert_cmpstr(got, ==, cases[i].want);
    }
    /* the next record starts afresh */
    g_assert_cmpint(kt_json_scan_run(js, "{\"F\":1}", 7, 64), ==, KT_JSON_OK);
    g_autofree char *f = get(js, ids[8], "{\"F\":1}", 7);
    g_assert_cmpstr(f, ==, "FOUND 4 1");
    g_autofree char *ab = get(js, ids[0], "{\"F\":1}", 7);
    g_assert_cmpstr(ab, ==, "MISSING");
}

typedef struct {
    GString *log;
} VisitLog;

static gboolean
visit(gpointer ud, guint depth, KtStrView key, const KtJsonValue *v)
{
    VisitLog *vl = ud;
    g_string_append_printf(vl->log, "%u:%.*s=%d;", depth, (int)key.len, key.ptr, v->type);
    return key.len == 1 && key.ptr[0] == 'e'; /* enter "e" only */
}

static void
test_visitor(void)
{
    g_autoptr(KtJsonScan) js = kt_json_scan_new();
    VisitLog vl = {g_string_new(NULL)};
    kt_json_scan_set_visitor(js, visit, &vl);
    const char *text = "{\"a\":1,\"e\":{\"x\":\"y\",\"z\":{\"q\":1}},\"o\":{\"p\":2},\"e\":[1],"
                       "\"k\\u0065y\":\"v\"}";
    g_assert_cmpint(kt_json_scan_run(js, text, strlen(text), 64), ==, KT_JSON_OK);
    g_assert_cmpstr(vl.log->str, ==, "1:a=4;1:e=7;2:x=5;2:z=7;1:o=7;1:e=6;1:key=5;");
    /* a malformed record may have made some calls, but reports MALFORMED */
    g_string_truncate(vl.log, 0);
    g_assert_cmpint(kt_json_scan_run(js, "{\"a\":1,\"b\":}", 12, 64), ==, KT_JSON_MALFORMED);
    g_assert_cmpstr(vl.log->str, ==, "1:a=4;");
    g_string_free(vl.log, TRUE);
}

/* ---- unescaping and numbers ---------------------------------------------------------- */

static void
test_unescape(void)
{
    struct {
        const char *raw, *want;
        gsize want_len;
    } cases[] = {
        {"abc", "abc", 3},
        {"a\\\"b", "a\"b", 3},
        {"\\\\\\/\\b\\f\\n\\r\\t", "\\/\b\f\n\r\t", 7},
        {"\\u0041", "A", 1},
        {"\\u00e9", "\xC3\xA9", 2},
        {"\\u20AC", "\xE2\x82\xAC", 3},
        {"\\uD83D\\uDE00", "\xF0\x9F\x98\x80", 4},
        {"\\uDBFF\\uDFFF", "\xF4\x8F\xBF\xBF", 4},
        {"a\\u0000b", "a", 1}, /* a cJSON string ends at U+0000 */
        {"\\u00zzq", "", 0},   /* bad hex reads as 0 */
        {"\xff\xc3", "\xff\xc3", 2},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        gsize len = strlen(cases[i].raw);
        g_autofree char *out = g_malloc(len + 1);
        gsize n = kt_json_unescape(cases[i].raw, len, out);
        g_assert_cmpuint(n, ==, cases[i].want_len);
        g_assert_cmpmem(out, n, cases[i].want, cases[i].want_len);
        /* the same as cJSON's valuestring */
        g_autofree char *doc = g_strdup_printf("{\"k\":\"%s\"}", cases[i].raw);
        cJSON *obj = cJSON_Parse(doc);
        g_assert_nonnull(obj);
        g_assert_cmpstr(cJSON_GetObjectItem(obj, "k")->valuestring, ==, cases[i].want);
        cJSON_Delete(obj);
    }
}

static void
test_numbers(void)
{
    const char *nums[] = {"0", "-0", "12", "1.5", "-.5", "1.", "01", "1e3", "1E-3", "1e999",
                          "123456789012345678901234567890", "0.1", "9007199254740993"};
    for (gsize i = 0; i < G_N_ELEMENTS(nums); i++) {
        cJSON *n = cJSON_Parse(nums[i]);
        g_assert_nonnull(n);
        double d = kt_json_number(kt_sv(nums[i]));
        g_assert_true(memcmp(&d, &n->valuedouble, sizeof d) == 0);
        cJSON_Delete(n);
    }
}

/* ---- differential: kt_json_emit_record vs kt_json_emit_record_cjson ------------------ */

static void
append_sv(GString *out, const char *name, KtStrView v)
{
    if (v.ptr != NULL)
        g_string_append_printf(out, " %s=[%.*s]", name, (int)v.len, v.ptr);
}

static void
col_event(gpointer ud, const KtEventView *ev, guint64 line)
{
    GString *out = ud;
    g_string_append_printf(out, "E%" G_GUINT64_FORMAT, line);
    append_sv(out, "key", ev->key);
    append_sv(out, "principal", ev->principal);
    append_sv(out, "time", ev->time_text);
    append_sv(out, "ip", ev->source);
    append_sv(out, "op", ev->op);
    append_sv(out, "status", ev->status);
    append_sv(out, "ua", ev->ua);
    g_string_append_printf(out, " ms=%" G_GINT64_FORMAT " bytes=%" G_GINT64_FORMAT
                                " grpc=%d flags=%u\n",
                           (ev->flags & KT_EV_TIME_SET) ? ev->time_ms : 0, ev->bytes,
                           ev->status_grpc, ev->flags);
}

static void
col_reject(gpointer ud, guint64 line, KtReject reason, const char *detail, KtStrView excerpt)
{
    GString *out = ud;
    g_string_append_printf(out, "R%" G_GUINT64_FORMAT " %s (%s) [%.*s]\n", line,
                           kt_reject_name(reason), detail ? detail : "-", (int)excerpt.len,
                           excerpt.ptr);
}

static void
col_skip(gpointer ud, guint64 line)
{
    GString *out = ud;
    g_string_append_printf(out, "S%" G_GUINT64_FORMAT "\n", line);
}

/* Records the differential test starts from: every preset, wrappers, escapes, dups. */
static const char *const seeds[] = {
    "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:"
    "sts::1:assumed-role/r/s\",\"accessKeyId\":\"ASIAXX\",\"sessionContext\":{\"sessionIssuer\":"
    "{\"arn\":\"arn:aws:iam::1:role/r\"}}},\"eventTime\":\"2024-03-01T00:46:59Z\","
    "\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\",\"sourceIPAddress\":"
    "\"18.184.135.121\",\"userAgent\":\"aws-cli/2\",\"errorCode\":\"AccessDenied\","
    "\"requestParameters\":{\"a\":[1,2,{\"b\":null}]},\"additionalEventData\":"
    "{\"bytesTransferredOut\":1234.0},\"readOnly\":true}",
    "{\"Events\":0,\"CloudTrailEvent\":\"{\\\"userIdentity\\\":{\\\"accessKeyId\\\":\\\"AKIA1\\\"},"
    "\\\"eventTime\\\":\\\"2024-01-01T00:00:00Z\\\",\\\"eventName\\\":\\\"Get\\u0041\\\"}\"}",
    "{\"CloudTrailEvent\":\"{\\\"userIdentity\\\":{\\\"accessKeyId\\\":\\\"AKIA2\\\"},"
    "\\\"eventTime\\\":\\\"t\\\"}\",\"EVENTTIME\":1}",
    "{\"protoPayload\":{\"authenticationInfo\":{\"principalEmail\":\"a@b\","
    "\"serviceAccountKeyName\":\"//iam/keys/k1\"},\"requestMetadata\":{\"callerIp\":\"1.2.3.4\","
    "\"callerSuppliedUserAgent\":\"gcloud\"},\"methodName\":\"storage.get\",\"status\":{\"code\":"
    "7}},\"timestamp\":\"2024-01-01T00:00:00.5Z\"}",
    "{\"type\":\"response\",\"time\":\"2024-01-01T00:00:00Z\",\"auth\":{\"accessor\":\"hmac:1\","
    "\"display_name\":\"app\"},\"request\":{\"operation\":\"read\",\"path\":\"secret/x\","
    "\"remote_address\":\"10.0.0.1\"},\"error\":\"permission denied\"}",
    "{\"type\":\"request\",\"time\":\"t\",\"auth\":{\"accessor\":\"a\"},\"request\":{}}",
    "{\"action\":\"repo.create\",\"actor\":\"octo\",\"hashed_token\":\"h=\",\"@timestamp\":"
    "1700000000123,\"actor_ip\":\"1.1.1.1\",\"user_agent\":\"gh\"}",
    "{\"ts\":\"2024-03-01T00:00:05.605Z\",\"key\":{\"id\":\"sk_live_1\",\"owner\":\"o\"},"
    "\"client\":{\"ip\":\"18.192.23.31\"},\"request\":{\"id\":\"r\",\"method\":\"GET\",\"path\":"
    "\"/v1/x\"},\"status\":200,\"bytes\":8075,\"user_agent\":\"Stripe/v1\"}",
    "{\"API-Key\":\"k\",\"Event Time\":\"t\",\"Client_IP\":\"::1\",\"Action\":\"read\","
    "\"api_key\":\"k2\",\"token\":\"\",\"error\":{\"code\":\"api_key_expired\",\"type\":\"x\"},"
    "\"error\":{\"code\":\"second\"},\"http\":{\"method\":\"POST\"},\"url\":\"/u\"}",
    "{\"key_id\":\"rk\\u005f1\",\"created_at\":1.7e9,\"bytes\":\"12\",\"status\":true,"
    "\"a\\u0070i\":\"esc\",\"ip\":\"\\u0031.2.3.4\",\"ua\":\"a\\u0000b\",\"op\":\"\\uD83D\\uDE00\"}",
    "{\"token\":42,\"ts\":1700000000123,\"user\":{\"id\":1},\"user\":\"second\",\"status\":-0,"
    "\"size\":1e999,\"error\":null}",
};

/* Applies one random edit to @s. */
static void
mutate(GString *s, GRand *r)
{
    static const char *const bits[] = {
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u00", "\\uD83D", "\\uDE00", "\\uDC00",
        "\\u0000", "\\\"", " ", "\x01", "\xff", "0", "-", ".", "e", "+", "1e5", "null", "true",
        "fals", "\"key\":\"k\"", "\"eventTime\":\"x\"", "\"CloudTrailEvent\":\"{}\"", "[[[[",
        "{\"a\":{\"b\":{\"c\":{}}}}", "\"KEY\":1", "\"userIdentity\":{}", "\"userIdentity\":1",
    };
    if (s->len == 0) {
        g_string_append(s, "{}");
        return;
    }
    guint pos = (guint)g_rand_int_range(r, 0, (gint32)s->len + 1);
    switch (g_rand_int_range(r, 0, 6)) {
    case 0:
        if (pos < s->len) {
            gssize n = g_rand_int_range(r, 1, 4);
            g_string_erase(s, pos, MIN(n, (gssize)(s->len - pos)));
        }
        break;
    case 1:
    case 2:
        g_string_insert(s, pos, bits[g_rand_int_range(r, 0, G_N_ELEMENTS(bits))]);
        break;
    case 3:
        if (pos < s->len)
            s->str[pos] = (char)g_rand_int_range(r, 1, 256);
        break;
    case 4: { /* duplicate a slice (duplicate members) */
        guint a = (guint)g_rand_int_range(r, 0, (gint32)s->len);
        guint n = MIN((guint)g_rand_int_range(r, 1, 40), (guint)s->len - a);
        g_autofree char *slice = g_strndup(s->str + a, n);
        g_string_insert(s, pos, slice);
        break;
    }
    default:
        if (pos < s->len && g_ascii_isalpha(s->str[pos]))
            s->str[pos] ^= 0x20;
        break;
    }
}

/* Runs @n records through both paths with options @opts and compares transcripts. */
static void
diff_run(const KtFormatOptions *opts, GRand *r, guint n, guint max_mut, const char *what)
{
    g_autoptr(GString) out_new = g_string_new(NULL), out_ref = g_string_new(NULL);
    KtSink sink_new = {col_event, col_reject, col_skip, out_new};
    KtSink sink_ref = {col_event, col_reject, col_skip, out_ref};
    g_autoptr(GError) error = NULL;
    g_autoptr(KtMapper) m_new = kt_mapper_new(opts, "generic", &error);
    g_assert_no_error(error);
    g_autoptr(KtMapper) m_ref = kt_mapper_new(opts, "generic", &error);
    g_assert_no_error(error);
    g_autoptr(GString) rec = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        g_string_assign(rec, seeds[g_rand_int_range(r, 0, G_N_ELEMENTS(seeds))]);
        guint muts = i < G_N_ELEMENTS(seeds) ? 0 : (guint)g_rand_int_range(r, 0, max_mut + 1);
        for (guint k = 0; k < muts; k++)
            mutate(rec, r);
        g_string_truncate(out_new, 0);
        g_string_truncate(out_ref, 0);
        /* exact-size copies: a read past the record shows under ASan */
        g_autofree char *a = g_memdup2(rec->str, rec->len);
        g_autofree char *b = g_memdup2(rec->str, rec->len);
        kt_json_emit_record(m_new, &sink_new, a, rec->len, i + 1, opts->max_json_depth);
        kt_json_emit_record_cjson(m_ref, &sink_ref, b, rec->len, i + 1, opts->max_json_depth);
        /* excerpts point into different copies: compare the text */
        if (strcmp(out_new->str, out_ref->str) != 0)
            g_error("%s: record %u differs\n  record: %s\n  new: %s  ref: %s", what, i, rec->str,
                    out_new->str, out_ref->str);
    }
}

static void
test_differential(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(20240601);
    const char *presets[] = {NULL, "generic", "cloudtrail", "gcp-audit", "vault-audit",
                             "github-audit"};
    guint n = g_test_slow() ? 200000 : 20000;
    for (gsize i = 0; i < G_N_ELEMENTS(presets); i++) {
        KtFormatOptions opts;
        kt_format_options_init(&opts);
        opts.preset = presets[i];
        diff_run(&opts, r, n, 4, presets[i] ? presets[i] : "auto");
        opts.max_json_depth = 3;
        diff_run(&opts, r, n / 4, 3, "depth 3");
    }
    /* --field overrides: case-insensitive fallback, dotted names, blocked paths */
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    KtFieldOverride fo[] = {{(char *)"key", (char *)"userIdentity.ACCESSKEYID"},
                            {(char *)"time", (char *)"EVENTTIME"},
                            {(char *)"ip", (char *)"key.id"},
                            {(char *)"ua", (char *)"a.b.c"},
                            {(char *)"op", (char *)"error.code"}};
    for (gsize i = 0; i < G_N_ELEMENTS(fo); i++)
        g_ptr_array_add(fields, &fo[i]);
    opts.fields = fields;
    for (gsize i = 0; i < 3; i++) {
        opts.preset = presets[i];
        diff_run(&opts, r, n / 2, 4, "overrides");
    }
}

/* Every string the mapper hands out lies in the record or the mapper's scratch: the
 * event views of escaped and unescaped records stay valid while the record does. */
static void
test_views(void)
{
    KtFormatOptions opts;
    kt_format_options_init(&opts);
    opts.preset = "generic";
    g_autoptr(GError) error = NULL;
    g_autoptr(KtMapper) m = kt_mapper_new(&opts, "generic", &error);
    g_assert_no_error(error);
    const char *text = "{\"key\":\"k\\u0031\",\"time\":\"2024\",\"ip\":\"1.2.3.4\"}";
    gsize len = strlen(text);
    g_assert_cmpint(kt_mapper_scan(m, text, len, 64), ==, KT_JSON_OK);
    KtEventView ev;
    KtReject reason;
    g_assert_cmpint(kt_mapper_scanned(m, &ev, &reason), ==, KT_MAP_EVENT);
    g_assert_cmpmem(ev.key.ptr, ev.key.len, "k1", 2);
    g_assert_false(ev.key.ptr >= text && ev.key.ptr < text + len); /* unescaped: scratch */
    g_assert_true(ev.time_text.ptr > text && ev.time_text.ptr + 4 <= text + len);
    g_assert_true(ev.source.ptr > text && ev.source.ptr + 7 <= text + len);
}

/* kt_json_find_quote (SSE2 where built with it) and its portable form find the first '"'
 * or '\\' as a byte loop does: every length from 0 to 80, every start offset within a
 * 16-byte block, stop bytes at seeded random places (or none), and bytes that differ
 * from the stops in one bit ('#' 0x23 and '\xa2', 'L' 0x4c and '\xdc' carry high bits
 * and near misses that a wrong lane mask or SWAR test would take for a stop). */
static void
test_find_quote(void)
{
    static const char filler[] = "abc#L \xa2\xdc\x7f\x01";
    GRand *r = g_rand_new_with_seed(7);
    char buf[128];
    for (int round = 0; round < 2000; round++) {
        gsize off = (gsize)g_rand_int_range(r, 0, 16);
        gsize len = (gsize)g_rand_int_range(r, 0, 81);
        for (gsize i = 0; i < sizeof(buf); i++)
            buf[i] = filler[g_rand_int_range(r, 0, (gint32)sizeof(filler) - 1)];
        int stops = g_rand_int_range(r, 0, 3);
        for (int k = 0; k < stops && len > 0; k++)
            buf[off + (gsize)g_rand_int_range(r, 0, (gint32)len)] = k % 2 ? '\\' : '"';
        buf[off + len] = '"'; /* past the end: must not be found */
        const char *p = buf + off, *end = p + len, *want = p;
        while (want < end && *want != '"' && *want != '\\')
            want++;
        g_assert_true(kt_json_find_quote(p, end) == want);
        g_assert_true(kt_json_find_quote_swar(p, end) == want);
    }
    g_rand_free(r);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/jsonscan/status", test_status);
    g_test_add_func("/jsonscan/nest-limit", test_nest_limit);
    g_test_add_func("/jsonscan/no-terminator", test_no_terminator);
    g_test_add_func("/jsonscan/paths", test_paths);
    g_test_add_func("/jsonscan/visitor", test_visitor);
    g_test_add_func("/jsonscan/unescape", test_unescape);
    g_test_add_func("/jsonscan/numbers", test_numbers);
    g_test_add_func("/jsonscan/views", test_views);
    g_test_add_func("/jsonscan/differential", test_differential);
    g_test_add_func("/jsonscan/find-quote", test_find_quote);
    return g_test_run();
}
